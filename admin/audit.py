"""How a change to a bot reads: `before -> after` in words, and the one `admin_change` event logged for it."""

from __future__ import annotations

from typing import Any

import structlog

from bot_versions.registry import AuditEntry

log = structlog.get_logger("botgate.admin")

STARTUP_ACTOR = "startup"  # changes made at start-up are summed up by the `bots_loaded` event instead
USER_ACTIONS = frozenset({"pin", "unpin", "reset"})  # their subject is a user: logged as `user` (maybe hashed)


def summary(value: Any, action: str = "") -> str:
    """An audit entry's before or after value in a few words: a status, a rollout, a pinned version, or none."""
    if value is None and action == "rollout":
        value = {"stable": None, "canary": None}  # a bot whose rollout was never set routes by default
    if value is None:
        return "none"
    if isinstance(value, dict) and "status" in value:
        unpublished = value["status"] == "unpublished" and value.get("in_flight")
        return f"{value['status']} ({value['in_flight']})" if unpublished else str(value["status"])
    if isinstance(value, dict) and "stable" in value:
        canary = value.get("canary")
        canary_words = "none" if not canary else f"{canary.get('version')} at {canary.get('percent'):g}%"
        return f"stable {value['stable'] or 'highest release'}, canary {canary_words}"
    return str(value)


def change_text(action: str, before: Any, after: Any) -> str:
    """`before -> after`, each summed up."""
    return f"{summary(before, action)} -> {summary(after, action)}"


def change_event(bot: str, actor: str, action: str, subject: str, before: str, after: str) -> dict[str, Any]:
    """The fields of one `admin_change` event (the subject of a user action is its `user`)."""
    return {
        "bot": bot,
        "actor": actor,
        "action": action,
        "user" if action in USER_ACTIONS else "subject": subject,
        "before": before,
        "after": after,
    }


def log_change(bot: str, entry: AuditEntry) -> None:
    """Log a change the registry wrote, as one event (changes at start-up are left to `bots_loaded`)."""
    if entry.actor == STARTUP_ACTOR:
        return
    fields = change_event(
        bot,
        entry.actor,
        entry.action,
        entry.subject,
        summary(entry.before, entry.action),
        summary(entry.after, entry.action),
    )
    log.info("admin_change", **fields)
