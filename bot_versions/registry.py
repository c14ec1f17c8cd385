"""The registry of versions and rollout in Redis: immutable definitions, statuses, rollout, pins, audit."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from redis.asyncio import Redis

from bot_versions import keys
from bot_versions.errors import Conflict, NotFound, PreconditionFailed
from bot_versions.model import BotVersion, InFlight, Status
from bot_versions.redis_scripts import RedisScript
from bot_versions.state import BotState, Rollout, VersionMeta
from bot_versions.validation import load_version

AUDIT_MAXLEN = 10_000
CAS_ATTEMPTS = 20


def wall_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change to a bot: what, to which thing, by whom (token identity), from what to what."""

    at_ms: int
    actor: str
    action: str
    subject: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {
            "at_ms": self.at_ms,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "before": self.before,
            "after": self.after,
        }


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Registry:
    """Stores versions and rollout; every change is one atomic compare-and-set with its audit entry."""

    def __init__(
        self,
        redis: Redis,
        clock: Callable[[], int] = wall_ms,
        on_change: Callable[[str, AuditEntry], None] | None = None,
    ) -> None:
        self.redis = redis
        self.clock = clock
        # told of each change once it is written (bot, its audit entry): the gateway logs it
        self.on_change = on_change or (lambda bot, entry: None)
        self._cas = RedisScript(redis, (files("bot_versions") / "cas.lua").read_text())

    async def put(self, version: BotVersion, actor: str) -> bool:
        """Store a draft; True if stored, False if identical content was already there; Conflict otherwise."""
        field = keys.version_field(version.version)
        current = await self.redis.hget(keys.config(version.bot), field)
        if current is not None:
            if VersionMeta.from_json(json.loads(current)).digest == version.digest:
                return False
            raise Conflict(
                f"{version.bot} {version.version} is already stored with different content; "
                "versions are immutable, store the change under a new version number"
            )
        meta = VersionMeta(Status.DRAFT, self.clock(), version.digest, resumes=version.document.get("resumes"))
        entry = self._entry(actor, "store", version.version, None, meta.status.value)
        stored = await self._cas(
            keys=[keys.config(version.bot), keys.audit(version.bot), keys.definitions(version.bot)],
            args=[
                field,
                "",
                _dumps(meta.to_json()),
                _dumps(entry.to_json()),
                AUDIT_MAXLEN,
                version.version,
                _dumps(version.document),
            ],
        )
        if not stored:  # another writer stored this version number a moment ago
            return await self.put(version, actor)
        await self.redis.sadd(keys.BOTS, version.bot)
        self.on_change(version.bot, entry)
        return True

    async def set_status(
        self, bot: str, version: str, status: Status, actor: str, in_flight: InFlight = InFlight.DRAIN
    ) -> VersionMeta:
        """Publish or unpublish a stored version."""

        def change(current: str | None) -> str:
            if current is None:
                raise NotFound(f"{bot} has no version {version}")
            meta = VersionMeta.from_json(json.loads(current))
            new = VersionMeta(status, meta.created_at_ms, meta.digest, in_flight, meta.resumes)
            return _dumps(new.to_json())

        action = "publish" if status is Status.PUBLISHED else "unpublish"
        after = await self._change(bot, keys.version_field(version), change, actor, action, version)
        return VersionMeta.from_json(json.loads(after or "{}"))

    async def rollout(self, bot: str) -> tuple[Rollout, str]:
        """The bot's rollout as stored and its entity tag (what `If-Match` must name to change it)."""
        raw = await self.redis.hget(keys.config(bot), keys.ROLLOUT_FIELD)
        text = None if raw is None else raw.decode()
        return _rollout_of(text), rollout_etag(text)

    async def set_rollout(
        self, bot: str, rollout: Rollout, actor: str, if_match: Collection[str] | None = None
    ) -> tuple[Rollout, str]:
        """An operator replaces the bot's stable and canary choice (the caller has checked it names published
        versions); `since` and the guard's last change are carried over as `Rollout.replaced_with` says."""
        return await self.change_rollout(
            bot, lambda current: current.replaced_with(rollout, self.clock()), actor, if_match
        )

    async def change_rollout(
        self, bot: str, compute: Callable[[Rollout], Rollout], actor: str, if_match: Collection[str] | None = None
    ) -> tuple[Rollout, str]:
        """Replace the rollout with `compute(current)` in one compare-and-set with its audit entry; the new rollout
        and its entity tag.

        With `if_match` (entity tags, as `rollout` gave them) the change is made only while the stored rollout's tag
        is one of them, else PreconditionFailed with the stored rollout and its tag. The check rides on the
        compare-and-set itself: the script compares the whole stored value with the one the tag was computed from,
        so nothing can slip in between the check and the write. Without `if_match` the change is applied to whatever
        is stored (retried on a concurrent write).
        """
        for _ in range(CAS_ATTEMPTS):
            raw = await self.redis.hget(keys.config(bot), keys.ROLLOUT_FIELD)
            current = None if raw is None else raw.decode()
            tag = rollout_etag(current)
            stored = _rollout_of(current)
            if if_match is not None and tag not in if_match:
                raise PreconditionFailed(
                    f"the rollout of {bot} was changed by someone else since you read it; read it again (its ETag is "
                    f"now {tag}) and apply your change to it",
                    details={"rollout": stored.to_json(), "etag": tag},
                )
            changed = compute(stored)
            if changed == stored:  # setting what is there already writes nothing, and no audit entry
                return stored, tag
            new = _dumps(changed.to_json())
            entry = self._entry(actor, "rollout", bot, _loads(current), _loads(new))
            if await self._cas(
                keys=[keys.config(bot), keys.audit(bot)],
                args=[keys.ROLLOUT_FIELD, current or "", new, _dumps(entry.to_json()), AUDIT_MAXLEN],
            ):
                self.on_change(bot, entry)
                return _rollout_of(new), rollout_etag(new)
        raise Conflict(f"{bot} is being changed by someone else right now; retry")

    async def pin(self, bot: str, user: str, version: str | None, actor: str) -> None:
        """Pin a user to a version for their next conversations, or remove the pin (None)."""
        await self._change(bot, keys.pin_field(user), lambda _: version, actor, "pin" if version else "unpin", user)

    async def _change(
        self,
        bot: str,
        field: str,
        compute: Callable[[str | None], str | None],
        actor: str,
        action: str,
        subject: str,
    ) -> str | None:
        for _ in range(CAS_ATTEMPTS):
            raw = await self.redis.hget(keys.config(bot), field)
            current = None if raw is None else raw.decode()
            new = compute(current)
            if new == current:
                return new
            entry = self._entry(actor, action, subject, _loads(current), _loads(new))
            if await self._cas(
                keys=[keys.config(bot), keys.audit(bot)],
                args=[field, current or "", new or "", _dumps(entry.to_json()), AUDIT_MAXLEN],
            ):
                self.on_change(bot, entry)
                return new
        raise Conflict(f"{bot} is being changed by someone else right now; retry")

    def _entry(self, actor: str, action: str, subject: str, before: Any, after: Any) -> AuditEntry:
        return AuditEntry(self.clock(), actor, action, subject, before, after)

    async def state(self, bot: str) -> BotState | None:
        """The bot's versions, rollout and pins, or None when the bot has no stored version."""
        raw = await self.redis.hgetall(keys.config(bot))
        return state_from_config(bot, raw) if raw else None

    async def definition(self, bot: str, version: str) -> BotVersion:
        """The stored definition of a version, validated again (definitions are small and cached by callers)."""
        raw = await self.redis.hget(keys.definitions(bot), version)
        if raw is None:
            raise NotFound(f"{bot} has no version {version}")
        return load_version(json.loads(raw))

    async def bots(self) -> list[str]:
        return sorted(m.decode() for m in await self.redis.smembers(keys.BOTS))

    async def audit(self, bot: str, count: int = 100) -> list[AuditEntry]:
        """The bot's changes, newest first."""
        rows = await self.redis.xrevrange(keys.audit(bot), count=count)
        return [AuditEntry(**json.loads(fields[b"entry"])) for _, fields in rows]


def rollout_etag(stored: str | None) -> str:
    """A strong entity tag of the stored rollout text: any change to it (the guard's too) changes the tag."""
    digest = hashlib.sha256((stored or "").encode()).hexdigest()[:32]
    return f'"{digest}"'


def _rollout_of(stored: str | None) -> Rollout:
    return Rollout() if stored is None else Rollout.from_json(json.loads(stored))


def _loads(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value  # pins are stored as bare version strings


def state_from_config(bot: str, raw: dict[bytes, bytes]) -> BotState:
    """Decode a bot's config hash into routable state."""
    versions: dict[str, VersionMeta] = {}
    pins: dict[str, str] = {}
    rollout = Rollout()
    for k, v in raw.items():
        name, value = k.decode(), v.decode()
        if name == keys.ROLLOUT_FIELD:
            rollout = Rollout.from_json(json.loads(value))
        elif name.startswith(keys.VERSION_FIELD):
            versions[name.removeprefix(keys.VERSION_FIELD)] = VersionMeta.from_json(json.loads(value))
        elif name.startswith(keys.PIN_FIELD):
            pins[name.removeprefix(keys.PIN_FIELD)] = value
    return BotState(bot=bot, versions=versions, rollout=rollout, pins=pins)
