"""Text the CLI's outputs share: tables and times."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned columns separated by two spaces; None shows as '-'."""
    cells = [[str(h) for h in headers], *[["-" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells)


def when(iso: str | None) -> str:
    """An API timestamp, shortened to the second for reading: 2025-05-01 12:00:00Z."""
    return "-" if not iso else iso.replace("T", " ")[:19] + "Z"
