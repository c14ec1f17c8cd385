"""Reading a user's answer to a question: booleans, numbers and choices, each None when it does not fit."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

YES = frozenset({"yes", "y", "true"})
NO = frozenset({"no", "n", "false"})
# ASCII digits only: no exponents, no nan/inf, no thousands separators, no Unicode digits
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)\Z")
INTEGER = re.compile(r"[0-9]+\Z")
MAX_NUMBER_LENGTH = 40


def parse_boolean(text: str) -> bool | None:
    """yes/no/y/n/true/false in any case, surrounding spaces ignored."""
    word = text.strip().casefold()
    if word in YES:
        return True
    if word in NO:
        return False
    return None


def parse_number(text: str) -> int | float | None:
    """An integer (`42`, `-3`) or a decimal (`2.5`, `.5`); a decimal point makes it a float."""
    word = text.strip()
    if len(word) > MAX_NUMBER_LENGTH or not NUMBER.match(word):
        return None
    if "." not in word:
        return int(word)
    value = float(word)
    return value if math.isfinite(value) else None


def parse_choice(text: str, labels: Sequence[str]) -> int | None:
    """The index of the chosen label: a label in any case, or its 1-based number (a label wins over a number)."""
    word = text.strip().casefold()
    for index, label in enumerate(labels):
        if label.strip().casefold() == word:
            return index
    if len(word) <= MAX_NUMBER_LENGTH and INTEGER.match(word) and 1 <= int(word) <= len(labels):
        return int(word) - 1
    return None
