"""Checks of a flow's `start` and `steps`: step kinds and keys, links, choices, branches, calls, reachability, loops."""

from __future__ import annotations

import re
from typing import Any

from bot_versions.limits import MAX_CHOICE_CHARS, MAX_CHOICES
from bot_versions.problems import Report, is_number, join, kind_of, listing, short
from bot_versions.templates import Template, parse_path

STEP_KINDS = ("say", "ask", "branch", "call")
STEP_KEYS = {
    "say": ("say", "next"),
    "ask": ("ask", "expect", "save", "retry", "choices", "next"),
    "branch": ("branch", "else"),
    "call": ("call", "next", "on_error"),
}
STEP_LINKS = ("next", "else", "on_error")
CHOICE_KEYS = ("label", "next")
RULE_KEYS = ("if", "next")
CALL_KEYS = ("method", "url", "save", "timeout")
EXPECTS = ("text", "number", "boolean", "choice")
METHODS = ("GET", "POST", "PUT", "DELETE")
NUMBER_OPS = ("gt", "gte", "lt", "lte")
OPS = ("eq", "ne", *NUMBER_OPS, "in", "present")
MAX_STEPS = 1000
DEFAULT_CALL_TIMEOUT = 5.0
MAX_CALL_TIMEOUT = 30.0
MAX_URL_CHARS = 8192  # a call's URL as rendered; longer is refused like an unreachable host (on_error)
STEP_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
# the host must be written out, so that no answer can choose where a call goes
URL_HEAD = re.compile(r"https?://[^/?#@\s]+(?=[/?#]|\Z)", re.IGNORECASE)


class FlowChecker:
    """Checks the steps of one definition into a shared Report."""

    def __init__(self, report: Report, document: dict[str, Any]) -> None:
        self.report = report
        self.add = report.add
        self.document = document
        steps = document.get("steps")
        self.steps: dict[str, Any] = steps if isinstance(steps, dict) else {}
        self.kinds: dict[str, str] = {}
        self.links: dict[str, list[str]] = {}

    def check(self) -> None:
        """Check start and every step, then the shape of the graph they form."""
        doc = self.document
        if "steps" not in doc:
            self.add("steps", "missing steps: a mapping of step names to steps")
        elif not isinstance(doc["steps"], dict):
            self.add("steps", f"must be a mapping of step names to steps, not {kind_of(doc['steps'])}")
        elif not self.steps:
            self.add("steps", "must have at least one step")
        elif len(self.steps) > MAX_STEPS:
            self.add("steps", f"has {len(self.steps)} steps; at most {MAX_STEPS} are allowed")
        for name, step in self.steps.items():
            self.check_step(name, step)
        start = doc.get("start")
        if "start" not in doc:
            self.add("start", "missing start: the name of the first step")
        elif not isinstance(start, str):
            self.add("start", f"must be a step name, not {kind_of(start)}")
        elif self.steps and start not in self.steps:
            self.add("start", f"names no step: {start!r}")
        if isinstance(start, str) and start in self.steps:
            self.check_reachable(start)
        self.check_loops()

    def check_step(self, name: str, step: Any) -> None:
        path = join("steps", name)
        self.links[name] = []
        if not isinstance(name, str) or not STEP_NAME.match(name):
            self.add(path, "step names are letters, digits, '_' and '-', at most 64 characters")
        if not isinstance(step, dict):
            self.add(path, f"a step must be a mapping with one of {listing(STEP_KINDS)}, not {kind_of(step)}")
            return
        kinds = [kind for kind in STEP_KINDS if kind in step]
        if len(kinds) != 1:
            found = " and ".join(kinds) if kinds else f"none (keys: {listing(step) or 'none'})"
            self.add(path, f"unknown step kind: a step has exactly one of {listing(STEP_KINDS)}; found {found}")
            # keep its links, so the steps it leads to are not also reported unreachable
            links = (step.get(key) for key in STEP_LINKS)
            self.links[name] = [link for link in links if isinstance(link, str) and link in self.steps]
            return
        kind = kinds[0]
        self.kinds[name] = kind
        self.report.unknown_keys(path, step, STEP_KEYS[kind], f"a {kind} step has")
        for key in STEP_LINKS:
            if key in step and key in STEP_KEYS[kind]:
                self.link(name, join(path, key), step[key])
        if kind == "say":
            self.report.template(join(path, "say"), step["say"])
        elif kind == "ask":
            self.check_ask(name, path, step)
        elif kind == "branch":
            self.check_branch(name, join(path, "branch"), step["branch"])
        else:
            self.check_call(join(path, "call"), step["call"])

    def check_ask(self, name: str, path: str, step: dict[str, Any]) -> None:
        self.report.template(join(path, "ask"), step["ask"])
        expect = step.get("expect", "text")
        if expect not in EXPECTS:
            self.add(join(path, "expect"), f"must be one of {listing(EXPECTS)}, not {short(expect)}")
        if "save" in step:
            self.report.save(join(path, "save"), step["save"])
        if "retry" in step:
            self.report.template(join(path, "retry"), step["retry"])
        choices_path = join(path, "choices")
        if expect == "choice":
            self.check_choices(name, choices_path, step.get("choices"))
        elif "choices" in step:
            self.add(choices_path, "choices are only for questions with expect: choice")

    def check_choices(self, name: str, path: str, choices: Any) -> None:
        if not isinstance(choices, list) or not choices:
            self.add(path, "a choice question needs a non-empty list of choices, each {label, next}")
            return
        if len(choices) > MAX_CHOICES:
            self.add(path, f"has {len(choices)} choices; a question has at most {MAX_CHOICES}")
        seen: set[str] = set()
        for index, choice in enumerate(choices):
            choice_path = f"{path}[{index}]"
            if not isinstance(choice, dict):
                self.add(choice_path, f"a choice must be a mapping {{label, next}}, not {kind_of(choice)}")
                continue
            self.report.unknown_keys(choice_path, choice, CHOICE_KEYS, "a choice has")
            label_path = join(choice_path, "label")
            if "label" not in choice:
                self.add(label_path, "missing label: the text of the choice")
            elif self.report.text(label_path, choice["label"]):
                if len(choice["label"]) > MAX_CHOICE_CHARS:
                    self.add(label_path, f"has {len(choice['label'])} characters; at most {MAX_CHOICE_CHARS}")
                folded = choice["label"].strip().casefold()
                if folded in seen:
                    self.add(label_path, f"duplicate label {choice['label']!r} (labels are compared ignoring case)")
                seen.add(folded)
            if "next" in choice:
                self.link(name, join(choice_path, "next"), choice["next"])

    def check_branch(self, name: str, path: str, rules: Any) -> None:
        if not isinstance(rules, list) or not rules:
            self.add(path, "must be a non-empty list of {if: {name: value}, next: step}")
            return
        for index, rule in enumerate(rules):
            rule_path = f"{path}[{index}]"
            if not isinstance(rule, dict):
                self.add(rule_path, f"must be a mapping {{if: {{name: value}}, next: step}}, not {kind_of(rule)}")
                continue
            self.report.unknown_keys(rule_path, rule, RULE_KEYS, "a branch entry has")
            if "if" in rule:
                self.check_conditions(join(rule_path, "if"), rule["if"])
            else:
                self.add(join(rule_path, "if"), "missing if: the conditions to test")
            if "next" in rule:
                self.link(name, join(rule_path, "next"), rule["next"])
            else:
                self.add(join(rule_path, "next"), "missing next: the step to go to when the conditions hold")

    def check_conditions(self, path: str, conditions: Any) -> None:
        if not isinstance(conditions, dict) or not conditions:
            self.add(path, "must be a non-empty mapping of names to a value, or to {operator: value}")
            return
        for key, test in conditions.items():
            key_path = join(path, key)
            try:
                self.report.reads.append((key_path, frozenset({parse_path(str(key))[0]}), "%s"))
            except ValueError as exc:
                self.add(key_path, str(exc))
            if isinstance(test, dict):
                self.check_operators(key_path, test)

    def check_operators(self, path: str, test: dict[str, Any]) -> None:
        if not test:
            self.add(path, f"needs at least one operator: {listing(OPS)}")
        for op, operand in test.items():
            op_path = join(path, op)
            if op not in OPS:
                self.add(op_path, f"unknown operator; the operators are {listing(OPS)}")
            elif op in NUMBER_OPS and not is_number(operand):
                self.add(op_path, f"{op} compares numbers, so it needs a number, not {kind_of(operand)}")
            elif op == "in" and not isinstance(operand, list):
                self.add(op_path, f"in needs a list of values, not {kind_of(operand)}")
            elif op == "present" and not isinstance(operand, bool):
                self.add(op_path, f"present needs true or false, not {kind_of(operand)}")

    def check_call(self, path: str, call: Any) -> None:
        if not isinstance(call, dict):
            self.add(path, f"must be a mapping {{method, url, save, timeout}}, not {kind_of(call)}")
            return
        self.report.unknown_keys(path, call, CALL_KEYS, "a call has")
        method = call.get("method", "GET")
        if method not in METHODS:
            self.add(join(path, "method"), f"must be one of {listing(METHODS)}, not {short(method)}")
        url_path = join(path, "url")
        if "url" not in call:
            self.add(url_path, "missing url: where the call goes, e.g. http://zip.example/{city}")
        else:
            url = self.report.template(url_path, call["url"], limit=MAX_URL_CHARS)
            if url is not None:
                self.check_url(url_path, url)
        if "save" in call:
            self.report.save(join(path, "save"), call["save"])
        timeout = call.get("timeout", DEFAULT_CALL_TIMEOUT)
        if not is_number(timeout) or not 0 < timeout <= MAX_CALL_TIMEOUT:
            self.add(join(path, "timeout"), f"must be a number of seconds above 0 and at most {MAX_CALL_TIMEOUT:g}")

    def check_url(self, path: str, url: Template) -> None:
        head = url.parts[0] if url.parts and isinstance(url.parts[0], str) else ""
        match = URL_HEAD.match(head)
        if match is None:
            self.add(
                path, "must be an http:// or https:// URL that starts with its host, e.g. http://zip.example/{city}"
            )
        elif match.end() == len(head) and len(url.parts) > 1:
            self.add(
                path, "the host must be written out: placeholders may only follow it, e.g. http://zip.example/{city}"
            )

    def check_reachable(self, start: str) -> None:
        seen = _reachable(self.links, [start])
        for name in self.steps:
            if name not in seen:
                self.add(join("steps", name), "unreachable: no path from start leads to this step")

    def check_loops(self) -> None:
        # a loop of steps that never waits for an answer would run forever within one turn
        quiet = [name for name, kind in self.kinds.items() if kind != "ask"]
        graph = {name: [t for t in self.links[name] if self.kinds.get(t, "ask") != "ask"] for name in quiet}
        reach = {name: _reachable(graph, graph[name]) for name in quiet}
        reported: set[str] = set()
        for name in quiet:
            if name in reach[name] and name not in reported:
                loop = [other for other in quiet if other in reach[name] and name in reach[other]]
                reported.update(loop)
                self.add(
                    join("steps", name),
                    f"steps {listing(loop)} form a loop with no ask in it, so a turn would never end",
                )

    def link(self, name: str, path: str, target: Any) -> None:
        if not isinstance(target, str):
            self.add(path, f"must be a step name, not {kind_of(target)}")
        elif target not in self.steps:
            self.add(path, f"names no step: {target!r}")
        else:
            self.links[name].append(target)


def _reachable(graph: dict[str, list[str]], first: list[str]) -> set[str]:
    """Every node reachable from `first` (which is included)."""
    seen = set(first)
    todo = list(first)
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen
