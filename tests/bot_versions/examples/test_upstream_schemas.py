"""docs/schemas: the http runtime's request and answer as JSON Schema 2020-12, with the contract's limits."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.bot_versions.examples.upstream import MESSAGE_ANSWER, MIGRATE_ANSWER, REQUEST, message, migrate, schema


@pytest.mark.parametrize("name", ["http-turn-request", "http-turn-response"])
def test_schemas_are_valid_2020_12(name: str) -> None:
    """Each schema is itself valid under the draft 2020-12 meta-schema and says it is 2020-12."""
    document = schema(name).schema
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


def without(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != key}


@pytest.mark.parametrize(
    ("event", "valid"),
    [
        (message("hi", None), True),
        (message("Ann", {"step": "ask_name"}, space="room-1", message={"id": None, "text": "Ann"}), True),
        (message("hi", None, later_key="ignored"), True),
        (migrate({"step": "ask_name"}), True),
        (without(message("hi", None), "state"), False),
        (without(message("hi", None), "message"), False),
        (message("hi", None, message={"text": "hi"}), False),
        (message("hi", "ask_name"), False),
        (message("hi", None, bot="Greeter"), False),
        (message("hi", None, event="typing"), False),
        (migrate(None), False),
        (without(migrate({}), "from_version"), False),
    ],
)
def test_request_schema(event: dict[str, Any], valid: bool) -> None:
    """The request schema accepts the events botgate sends and refuses those missing or mistyping a key."""
    assert REQUEST.is_valid(event) is valid


def reply(text: str = "hi", choices: list[str] | None = None) -> dict[str, Any]:
    return {"text": text} if choices is None else {"text": text, "choices": choices}


@pytest.mark.parametrize(
    ("answer", "valid"),
    [
        ({"replies": []}, True),
        ({"replies": [reply(choices=["Small", "Large"])], "state": {"size": None}, "done": False, "x": 1}, True),
        ({"replies": [reply("x" * 8192)] * 50}, True),
        ({"replies": [reply(choices=["x" * 256] * 50)]}, True),
        ({"replies": [reply("x" * 8193)]}, False),
        ({"replies": [reply()] * 51}, False),
        ({"replies": [reply(choices=["x" * 257])]}, False),
        ({"replies": [reply(choices=["a"] * 51)]}, False),
        ({"replies": [{"choices": []}]}, False),
        ({"state": {}}, False),
        ({"replies": [], "state": []}, False),
        ({"replies": [], "done": "yes"}, False),
    ],
)
def test_message_answer_schema(answer: dict[str, Any], valid: bool) -> None:
    """A message answer needs replies within the reply limits; state is an object and done a boolean."""
    assert MESSAGE_ANSWER.is_valid(answer) is valid


@pytest.mark.parametrize(("answer", "valid"), [({"state": {}}, True), ({}, False), ({"state": None}, False)])
def test_migrate_answer_schema(answer: dict[str, Any], valid: bool) -> None:
    """A migrate answer is an object with the new state."""
    assert MIGRATE_ANSWER.is_valid(answer) is valid
