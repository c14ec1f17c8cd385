"""Greeter versions for the migration tests: the seed's 1.0.0, a 2.0.0 asking two questions, and a 2.1.0 that
resumes 2.0 and asks a first and a last name where 2.0 asked a name."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from middleware.keys import SessionKeys
from middleware.session import Session
from tests.admin.support import greeter

Definition = dict[str, Any]


def greeter_1(version: str = "1.0.0") -> Definition:
    """The seed's greeter: one question."""
    return greeter(version, "Hello, {name}, from the original bot")


def greeter_2(version: str = "2.0.0", **extra: Any) -> Definition:
    """Asks a language, then a name, then greets naming its version."""
    return {
        "bot": "greeter",
        "version": version,
        "start": "ask_language",
        "steps": {
            "ask_language": {"ask": "Which language do you speak?", "save": "language", "next": "ask_name"},
            "ask_name": {"ask": "What is your name?", "save": "name", "next": "greet"},
            "greet": {"say": f"Hello, {{name}}, from the {{language}} greeter {version}"},
        },
        **extra,
    }


def greeter_21(
    version: str = "2.1.0",
    resumes: str | None = ">=2.0,<2.1",
    resume_at: dict[str, str] | None = None,
    language_step: str = "ask_language",
    **extra: Any,
) -> Definition:
    """Asks a language, a first name and a last name; resumes 2.0 at ask_first_name where 2.0 asked a name."""
    document: Definition = {
        "bot": "greeter",
        "version": version,
        "start": language_step,
        "steps": {
            language_step: {"ask": "Which language do you speak?", "save": "language", "next": "ask_first_name"},
            "ask_first_name": {"ask": "What is your first name?", "save": "first_name", "next": "ask_last_name"},
            "ask_last_name": {
                "ask": "Thank you, {first_name}. And your last name?",
                "save": "last_name",
                "next": "greet",
            },
            "greet": {"say": f"Hello, {{first_name}} {{last_name}}, from the {{language}} greeter {version}"},
        },
        **extra,
    }
    if resumes is not None:
        document["resumes"] = resumes
        document["resume_at"] = {"ask_name": "ask_first_name"} if resume_at is None else resume_at
    return document


async def stored_session(redis: Redis, user: str, bot: str = "greeter") -> Session | None:
    """The user's REST session as Redis holds it."""
    session_keys = SessionKeys.of(bot, "rest", user)
    doc, rev = await redis.hmget(session_keys.session, ["doc", "rev"])
    return None if doc is None else Session.from_json(doc, int(rev))


async def transcript_rows(redis: Redis, user: str, conversation: str, bot: str = "greeter") -> list[dict[str, str]]:
    """The conversation's transcript entries as stored, oldest first."""
    rows = await redis.xrange(SessionKeys.of(bot, "rest", user).transcript(conversation))
    return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in rows]


def payload(session: Session | None) -> dict[str, Any]:
    """A flow session's saved values."""
    if session is None:
        return {}
    values = session.state.get("payload", {})
    return dict(json.loads(json.dumps(values)))
