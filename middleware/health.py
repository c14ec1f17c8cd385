"""Per-version conversation health: what each turn adds, and the counts over a window, as plain data.

Turns add events to per-minute buckets in Redis (`keys.health`), written by `Counters` in the same batched call as
the active counters (and, for turns that move no counter, by a flush every second per process): no Redis call is
added to a steady turn. The buckets live 48 hours.

- `started`: a conversation started on the version;
- `completed`: the bot ended it (`done`);
- `reset`: it was ended by the gateway: idle reset, unpublish reset, an operator's reset, "no" or unclear answers
  to "continue?";
- `migrated`: it moved to a newer version (counted on the version it left);
- `turns`: turns it ran, saved or failed; `errors`: the turns its logic failed (any runtime's `bot_error`, a failed
  migration, an unexpected exception), so errors / turns is the share that failed;
- latency: each turn's duration, in the buckets of `LATENCY_MS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from redis.asyncio import Redis

from middleware import keys
from middleware.store_errors import store_errors

EVENTS = ("started", "completed", "reset", "migrated", "turns", "errors")
# Upper bounds (ms) of the latency buckets; a turn slower than the last falls in one more, unbounded bucket.
LATENCY_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000)
KEEP_S = 48 * 3600
MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class VersionHealth:
    """One version's events over a window, and the rates the guard and the dashboard read."""

    started: int = 0
    completed: int = 0
    reset: int = 0
    migrated: int = 0
    turns: int = 0
    errors: int = 0
    latency: tuple[int, ...] = field(default=(0,) * (len(LATENCY_MS) + 1))

    @property
    def error_rate(self) -> float | None:
        """errors / turns; None before any turn."""
        return self.errors / self.turns if self.turns else None

    @property
    def completion_rate(self) -> float | None:
        """completed / (completed + reset); None while no conversation has finished either way."""
        finished = self.completed + self.reset
        return self.completed / finished if finished else None

    @property
    def p95_ms(self) -> int | None:
        """The upper bound of the latency bucket holding the 95th percentile (None: no turn, or slower than all)."""
        total = sum(self.latency)
        if not total:
            return None
        seen = 0
        for bound, count in zip((*LATENCY_MS, None), self.latency, strict=True):
            seen += count
            if seen >= 0.95 * total:
                return bound
        return None

    def plus(self, other: VersionHealth) -> VersionHealth:
        """The events of both windows."""
        counts: dict[str, int] = {name: getattr(self, name) + getattr(other, name) for name in EVENTS}
        return VersionHealth(**counts, latency=tuple(a + b for a, b in zip(self.latency, other.latency, strict=True)))


def latency_bucket(ms: float) -> int:
    """The index of the latency bucket a turn of `ms` milliseconds falls in."""
    for index, bound in enumerate(LATENCY_MS):
        if ms <= bound:
            return index
    return len(LATENCY_MS)


def minute_of(now_ms: int) -> int:
    """The minute (ms since the epoch, floored to the minute) a moment falls in: the bucket it is counted in."""
    return now_ms - now_ms % MINUTE_MS


def minutes(window_s: int, now_ms: int) -> list[int]:
    """The minutes a window of `window_s` seconds ending now touches, oldest first."""
    last = minute_of(now_ms)
    first = minute_of(now_ms - window_s * 1000 + 1)
    return list(range(first, last + MINUTE_MS, MINUTE_MS))


def bucket_health(fields: Mapping[str, int]) -> dict[str, VersionHealth]:
    """One minute's bucket (`version|event` and `version|lat|i` -> count) as health per version."""
    raw: dict[str, dict[str, int]] = {}
    for key, count in fields.items():
        version, _, what = key.partition("|")
        raw.setdefault(version, {})[what] = count
    out = {}
    for version, counts in raw.items():
        if not any(name in counts for name in EVENTS):
            continue  # only the minute's snapshot of active sessions
        latency = tuple(counts.get(f"lat|{i}", 0) for i in range(len(LATENCY_MS) + 1))
        events: dict[str, int] = {name: counts.get(name, 0) for name in EVENTS}
        out[version] = VersionHealth(**events, latency=latency)
    return out


def total(buckets: Iterable[Mapping[str, VersionHealth]]) -> dict[str, VersionHealth]:
    """Health per version summed over buckets."""
    out: dict[str, VersionHealth] = {}
    for bucket in buckets:
        for version, health in bucket.items():
            out[version] = out[version].plus(health) if version in out else health
    return out


async def read_minutes(redis: Redis, bot: str, window_s: int, now_ms: int) -> list[tuple[int, dict[str, int]]]:
    """Each minute of the window, oldest first, with its bucket's fields (one pipelined read, no scan)."""
    spans = minutes(window_s, now_ms)
    with store_errors():
        async with redis.pipeline(transaction=False) as pipe:
            for minute in spans:
                pipe.hgetall(keys.health(bot, minute))
            rows = await pipe.execute()
    return [(minute, {_text(k): int(v) for k, v in row.items()}) for minute, row in zip(spans, rows, strict=True)]


async def window_health(redis: Redis, bot: str, window_s: int, now_ms: int) -> dict[str, VersionHealth]:
    """Each version's health over the last `window_s` seconds."""
    return total(bucket_health(fields) for _, fields in await read_minutes(redis, bot, window_s, now_ms))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
