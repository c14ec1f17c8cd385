"""The log set-up's pieces, called directly: user references, start-up notes as events, no empty fields."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import structlog
from structlog.testing import capture_logs

from gateway.logs import IsoTimestamp, announcer, configure, json_line, present, user_hasher, user_key, user_references


@pytest.fixture
def restore_logging() -> Iterator[None]:
    saved = structlog.get_config()
    try:
        yield
    finally:
        structlog.configure(**saved)
        structlog.contextvars.clear_contextvars()


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


def test_a_json_line_is_orjsons_for_plain_events() -> None:
    """The turn's line, byte for byte what orjson writes."""
    event = {"event": "turn", "bot": "echo", "version": "1.0.0", "took_ms": 1.25, "replies": 1}
    assert json_line(event) == orjson.dumps(event)


@pytest.mark.parametrize(
    "event",
    [
        {"event": "turn", "user": "\ud800"},  # a lone surrogate: orjson refuses it
        {"event": "turn", "count": 2**70},  # past 64 bits: orjson refuses it
        {"event": "turn", "by_minute": {1700000000: 3}},  # a key that is not a string
    ],
)
def test_a_json_line_is_written_for_what_orjson_refuses(event: dict[str, Any]) -> None:
    """Writing the line never fails the turn it reports: the standard library writes it, as JSON that reads back."""
    read_back = json.loads(json_line(event))
    assert read_back == json.loads(json.dumps(event))


def test_the_timestamp_is_iso_8601_utc_with_microseconds() -> None:
    """As structlog's TimeStamper(fmt="iso", utc=True) writes it, and now."""
    stamp = IsoTimestamp()
    before = time.time()
    first = stamp(None, "info", {})["timestamp"]
    second = stamp(None, "info", {})["timestamp"]
    after = time.time()
    for value in (first, second):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", value)
        assert time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(before)) <= value[:19]
        assert value[:19] <= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(after))
    assert first <= second


def test_a_json_line_carries_what_middleware_binds_and_survives_a_lone_surrogate(
    capsysbinary: pytest.CaptureFixture[bytes], restore_logging: None
) -> None:
    """Fields bound with structlog.contextvars are in the line; an unencodable user id is escaped, not an error."""
    configure("json")
    structlog.contextvars.bind_contextvars(tenant="acme")
    structlog.get_logger("test").info("turn", user="\ud800")
    line = json.loads(capsysbinary.readouterr().out)
    assert (line["event"], line["tenant"], line["user"], line["level"]) == ("turn", "acme", "\ud800", "info")
