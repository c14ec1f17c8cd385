"""What the runtimes that call a bot over HTTP (`http`, `activity`, `rasa`) share.

One pooled client per gateway process (keep-alive connections to each bot, `transport.py`), hosts checked against
`BOTGATE_UPSTREAM_HOSTS` when a version is stored and before its first call in each process, the body signed with
`BOTGATE_UPSTREAM_SECRET`, answers read up to a size limit and parsed by the one safe JSON parser, and a bound on
the calls in flight to one version, so that a slow bot cannot take the gateway's memory and connections with it.

Every failure is a `BotFailed` with a short reason; its message names the version and the bot's host and port,
never the URL's path or query (they may carry keys). The gateway never retries a call: the bot may have side effects.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot_versions.errors import BotFailed, Unavailable
from bot_versions.hosts import AllowList, NotAllowed
from bot_versions.model import BotVersion
from bot_versions.runtimes.transport import AiohttpTransport, Broken, Refused, Transport, aiohttp_target
from bot_versions.safe_json import JsonRefused, dumps, loads

SIGNATURE_HEADER = "X-Botgate-Signature"
MAX_ANSWER_BYTES = 256 * 1024
DEFAULT_TIMEOUT_S = 5.0
DEFAULT_MAX_IN_FLIGHT = 64
MAX_TARGETS = 1024  # bot URLs whose check is remembered (each version has one)


def sign(secret: bytes, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Answer:
    """A bot's answer: its status, media type and body, read in full (within the size limit)."""

    status: int
    media_type: str
    body: bytes
    who: str

    def json(self) -> Any:
        """The body as JSON data; BotFailed(not_json) when it is not JSON the safe parser accepts."""
        try:
            return loads(self.body)
        except JsonRefused as exc:
            raise BotFailed(f"{self.who} answered a body that is not JSON: {exc.message}", "not_json") from None


class Upstream:
    """The gateway's HTTP client for upstream bots."""

    def __init__(
        self,
        hosts: AllowList,
        secret: str | None = None,
        transport: Transport | None = None,
        max_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.hosts = hosts
        self._secret = secret.encode() if secret else None
        self._transport = transport or AiohttpTransport()
        self._max_bytes = max_bytes
        # Runtimes keep their gate alive; a version no runtime uses any more lets go of its entry.
        self._gates: weakref.WeakValueDictionary[tuple[str, str], Gate] = weakref.WeakValueDictionary()
        self._targets: dict[str, tuple[str, int]] = {}  # URL -> its checked host and port

    def gate(self, bot: str, version: str, limit: int) -> Gate:
        """The bound on one version's calls in flight in this process, shared by every runtime built for it.

        A version's runtime may be built more than once (turns missing the catalog's cache together, or a runtime
        evicted from it while its turns still run): a gate per runtime object would let each of them make `limit`
        calls. Versions are immutable, so every runtime of one version asks for the same limit.
        """
        gate = self._gates.get((bot, version))
        if gate is None:
            gate = self._gates[(bot, version)] = Gate(limit, f"{bot} {version}")
        return gate

    async def post(
        self, url: str, payload: Any, *, timeout: float, who: str, headers: Mapping[str, str] | None = None
    ) -> Answer:
        """POST `payload` as JSON (signed when a secret is set); the answer, whatever its status."""
        try:
            host, port = self._checked(url)
        except NotAllowed as exc:
            raise BotFailed(f"{who}: its URL {exc}", "not_allowed") from None
        who = f"{who} at {host}:{port}"
        body = dumps(payload)
        sent = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        if self._secret is not None:
            sent[SIGNATURE_HEADER] = sign(self._secret, body)
        try:
            # One bound on the whole call: the turn's lock needs it, or a bot trickling its answer a byte at a time
            # could hold the user's conversation past the lock's lease.
            async with asyncio.timeout(timeout):
                raw = await self._transport.post(url, body, sent, self._max_bytes)
        except TimeoutError:
            raise BotFailed(f"{who} did not answer within {timeout:g} s", "timeout") from None
        except Refused:
            raise BotFailed(f"{who} refused the connection", "refused") from None
        except Broken as exc:
            raise BotFailed(f"{who} failed: {exc}", "failed") from None
        if raw.body is None:
            raise BotFailed(f"{who} answered more than {self._max_bytes} bytes", "too_large")
        return Answer(raw.status, raw.media_type, raw.body, who)

    def _checked(self, url: str) -> tuple[str, int]:
        """The URL's allowed host and port, checked once per URL in this process: the allow-list and both URL
        parsers stay as they are for the life of the process, so the answer cannot change."""
        known = self._targets.get(url)
        if known is not None:
            return known
        place = self.hosts.check(url)
        check_sent_where_checked(url, place, self._transport.target)
        if len(self._targets) >= MAX_TARGETS:
            self._targets.clear()
        self._targets[url] = place
        return place

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._transport.aclose()


def check_sent_where_checked(
    url: str, checked: tuple[str, int], target: Callable[[str], tuple[str, int]] = aiohttp_target
) -> None:
    """Raise NotAllowed unless the client (`target`: where it connects for a URL) goes where the allow-list looked.

    The allow-list reads URLs with one parser and the client sends them with another: a URL the two read as
    different places (`http://a\\@b/`) is refused, so the host checked is always the host called.
    """
    try:
        sent = target(url)
    except ValueError:
        raise NotAllowed("cannot be sent by the HTTP client") from None
    if not _same_place(sent, checked):
        raise NotAllowed(
            f"is read as {checked[0]}:{checked[1]} by the allow-list but as {sent[0]}:{sent[1]} by the client"
        )


def _same_place(a: tuple[str, int], b: tuple[str, int]) -> bool:
    """The same port and host, IP addresses compared as addresses (`::ffff:127.0.0.1` is `::ffff:7f00:1`)."""
    if a[1] != b[1]:
        return False
    try:
        return ipaddress.ip_address(a[0]) == ipaddress.ip_address(b[0])
    except ValueError:
        return a[0] == b[0]


class Gate:
    """At most `limit` calls to one version in flight in this process; the next one is refused at once.

    Refused, not queued: a queue would only hold the users' locks and connections longer while the bot is slow.
    The refusal is a 503 with Retry-After, and nothing of the turn is saved.
    """

    def __init__(self, limit: int, who: str) -> None:
        self.limit = limit
        self.who = who
        self.in_flight = 0

    def slot(self) -> Gate:
        """`with gate.slot():` holds one of the version's slots for the block, or raises Unavailable when all are
        taken. The gate is its own context manager (a counter needs no more): no generator per upstream turn."""
        return self

    def __enter__(self) -> None:
        if self.in_flight >= self.limit:
            raise Unavailable(f"{self.who} is busy with {self.limit} turns already; retry shortly", retry_after=1)
        self.in_flight += 1

    def __exit__(self, *exc_info: object) -> None:
        self.in_flight -= 1


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where one version's bot listens and how it is called: its URL, its timeout (within the turn lock's lease),
    its bound on calls in flight, and the name messages give it."""

    upstream: Upstream
    url: str
    timeout: float
    gate: Gate
    who: str

    @classmethod
    def of(cls, version: BotVersion, upstream: Upstream, default_timeout: float, max_timeout: float) -> Endpoint:
        """The endpoint a version's runtime block (`http:`, `activity:`, `rasa:`) describes."""
        spec = version.document[version.runtime]
        limit = int(spec.get("max_in_flight", DEFAULT_MAX_IN_FLIGHT))
        timeout = min(float(spec.get("timeout", default_timeout)), max_timeout)
        gate = upstream.gate(version.bot, version.version, limit)
        return cls(upstream, spec["url"], timeout, gate, f"{version.bot} {version.version}")

    async def send(self, payload: Any, headers: Mapping[str, str] | None = None) -> Answer:
        """POST to the bot; the caller holds a slot of the gate."""
        return await self.upstream.post(self.url, payload, timeout=self.timeout, who=self.who, headers=headers)

    async def post(self, payload: Any, headers: Mapping[str, str] | None = None) -> Answer:
        """POST to the bot within one of the version's slots (Unavailable when all are taken)."""
        with self.gate.slot():
            return await self.send(payload, headers)
