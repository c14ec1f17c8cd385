"""Which version a new conversation gets: a per-user pin, then the canary, then the stable version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from packaging.version import Version

from bot_versions.model import Status
from bot_versions.resumes import resumes
from bot_versions.state import BotState, Canary
from bot_versions.state import newest_release as newest_release  # routing's rule, worked out with the state

BUCKETS = 10_000


class RouteReason(StrEnum):
    PIN = "pin"
    CANARY = "canary"
    STABLE = "stable"


@dataclass(frozen=True, slots=True)
class Route:
    version: str
    reason: RouteReason


def bucket(bot: str, user: str, salt: str = "") -> int:
    """A user's place in 0..9999 for a bot: stable across processes and releases (not Python's hash())."""
    digest = hashlib.sha256(f"{bot}\x00{user}\x00{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_canary(user_bucket: int, percent: float) -> bool:
    """Raising the percent only ever adds buckets, so canary users stay in as it grows."""
    return user_bucket < round(percent * BUCKETS / 100)


def _published(state: BotState, version: str | None) -> bool:
    meta = state.versions.get(version) if version else None
    return meta is not None and meta.status is Status.PUBLISHED


def route(state: BotState, user: str) -> Route | None:
    """The version for this user's next conversation, or None when nothing is published."""
    pin = state.pins.get(user)
    pin_meta = state.versions.get(pin) if pin is not None else None
    # A pin reaches a draft or a published version; an unpublished one takes no new conversations, pinned or not.
    if pin is not None and pin_meta is not None and pin_meta.status is not Status.UNPUBLISHED:
        return Route(pin, RouteReason.PIN)
    canary = canary_target(state)
    if canary is not None and in_canary(bucket(state.bot, user), canary.percent):
        return Route(canary.version, RouteReason.CANARY)
    stable = stable_target(state)
    return Route(stable, RouteReason.STABLE) if stable is not None else None


def stable_target(state: BotState) -> str | None:
    """The stable version routing applies: the explicit one while it is published, else the newest release."""
    stable = state.rollout.stable
    if stable is not None and _published(state, stable):
        return stable
    return state.newest


def canary_target(state: BotState) -> Canary | None:
    """The canary routing applies: the rollout's canary while its version is published, else none."""
    canary = state.rollout.canary
    return canary if canary is not None and _published(state, canary.version) else None


def resumer(state: BotState, pinned: str, user: str, declined: str = "") -> str | None:
    """The version a conversation pinned to `pinned` moves to now, if any: the one routing picks for this user
    (pin, canary, stable), when it is newer, declares it `resumes` the pinned version, and has not declined this
    conversation already."""
    if not state.any_resumes:
        return None  # the common case: no version of this bot resumes anything, so nothing to route
    target = route(state, user)
    if target is None or target.version in (pinned, declined):
        return None
    meta = state.versions.get(target.version)
    if meta is None or meta.resumes is None or not resumes(meta.resumes, pinned):
        return None
    return target.version if Version(target.version) > Version(pinned) else None
