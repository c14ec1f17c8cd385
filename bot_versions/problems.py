"""Collecting the problems of a definition, each at its path, with the field checks every part shares.

Paths join mapping keys with `.` and write list positions as `[i]`: `steps.check.branch[0].next`;
the whole document is `""`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot_versions.limits import MAX_REPLY_CHARS
from bot_versions.templates import Template, parse_template

BUILTIN_NAMES = ("text", "user")
SAVE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition: where it is (a path, "" for the whole document) and what."""

    path: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass
class Report:
    """The problems found so far, and the names the definition saves and reads."""

    problems: list[Problem] = field(default_factory=list)
    saves: set[str] = field(default_factory=set)
    # every name a template or condition reads (with how a message shows it), checked once all `save`s are known
    reads: list[tuple[str, frozenset[str], str]] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def text(self, path: str, value: Any) -> bool:
        """Whether a value is non-empty text; reports it when not."""
        if isinstance(value, str) and value.strip():
            return True
        hint = ""
        if isinstance(value, bool):
            hint = " (in YAML, quote words such as yes, no, on and off)"
        elif is_number(value):
            hint = " (in YAML, quote text that looks like a number)"
        what = "an empty string" if isinstance(value, str) else kind_of(value)
        self.add(path, f"must be non-empty text, not {what}{hint}")
        return False

    def template(self, path: str, value: Any, limit: int = MAX_REPLY_CHARS) -> Template | None:
        """The parsed template, or None after reporting why it is not one (its own text alone past `limit` too)."""
        if not self.text(path, value):
            return None
        try:
            template = parse_template(value)
        except ValueError as exc:
            self.add(path, str(exc))
            return None
        self.reads.append((path, template.names, "{%s}"))
        if template.literal_chars > limit:
            self.add(path, f"has {template.literal_chars} characters besides its placeholders; at most {limit}")
            return None
        return template

    def message(self, path: str, value: Any) -> None:
        """A text the gateway says as it is (a version's `messages`): non-empty, and within one reply."""
        if self.text(path, value) and len(value) > MAX_REPLY_CHARS:
            self.add(path, f"has {len(value)} characters; a message is at most {MAX_REPLY_CHARS}")

    def save(self, path: str, name: Any) -> None:
        """Record a `save` name, or report why it cannot be one."""
        if not isinstance(name, str) or not SAVE_NAME.match(name):
            self.add(path, "must be a name: letters, digits and '_', starting with a letter, at most 64 characters")
        elif name in BUILTIN_NAMES:
            self.add(path, f"{name} is set by the gateway; save the answer under another name")
        else:
            self.saves.add(name)

    def unknown_keys(self, path: str, mapping: dict[str, Any], known: tuple[str, ...], owner: str) -> None:
        """Report every key of a mapping that is not one of `known`."""
        for key in mapping:
            if key not in known:
                self.add(join(path, key), f"unknown key; {owner} {listing(known)}")

    def check_reads(self) -> None:
        """Report every placeholder or condition that reads a name nothing sets."""
        known = {*BUILTIN_NAMES, *self.saves}
        for path, names, shape in self.reads:
            unknown = sorted(names - known)
            if unknown:
                self.add(
                    path,
                    f"{listing(shape % name for name in unknown)} names nothing this bot sets;"
                    f" known names: {listing(sorted(known))}",
                )


def is_number(value: Any) -> bool:
    """A finite int or float, and not a boolean (which Python counts as an int)."""
    # math.isfinite only for floats: given an int it makes a float of it, which overflows past 1e308
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def kind_of(value: Any) -> str:
    """A value's JSON kind, as messages name it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def join(path: str, key: Any) -> str:
    """The path of `key` inside `path`."""
    return f"{path}.{key}" if path else str(key)


def listing(names: Iterable[Any]) -> str:
    """Names as a message lists them."""
    return ", ".join(str(name) for name in names)


def short(value: Any) -> str:
    """A value as a message quotes it, cut to a readable length; never fails, and always encodable as UTF-8."""
    try:
        # repr writes a lone surrogate as an escape (`'\\ud800'`), so the text can always be encoded
        text = repr(value)
    except (ValueError, RecursionError):  # an int past Python's int-string limit, or a value nested past the stack
        return f"<{kind_of(value)} too large to show>"
    return text if len(text) <= 40 else text[:37] + "..."
