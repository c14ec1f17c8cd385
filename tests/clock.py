"""A clock tests move by hand, so idle policies are tested without sleeping."""

from __future__ import annotations

from dataclasses import dataclass

START_MS = 1_700_000_000_000


@dataclass
class ManualClock:
    """A wall clock in milliseconds that moves only when a test says so."""

    now: int = START_MS

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)
