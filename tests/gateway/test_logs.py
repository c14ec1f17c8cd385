"""The log set-up's pieces, called directly: user references, start-up notes as events, no empty fields."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from gateway.logs import announcer, present, user_hasher, user_key, user_references


def test_a_user_reference_is_a_keyed_hash_that_correlates_without_revealing_the_id() -> None:
    """The same id and key give the same reference; another key or id another; the id is not in it."""
    ref = user_hasher(b"key-one")
    assert ref("+15550001111") == ref("+15550001111")
    assert ref("+15550001111").startswith("u#") and len(ref("+15550001111")) == 18
    assert ref("+15550001111") != ref("+15550001112")
    assert ref("+15550001111") != user_hasher(b"key-two")("+15550001111")
    assert "5550001111" not in ref("+15550001111")


def test_the_key_is_the_configured_one_or_derived_from_the_admin_tokens() -> None:
    """BOTGATE_LOG_USER_KEY wins; without it every process with the same tokens derives the same key."""
    assert user_key("my-key", ["t1"]) == b"my-key"
    assert user_key(None, ["t1", "t2"]) == user_key(None, ["t2", "t1"])
    assert user_key(None, ["t1"]) != user_key(None, ["t2"])
    assert b"t1" not in user_key(None, ["t1"])


def test_user_ids_are_logged_as_they_are_unless_hashing_is_asked_for() -> None:
    """BOTGATE_LOG_USER=id writes the id itself (no processor); hash writes the keyed reference."""
    assert user_references("id", None, ["t"]) is None
    hashing = user_references("hash", "k", ["t"])
    assert hashing is not None and hashing("alice") == user_hasher(b"k")("alice")


def test_in_json_format_start_up_notes_are_events_and_warnings_are_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing on stderr; a WARNING line becomes a startup_warning event, other lines startup_note events."""
    with capture_logs() as logs:
        announce = announcer("json")
        announce("WARNING: running on the embedded in-process store")
        announce("Twilio SMS channel off")
    assert capsys.readouterr().err == ""
    assert [(e["event"], e["log_level"], e["message"]) for e in logs] == [
        ("startup_warning", "warning", "running on the embedded in-process store"),
        ("startup_note", "info", "Twilio SMS channel off"),
    ]


def test_in_console_format_start_up_notes_go_to_stderr_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    """The line is printed as it is."""
    announcer("console")("WARNING: careful")
    assert capsys.readouterr().err == "WARNING: careful\n"


def test_an_event_shows_only_the_fields_that_have_a_value() -> None:
    """None is left out; false, zero and empty text stay."""
    assert present({"a": None, "b": 0, "c": False, "d": ""}) == {"b": 0, "c": False, "d": ""}
