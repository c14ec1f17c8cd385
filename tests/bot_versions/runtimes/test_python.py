"""The `python` runtime: which entries may be stored (BOTGATE_PYTHON_MODULES, checked before any import), the example
greeter object end to end, and a bot's own failures answered as bot_error with nothing saved."""

from __future__ import annotations

import sys

import pytest
from redis.asyncio import Redis
from structlog.testing import capture_logs

from bot_versions.examples import examples_dir
from bot_versions.loader import DefinitionFileError, load_file
from bot_versions.runtime_checks import StoreRules
from bot_versions.runtimes.python import load_entry
from tests.admin.support import Admin
from tests.bot_versions.runtimes.support import chat, definition, post, release, runtime_settings, texts, turn_events
from tests.support import running_gateway, snapshot

EXAMPLES = ("bot_versions.examples",)
TESTS = ("tests.bot_versions.runtimes.python_bots",)
UNIMPORTED = "tests.bot_versions.runtimes.python_unimported"


@pytest.mark.parametrize(
    ("module", "prefixes", "allowed"),
    [
        ("bot_versions.examples.python_greeter", ("bot_versions.examples",), True),
        ("bot_versions.examples.python_greeter", ("bot_versions.examples.",), True),
        ("bot_versions.examples.python_greeter", ("bot_versions.examples.python_greeter",), True),
        ("bot_versions.examples.python_greeter", ("bot_versions",), True),
        ("bot_versions.examples.python_greeter", ("other", "bot_versions.examples"), True),
        ("bot_versions.examples.python_greeter", ("bot_versions.ex",), False),
        ("bot_versions.examples.python_greeter", ("bot_versions.examples.python",), False),
        ("bot_versions.examples.python_greeter", ("examples",), False),
        ("bot_versions.examples.python_greeter", (), False),
    ],
)
def test_a_prefix_covers_a_module_and_its_submodules_only(
    module: str, prefixes: tuple[str, ...], allowed: bool
) -> None:
    """A prefix is a whole module path: `bot_versions.ex` covers neither `bot_versions.examples` nor its modules."""
    try:
        load_entry(f"{module}:greeter", prefixes)
    except LookupError as exc:
        assert not allowed and "BOTGATE_PYTHON_MODULES" in str(exc)
    else:
        assert allowed


def test_an_entry_naming_a_class_runs_an_instance_of_it() -> None:
    """`module:Class` is made into an object (calling it), as a factory is: its `turn` is then a bound method."""
    bot = load_entry("bot_versions.examples.python_greeter:Greeter", EXAMPLES)
    assert type(bot).__name__ == "Greeter" and bot.language == "Python runtime"


async def test_with_BOTGATE_PYTHON_MODULES_unset_no_python_version_can_be_stored(redis: Redis) -> None:
    """The runtime is off without the setting: 422 at python.entry, nothing stored."""
    async with running_gateway(redis, settings=runtime_settings()) as gw:
        before = await snapshot(redis)
        r = await Admin(gw.http).store(
            definition("py", "1.0.0", "python", entry="bot_versions.examples.python_greeter:greeter")
        )
        assert r.status_code == 422, r.text
        [problem] = r.json()["error"]["details"]
        assert problem["path"] == "python.entry" and "the python runtime is off" in problem["message"]
        assert await snapshot(redis) == before


async def test_an_entry_outside_the_prefixes_is_refused_before_anything_is_imported(redis: Redis) -> None:
    """A module the prefixes do not cover is refused (422) without being imported: importing runs its code."""
    assert UNIMPORTED not in sys.modules
    async with running_gateway(redis, settings=runtime_settings(python_modules=EXAMPLES)) as gw:
        r = await Admin(gw.http).store(definition("py", "1.0.0", "python", entry=f"{UNIMPORTED}:greeter"))
    assert r.status_code == 422, r.text
    assert [p["path"] for p in r.json()["error"]["details"]] == ["python.entry"]
    assert UNIMPORTED not in sys.modules


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("tests.bot_versions.runtimes.python_bots_missing:bot", "cannot be imported: ModuleNotFoundError"),
        ("tests.bot_versions.runtimes.python_broken:bot", "cannot be imported: RuntimeError"),
        ("tests.bot_versions.runtimes.python_bots:nobody", "cannot be imported: AttributeError"),
        ("tests.bot_versions.runtimes.python_bots:not_a_bot", "has no turn(state, activity) method"),
    ],
)
async def test_an_entry_that_cannot_be_imported_is_422_with_why(redis: Redis, entry: str, problem: str) -> None:
    """A missing module, one that fails to import, a missing attribute, an object without `turn`: 422, with why."""
    prefixes = ("tests.bot_versions.runtimes",)
    async with running_gateway(redis, settings=runtime_settings(python_modules=prefixes)) as gw:
        before = await snapshot(redis)
        r = await Admin(gw.http).store(definition("py", "1.0.0", "python", entry=entry))
        assert r.status_code == 422, r.text
        [found] = r.json()["error"]["details"]
        assert found["path"] == "python.entry" and problem in found["message"]
        assert await snapshot(redis) == before


@pytest.mark.parametrize("attribute", ["greeter", "Greeter"])
async def test_a_full_conversation_with_the_example_greeter_object(redis: Redis, attribute: str) -> None:
    """The example greeter object (or its class) asks the name, greets with it, and ends the conversation."""
    async with running_gateway(redis, settings=runtime_settings(python_modules=EXAMPLES)) as gw:
        entry = f"bot_versions.examples.python_greeter:{attribute}"
        await release(Admin(gw.http), definition("py", "3.0.0", "python", entry=entry))
        first = await chat(gw.http, "py", "ann", "hi")
        assert (texts(first), first["status"]) == (["What is your name?"], "active")
        second = await chat(gw.http, "py", "ann", "Ann")
        assert texts(second) == ["Hello, Ann, from the Python runtime greeter"]
        assert (second["conversation"], second["status"]) == (first["conversation"], "ended")


@pytest.mark.parametrize(("text", "reason"), [("boom", "exception"), ("broken", "shape"), ("no-choices", "shape")])
async def test_a_bot_that_raises_or_answers_wrongly_fails_its_turn_and_nothing_changes(
    redis: Redis, text: str, reason: str
) -> None:
    """An exception in the bot, or an answer of the wrong shape: 502 bot_error, logged with its reason, and the
    conversation under way is byte-for-byte as before; its next message carries on from there."""
    async with running_gateway(redis, settings=runtime_settings(python_modules=TESTS)) as gw:
        await release(Admin(gw.http), definition("py", "1.0.0", "python", entry=f"{TESTS[0]}:counter"))
        assert texts(await chat(gw.http, "py", "u", "one")) == ["turn 1"]
        before = await snapshot(redis)
        with capture_logs() as logs:
            r = await post(gw.http, "py", "u", text)
        assert r.status_code == 502 and r.json()["error"]["code"] == "bot_error", r.text
        assert await snapshot(redis) == before
        assert [(e["outcome"], e["reason"]) for e in turn_events(logs, "py")] == [("bot_error", reason)]
        assert texts(await chat(gw.http, "py", "u", "two")) == ["turn 2"]


async def test_a_bot_may_answer_the_http_shape_as_a_dict(redis: Redis) -> None:
    """`turn` may return {"replies", "state", "done"} as an http bot answers, instead of a TurnResult."""
    async with running_gateway(redis, settings=runtime_settings(python_modules=TESTS)) as gw:
        await release(Admin(gw.http), definition("py", "1.0.0", "python", entry=f"{TESTS[0]}:counter"))
        assert texts(await chat(gw.http, "py", "u", "dict")) == ["a dict answer"]
        assert texts(await chat(gw.http, "py", "u", "next")) == ["turn 100"]


async def test_a_process_that_cannot_import_a_stored_entry_fails_its_turns_as_bot_error(redis: Redis) -> None:
    """A version stored by a gateway allowed to import it, served by one that is not: bot_error (reason import)."""
    entry = "bot_versions.examples.python_greeter:greeter"
    async with running_gateway(redis, settings=runtime_settings(python_modules=EXAMPLES)) as gw:
        await release(Admin(gw.http), definition("py", "3.0.0", "python", entry=entry))
    async with running_gateway(redis, settings=runtime_settings(python_modules=TESTS)) as gw:
        before = await snapshot(redis)
        with capture_logs() as logs:
            r = await post(gw.http, "py", "ann", "hi")
        assert r.status_code == 502 and r.json()["error"]["code"] == "bot_error", r.text
        assert [e["reason"] for e in turn_events(logs, "py")] == ["import"]
        assert await snapshot(redis) == before


def test_the_shipped_definition_is_valid_where_the_examples_may_be_imported() -> None:
    """upstream/python-runtime/greeter-3.0.0.yaml stores under BOTGATE_PYTHON_MODULES=bot_versions.examples only."""
    path = examples_dir() / "upstream" / "python-runtime" / "greeter-3.0.0.yaml"
    version = load_file(path, StoreRules(python_modules=EXAMPLES))
    assert (version.bot, version.version, version.runtime) == ("greeter", "3.0.0", "python")
    with pytest.raises(DefinitionFileError, match=r"python\.entry"):
        load_file(path, StoreRules())
