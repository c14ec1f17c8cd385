"""The admin API's JSON views, as plain functions over plain data (times as ISO 8601 UTC strings)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from packaging.version import Version

from bot_versions.model import Status
from bot_versions.registry import AuditEntry
from bot_versions.resumes import resumes
from bot_versions.state import BotState, VersionMeta, iso_ms
from middleware.routing import canary_target, route, stable_target
from middleware.session_admin import ConversationLog, SessionPlace, UserSession
from middleware.store import TranscriptEntry

JSON = dict[str, Any]


iso = iso_ms  # e.g. 2025-05-01T12:00:00.000Z, the one way the admin API writes times


def version_view(version: str, meta: VersionMeta, active: int) -> JSON:
    """One version: status, what unpublishing did to conversations under way, active sessions, creation time."""
    return {
        "version": version,
        "status": meta.status.value,
        "in_flight": meta.in_flight.value if meta.status is Status.UNPUBLISHED else None,
        "active_sessions": active,
        "created_at": iso(meta.created_at_ms),
        "digest": meta.digest,
        "resumes": meta.resumes,
    }


def resumable_view(state: BotState, version: str, counts: Mapping[str, int]) -> JSON:
    """What routing `version` now would move: the conversations under way on each older version it resumes.

    Read from the per-version counters, never by scanning sessions, so it is an upper bound: a flow conversation
    standing at a step this version has no question for stays where it is, and canary users move only when their
    bucket is in. `routed_now` says how routing reaches the version today.
    """
    meta = state.versions[version]
    moving = {
        older: n
        for older, n in sorted(counts.items(), key=lambda item: Version(item[0]))
        if n > 0 and meta.resumes is not None and Version(older) < Version(version) and resumes(meta.resumes, older)
    }
    return {
        "bot": state.bot,
        "version": version,
        "resumes": meta.resumes,
        "routed_now": _routed_now(state, version),
        "sessions": sum(moving.values()),
        "by_version": moving,
    }


def _routed_now(state: BotState, version: str) -> str:
    canary = canary_target(state)
    if stable_target(state) == version:
        return "stable"
    if canary is not None and canary.version == version:
        return "canary"
    return "pinned" if version in state.pins.values() else "no"


def bot_view(state: BotState, counts: Mapping[str, int]) -> JSON:
    """A bot: its rollout as set, the rollout routing applies now, its versions (newest first) and pins."""
    canary = canary_target(state)
    newest_first = sorted(state.versions, key=Version, reverse=True)
    return {
        "bot": state.bot,
        "rollout": state.rollout.to_json(),
        "serving": {
            "stable": stable_target(state),
            "canary": None if canary is None else {"version": canary.version, "percent": canary.percent},
        },
        "versions": [version_view(v, state.versions[v], counts.get(v, 0)) for v in newest_first],
        "pins": dict(sorted(state.pins.items())),
    }


def pin_view(state: BotState, user: str) -> JSON:
    """A user's pin and the version their next conversation will get."""
    target = route(state, user)
    return {
        "bot": state.bot,
        "user": user,
        "pin": state.pins.get(user),
        "next_conversation": None if target is None else {"version": target.version, "reason": target.reason.value},
    }


def _place(place: SessionPlace) -> JSON:
    return {"channel": place.channel, "space": place.space}


def sessions_view(state: BotState, user: str, sessions: Sequence[UserSession]) -> JSON:
    """A user's sessions with a bot, across channels and spaces, most recently seen first."""
    return {
        **pin_view(state, user),
        "sessions": [
            {
                **_place(s.place),
                "version": s.session.version,
                "status": s.session.status.value,
                "conversation": s.session.conversation,
                "turns": s.session.turns,
                "started_at": iso(s.session.started_at_ms),
                "last_seen": iso(s.session.last_seen_ms),
            }
            for s in sessions
        ],
    }


def transcript_view(bot: str, user: str, logs: Sequence[ConversationLog]) -> JSON:
    """A user's conversations, newest first, each message with the version that handled it."""
    return {
        "bot": bot,
        "user": user,
        "conversations": [
            {
                "conversation": log.conversation,
                **_place(log.place),
                "started_at": iso(log.messages[0].at_ms),
                "messages": [_message(m) for m in log.messages],
            }
            for log in logs
        ],
    }


def _message(entry: TranscriptEntry) -> JSON:
    message: JSON = {"role": entry.role, "text": entry.text, "version": entry.version, "at": iso(entry.at_ms)}
    if entry.from_version is not None:
        message["from"] = entry.from_version  # a migration: the conversation moved to `version` from here
    return message


def audit_view(bot: str, entries: Sequence[AuditEntry]) -> JSON:
    """A bot's changes, newest first: when, which token identity, what, and the value before and after."""
    return {
        "bot": bot,
        "entries": [
            {
                "at": iso(e.at_ms),
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "before": e.before,
                "after": e.after,
            }
            for e in entries
        ],
    }
