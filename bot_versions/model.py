"""A bot version as the gateway sees it: identity, status, idle policy, messages, content digest."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from packaging.version import InvalidVersion, Version

BOT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


class Status(StrEnum):
    """Where a version is in its life: only `published` versions are routed to new conversations."""

    DRAFT = "draft"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class IdlePolicyKind(StrEnum):
    """What happens to a conversation left idle longer than `idle.after`."""

    RESET = "reset"
    ASK = "ask"
    NONE = "none"


class InFlight(StrEnum):
    """What happens to conversations under way on a version that is unpublished."""

    DRAIN = "drain"
    RESET = "reset"


@dataclass(frozen=True, slots=True)
class Messages:
    """What the gateway itself says to a user; each version may override any of them."""

    idle_reset: str = "It has been a while, so let's start over."
    idle_ask: str = "Welcome back! Continue where you left off? (yes/no)"
    idle_ask_again: str = "Sorry, I did not get that. Continue where you left off? Please answer yes or no."
    version_reset: str = "This bot has been updated, so let's start over."

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(cls.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class IdlePolicy:
    """The pinned version's rule for silence: after `after_ms` milliseconds apply `kind`."""

    kind: IdlePolicyKind = IdlePolicyKind.NONE
    after_ms: int = 0


@dataclass(frozen=True, slots=True)
class BotVersion:
    """One immutable, validated release of a bot."""

    bot: str
    version: str
    runtime: str
    document: dict[str, Any]
    idle: IdlePolicy = field(default_factory=IdlePolicy)
    messages: Messages = field(default_factory=Messages)

    @property
    def parsed(self) -> Version:
        return Version(self.version)

    @property
    def digest(self) -> str:
        return content_digest(self.document)


def content_digest(document: Any) -> str:
    """Digest of a parsed document: the same content as JSON or YAML has the same digest."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_version(text: str) -> Version:
    """Parse a version string (PEP 440, as `packaging` reads it); raises ValueError when it is not one."""
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise ValueError(f"{text!r} is not a version (expected e.g. 1.0.0 or 2.1.0rc1)") from exc


def canonical_version(text: str) -> str:
    """The normal form of a version string, so `1.0` and `1.0.0` stay distinct but `v1.0.0` becomes `1.0.0`."""
    return str(parse_version(text))


def is_valid_bot_name(name: str) -> bool:
    """Bot names are lowercase slugs: they appear in URLs and Redis keys."""
    # fullmatch: with match, `$` also matches before a final newline, so `greeter\n` would pass
    return bool(BOT_NAME.fullmatch(name))
