"""Sessions: their JSON form and how they move the per-version counters."""

from __future__ import annotations

import pytest

from middleware.session import Session, SessionStatus, active_deltas

A, C, E = SessionStatus.ACTIVE, SessionStatus.CONFIRMING, SessionStatus.ENDED


def s(version: str, status: SessionStatus) -> Session:
    return Session("c", version, status)


@pytest.mark.parametrize(
    ("before", "after", "deltas"),
    [
        (None, s("1.0.0", A), {"1.0.0": 1}),
        (None, s("1.0.0", E), {}),
        (s("1.0.0", A), s("1.0.0", A), {}),
        (s("1.0.0", A), s("1.0.0", C), {}),
        (s("1.0.0", A), s("1.0.0", E), {"1.0.0": -1}),
        (s("1.0.0", E), s("2.0.0", A), {"2.0.0": 1}),
        (s("1.0.0", A), s("2.0.0", A), {"1.0.0": -1, "2.0.0": 1}),
        (s("1.0.0", C), s("2.0.0", E), {"1.0.0": -1}),
    ],
)
def test_active_deltas(before: Session | None, after: Session, deltas: dict[str, int]) -> None:
    """A session counts on its version while active or confirming, and nowhere once ended."""
    assert active_deltas(before, after) == deltas


def test_json_round_trip_keeps_everything_but_the_revision() -> None:
    """The revision lives beside the document, where the store's scripts compare it."""
    session = Session("c1", "1.0.0", C, {"step": "ask_name", "payload": {"n": 1}}, 5, 6, 7, 1, revision=9)
    text = session.to_json()
    assert '"revision"' not in text
    assert Session.from_json(text, revision=9) == session
