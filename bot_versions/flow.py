"""The `flow` runtime: runs a definition's steps one turn at a time, over plain JSON state.

State while a question waits for its answer: `{"step": <ask step>, "payload": {<saved
names>}, "prompt": <the question as it was asked>}`; keeping the prompt lets a retry or a
reprompt repeat the question exactly, `{text}` and `{user}` included. Any other state (empty,
or naming a step this version does not ask) starts a new conversation from `start`. When a
conversation ends the state is `{}`.

Templates render within the reply limits (`bot_versions.limits`): a turn whose replies would pass
them fails with BotFailed (`reply_too_large`) as soon as they do, before the long text is built.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from bot_versions.answers import parse_boolean, parse_choice, parse_number
from bot_versions.calls import Caller, CallFailed
from bot_versions.errors import BotFailed
from bot_versions.flow_checks import DEFAULT_CALL_TIMEOUT, MAX_URL_CHARS
from bot_versions.limits import MAX_REPLY_CHARS, replies_problem
from bot_versions.model import BotVersion
from bot_versions.problems import is_number
from bot_versions.runtime import Activity, Conversation, Reply, State, TurnResult
from bot_versions.templates import Path, Template, TextTooLong, lookup, parse_path, parse_template
from bot_versions.url_segments import path_segment
from bot_versions.validation import validate

log = structlog.get_logger("botgate.flow")

DEFAULT_RETRY = "Sorry, I did not understand that."
CALL_APOLOGY = "Sorry, I cannot do that right now. Please try again later."
RUNAWAY_APOLOGY = "Sorry, something went wrong on my side. Let's start over."
# validation forbids loops without an ask; this guards against anything it missed
MAX_STEPS_PER_TURN = 1000


@dataclass(frozen=True, slots=True)
class Say:
    """A statement; the turn goes on to `next`."""

    text: Template
    next: str | None


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a choice question, with the step it leads to (None: the question's `next`)."""

    label: str
    next: str | None


@dataclass(frozen=True, slots=True)
class Ask:
    """A question; the turn stops here until the answer comes."""

    question: Template
    expect: str
    save: str | None
    retry: Template
    next: str | None
    choices: tuple[Choice, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(choice.label for choice in self.choices)


@dataclass(frozen=True, slots=True)
class Condition:
    """One test of a payload value: `op` is one of eq ne gt gte lt lte in present."""

    path: Path
    op: str
    operand: Any


@dataclass(frozen=True, slots=True)
class Rule:
    """A branch entry: go to `next` when every condition holds."""

    conditions: tuple[Condition, ...]
    next: str


@dataclass(frozen=True, slots=True)
class Branch:
    """The first rule that holds picks the next step, else `otherwise`."""

    rules: tuple[Rule, ...]
    otherwise: str | None


@dataclass(frozen=True, slots=True)
class Call:
    """An HTTP request through the Caller; its answer is saved, a failure goes to `on_error`."""

    method: str
    url: Template
    save: str | None
    timeout: float
    next: str | None
    on_error: str | None


Step = Say | Ask | Branch | Call


class FlowRuntime:
    """Runs a `flow` definition: a one-line reactor (`reply`), or steps from `start`."""

    repeats_replies = False  # it can ask its last question again from the state

    def __init__(self, version: BotVersion, caller: Caller) -> None:
        problems = validate(version.document)
        if problems:
            listed = "; ".join(f"{problem.path}: {problem.message}" for problem in problems)
            raise ValueError(f"{version.bot} {version.version} is not a valid flow: {listed}")
        document = version.document
        self._bot, self._version = version.bot, version.version
        self._caller = caller
        self._reply = parse_template(document["reply"]) if "reply" in document else None
        self._start: str = document.get("start", "")
        self._steps = {name: _compile(step) for name, step in document.get("steps", {}).items()}
        self._resume_at: dict[str, str] = dict(document.get("resume_at", {}))
        # A flow is a pure function of its state and the message, unless a `call` step reaches out.
        self.replayable = not any(isinstance(step, Call) for step in self._steps.values())

    async def turn(self, state: State, activity: Activity, conversation: Conversation | None = None) -> TurnResult:
        """Answer one message: start a conversation, or read the answer to the waiting question."""
        if self._reply is not None:
            return TurnResult(_said([], Reply(_render(self._reply, _values({}, activity)))), {}, done=True)
        waiting = self._waiting(state)
        if waiting is None:
            return await self._run(self._start, {}, activity)
        ask, payload, prompt = waiting
        answer = _read_answer(ask, activity.text)
        if answer is None:
            retry = _said([], Reply(_render(ask.retry, _values(payload, activity))))
            return TurnResult(_said(retry, Reply(prompt, ask.labels)), dict(state), done=False)
        value, next_step = answer
        payload = dict(payload)
        if ask.save:
            payload[ask.save] = value
        return await self._run(next_step, payload, activity)

    def reprompt(self, state: State) -> list[Reply]:
        """The waiting question again, as it was asked; nothing when no question waits."""
        waiting = self._waiting(state)
        if waiting is None:
            return []
        ask, _, prompt = waiting
        return [Reply(prompt, ask.labels)]

    async def migrate(
        self, state: State, from_version: str, activity: Activity, conversation: Conversation | None = None
    ) -> State | None:
        """An older version's conversation carried on here: its saved values, waiting at the question `resume_at`
        maps its step to (or the question of the same name); None when this version has no such question."""
        step, payload = state.get("step"), state.get("payload")
        if not isinstance(step, str) or not isinstance(payload, dict):
            return None
        target = self._resume_at.get(step, step)
        ask = self._steps.get(target)
        if not isinstance(ask, Ask):
            return None
        prompt = _render(ask.question, _values(payload, activity))
        return {"step": target, "payload": dict(payload), "prompt": prompt}

    def _waiting(self, state: State) -> tuple[Ask, dict[str, Any], str] | None:
        name, payload, prompt = state.get("step"), state.get("payload"), state.get("prompt")
        step = self._steps.get(name) if isinstance(name, str) else None
        if isinstance(step, Ask) and isinstance(payload, dict) and isinstance(prompt, str):
            return step, payload, prompt
        return None

    async def _run(self, name: str | None, payload: dict[str, Any], activity: Activity) -> TurnResult:
        replies: list[Reply] = []
        values = _values(payload, activity)
        failed_calls = 0
        for _ in range(MAX_STEPS_PER_TURN):
            if name is None:
                return TurnResult(replies, {}, done=True, failed_calls=failed_calls)
            step = self._steps[name]
            if isinstance(step, Say):
                _said(replies, Reply(_render(step.text, values)))
                name = step.next
            elif isinstance(step, Ask):
                prompt = _render(step.question, values)
                _said(replies, Reply(prompt, step.labels))
                state = {"step": name, "payload": payload, "prompt": prompt}
                return TurnResult(replies, state, done=False, failed_calls=failed_calls)
            elif isinstance(step, Branch):
                name = _choose(step, values)
            else:
                try:
                    url = step.url.render(values, quote=path_segment, limit=MAX_URL_CHARS)
                    result = await self._caller(step.method, url, step.timeout)
                except (CallFailed, TextTooLong) as exc:  # a URL past the limit is refused like an unreachable one
                    # CallFailed names the method and host, never the path or query (they may carry keys)
                    reason = (
                        str(exc) if isinstance(exc, CallFailed) else f"the URL would pass {MAX_URL_CHARS} characters"
                    )
                    log.warning("call_failed", bot=self._bot, version=self._version, step=name, reason=reason)
                    failed_calls += 1
                    if step.on_error is None:
                        _said(replies, Reply(CALL_APOLOGY))
                    name = step.on_error
                    continue
                if step.save:
                    payload[step.save] = result
                name = step.next
        _said(replies, Reply(RUNAWAY_APOLOGY))
        return TurnResult(replies, {}, done=True, failed_calls=failed_calls)


def _render(template: Template, values: Mapping[str, Any]) -> str:
    """A reply's text, or BotFailed as soon as it passes MAX_REPLY_CHARS (the long text is never built)."""
    try:
        return template.render(values, limit=MAX_REPLY_CHARS)
    except TextTooLong:
        raise _too_large(f"a reply would have more than {MAX_REPLY_CHARS} characters") from None


def _said(replies: list[Reply], reply: Reply) -> list[Reply]:
    """Add a reply to the turn's, failing the turn as soon as they pass a limit (a loop of says stops at once)."""
    replies.append(reply)
    problem = replies_problem(replies)
    if problem is not None:
        raise _too_large(problem)
    return replies


def _too_large(problem: str) -> BotFailed:
    return BotFailed(f"the bot's replies are over the reply limits: {problem}", reason="reply_too_large")


def _values(payload: dict[str, Any], activity: Activity) -> Mapping[str, Any]:
    # a view, not a copy: names saved by `call` steps become visible to the steps after them
    return ChainMap({"text": activity.text, "user": activity.user}, payload)


def _read_answer(ask: Ask, text: str) -> tuple[Any, str | None] | None:
    value: Any
    if ask.expect == "choice":
        index = parse_choice(text, ask.labels)
        if index is None:
            return None
        choice = ask.choices[index]
        return choice.label, choice.next or ask.next
    if ask.expect == "boolean":
        value = parse_boolean(text)
    elif ask.expect == "number":
        value = parse_number(text)
    else:
        value = text.strip() or None
    return None if value is None else (value, ask.next)


def _choose(branch: Branch, values: Mapping[str, Any]) -> str | None:
    for rule in branch.rules:
        if all(_holds(condition, lookup(values, condition.path)) for condition in rule.conditions):
            return rule.next
    return branch.otherwise


def _holds(condition: Condition, value: Any) -> bool:
    op, operand = condition.op, condition.operand
    if op == "present":
        return (value is not None) is operand
    if op == "eq":
        return _equal(value, operand)
    if op == "ne":
        return not _equal(value, operand)
    if op == "in":
        return any(_equal(value, item) for item in operand)
    if not is_number(value):
        return False
    if op == "gt":
        return bool(value > operand)
    if op == "gte":
        return bool(value >= operand)
    if op == "lt":
        return bool(value < operand)
    return bool(value <= operand)


def _equal(value: Any, operand: Any) -> bool:
    # Python says True == 1; a definition comparing with 1 does not mean "yes"
    return isinstance(value, bool) == isinstance(operand, bool) and bool(value == operand)


def _compile(step: dict[str, Any]) -> Step:
    if "say" in step:
        return Say(parse_template(step["say"]), step.get("next"))
    if "ask" in step:
        choices = tuple(Choice(choice["label"], choice.get("next")) for choice in step.get("choices", ()))
        return Ask(
            question=parse_template(step["ask"]),
            expect=step.get("expect", "text"),
            save=step.get("save"),
            retry=parse_template(step.get("retry", DEFAULT_RETRY)),
            next=step.get("next"),
            choices=choices,
        )
    if "branch" in step:
        rules = tuple(Rule(_conditions(rule["if"]), rule["next"]) for rule in step["branch"])
        return Branch(rules, step.get("else"))
    call = step["call"]
    return Call(
        method=call.get("method", "GET"),
        url=parse_template(call["url"]),
        save=call.get("save"),
        timeout=float(call.get("timeout", DEFAULT_CALL_TIMEOUT)),
        next=step.get("next"),
        on_error=step.get("on_error"),
    )


def _conditions(tests: dict[str, Any]) -> tuple[Condition, ...]:
    conditions: list[Condition] = []
    for key, test in tests.items():
        path = parse_path(key)
        if isinstance(test, dict):
            conditions.extend(Condition(path, op, operand) for op, operand in test.items())
        else:
            conditions.append(Condition(path, "eq", test))
    return tuple(conditions)
