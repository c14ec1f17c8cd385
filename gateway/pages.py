"""The HTML pages shipped in `gateway/web/` (web chat, start page, API reference), each read once."""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template


@cache
def template(name: str) -> Template:
    """A page shipped in `gateway/web/`, read once; `$names` in it are filled in by `substitute`."""
    return Template((resources.files("gateway") / "web" / name).read_text(encoding="utf-8"))
