"""`GET /admin/v1/bots/{bot}/health?window=3600`: each version's conversation health over a window, and per minute."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.version import Version
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from admin.requests import problem, url_bot
from admin.services import admin_services, bot_state
from admin.views import JSON, iso
from bot_versions.errors import Invalid
from middleware.health import EVENTS, KEEP_S, VersionHealth, bucket_health, read_minutes, total
from middleware.session_admin import active_sessions

DEFAULT_WINDOW_S = 3600
SERIES_EVENTS = ("started", "turns", "errors")


def health_view(
    bot: str,
    versions: Sequence[str],
    window_s: int,
    buckets: Sequence[tuple[int, Mapping[str, int]]],
    active_now: Mapping[str, int],
) -> JSON:
    """The health answer from a window's minute buckets (oldest first) and the active counts now.

    A minute's `active_sessions` is the last count written in it (a version missing from a minute's counts had
    none); a minute with no counts carries the one before on (nothing moved), and minutes before any are null.
    """
    per_minute = [(minute, bucket_health(fields), fields) for minute, fields in buckets]
    counted = [any(name.endswith("|active") for name in fields) for _, fields in buckets]
    sums = total(health for _, health, _ in per_minute)
    known = dict.fromkeys([*versions, *sums])
    out: JSON = {}
    for version in known:
        health = sums.get(version, VersionHealth())
        series = []
        active: int | None = None
        for (minute, minute_health, fields), snapshot in zip(per_minute, counted, strict=True):
            active = fields.get(f"{version}|active", 0) if snapshot else active
            counts = minute_health.get(version, VersionHealth())
            series.append(
                {"t": iso(minute), **{e: getattr(counts, e) for e in SERIES_EVENTS}, "active_sessions": active}
            )
        out[version] = {
            **{event: getattr(health, event) for event in EVENTS},
            "error_rate": health.error_rate,
            "completion_rate": health.completion_rate,
            "active_sessions": active_now.get(version, 0),
            "p95_ms": health.p95_ms,
            "series": series,
        }
    return {"bot": bot, "window": window_s, "versions": out}


def window_of(raw: str | None) -> int:
    """`?window=` in seconds: default 3600, at most 48 hours; 422 otherwise."""
    if raw is None:
        return DEFAULT_WINDOW_S
    if not (raw.isascii() and raw.isdigit()) or not 60 <= int(raw) <= KEEP_S:
        raise Invalid(
            "window is out of range",
            details=[problem("window", f"must be a whole number of seconds from 60 to {KEEP_S} (48 hours)")],
        )
    return int(raw)


async def get_health(request: Request) -> Response:
    """Each version's started, completed, reset, migrated, turns, errors, rates, p95 and a per-minute series."""
    svc = admin_services(request)
    bot = url_bot(request)
    window_s = window_of(request.query_params.get("window"))
    state = await bot_state(svc, bot)
    buckets = await read_minutes(svc.redis, bot, window_s, svc.clock())
    versions = sorted(state.versions, key=Version, reverse=True)
    view = health_view(bot, versions, window_s, buckets, await active_sessions(svc.redis, bot))
    return JSONResponse(view)
