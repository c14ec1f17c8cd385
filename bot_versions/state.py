"""A bot's routable state as plain data: version statuses, rollout and pins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from packaging.version import Version

from bot_versions.model import InFlight, Status


@dataclass(frozen=True, slots=True)
class VersionMeta:
    """What routing needs of a version: its status, what unpublishing did to conversations under way, and the
    versions whose conversations it can resume (copied from its immutable definition when it is stored)."""

    status: Status
    created_at_ms: int
    digest: str
    in_flight: InFlight = InFlight.DRAIN
    resumes: str | None = None  # a packaging SpecifierSet, as written in the definition

    def to_json(self) -> dict[str, Any]:
        out = {
            "status": self.status.value,
            "created_at_ms": self.created_at_ms,
            "digest": self.digest,
            "in_flight": self.in_flight.value,
        }
        if self.resumes is not None:
            out["resumes"] = self.resumes
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VersionMeta:
        resumes = data.get("resumes")
        return cls(
            status=Status(data["status"]),
            created_at_ms=int(data["created_at_ms"]),
            digest=str(data["digest"]),
            in_flight=InFlight(data.get("in_flight", "drain")),
            resumes=str(resumes) if resumes is not None else None,
        )


def iso_ms(ms: int) -> str:
    """Milliseconds since the epoch as ISO 8601 UTC with milliseconds, as the admin API writes times."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ms_of_iso(text: str) -> int:
    """The milliseconds since the epoch an `iso_ms` text names."""
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class Guard:
    """When a canary is rolled back: its rates compared with the stable version's over the last `window` seconds.

    The rule itself is `admin.guard_rule` (a pure function, documented in docs/guard.md).
    """

    max_error_rate_increase: float = 0.02  # errors/turns may exceed stable's by at most this much
    max_completion_drop: float = 0.05  # completed/(completed+reset) may fall below stable's by at most this much
    min_conversations: int = 100  # conversations started on each side before anything is judged
    window: int = 900  # seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "max_error_rate_increase": self.max_error_rate_increase,
            "max_completion_drop": self.max_completion_drop,
            "min_conversations": self.min_conversations,
            "window": self.window,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Guard:
        return cls(
            max_error_rate_increase=float(data["max_error_rate_increase"]),
            max_completion_drop=float(data["max_completion_drop"]),
            min_conversations=int(data["min_conversations"]),
            window=int(data["window"]),
        )


@dataclass(frozen=True, slots=True)
class Canary:
    """A share of new conversations, `percent` of users (0-100, decimals allowed), sent to `version`.

    With `guard` it is rolled back automatically when it does worse than stable; with `steps` its percent advances
    to the next step each `hold` seconds the guard passes, and after the last step it is promoted. `since_ms` is when
    it reached its current version and percent: the start of the hold.
    """

    version: str
    percent: float
    guard: Guard | None = None
    steps: tuple[float, ...] | None = None
    hold: int | None = None  # seconds at each step, set exactly when `steps` is
    since_ms: int | None = None

    @property
    def guarded(self) -> bool:
        """Whether the guard has anything to do with this canary: judge it, or move it along its steps."""
        return self.guard is not None or self.steps is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "percent": self.percent,
            "guard": None if self.guard is None else self.guard.to_json(),
            "steps": None if self.steps is None else list(self.steps),
            "hold": self.hold,
            "since": None if self.since_ms is None else iso_ms(self.since_ms),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Canary:
        guard, steps, hold, since = data.get("guard"), data.get("steps"), data.get("hold"), data.get("since")
        return cls(
            version=str(data["version"]),
            percent=float(data["percent"]),
            guard=None if guard is None else Guard.from_json(guard),
            steps=None if steps is None else tuple(float(step) for step in steps),
            hold=None if hold is None else int(hold),
            since_ms=None if since is None else ms_of_iso(since),
        )


@dataclass(frozen=True, slots=True)
class GuardAction:
    """The last change the guard made to a rollout, and the figures that decided it (shown as `last_guard`)."""

    at_ms: int
    action: str  # rollback | advance | promote
    why: str
    figures: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"at": iso_ms(self.at_ms), "action": self.action, "why": self.why, "figures": self.figures}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GuardAction:
        return cls(ms_of_iso(data["at"]), str(data["action"]), str(data["why"]), dict(data.get("figures") or {}))


@dataclass(frozen=True, slots=True)
class Rollout:
    """Which version new conversations get, before per-user pins are considered, and the guard's last change."""

    stable: str | None = None
    canary: Canary | None = None
    last_guard: GuardAction | None = None

    def to_json(self) -> dict[str, Any]:
        """The rollout as stored and as the admin API shows it (one form, so the audit shows what the API shows)."""
        return {
            "stable": self.stable,
            "canary": None if self.canary is None else self.canary.to_json(),
            "last_guard": None if self.last_guard is None else self.last_guard.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rollout:
        c, last = data.get("canary"), data.get("last_guard")
        return cls(
            stable=data.get("stable"),
            canary=None if c is None else Canary.from_json(c),
            last_guard=None if last is None else GuardAction.from_json(last),
        )

    def replaced_with(self, wanted: Rollout, now_ms: int) -> Rollout:
        """The rollout after an operator asks for `wanted`: the canary keeps `since` while its version and percent
        stay the same (changing only its guard or steps does not restart the hold), and the guard's last change is
        kept (it is history, not a setting)."""
        canary, old = wanted.canary, self.canary
        if canary is not None:
            since = now_ms
            if (
                old is not None
                and old.since_ms is not None
                and (old.version, old.percent) == (canary.version, canary.percent)
            ):
                since = old.since_ms
            canary = replace(canary, since_ms=since)
        return Rollout(stable=wanted.stable, canary=canary, last_guard=self.last_guard)


def newest_release(versions: Mapping[str, VersionMeta]) -> str | None:
    """The highest published version that is not a pre-release: the default stable."""
    releases = [
        Version(v) for v, meta in versions.items() if meta.status is Status.PUBLISHED and not Version(v).is_prerelease
    ]
    return str(max(releases)) if releases else None


@dataclass(frozen=True, slots=True)
class BotState:
    """Everything routing needs about one bot, read in one go.

    `newest` and `any_resumes` follow from the versions; they are worked out once, when the state is read, because
    one state serves every turn of the bot until the next read, and parsing versions was a visible share of a turn.
    """

    bot: str
    versions: dict[str, VersionMeta] = field(default_factory=dict)
    rollout: Rollout = field(default_factory=Rollout)
    pins: dict[str, str] = field(default_factory=dict)
    newest: str | None = field(init=False, repr=False, compare=False)  # newest_release(versions)
    any_resumes: bool = field(init=False, repr=False, compare=False)  # some version resumes another

    def __post_init__(self) -> None:
        object.__setattr__(self, "newest", newest_release(self.versions))
        object.__setattr__(self, "any_resumes", any(meta.resumes for meta in self.versions.values()))
