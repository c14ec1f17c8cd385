"""Validating definitions: every problem found at once, each at its path; valid ones become BotVersions."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot_versions.errors import Invalid
from bot_versions.examples import examples_dir
from bot_versions.flow_checks import EXPECTS, MAX_STEPS, MAX_URL_CHARS, OPS
from bot_versions.limits import MAX_CHOICES, MAX_REPLY_CHARS
from bot_versions.model import IdlePolicy, IdlePolicyKind, Messages
from bot_versions.runtimes.factory import build_runtime
from bot_versions.validation import load_version, validate
from tests.bot_versions.support import runtime_env


def flow(steps: Any, start: Any = "first", **extra: Any) -> dict[str, Any]:
    """A flow definition around `steps`."""
    return {"bot": "demo", "version": "1.0.0", "start": start, "steps": steps, **extra}


def one(step: Any, **more: Any) -> dict[str, Any]:
    """A flow whose first step is `step`, followed by `more` steps."""
    return flow({"first": step, **more})


def reactor(**extra: Any) -> dict[str, Any]:
    """A reactor definition with `extra` keys."""
    return {"bot": "demo", "version": "1.0.0", "reply": "ECHO: {text}", **extra}


def ask_choice(choices: Any) -> dict[str, Any]:
    """A flow asking one choice question."""
    return one({"ask": "Size?", "expect": "choice", "choices": choices}, end={"say": "ok"})


def branch(rules: Any, **step: Any) -> dict[str, Any]:
    """A flow that saves `v` and `w`, then branches by `rules`."""
    return flow(
        {
            "first": {"ask": "v?", "save": "v", "next": "second"},
            "second": {"ask": "w?", "save": "w", "next": "check"},
            "check": {"branch": rules, **step},
            "end": {"say": "done"},
        }
    )


def call(spec: Any, **step: Any) -> dict[str, Any]:
    """A flow with one call step."""
    return one({"call": spec, **step}, end={"say": "done"})


VALID = [
    pytest.param(reactor(), id="reactor"),
    pytest.param(reactor(runtime="flow", description="echoes"), id="runtime-flow"),
    pytest.param(reactor(idle={"policy": "none"}), id="idle-none-without-after"),
    pytest.param(reactor(idle={"after": 0.5, "policy": "reset"}), id="idle-float"),
    pytest.param(reactor(messages={"idle_reset": "Hi again."}), id="messages"),
    pytest.param(reactor(reply="{{literal}} {user}"), id="literal-braces"),
    pytest.param(one({"say": "Hi {name}", "next": "ask"}, ask={"ask": "Name?", "save": "name"}), id="save-later"),
    pytest.param(
        one({"ask": "Zip?", "expect": "number", "save": "zip", "next": "bad"}, bad={"say": "no", "next": "first"}),
        id="loop-through-ask",
    ),
    pytest.param(call({"url": "https://zip.example", "save": "place"}, next="end"), id="url-no-placeholder"),
    pytest.param(
        call({"url": "HTTP://Zip.Example:8080/{text}", "method": "DELETE", "timeout": 30}, next="end"), id="url-port"
    ),
    pytest.param(call({"url": "http://zip.example?q={text}"}, on_error="end"), id="url-query"),
    pytest.param(
        one({"call": {"url": "http://h/", "save": "place"}, "next": "show"}, show={"say": "{place.city.name}"}),
        id="dotted-placeholder",
    ),
    pytest.param(ask_choice([{"label": "1"}, {"label": "2", "next": "end"}]), id="numeric-labels"),
    pytest.param(
        branch([{"if": {"v": {"gte": 1, "lte": 5.5}, "w": {"in": [1, "a"]}}, "next": "end"}], **{"else": "end"}),
        id="branch-ops",
    ),
    pytest.param(branch([{"if": {"v.deep": {"present": False}, "text": "x", "user": None}, "next": "end"}]), id="if"),
]


@pytest.mark.parametrize("document", VALID)
def test_valid(document: dict[str, Any]) -> None:
    """Well-formed definitions have no problems."""
    assert validate(document) == []


@pytest.mark.parametrize("name", ["greeter-1.0.0.yaml", "greeter-2.0.0.yaml", "echo-1.0.0.yaml", "zipcode-1.1.0.yaml"])
def test_examples_are_valid(name: str) -> None:
    """Every shipped example is a valid definition."""
    from bot_versions.documents import parse_document

    assert validate(parse_document((examples_dir() / name).read_bytes(), "application/yaml")) == []


INVALID = [
    # the document
    ([], "", "a definition must be a mapping, not a list"),
    ("bot: x", "", "a definition must be a mapping, not a string"),
    (None, "", "not null"),
    (reactor(colour="red"), "colour", "unknown key; a definition has bot, version"),
    ({"version": "1.0.0", "reply": "x"}, "bot", "missing bot"),
    (reactor(bot="Greeter!"), "bot", "'Greeter!' is not a bot name"),
    (reactor(bot=5), "bot", "5 is not a bot name"),
    ({"bot": "demo", "reply": "x"}, "version", "missing version"),
    (reactor(version=1.0), "version", 'not a number (in YAML, quote it: "1.0")'),
    (reactor(version="one"), "version", "'one' is not a version"),
    (reactor(runtime="cobol"), "runtime", "unknown runtime 'cobol'; the runtimes are flow, http"),
    (reactor(description=5), "description", "must be a string, not a number"),
    ({**reactor(), "start": "a"}, "reply", "either reply or start and steps, not both"),
    ({"bot": "demo", "version": "1.0.0"}, "", "missing reply or start and steps"),
    (reactor(reply="{x!r}"), "reply", "conversions"),
    (reactor(reply="{nobody}"), "reply", "{nobody} names nothing this bot sets; known names: text, user"),
    (reactor(reply=""), "reply", "must be non-empty text, not an empty string"),
    (reactor(reply=True), "reply", "not a boolean (in YAML, quote words such as yes"),
    (reactor(reply=7), "reply", "not a number (in YAML, quote text that looks like a number)"),
    ({"bot": "demo", "version": "1.0.0", "steps": {"a": {"say": "x"}}}, "start", "missing start"),
    ({"bot": "demo", "version": "1.0.0", "start": "a"}, "steps", "missing steps"),
    (flow([{"say": "x"}]), "steps", "must be a mapping of step names to steps, not a list"),
    (flow({}), "steps", "must have at least one step"),
    (flow({"a": {"say": "x"}}, start="nowhere"), "start", "names no step: 'nowhere'"),
    (flow({"a": {"say": "x"}}, start=["a"]), "start", "must be a step name, not a list"),
    (flow({f"s{i}": {"say": "x"} for i in range(MAX_STEPS + 1)}, start="s0"), "steps", "at most 1000"),
    # idle and messages
    (reactor(idle="soon"), "idle", "must be a mapping {after: seconds, policy: reset | ask | none}"),
    (reactor(idle={"after": 0, "policy": "ask"}), "idle.after", "at least 0.001"),
    (reactor(idle={"after": -5, "policy": "ask"}), "idle.after", "must be a number of seconds"),
    (reactor(idle={"after": "600", "policy": "ask"}), "idle.after", "must be a number of seconds"),
    (reactor(idle={"after": True, "policy": "ask"}), "idle.after", "must be a number of seconds"),
    (reactor(idle={"after": 1e10, "policy": "ask"}), "idle.after", "at most 31536000"),
    (reactor(idle={"after": 0.0001, "policy": "ask"}), "idle.after", "at least 0.001"),
    (reactor(idle={"after": 60}), "idle.policy", "missing policy: one of reset, ask, none"),
    (reactor(idle={"after": 60, "policy": "later"}), "idle.policy", "must be one of reset, ask, none, not 'later'"),
    (reactor(idle={"policy": "ask"}), "idle.after", "missing after"),
    (reactor(idle={"after": 1, "policy": "reset", "every": 2}), "idle.every", "unknown key; idle has after, policy"),
    (reactor(messages="hi"), "messages", "must be a mapping of message names (idle_reset"),
    (reactor(messages={"greeting": "hi"}), "messages.greeting", "unknown message; the messages are idle_reset"),
    (reactor(messages={"idle_reset": " "}), "messages.idle_reset", "must be non-empty text"),
    # steps
    (flow({"has space": {"say": "x"}}, start="has space"), "steps.has space", "step names are letters"),
    (one("hello"), "steps.first", "a step must be a mapping with one of say, ask, branch, call, not a string"),
    (one({"tell": "hi"}), "steps.first", "unknown step kind: a step has exactly one of say, ask, branch, call"),
    (one({"say": "hi", "ask": "q"}), "steps.first", "found say and ask"),
    (one({"say": "hi", "save": "x"}), "steps.first.save", "unknown key; a say step has say, next"),
    (one({"say": "hi", "next": "nowhere"}), "steps.first.next", "names no step: 'nowhere'"),
    (one({"say": "hi", "next": 5}), "steps.first.next", "must be a step name, not a number"),
    (one({"say": "hi"}, orphan={"say": "x"}), "steps.orphan", "unreachable: no path from start"),
    (one({"say": "{x.__class__}"}), "steps.first.say", "names may not start with '_'"),
    (one({"say": "{name}"}), "steps.first.say", "{name} names nothing this bot sets"),
    (one({"say": "{a} {b.c}"}), "steps.first.say", "{a}, {b} names nothing"),
    (one({"say": 5}), "steps.first.say", "must be non-empty text"),
    # questions
    (one({"ask": "{x!r}"}), "steps.first.ask", "conversions"),
    (one({"ask": "q", "retry": "{"}), "steps.first.retry", "is not closed"),
    (one({"ask": "q", "expect": "date"}), "steps.first.expect", "must be one of text, number, boolean, choice"),
    (one({"ask": "q", "expect": ["text"]}), "steps.first.expect", "not ['text']"),
    (one({"ask": "q", "save": "my name"}), "steps.first.save", "must be a name"),
    (one({"ask": "q", "save": "text"}), "steps.first.save", "text is set by the gateway"),
    (one({"ask": "q", "choices": [{"label": "A"}]}), "steps.first.choices", "only for questions with expect: choice"),
    (one({"ask": "q", "expect": "choice"}), "steps.first.choices", "needs a non-empty list of choices"),
    (ask_choice([]), "steps.first.choices", "needs a non-empty list of choices"),
    (ask_choice(["Small"]), "steps.first.choices[0]", "a choice must be a mapping {label, next}"),
    (ask_choice([{"next": "end"}]), "steps.first.choices[0].label", "missing label"),
    (ask_choice([{"label": True}]), "steps.first.choices[0].label", "quote words such as yes"),
    (ask_choice([{"label": "Small"}, {"label": " small"}]), "steps.first.choices[1].label", "duplicate label"),
    (ask_choice([{"label": "A", "value": 1}]), "steps.first.choices[0].value", "unknown key; a choice has label"),
    (ask_choice([{"label": "A", "next": "nowhere"}]), "steps.first.choices[0].next", "names no step: 'nowhere'"),
    # branches
    (branch({"v": 1}), "steps.check.branch", "must be a non-empty list of {if"),
    (branch([]), "steps.check.branch", "must be a non-empty list of {if"),
    (branch(["v"]), "steps.check.branch[0]", "must be a mapping {if"),
    (branch([{"next": "end"}]), "steps.check.branch[0].if", "missing if"),
    (branch([{"if": {"v": 1}}]), "steps.check.branch[0].next", "missing next"),
    (branch([{"if": {"v": 1}, "next": "nowhere"}]), "steps.check.branch[0].next", "names no step: 'nowhere'"),
    (branch([{"if": {"v": 1}, "next": "end", "then": "end"}]), "steps.check.branch[0].then", "unknown key"),
    (branch([{"if": {}, "next": "end"}]), "steps.check.branch[0].if", "must be a non-empty mapping"),
    (branch([{"if": [1], "next": "end"}]), "steps.check.branch[0].if", "must be a non-empty mapping"),
    (branch([{"if": {"v.__class__": 1}, "next": "end"}]), "steps.check.branch[0].if.v.__class__", "'_'"),
    (branch([{"if": {"nobody": 1}, "next": "end"}]), "steps.check.branch[0].if.nobody", "nobody names nothing"),
    (branch([{"if": {"v": {"like": 1}}, "next": "end"}]), "steps.check.branch[0].if.v.like", "unknown operator"),
    (branch([{"if": {"v": {"gt": "3"}}, "next": "end"}]), "steps.check.branch[0].if.v.gt", "needs a number"),
    (branch([{"if": {"v": {"gte": True}}, "next": "end"}]), "steps.check.branch[0].if.v.gte", "not a boolean"),
    (branch([{"if": {"v": {"in": 3}}, "next": "end"}]), "steps.check.branch[0].if.v.in", "in needs a list"),
    (branch([{"if": {"v": {"present": "yes"}}, "next": "end"}]), "steps.check.branch[0].if.v.present", "true or"),
    (branch([{"if": {"v": {}}, "next": "end"}]), "steps.check.branch[0].if.v", "needs at least one operator"),
    (branch([{"if": {"v": 1}, "next": "end"}], **{"else": "nowhere"}), "steps.check.else", "names no step"),
    # calls
    (call("http://h/"), "steps.first.call", "must be a mapping {method, url, save, timeout}"),
    (call({"method": "GET"}), "steps.first.call.url", "missing url"),
    (call({"url": "ftp://zip.example/x"}), "steps.first.call.url", "must be an http:// or https:// URL"),
    (call({"url": "zip.example/x"}), "steps.first.call.url", "must be an http:// or https:// URL"),
    (call({"url": "http://{text}/x"}), "steps.first.call.url", "must be an http:// or https:// URL"),
    (call({"url": "http://u:pw@zip.example/"}), "steps.first.call.url", "must be an http:// or https:// URL"),
    (call({"url": "http://zip.example{text}"}), "steps.first.call.url", "the host must be written out"),
    (call({"url": "http://zip.example/{x.__class__}"}), "steps.first.call.url", "'_'"),
    (call({"url": "http://h/", "method": "PATCH"}), "steps.first.call.method", "GET, POST, PUT, DELETE"),
    (call({"url": "http://h/", "method": "get"}), "steps.first.call.method", "not 'get'"),
    (call({"url": "http://h/", "timeout": 0}), "steps.first.call.timeout", "above 0 and at most 30"),
    (call({"url": "http://h/", "timeout": 31}), "steps.first.call.timeout", "above 0 and at most 30"),
    (call({"url": "http://h/", "timeout": "5"}), "steps.first.call.timeout", "above 0 and at most 30"),
    (call({"url": "http://h/", "body": {}}), "steps.first.call.body", "unknown key; a call has method, url"),
    (call({"url": "http://h/", "save": "user"}), "steps.first.call.save", "user is set by the gateway"),
    (call({"url": "http://h/"}, on_error="nowhere"), "steps.first.on_error", "names no step: 'nowhere'"),
    # loops that never wait for an answer
    (flow({"a": {"say": "x", "next": "b"}, "b": {"say": "y", "next": "a"}}, start="a"), "steps.a", "steps a, b form"),
    (flow({"a": {"branch": [{"if": {"text": "x"}, "next": "a"}]}}, start="a"), "steps.a", "steps a form a loop"),
    (call({"url": "http://h/"}, on_error="first"), "steps.first", "steps first form a loop with no ask"),
]


@pytest.mark.parametrize(("document", "path", "message"), INVALID)
def test_invalid(document: Any, path: str, message: str) -> None:
    """Each kind of mistake is reported with its path in the document."""
    problems = validate(document)
    assert any(problem.path == path and message in problem.message for problem in problems), problems


def test_every_problem_is_reported_together() -> None:
    """A definition with many mistakes gets all of them back, each at its own path."""
    document = {
        "bot": "Demo",
        "version": "one",
        "colour": "red",
        "idle": {"after": -1, "policy": "ask"},
        "start": "greet",
        "steps": {
            "greet": {"say": "Hi {nme}", "next": "ask"},
            "ask": {"ask": "Name?", "save": "name", "expect": "date", "next": "nowhere"},
            "lost": {"shout": "hey"},
            "spin": {"say": "again", "next": "spin"},
        },
    }
    paths = [problem.path for problem in validate(document)]
    assert sorted(paths) == sorted(
        [
            "colour",
            "bot",
            "version",
            "idle.after",
            "steps.ask.expect",
            "steps.ask.next",
            "steps.lost",
            "steps.lost",
            "steps.spin",
            "steps.spin",
            "steps.greet.say",
        ]
    )


def test_unknown_kind_still_links() -> None:
    """A step of unknown kind does not make the steps it names unreachable as well."""
    document = flow({"first": {"sai": "hi", "next": "second"}, "second": {"say": "bye"}})
    assert [problem.path for problem in validate(document)] == ["steps.first"]


def test_load_version() -> None:
    """A valid definition becomes a BotVersion with its canonical version, idle policy and messages."""
    document = reactor(version="v1.0", idle={"after": 1.5, "policy": "reset"}, messages={"idle_reset": "Again!"})
    version = load_version(document)
    assert (version.bot, version.version, version.runtime) == ("demo", "1.0", "flow")
    assert version.idle == IdlePolicy(IdlePolicyKind.RESET, after_ms=1500)
    assert version.messages == Messages(idle_reset="Again!")
    assert version.document == document


def test_load_version_defaults() -> None:
    """Without idle or messages a version never times out and says the default messages."""
    version = load_version(reactor())
    assert version.idle == IdlePolicy()
    assert version.messages == Messages()


def test_load_version_raises_invalid_with_every_problem() -> None:
    """An invalid definition raises Invalid whose details are every problem as {path, message}."""
    with pytest.raises(Invalid, match="definition is invalid") as info:
        load_version({"bot": "demo", "reply": "{x!r}"})
    assert [detail["path"] for detail in info.value.details] == ["version", "reply"]
    assert all(set(detail) == {"path", "message"} for detail in info.value.details)


# Arbitrary JSON-like data, plus values shaped like definitions so that deep checks run too.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)
names = st.sampled_from(["a", "b", "c", "bad name", ""]) | json_values
texts = st.sampled_from(["hi", "{text}", "{x}", "{a.b}", "{x.__class__}", "{", "http://h/{x}", "ftp://h"]) | json_values
save_names = st.sampled_from(["x", "a", "text", "bad name"]) | json_values
conditions = st.dictionaries(
    st.sampled_from(["x", "a.b", "text", "_x", ""]),
    json_values | st.dictionaries(st.sampled_from([*OPS, "bogus"]), json_values, max_size=2),
    max_size=2,
)
rules = st.lists(st.fixed_dictionaries({}, optional={"if": conditions | json_values, "next": names}), max_size=3)
choice_lists = st.lists(
    st.fixed_dictionaries({}, optional={"label": st.sampled_from(["A", "a", "B"]) | json_values, "next": names}),
    max_size=3,
)
calls = st.fixed_dictionaries(
    {},
    optional={
        "method": st.sampled_from(["GET", "POST", "get"]),
        "url": texts,
        "save": save_names,
        "timeout": json_values,
    },
)
step_values = st.fixed_dictionaries(
    {},
    optional={
        "say": texts,
        "ask": texts,
        "branch": rules | json_values,
        "call": calls | json_values,
        "next": names,
        "else": names,
        "on_error": names,
        "expect": st.sampled_from(EXPECTS) | json_values,
        "save": save_names,
        "retry": texts,
        "choices": choice_lists | json_values,
    },
)
documents = json_values | st.fixed_dictionaries(
    {},
    optional={
        "bot": st.just("demo") | json_values,
        "version": st.sampled_from(["1.0.0", "one"]) | json_values,
        "runtime": st.just("flow") | json_values,
        "reply": texts,
        "start": names,
        "steps": st.dictionaries(st.sampled_from(["a", "b", "c"]), step_values, max_size=4) | json_values,
        "idle": st.fixed_dictionaries({}, optional={"after": json_values, "policy": json_values}) | json_values,
        "messages": st.dictionaries(st.sampled_from(["idle_reset", "other"]), json_values, max_size=2),
        "resumes": st.sampled_from([">=0.1,<1.0", ">=1.0", "<1", "latest", ""]) | json_values,
        "resume_at": st.dictionaries(st.sampled_from(["a", "b", "bad name", ""]), names, max_size=2) | json_values,
    },
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_validate_never_raises(document: Any) -> None:
    """Any JSON-like document validates without raising; load_version returns a runnable version or raises Invalid."""
    problems = validate(document)
    assert all(isinstance(problem.path, str) and problem.message for problem in problems)
    if problems:
        with pytest.raises(Invalid):
            load_version(document)
    else:
        build_runtime(load_version(document), runtime_env())


LONG = "x" * (MAX_REPLY_CHARS + 1)
LIMITS = [
    (reactor(reply=LONG), "reply", f"has {MAX_REPLY_CHARS + 1} characters besides its placeholders; at most 8192"),
    (reactor(reply="{{" * (MAX_REPLY_CHARS + 1)), "reply", "has 8193 characters besides"),  # `{{` says one `{`
    (one({"say": LONG}), "steps.first.say", "besides its placeholders"),
    (one({"ask": LONG, "save": "n"}), "steps.first.ask", "besides its placeholders"),
    (one({"ask": "n?", "retry": LONG + "{text}"}), "steps.first.retry", "besides its placeholders"),
    (reactor(messages={"idle_reset": LONG}), "messages.idle_reset", "has 8193 characters; a message is at most"),
    (call({"url": "http://h/" + "p" * MAX_URL_CHARS}), "steps.first.call.url", "at most 8192"),
    (ask_choice([{"label": "x" * 257}]), "steps.first.choices[0].label", "has 257 characters; at most 256"),
    (
        ask_choice([{"label": f"c{n}"} for n in range(MAX_CHOICES + 1)]),
        "steps.first.choices",
        "has 51 choices; a question has at most 50",
    ),
]


@pytest.mark.parametrize(("document", "path", "message"), LIMITS)
def test_text_that_would_always_pass_the_reply_limits_is_refused_at_its_path(
    document: Any, path: str, message: str
) -> None:
    """A template whose own text is over a reply, a long label or message, too many choices: refused when stored."""
    problems = validate(document)
    assert any(problem.path == path and message in problem.message for problem in problems), problems


@pytest.mark.parametrize(
    "document",
    [
        reactor(reply="x" * MAX_REPLY_CHARS + "{text}" * 100),
        ask_choice([{"label": "x" * 256, "next": "end"}] + [{"label": f"c{n}"} for n in range(MAX_CHOICES - 1)]),
        reactor(messages={"idle_reset": "x" * MAX_REPLY_CHARS}),
    ],
    ids=["text at the limit, placeholders beyond", "50 choices, a label at the limit", "message at the limit"],
)
def test_text_at_the_limits_is_accepted(document: Any) -> None:
    """The limits are inclusive, and placeholders count only when rendered."""
    assert validate(document) == []


def migrating(**extra: Any) -> dict[str, Any]:
    """Version 2.1.0 of a flow asking a first name where 2.0's asked a name, and greeting."""
    steps = {
        "ask_first_name": {"ask": "What is your first name?", "save": "first_name", "next": "greet"},
        "greet": {"say": "Hello, {first_name}"},
    }
    return {**flow(steps, start="ask_first_name"), "version": "2.1.0", **extra}


def http_version(**extra: Any) -> dict[str, Any]:
    return {
        "bot": "demo",
        "version": "2.1.0",
        "runtime": "http",
        "http": {"url": "http://127.0.0.1:9001/turn"},
        **extra,
    }


@pytest.mark.parametrize(
    "document",
    [
        migrating(resumes=">=2.0,<2.1"),
        migrating(resumes=">=2.0,<2.1", resume_at={"ask_name": "ask_first_name"}),
        migrating(resumes="<2.1", resume_at={"ask_name": "ask_first_name", "ask_nickname": "ask_first_name"}),
        migrating(resumes=">=2.0,<2.1", resume_at={}),
        reactor(version="1.1.0", resumes="==1.0.0"),
        http_version(resumes=">=2.0,<2.1"),
    ],
    ids=["resumes", "resume_at", "two steps to one", "empty resume_at", "reactor", "http"],
)
def test_resumes_and_resume_at_are_valid(document: dict[str, Any]) -> None:
    """A specifier of older versions, and a map from old steps to questions of this version, are accepted."""
    assert validate(document) == []


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        (migrating(resumes="latest"), "resumes", "is not a version specifier"),
        (migrating(resumes="2.0"), "resumes", "is not a version specifier"),
        (migrating(resumes=2.0), "resumes", "must be a version specifier as a string"),
        (migrating(resumes=""), "resumes", "must be a version specifier as a string"),
        (migrating(resumes=">=2.0"), "resumes", "includes 2.1.0, which is not older than 2.1.0"),
        (migrating(resumes="==2.2.0"), "resumes", "includes 2.2.0, which is not older than 2.1.0"),
        (http_version(resumes="!=2.0.0"), "resumes", "which is not older than 2.1.0"),
        (migrating(resume_at={"ask_name": "ask_first_name"}), "resume_at", "add resumes, e.g. '>=2.0,<2.1'"),
        (migrating(resumes="<2.1", resume_at=["ask_name"]), "resume_at", "must be a mapping of old step"),
        (migrating(resumes="<2.1", resume_at="ask_first_name"), "resume_at", "not a string"),
        (
            migrating(resumes="<2.1", resume_at={"ask_name": "ask_surname"}),
            "resume_at.ask_name",
            "names no step of this version: 'ask_surname'",
        ),
        (migrating(resumes="<2.1", resume_at={"ask_name": 3}), "resume_at.ask_name", "names no step of this version"),
        (
            migrating(resumes="<2.1", resume_at={"ask_name": "greet"}),
            "resume_at.ask_name",
            "greet is not a question: a conversation resumes where it waits for an answer",
        ),
        (migrating(resumes="<2.1", resume_at={"ask name": "ask_first_name"}), "resume_at.ask name", "step names"),
        (migrating(resumes="<2.1", resume_at={1: "ask_first_name"}), "resume_at.1", "step names are letters"),
        (
            reactor(version="1.1.0", resumes="<1.1", resume_at={"ask_name": "ask"}),
            "resume_at.ask_name",
            "names no step of this version",
        ),
        (
            http_version(resumes="<2.1", resume_at={"ask_name": "ask_first_name"}),
            "resume_at",
            "resume_at belongs to flow versions; a http version's logic is in its http block",
        ),
    ],
    ids=[
        "not a specifier",
        "a bare version",
        "a number",
        "empty",
        "itself",
        "a newer version",
        "a newer version (http)",
        "resume_at without resumes",
        "resume_at a list",
        "resume_at a string",
        "target not a step",
        "target not a name",
        "target a say",
        "old step not a step name",
        "old step not a string",
        "a reactor has no steps",
        "resume_at on http",
    ],
)
def test_resumes_and_resume_at_problems_are_reported_at_their_paths(document: Any, path: str, message: str) -> None:
    """A bad or forward-reaching specifier, and a resume_at a conversation could not continue at, are refused."""
    problems = validate(document)
    assert any(problem.path == path and message in problem.message for problem in problems), problems


def test_a_stored_version_keeps_its_resumes_for_routing() -> None:
    """load_version keeps the document, so the registry copies `resumes` into the version's metadata."""
    assert load_version(migrating(resumes=">=2.0,<2.1")).document["resumes"] == ">=2.0,<2.1"
