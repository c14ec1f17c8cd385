"""Every Redis key the session side uses, built here and nowhere else.

All keys of one session share the hash tag `{bot:channel:user[:space]}` so that each
per-session script touches a single Redis Cluster slot. Components are percent-encoded:
a user id may contain `:`, `{` or `}`, and two different sessions must never share a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

PREFIX = "bg"


def _enc(part: str) -> str:
    return quote(part, safe="")


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """The keys of one session."""

    tag: str

    @classmethod
    def of(cls, bot: str, channel: str, user: str, space: str | None = None) -> SessionKeys:
        parts = [bot, channel, user] if space is None else [bot, channel, user, space]
        return cls("{" + ":".join(_enc(p) for p in parts) + "}")

    @property
    def session(self) -> str:
        return f"{PREFIX}:s:{self.tag}"

    @property
    def lock(self) -> str:
        return f"{PREFIX}:l:{self.tag}"

    @property
    def queue(self) -> str:
        return f"{PREFIX}:q:{self.tag}"

    @property
    def conversations(self) -> str:
        return f"{PREFIX}:c:{self.tag}"

    def seen(self, message_id: str) -> str:
        return f"{PREFIX}:d:{self.tag}:{_enc(message_id)}"

    def transcript(self, conversation: str) -> str:
        return f"{PREFIX}:t:{self.tag}:{conversation}"


@dataclass(frozen=True, slots=True)
class SessionPlace:
    """Where a session lives: its bot, channel, user and space, read back from its key's hash tag."""

    bot: str
    channel: str
    user: str
    space: str | None

    @classmethod
    def of_tag(cls, tag: str) -> SessionPlace:
        """Decode a tag built by `SessionKeys.of` (percent-encoded parts, so `:` inside a part is safe)."""
        parts = [unquote(part) for part in tag.strip("{}").split(":")]
        if len(parts) not in (3, 4):
            raise ValueError(f"{tag!r} is not a session tag")
        return cls(parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else None)


def inbox(token: str) -> str:
    """List of the reply activities an `activity` bot sent for one open turn (its first entry names the turn)."""
    return f"{PREFIX}:a:{{{_enc(token)}}}"


def health(bot: str, minute_ms: int) -> str:
    """Hash of one minute of a bot's health: `version|event` (and `version|lat|i`, `version|active`) -> count."""
    return f"{PREFIX}:h:{{{_enc(bot)}}}:{minute_ms}"


def health_group(bot: str, group_id: str) -> str:
    """Marks a group of health counts as applied, so a group sent again after a lost answer counts once."""
    return f"{PREFIX}:k:{{{_enc(bot)}}}:{group_id}"


def active_counts(bot: str) -> str:
    """Hash of version -> sessions active on it, for one bot."""
    return f"{PREFIX}:n:{{{_enc(bot)}}}"


def counted_sessions(bot: str) -> str:
    """Hash of session tag -> `revision|version` the counters count it at ('' after the version: not live)."""
    return f"{PREFIX}:v:{{{_enc(bot)}}}"


def user_sessions(bot: str, user: str) -> str:
    """Set of the session tags one user has with one bot (one per channel and space)."""
    return f"{PREFIX}:u:{{{_enc(bot)}}}:{_enc(user)}"
