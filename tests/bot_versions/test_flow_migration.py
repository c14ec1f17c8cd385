"""FlowRuntime.migrate: an older flow's conversation carried on at the mapped question, its saved values kept."""

from __future__ import annotations

from typing import Any

from bot_versions.flow import FlowRuntime
from bot_versions.runtime import Conversation, Reply
from bot_versions.validation import load_version
from tests.bot_versions.support import FakeCaller, activity
from tests.gateway.greeters import greeter_2

OLD = greeter_2()
NEW_STEPS: dict[str, Any] = {
    "ask_language": {"ask": "Which language do you speak?", "save": "language", "next": "ask_first_name"},
    "ask_first_name": {"ask": "And your first name, {language} speaker?", "save": "first_name", "next": "greet"},
    "greet": {"say": "Hello, {first_name}, from the {language} greeter 2.1.0"},
}


def new(**extra: Any) -> FlowRuntime:
    """Greeter 2.1.0, resuming 2.0: it asks a first name where 2.0 asked a name."""
    document = {
        "bot": "greeter",
        "version": "2.1.0",
        "resumes": ">=2.0,<2.1",
        "start": "ask_language",
        "steps": NEW_STEPS,
        **extra,
    }
    return FlowRuntime(load_version(document), FakeCaller())


async def at_ask_name() -> dict[str, Any]:
    """2.0.0's state after "hi" and "French": waiting at ask_name, language saved."""
    old = FlowRuntime(load_version(OLD), FakeCaller())
    state = (await old.turn({}, activity("hi"))).state
    return (await old.turn(state, activity("French"))).state


async def test_resume_at_moves_the_conversation_to_the_mapped_question_with_its_saved_values() -> None:
    """ask_name -> ask_first_name; the language saved by 2.0.0 is kept and the answer is taken there."""
    bot = new(resume_at={"ask_name": "ask_first_name"})
    moved = await bot.migrate(await at_ask_name(), "2.0.0", activity("Alice"), Conversation("c-1"))
    assert moved == {
        "step": "ask_first_name",
        "payload": {"language": "French"},
        "prompt": "And your first name, French speaker?",
    }
    result = await bot.turn(moved, activity("Alice"), Conversation("c-1"))
    assert [r.text for r in result.replies] == ["Hello, Alice, from the French greeter 2.1.0"]
    assert result.done


async def test_without_a_mapping_the_step_of_the_same_name_continues() -> None:
    """A conversation at ask_language carries on at 2.1.0's ask_language."""
    old = FlowRuntime(load_version(OLD), FakeCaller())
    state = (await old.turn({}, activity("hi"))).state
    moved = await new().migrate(state, "2.0.0", activity("French"), Conversation("c-1"))
    assert moved is not None and moved["step"] == "ask_language"
    assert new().reprompt(moved) == [Reply("Which language do you speak?")]


async def test_a_step_with_no_counterpart_declines() -> None:
    """ask_name has neither a mapping nor a namesake in 2.1.0: None, the conversation stays."""
    assert await new().migrate(await at_ask_name(), "2.0.0", activity("Alice"), Conversation("c-1")) is None


async def test_a_counterpart_that_is_not_a_question_declines() -> None:
    """A namesake that says rather than asks is no place to wait for the answer."""
    steps = {
        "ask_language": {"say": "Bonjour", "next": "ask_first_name"},
        "ask_first_name": {"ask": "What is your first name?", "save": "first_name"},
    }
    document = {"bot": "greeter", "version": "2.1.0", "start": "ask_language", "steps": steps}
    bot = FlowRuntime(load_version(document), FakeCaller())
    old = FlowRuntime(load_version(OLD), FakeCaller())
    state = (await old.turn({}, activity("hi"))).state
    assert await bot.migrate(state, "2.0.0", activity("French"), Conversation("c-1")) is None


async def test_a_state_that_is_not_a_flows_declines() -> None:
    """An empty state or another runtime's state has no step to carry on from."""
    bot = new(resume_at={"ask_name": "ask_first_name"})
    for state in ({}, {"state": {"n": 1}}, {"step": "ask_name", "payload": "x"}, {"step": 3, "payload": {}}):
        assert await bot.migrate(state, "2.0.0", activity("x"), Conversation("c-1")) is None


async def test_the_old_state_is_not_changed_by_the_migration() -> None:
    """The carried payload is a copy: a turn on the new version does not touch the state it came from."""
    state = await at_ask_name()
    before = {**state, "payload": dict(state["payload"])}
    bot = new(resume_at={"ask_name": "ask_first_name"})
    moved = await bot.migrate(state, "2.0.0", activity("Alice"), Conversation("c-1"))
    assert moved is not None
    moved["payload"]["first_name"] = "Alice"
    assert state == before
