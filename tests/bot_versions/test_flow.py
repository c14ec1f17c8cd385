"""The flow runtime's semantics, on small flows: answers, retries, branches, calls, state and guards."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot_versions import flow
from bot_versions.errors import BotFailed
from bot_versions.flow import CALL_APOLOGY, RUNAWAY_APOLOGY, FlowRuntime
from bot_versions.limits import MAX_REPLIES, replies_problem
from bot_versions.model import BotVersion
from bot_versions.runtime import Reply
from bot_versions.validation import load_version
from tests.bot_versions.support import FakeCaller, activity, example


def runtime(steps: dict[str, Any], caller: Any = None, start: str = "first") -> FlowRuntime:
    """A flow runtime over `steps`."""
    document = {"bot": "demo", "version": "1.0.0", "start": start, "steps": steps}
    return FlowRuntime(load_version(document), caller or FakeCaller())


async def test_retry_and_reprompt_repeat_the_question_as_asked() -> None:
    """A retry renders with the unclear answer, while the question is repeated exactly as first asked."""
    bot = runtime(
        {
            "first": {"ask": "You said {text}. How many?", "expect": "number", "retry": "'{text}' is not a number."},
        }
    )
    state = (await bot.turn({}, activity("hello"))).state
    result = await bot.turn(state, activity("lots"))
    assert [reply.text for reply in result.replies] == ["'lots' is not a number.", "You said hello. How many?"]
    assert result.state == state
    assert bot.reprompt(result.state) == [Reply("You said hello. How many?")]


@pytest.mark.parametrize(
    "state",
    [
        {"step": "nowhere", "payload": {}, "prompt": "?"},
        {"step": "greet", "payload": {}, "prompt": "?"},
        {"step": "ask_name", "payload": "x", "prompt": "?"},
        {"step": "ask_name", "payload": {}},
        {"step": 5},
        {"payload": {"name": "Ada"}},
    ],
)
async def test_foreign_state_starts_over(state: dict[str, Any]) -> None:
    """A state that does not wait on one of this version's questions starts a new conversation."""
    bot = FlowRuntime(example("greeter-1.0.0.yaml"), FakeCaller())
    result = await bot.turn(state, activity("Ada"))
    assert [reply.text for reply in result.replies] == ["What is your name?"]
    assert bot.reprompt(state) == []


@pytest.mark.parametrize(
    ("expect", "answer", "saved"),
    [
        ("text", "  Ada Lovelace ", "Ada Lovelace"),
        ("number", "42", 42),
        ("number", "-2.5", -2.5),
        ("boolean", "Y", True),
        ("boolean", "false", False),
        ("choice", "LARGE", "Large"),
        ("choice", "1", "Small"),
    ],
)
async def test_saved_answers(expect: str, answer: str, saved: Any) -> None:
    """An answer is saved as its kind reads it: text stripped, a number, a boolean, the choice's own label."""
    choices = [{"label": "Small"}, {"label": "Large"}] if expect == "choice" else None
    first = {"ask": "?", "expect": expect, "save": "v", "next": "second", **({"choices": choices} if choices else {})}
    bot = runtime({"first": first, "second": {"ask": "And?"}})
    state = (await bot.turn({}, activity("hi"))).state
    assert (await bot.turn(state, activity(answer))).state["payload"] == {"v": saved}


@pytest.mark.parametrize(("expect", "answer"), [("text", "   "), ("number", "12a"), ("boolean", "perhaps")])
async def test_unclear_answers_are_asked_again(expect: str, answer: str) -> None:
    """An answer that does not fit gets the default retry and the question again, and the state stays."""
    bot = runtime({"first": {"ask": "Well?", "expect": expect, "save": "v"}})
    state = (await bot.turn({}, activity("hi"))).state
    result = await bot.turn(state, activity(answer))
    assert [reply.text for reply in result.replies] == ["Sorry, I did not understand that.", "Well?"]
    assert (result.state, result.done) == (state, False)


def branch_bot(expect: str, condition: dict[str, Any]) -> FlowRuntime:
    """Asks for `v`, then says "matched" when `condition` holds and asks for `w` otherwise."""
    return runtime(
        {
            "first": {"ask": "v?", "expect": expect, "save": "v", "next": "check"},
            "check": {"branch": [{"if": condition, "next": "matched"}], "else": "other"},
            "matched": {"say": "matched"},
            "other": {"ask": "w?", "save": "w"},
        }
    )


@pytest.mark.parametrize(
    ("expect", "answer", "condition", "matched"),
    [
        ("number", "5", {"v": 5}, True),
        ("number", "5", {"v": 5.0}, True),
        ("number", "5", {"v": {"eq": 6}}, False),
        ("number", "5", {"v": {"ne": 6}}, True),
        ("number", "5", {"v": {"gt": 4}}, True),
        ("number", "5", {"v": {"gt": 5}}, False),
        ("number", "5", {"v": {"gte": 5}}, True),
        ("number", "5", {"v": {"lt": 5.5}}, True),
        ("number", "5", {"v": {"lte": 4}}, False),
        ("number", "5", {"v": {"in": [1, 5]}}, True),
        ("number", "5", {"v": {"in": ["5"]}}, False),
        ("number", "2", {"v": {"gte": 1, "lte": 3}}, True),
        ("number", "5", {"v": {"gte": 1, "lte": 3}}, False),
        ("number", "1", {"v": True}, False),
        ("boolean", "yes", {"v": True}, True),
        ("boolean", "yes", {"v": 1}, False),
        ("boolean", "no", {"v": {"in": [0]}}, False),
        ("text", "5", {"v": {"gt": 4}}, False),
        ("text", "yes", {"v": "yes"}, True),
        ("text", "Yes", {"v": "yes"}, False),
        ("text", "yes", {"v": "yes", "text": "no"}, False),
        ("text", "yes", {"text": "yes", "user": "alice"}, True),
        ("text", "x", {"v": {"present": True}}, True),
        ("text", "x", {"w": {"present": False}}, True),
        ("text", "x", {"w": {"present": True}}, False),
        ("text", "x", {"w": None}, True),
        ("text", "x", {"v.inner": {"present": True}}, False),
    ],
)
async def test_branch_conditions(expect: str, answer: str, condition: dict[str, Any], matched: bool) -> None:
    """A branch entry matches when all its conditions hold; booleans never equal numbers; order needs numbers."""
    bot = branch_bot(expect, condition)
    state = (await bot.turn({}, activity("hi"))).state
    replies = [reply.text for reply in (await bot.turn(state, activity(answer))).replies]
    assert replies == (["matched"] if matched else ["w?"])


async def test_first_matching_rule_wins_and_no_match_ends() -> None:
    """The first entry that holds picks the step; with none holding and no else, the conversation ends."""
    bot = runtime(
        {
            "first": {"ask": "n?", "expect": "number", "save": "n", "next": "check"},
            "check": {
                "branch": [{"if": {"n": {"gt": 10}}, "next": "big"}, {"if": {"n": {"gt": 0}}, "next": "small"}],
            },
            "big": {"say": "big"},
            "small": {"say": "small"},
        }
    )
    for answer, replies in (("50", ["big"]), ("5", ["small"]), ("-1", [])):
        state = (await bot.turn({}, activity("hi"))).state
        result = await bot.turn(state, activity(answer))
        assert ([reply.text for reply in result.replies], result.done) == (replies, True)


CALL_STEPS = {
    "first": {"ask": "Town?", "save": "town", "next": "lookup"},
    "lookup": {"call": {"url": "http://h.example/town/{town}?u={user}", "save": "place"}, "next": "show"},
    "show": {"say": "{town} is in {place.state}"},
}


async def test_call_saves_its_answer() -> None:
    """A call's answer is saved under its name, readable by key path; values in the URL are escaped."""
    caller = FakeCaller({"state": "California"})
    bot = runtime(CALL_STEPS, caller)
    state = (await bot.turn({}, activity("hi"))).state
    result = await bot.turn(state, activity("San Francisco/../x?y=1"))
    assert [reply.text for reply in result.replies] == ["San Francisco/../x?y=1 is in California"]
    assert caller.calls == [("GET", "http://h.example/town/San%20Francisco%2F..%2Fx%3Fy%3D1?u=alice", 5.0)]


async def test_an_answer_of_dot_dot_stays_one_segment_of_the_call_url() -> None:
    """`..` is sent as `%2E%2E`: an HTTP client would otherwise resolve it away and call the parent resource."""
    caller = FakeCaller({"state": "?"})
    bot = runtime(CALL_STEPS, caller)
    state = (await bot.turn({}, activity("hi"))).state
    await bot.turn(state, activity(".."))
    assert caller.calls == [("GET", "http://h.example/town/%2E%2E?u=alice", 5.0)]


async def test_call_method_and_timeout() -> None:
    """A call uses its method and timeout; an answer with no save is not kept."""
    caller = FakeCaller(["ignored"])
    bot = runtime(
        {
            "first": {"call": {"method": "POST", "url": "https://h.example/ping", "timeout": 2}, "next": "done"},
            "done": {"ask": "Next?"},
        },
        caller,
    )
    result = await bot.turn({}, activity("hi"))
    assert caller.calls == [("POST", "https://h.example/ping", 2.0)]
    assert result.state["payload"] == {}


async def test_call_failure_without_on_error_apologises() -> None:
    """A failed call with no on_error step ends the conversation with a short apology."""
    bot = runtime(CALL_STEPS, FakeCaller(None))
    state = (await bot.turn({}, activity("hi"))).state
    result = await bot.turn(state, activity("Paris"))
    assert (result.replies, result.state, result.done) == ([Reply(CALL_APOLOGY)], {}, True)


async def test_a_turn_counts_the_calls_that_failed_and_were_handled() -> None:
    """A failed call the flow handles leaves the turn a success that reports it (for /metrics); a call that works
    reports none, and so does a turn with no call."""
    failing = runtime(CALL_STEPS, FakeCaller(None))
    state = (await failing.turn({}, activity("hi"))).state
    assert (await failing.turn({}, activity("hi"))).failed_calls == 0  # asks the town: no call yet
    assert (await failing.turn(state, activity("Paris"))).failed_calls == 1
    working = runtime(CALL_STEPS, FakeCaller({"state": "Texas"}))
    assert (await working.turn(state, activity("Austin"))).failed_calls == 0


async def test_runaway_turn_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A turn that runs more steps than the cap ends with an apology instead of running on."""
    monkeypatch.setattr(flow, "MAX_STEPS_PER_TURN", 2)
    bot = runtime(
        {"first": {"say": "1", "next": "second"}, "second": {"say": "2", "next": "third"}, "third": {"say": "3"}}
    )
    result = await bot.turn({}, activity("hi"))
    assert ([reply.text for reply in result.replies], result.done) == (["1", "2", RUNAWAY_APOLOGY], True)


async def test_templates_are_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turns render the templates parsed when the runtime was built; none is parsed per turn."""
    bot = FlowRuntime(
        example("zipcode-1.1.0.yaml"), FakeCaller({"found": True, "zip": "99762", "town": "Nome", "state": "Alaska"})
    )

    def refuse(text: str) -> None:
        raise AssertionError("parsed during a turn")

    monkeypatch.setattr(flow, "parse_template", refuse)
    state = (await bot.turn({}, activity("hi"))).state
    state = (await bot.turn(state, activity("yes"))).state
    assert [reply.text for reply in (await bot.turn(state, activity("99762"))).replies] == ["99762 is Nome, Alaska."]


def test_invalid_version_is_refused() -> None:
    """A runtime is never built over an invalid definition."""
    version = BotVersion(bot="demo", version="1.0.0", runtime="flow", document={"bot": "demo", "reply": "{x!r}"})
    with pytest.raises(ValueError, match="not a valid flow: version: missing version"):
        FlowRuntime(version, FakeCaller())


@st.composite
def flows(draw: st.DrawFn) -> dict[str, Any]:
    """Valid flows by construction: steps lead forward, except choices, which may lead anywhere."""
    kinds = draw(st.lists(st.sampled_from(["say", "ask", "branch", "call"]), min_size=1, max_size=6))
    kinds[-1] = "say" if kinds[-1] in ("branch", "call") else kinds[-1]
    names = [f"s{i}" for i in range(len(kinds))]
    # conditions may only read names something saves
    key = "v" if "ask" in kinds else "text"
    steps: dict[str, Any] = {}
    for i, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        link = {"next": names[i + 1]} if i + 1 < len(names) else {}
        if kind == "say":
            steps[name] = {"say": f"{name} {{text}}", **link}
        elif kind == "ask":
            expect = draw(st.sampled_from(["text", "number", "boolean", "choice"]))
            steps[name] = {"ask": f"{name}?", "expect": expect, "save": "v", **link}
            if expect == "choice":
                steps[name]["choices"] = [{"label": "A", "next": draw(st.sampled_from(names))}, {"label": "B"}]
        elif kind == "branch":
            test = draw(st.sampled_from(["yes", True, 2, {"gte": 1}, {"present": True}]))
            rules = [{"if": {key: test}, "next": draw(st.sampled_from(names[i + 1 :]))}]
            steps[name] = {"branch": rules, "else": link["next"]}
        else:
            on_error = draw(st.sampled_from(names[i + 1 :]) | st.none())
            steps[name] = {"call": {"url": "http://h.example/{text}", "save": "r"}, **link}
            steps[name].update({"on_error": on_error} if on_error else {})
    return {"bot": "demo", "version": "1.0.0", "start": "s0", "steps": steps}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    document=flows(),
    messages=st.lists(st.sampled_from(["hi", "yes", "2", "A", "b", "", "nope"]), max_size=6),
    succeed=st.booleans(),
)
async def test_any_valid_flow_runs(document: dict[str, Any], messages: list[str], succeed: bool) -> None:
    """Any valid flow answers any messages with replies and plain JSON state, and a finished one keeps none."""
    bot = FlowRuntime(load_version(document), FakeCaller({"ok": True} if succeed else None))
    state: dict[str, Any] = {}
    for text in messages:
        result = await bot.turn(state, activity(text))
        assert all(isinstance(reply, Reply) for reply in result.replies)
        assert json.loads(json.dumps(result.state)) == result.state
        assert result.done == (result.state == {})
        state = result.state


LONG = "é" * 4096  # the longest text a channel accepts


def reactor(reply: str) -> FlowRuntime:
    return FlowRuntime(load_version({"bot": "demo", "version": "1.0.0", "reply": reply}), FakeCaller())


async def test_a_reply_amplifying_the_message_past_the_limit_fails_the_turn() -> None:
    """`{text}` three times over 4,096 characters is past 8,192: BotFailed `reply_too_large`, saying no text."""
    bot = reactor("{text}{text}{text}")
    assert (await bot.turn({}, activity("hi"))).replies == [Reply("hihihi")]
    with pytest.raises(BotFailed) as failed:
        await bot.turn({}, activity(LONG))
    assert failed.value.reason == "reply_too_large" and failed.value.code == "bot_error"
    assert "é" not in failed.value.message and "8192" in failed.value.message


@pytest.mark.parametrize(
    ("steps", "text"),
    [
        ({"first": {"ask": "{text}{text}{text}?"}}, LONG),
        ({"first": {"ask": "n?", "expect": "number", "retry": "{text} {text} {text} is no number"}}, "x" * 3000),
        ({f"s{n}": {"say": f"{n}", "next": f"s{n + 1}"} for n in range(MAX_REPLIES)} | {"s50": {"say": "end"}}, "hi"),
        ({f"s{n}": {"say": "{text}", "next": f"s{n + 1}"} for n in range(8)} | {"s8": {"say": "{text}"}}, LONG),
    ],
    ids=["question", "retry", "51 replies", "nine long replies"],
)
async def test_a_turn_past_any_reply_limit_fails(steps: dict[str, Any], text: str) -> None:
    """A question, a retry, too many says, or says past the turn's characters: each is a reply_too_large failure."""
    start = next(iter(steps))
    bot = runtime(steps, start=start)
    state: dict[str, Any] = {}
    if "retry" in steps[start]:
        state = (await bot.turn({}, activity("hi"))).state
    with pytest.raises(BotFailed, match="over the reply limits"):
        await bot.turn(state, activity(text))


async def test_a_call_url_past_its_limit_goes_to_on_error_without_calling() -> None:
    """A URL that would pass 8,192 characters once its values are escaped is refused like an unreachable host."""
    caller = FakeCaller({"ok": True})
    bot = runtime(
        {
            "first": {"call": {"url": "http://h.example/{text}/{text}"}, "next": "done", "on_error": "sorry"},
            "done": {"say": "called"},
            "sorry": {"say": "not called"},
        },
        caller,
    )
    assert (await bot.turn({}, activity("é" * 700))).replies == [Reply("not called")]  # 2 x 700 x %C3%A9
    assert (await bot.turn({}, activity("short"))).replies == [Reply("called")]
    assert len(caller.calls) == 1


# A few pieces, repeated: `{text}{v} ok` twelve times over.
pieces = st.lists(st.sampled_from(["{text}", "{user}", "{v}", "ok ", "{{", "é"]), min_size=1, max_size=6)
parts = st.builds(lambda chosen, times: "".join(chosen) * times, pieces, st.integers(1, 12))
texts = st.text(max_size=30) | st.sampled_from([300, 1000, 2000, 4096]).map(lambda n: "é" * n)


@st.composite
def amplifiers(draw: st.DrawFn) -> dict[str, Any]:
    """Valid flows whose templates repeat placeholders: a reactor, or a question whose answer is said back."""
    if draw(st.booleans()):
        return {"bot": "demo", "version": "1.0.0", "reply": draw(parts).replace("{v}", "{text}")}
    ask: dict[str, Any] = {"ask": draw(parts).replace("{v}", "{text}"), "save": "v", "next": "say"}
    if draw(st.booleans()):
        ask |= {
            "expect": "choice",
            "choices": [{"label": label} for label in draw(st.sets(st.sampled_from("ABCD"), min_size=1))],
        }
    steps = {"ask": ask, "say": {"say": draw(parts), "next": "again"}, "again": {"say": draw(parts)}}
    return {"bot": "demo", "version": "1.0.0", "start": "ask", "steps": steps}


async def unlimited_replies(bot: FlowRuntime, state: dict[str, Any], text: str) -> list[Reply]:
    """The replies the turn would have given without the limits."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flow, "MAX_REPLY_CHARS", 10**9)
        patch.setattr(flow, "replies_problem", lambda replies: None)
        return (await bot.turn(state, activity(text))).replies


@settings(max_examples=200, deadline=None)
@given(document=amplifiers(), messages=st.lists(texts, min_size=1, max_size=3))
async def test_any_amplifying_flow_answers_within_the_limits_or_fails_cleanly(
    document: dict[str, Any], messages: list[str]
) -> None:
    """Replies within every limit, or BotFailed `reply_too_large` exactly when the replies would pass one."""
    bot = FlowRuntime(load_version(document), FakeCaller())
    state: dict[str, Any] = {}
    for text in messages:
        try:
            result = await bot.turn(state, activity(text))
        except BotFailed as failed:
            assert failed.reason == "reply_too_large"
            assert replies_problem(await unlimited_replies(bot, state, text)) is not None
            event("failed")
            continue  # nothing of a failed turn is kept: the conversation stays where it was
        assert replies_problem(result.replies) is None
        event("answered")
        state = result.state
