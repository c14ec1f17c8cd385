"""Reading answers: booleans, numbers and choices."""

from __future__ import annotations

import pytest

from bot_versions.answers import parse_boolean, parse_choice, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("Y", True),
        ("  TRUE ", True),
        ("yEs", True),
        ("no", False),
        ("N", False),
        ("false\n", False),
        ("", None),
        ("yeah", None),
        ("nope", None),
        ("1", None),
        ("on", None),
        ("yes no", None),
    ],
)
def test_parse_boolean(text: str, expected: bool | None) -> None:
    """yes/no/y/n/true/false in any case and with surrounding spaces are booleans; nothing else is."""
    assert parse_boolean(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        (" -3 ", -3),
        ("+7", 7),
        ("007", 7),
        ("2.5", 2.5),
        ("-0.25", -0.25),
        (".5", 0.5),
        ("3.0", 3.0),
        ("", None),
        ("abc", None),
        ("1e5", None),
        ("nan", None),
        ("inf", None),
        ("-Infinity", None),
        ("1,000", None),
        ("1_000", None),
        ("0x10", None),
        ("3.", None),
        ("1.2.3", None),
        ("--1", None),
        ("٣", None),
        ("9" * 41, None),
        ("1" + "0" * 400 + ".5", None),
    ],
)
def test_parse_number(text: str, expected: float | None) -> None:
    """Integers and decimals with an optional sign are numbers; exponents, nan, inf and separators are not."""
    value = parse_number(text)
    assert value == expected
    assert type(value) is type(expected)


LABELS = ("Small", "Large", "Extra large")


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("Small", LABELS, 0),
        ("  large ", LABELS, 1),
        ("EXTRA LARGE", LABELS, 2),
        ("1", LABELS, 0),
        (" 3 ", LABELS, 2),
        ("0", LABELS, None),
        ("4", LABELS, None),
        ("-1", LABELS, None),
        ("1.0", LABELS, None),
        ("medium", LABELS, None),
        ("", LABELS, None),
        ("2", ("2", "1"), 0),
        ("1", ("2", "1"), 1),
        ("9" * 5000, LABELS, None),
    ],
)
def test_parse_choice(text: str, labels: tuple[str, ...], expected: int | None) -> None:
    """A choice is a label in any case or its 1-based number; a label wins over a number."""
    assert parse_choice(text, labels) == expected
