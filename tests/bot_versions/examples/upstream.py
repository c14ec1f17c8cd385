"""Helpers for the example http bots' tests: events as botgate sends them, signatures, the JSON Schemas."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from tests.processes import ROOT

EXAMPLES = ROOT / "bot_versions" / "examples" / "upstream"
SCHEMAS = ROOT / "docs" / "schemas"
SECRET = "a-secret-shared-with-the-gateway"

# language (as the greeting names it) -> the command that serves that greeter (host and port are added on start)
COMMANDS = {
    "Python": [sys.executable, str(EXAMPLES / "python" / "greeter.py")],
    "Node": ["node", str(EXAMPLES / "node" / "greeter.js")],
}


def schema(name: str, definition: str | None = None) -> Draft202012Validator:
    """A validator for docs/schemas/<name>.schema.json, or for one of its `$defs`."""
    document = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    if definition is not None:
        document = {"$defs": document["$defs"], "$ref": f"#/$defs/{definition}"}
    return Draft202012Validator(document)


REQUEST = schema("http-turn-request")
MESSAGE_ANSWER = schema("http-turn-response", "message_answer")
MIGRATE_ANSWER = schema("http-turn-response", "migrate_answer")


def message(text: str, state: Any, **changes: Any) -> dict[str, Any]:
    """A message event as botgate sends it (checked against the request schema unless `changes` break it)."""
    event = {
        "event": "message",
        "bot": "greeter",
        "version": "3.0.0",
        "conversation": "3f0c9a1b2c3d4e5f",
        "user": "alice",
        "channel": "rest",
        "space": None,
        "message": {"id": "m-17", "text": text},
        "state": state,
    }
    return {**event, **changes}


def migrate(state: Any, **changes: Any) -> dict[str, Any]:
    """A migrate event as botgate sends it, from 2.9.0 to 3.0.0."""
    event = {
        "event": "migrate",
        "bot": "greeter",
        "version": "3.0.0",
        "from_version": "2.9.0",
        "conversation": "3f0c9a1b2c3d4e5f",
        "user": "alice",
        "channel": "rest",
        "space": None,
        "state": state,
    }
    return {**event, **changes}


def signature(body: bytes, secret: str = SECRET) -> str:
    """The X-Botgate-Signature botgate sends with these exact bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Bot:
    """One running example bot; `secret` is what it was started with (None: it checks no signature)."""

    language: str
    url: str
    secret: str | None
    http: httpx.Client

    def send(self, event: Any) -> httpx.Response:
        """POST an event (JSON-encoded, or bytes as they are), signed as botgate would when there is a secret."""
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        headers: dict[str, str | bytes] = {"X-Botgate-Signature": signature(body, self.secret)} if self.secret else {}
        return self.post(body, headers)

    def post(self, body: bytes, headers: Mapping[str, str | bytes], path: str = "/turn") -> httpx.Response:
        """POST these bytes with botgate's headers plus `headers`, nothing signed unless `headers` says so."""
        sent = {"Content-Type": "application/json", "X-Botgate-Bot": "greeter", "X-Botgate-Version": "3.0.0"}
        return self.http.post(self.url + path, content=body, headers={**sent, **headers})
