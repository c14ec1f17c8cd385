"""Every Redis key of versions and rollout, built here and nowhere else.

A bot's keys share the hash tag `{bot}`, so a change to its versions or rollout and the
audit entry describing it are written together in one Redis Cluster slot.
"""

from __future__ import annotations

PREFIX = "bg"

BOTS = f"{PREFIX}:bots"
GUARD_LEASE = f"{PREFIX}:guard:lease"  # the rollout guard's lease: the holder's token, with a PX expiry


def _tag(bot: str) -> str:
    # Bot names are validated slugs, so they need no escaping inside the tag.
    return "{" + bot + "}"


def definitions(bot: str) -> str:
    """Hash of version -> canonical JSON definition (immutable once written)."""
    return f"{PREFIX}:b:{_tag(bot)}:defs"


def config(bot: str) -> str:
    """Hash of the bot's routable state; its fields are built by the functions below."""
    return f"{PREFIX}:b:{_tag(bot)}:conf"


def audit(bot: str) -> str:
    """Capped stream of changes to the bot's versions, rollout and pins."""
    return f"{PREFIX}:b:{_tag(bot)}:audit"


ROLLOUT_FIELD = "rollout"
VERSION_FIELD = "v:"
PIN_FIELD = "pin:"


def version_field(version: str) -> str:
    return VERSION_FIELD + version


def pin_field(user: str) -> str:
    return PIN_FIELD + user
