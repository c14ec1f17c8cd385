"""Sessions: their JSON form and how they move the per-version counters."""

from __future__ import annotations

import pytest

from middleware.session import Session, SessionStatus, counted_version, owes_count

A, C, E = SessionStatus.ACTIVE, SessionStatus.CONFIRMING, SessionStatus.ENDED


def s(version: str, status: SessionStatus) -> Session:
    return Session("c", version, status)


@pytest.mark.parametrize(
    ("session", "version"),
    [(None, ""), (s("1.0.0", A), "1.0.0"), (s("1.0.0", C), "1.0.0"), (s("1.0.0", E), "")],
)
def test_a_session_counts_on_its_version_while_active_or_confirming(session: Session | None, version: str) -> None:
    """A session counts on its version while active or confirming, and nowhere once ended."""
    assert counted_version(session) == version


def synced(session: Session, sync: int) -> Session:
    return session.evolve(sync=sync)


@pytest.mark.parametrize(
    ("before", "after", "written", "owes"),
    [
        (None, s("1.0.0", A), 0, True),  # a first session is counted and indexed under its user
        (None, s("1.0.0", E), 0, True),  # even one that ends at once (an echo), for the index
        (s("1.0.0", A), s("1.0.0", A), 0, False),
        (s("1.0.0", A), s("1.0.0", C), 0, False),  # confirming counts where active did
        (s("1.0.0", A), s("1.0.0", E), 0, True),
        (s("1.0.0", E), s("2.0.0", A), 0, True),
        (s("1.0.0", A), s("2.0.0", A), 0, True),
        (s("1.0.0", E), s("1.0.0", E), 0, False),
        (synced(s("1.0.0", A), 7), s("1.0.0", A), 6, True),  # its last entry may never have landed: again
        (synced(s("1.0.0", A), 7), s("1.0.0", A), 7, False),  # this process saw it land
        (synced(s("1.0.0", A), 7), s("1.0.0", A), 9, False),
    ],
)
def test_a_save_owes_a_counter_entry_when_the_count_changes_or_may_have_been_lost(
    before: Session | None, after: Session, written: int, owes: bool
) -> None:
    """First sessions, version moves and entries not known to be written are counted; steady turns are not."""
    assert owes_count(before, after, written) is owes


def test_json_round_trip_keeps_everything_but_the_revision() -> None:
    """The revision lives beside the document, where the store's scripts compare it."""
    session = Session("c1", "1.0.0", C, {"step": "ask_name", "payload": {"n": 1}}, 5, 6, 7, 1, sync=8, revision=9)
    text = session.to_json()
    assert b'"revision"' not in text
    assert Session.from_json(text, revision=9) == session


def test_state_with_integers_past_64_bits_reads_back_exactly() -> None:
    """An http bot's state may hold a 30-digit integer: stored and read back as that integer, not a float."""
    session = Session("c1", "1.0.0", A, {"state": {"id": 123456789012345678901234567890, "n": 2**63 - 1}})
    assert Session.from_json(session.to_json(), revision=1).state == session.state
