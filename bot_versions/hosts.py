"""Allow-lists of the hosts a version may reach: `BOTGATE_CALL_HOSTS` for `call` steps, `BOTGATE_UPSTREAM_HOSTS`
for upstream bots.

An entry is a host (`zip.example`: that host on any port) or a host and port (`127.0.0.1:8080`: that port only);
hosts compare exactly, ignoring case. A URL is allowed when its scheme is http or https and its host (and port,
the scheme's default when not written) matches an entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx

DEFAULT_PORTS = {"http": 80, "https": 443}


class NotAllowed(ValueError):
    """A URL the allow-list refuses; the message names the host, never the path or query (they may carry keys)."""


class AllowList:
    """The hosts of one allow-list, named after the setting it comes from (for messages)."""

    def __init__(self, entries: Iterable[str], setting: str) -> None:
        self.setting = setting
        self._entries = frozenset(parse_entry(entry, setting) for entry in entries)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def check(self, url: str) -> tuple[str, int]:
        """The URL's (host, port) when it is an allowed http(s) URL; raise NotAllowed saying why not."""
        host, port = host_and_port(url)
        if (host, None) not in self._entries and (host, port) not in self._entries:
            allowed = "no host is allowed" if not self._entries else "it is not in the list"
            raise NotAllowed(f"{host}:{port} is not an allowed host ({allowed}; see {self.setting})")
        return host, port


def host_and_port(url: str) -> tuple[str, int]:
    """An http(s) URL's host (lowercase) and port (the scheme's default when not written); NotAllowed when it is no
    such URL, or carries a user name or password.

    The URL is read by httpx's parser, which sends `call` steps, so for them the host checked is the host called;
    upstream bots are called with aiohttp, and `runtimes.upstream.check_sent_where_checked` refuses a URL its
    parser reads as another place, when a version is stored and before a call. A URL that cannot be sent (control
    characters, a port out of range) is refused here, when a version is stored, instead of failing every turn.
    """
    try:
        parsed = httpx.URL(url)
        port = parsed.port
    except (httpx.InvalidURL, ValueError, TypeError):
        raise NotAllowed("is not a valid URL") from None
    if parsed.scheme not in DEFAULT_PORTS or not parsed.host:
        raise NotAllowed("is not an http:// or https:// URL with a host")
    if port is not None and not 0 < port < 65536:
        raise NotAllowed("has a port outside 1-65535")
    if parsed.userinfo:
        raise NotAllowed("must not carry a user name or password")
    return parsed.host.lower(), port or DEFAULT_PORTS[parsed.scheme]


def parse_entry(entry: str, setting: str) -> tuple[str, int | None]:
    """An allow-list entry as (host, port or None for any port); raise ValueError when it is neither."""
    invalid = ValueError(f"{setting}: {entry!r} is not a host or host:port")
    try:
        parts = urlsplit(f"//{entry.strip()}")
        port = parts.port
    except ValueError:
        raise invalid from None
    if not parts.hostname or parts.username is not None or parts.path or parts.query or parts.fragment:
        raise invalid
    return parts.hostname.lower(), port
