"""Safe `{name}` templates: placeholders are key paths into plain data, never expressions.

A placeholder is a name or a dotted key path (`{place.city}` reads `values["place"]["city"]`),
looked up by key only, never by attribute or index. Names are ASCII letters, digits and `_`,
starting with a letter, so `{x.__class__}` cannot even be written. `{{` and `}}` are literal
braces. Rendering never fails: a missing value renders as the empty string, `true`/`false` as
`yes`/`no` (templates speak to people), numbers as Python writes them, lists and mappings as
compact JSON.

`render` may be given a `limit`: it stops as soon as the text passes it and raises TextTooLong, so a template
that repeats a long value many times never builds the whole text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Path = tuple[str, ...]

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]|[^{}]+")


class TextTooLong(ValueError):
    """Rendering stopped because the text would pass its limit (the text itself is never built)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the rendered text would be longer than {limit} characters")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal text and key paths, in order."""

    source: str
    parts: tuple[str | Path, ...]
    names: frozenset[str]

    @property
    def literal_chars(self) -> int:
        """Characters of the template's own text, whatever its placeholders hold: the least it ever renders."""
        return sum(len(part) for part in self.parts if isinstance(part, str))

    def render(
        self, values: Mapping[str, Any], quote: Callable[[str], str] | None = None, *, limit: int | None = None
    ) -> str:
        """The text with each placeholder replaced by its value (`quote` escapes values, e.g. for URLs).

        With `limit`, raise TextTooLong as soon as the text passes `limit` characters.
        """
        out: list[str] = []
        size = 0
        for part in self.parts:
            if isinstance(part, str):
                text = part
            else:
                text = to_text(lookup(values, part))
                text = quote(text) if quote else text
            size += len(text)
            if limit is not None and size > limit:
                raise TextTooLong(limit)
            out.append(text)
        return "".join(out)


def parse_template(text: str) -> Template:
    """Parse a template; raise ValueError saying what is wrong and where."""
    parts: list[str | Path] = []
    literal: list[str] = []
    for match in TOKEN.finditer(text):
        token = match.group()
        column = match.start() + 1
        if token in ("{{", "}}"):
            literal.append(token[0])
        elif token == "{":
            raise ValueError(f"'{{' at column {column} is not closed; write '{{{{' for a literal brace")
        elif token == "}":
            raise ValueError(f"single '}}' at column {column}; write '}}}}' for a literal brace")
        elif token.startswith("{"):
            try:
                path = parse_path(match.group(1))
            except ValueError as exc:
                raise ValueError(f"bad placeholder {token} at column {column}: {exc}") from None
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(path)
        else:
            literal.append(token)
    if literal:
        parts.append("".join(literal))
    names = frozenset(part[0] for part in parts if isinstance(part, tuple))
    return Template(source=text, parts=tuple(parts), names=names)


def parse_path(text: str) -> Path:
    """Split a dotted key path such as `place.city`; raise ValueError unless every part is a plain name."""
    if not text:
        raise ValueError("it is empty; write a name such as {name}")
    for mark, what in (("!", "conversions such as !r"), (":", "format specs such as :>10"), ("[", "indexing")):
        if mark in text:
            raise ValueError(f"{what} are not supported; write a name or a dotted key path such as place.city")
    segments = tuple(text.split("."))
    for segment in segments:
        if segment.startswith("_"):
            raise ValueError(f"names may not start with '_' ({segment!r})")
        if not NAME.match(segment):
            raise ValueError(
                f"{segment!r} is not a name: names are letters, digits and '_', starting with a letter,"
                " joined by '.' for keys inside a value"
            )
    return segments


def lookup(values: Mapping[str, Any], path: Path) -> Any:
    """The value at a key path, or None when any key on the way is missing or not a mapping."""
    current: Any = values
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def to_text(value: Any) -> str:
    """How a value reads inside a message."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        # default=str: a value that is not JSON data must still render, not fail the turn
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)
