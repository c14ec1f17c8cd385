"""A value placed in a URL path as exactly one segment, whatever it holds."""

from __future__ import annotations

from urllib.parse import quote


def path_segment(value: str) -> str:
    """`value` percent-encoded as one path segment: no `/`, `?` or `#` of its own, and never a dot segment.

    HTTP clients (httpx, aiohttp, browsers) resolve the dot segments `.` and `..` away, so a value spelled so
    would name another resource; they are sent as `%2E` and `%2E%2E`, which servers read back as the value.
    """
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted
