"""Checking the string fields of a decoded JSON message, shared by every JSON channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot_versions.errors import Invalid


def object_or_422(data: Any, path: str = "") -> dict[str, Any]:
    """`data` if it is a JSON object, else 422 naming where an object was expected."""
    if not isinstance(data, dict):
        where = f"`{path}`" if path else "the body"
        raise Invalid(f"{where} must be a JSON object", details=[{"path": path, "message": "expected an object"}])
    return data


def string_problems(data: Mapping[str, Any], fields: Mapping[str, bool], prefix: str = "") -> list[dict[str, str]]:
    """One problem per field that is required and missing, or present and not a string."""
    problems = []
    for name, required in fields.items():
        value = data.get(name)
        if value is None:
            if required:
                problems.append({"path": prefix + name, "message": "is required"})
        elif not isinstance(value, str):
            problems.append({"path": prefix + name, "message": f"must be a string, got {type(value).__name__}"})
    return problems


def raise_problems(problems: list[dict[str, str]], message: str = "the message has missing or wrong fields") -> None:
    """422 listing every problem, if there are any."""
    if problems:
        raise Invalid(message, details=problems)
