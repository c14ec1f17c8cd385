"""Validation of bot definitions: every problem reported at once, each with its path in the document.

`validate` checks the document-level keys here and the steps in `flow_checks`; the names that
templates and conditions read are checked last, once every `save` is known.
"""

from __future__ import annotations

from typing import Any

from bot_versions.errors import Invalid
from bot_versions.flow_checks import STEP_NAME, FlowChecker
from bot_versions.model import (
    BotVersion,
    IdlePolicy,
    IdlePolicyKind,
    Messages,
    canonical_version,
    is_valid_bot_name,
    parse_version,
)
from bot_versions.problems import Problem, Report, is_number, join, kind_of, listing, short
from bot_versions.resumes import resumes_problem
from bot_versions.runtime_checks import UPSTREAM_KEYS, StoreRules, check_runtime, runtime_of

__all__ = ["Problem", "StoreRules", "load_version", "validate"]

TOP_LEVEL_KEYS = (
    "bot", "version", "runtime", "description", "idle", "messages", "resumes", "resume_at", "reply", "start", "steps",
    *UPSTREAM_KEYS,
)  # fmt: skip
IDLE_KEYS = ("after", "policy")
IDLE_POLICIES = tuple(kind.value for kind in IdlePolicyKind)
MAX_IDLE_SECONDS = 365 * 24 * 3600


def validate(document: Any, rules: StoreRules | None = None) -> list[Problem]:
    """Every problem of a definition; an empty list when it is valid. `rules`: this deployment's, when storing."""
    if not isinstance(document, dict):
        return [Problem("", f"a definition must be a mapping, not {kind_of(document)}")]
    report = Report()
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            report.add(str(key), f"unknown key; a definition has {listing(TOP_LEVEL_KEYS)}")
    _check_bot(report, document)
    _check_version(report, document)
    check_runtime(report, document, rules)
    if "description" in document and not isinstance(document["description"], str):
        report.add("description", f"must be a string, not {kind_of(document['description'])}")
    if "idle" in document:
        _check_idle(report, document["idle"])
    if "messages" in document:
        _check_messages(report, document["messages"])
    if "resumes" in document:
        _check_resumes(report, document)
    if runtime_of(document) == "flow":
        _check_behaviour(report, document)
        if "resume_at" in document:
            _check_resume_at(report, document)
    report.check_reads()
    return report.problems


def load_version(document: Any, rules: StoreRules | None = None) -> BotVersion:
    """The BotVersion a definition describes; raise Invalid with every problem in `details`."""
    problems = validate(document, rules)
    if problems:
        raise Invalid("definition is invalid", details=[problem.to_json() for problem in problems])
    idle = document.get("idle")
    policy = IdlePolicy()
    if idle is not None:
        policy = IdlePolicy(IdlePolicyKind(idle["policy"]), after_ms=int(idle.get("after", 0) * 1000))
    return BotVersion(
        bot=document["bot"],
        version=canonical_version(document["version"]),
        runtime=document.get("runtime", "flow"),
        document=document,
        idle=policy,
        messages=Messages(**document.get("messages", {})),
    )


def _check_behaviour(report: Report, document: dict[str, Any]) -> None:
    has_reply = "reply" in document
    has_steps = "start" in document or "steps" in document
    if has_reply and has_steps:
        report.add("reply", "a definition has either reply or start and steps, not both")
    if not has_reply and not has_steps:
        report.add("", "missing reply or start and steps: a bot needs one of them")
    if has_reply:
        report.template("reply", document["reply"])
    if has_steps:
        FlowChecker(report, document).check()


def _check_resumes(report: Report, document: dict[str, Any]) -> None:
    version = document.get("version")
    if isinstance(version, str):
        problem = resumes_problem(document["resumes"], version)
        if problem is not None:
            report.add("resumes", problem)


def _check_resume_at(report: Report, document: dict[str, Any]) -> None:
    """`resume_at` maps steps of the resumed versions to questions of this one, where their conversations go on."""
    mapping = document["resume_at"]
    if "resumes" not in document:
        report.add("resume_at", "maps steps of the versions this one resumes: add resumes, e.g. '>=2.0,<2.1'")
    if not isinstance(mapping, dict):
        report.add("resume_at", f"must be a mapping of old step -> step of this version, not {kind_of(mapping)}")
        return
    steps: dict[str, Any] = document["steps"] if isinstance(document.get("steps"), dict) else {}
    for old, new in mapping.items():
        path = join("resume_at", old)
        if not isinstance(old, str) or not STEP_NAME.match(old):  # a Python caller's dict may have any keys
            report.add(path, "step names are letters, digits, '_' and '-', at most 64 characters")
        if not isinstance(new, str) or new not in steps:
            report.add(path, f"names no step of this version: {short(new)}")
        elif not isinstance(steps[new], dict) or "ask" not in steps[new]:
            report.add(path, f"{new} is not a question: a conversation resumes where it waits for an answer")


def _check_bot(report: Report, document: dict[str, Any]) -> None:
    if "bot" not in document:
        report.add("bot", "missing bot: the bot's name, a lowercase slug such as greeter")
        return
    bot = document["bot"]
    if not isinstance(bot, str) or not is_valid_bot_name(bot):
        report.add(
            "bot",
            f"{short(bot)} is not a bot name: lowercase letters, digits, '-' and '_',"
            " starting with a letter or digit, at most 63 characters",
        )


def _check_version(report: Report, document: dict[str, Any]) -> None:
    if "version" not in document:
        report.add("version", "missing version, e.g. 1.0.0")
        return
    version = document["version"]
    if not isinstance(version, str):
        # YAML reads `version: 1.0` as a number, which would silently become 1.0 or 1
        hint = ' (in YAML, quote it: "1.0")' if is_number(version) else ""
        report.add("version", f"must be a string such as 1.0.0, not {kind_of(version)}{hint}")
        return
    try:
        parse_version(version)
    except ValueError as exc:
        report.add("version", str(exc))


def _check_idle(report: Report, idle: Any) -> None:
    if not isinstance(idle, dict):
        report.add("idle", f"must be a mapping {{after: seconds, policy: reset | ask | none}}, not {kind_of(idle)}")
        return
    report.unknown_keys("idle", idle, IDLE_KEYS, "idle has")
    policy = idle.get("policy")
    if "policy" not in idle:
        report.add("idle.policy", f"missing policy: one of {listing(IDLE_POLICIES)}")
    elif policy not in IDLE_POLICIES:
        report.add("idle.policy", f"must be one of {listing(IDLE_POLICIES)}, not {short(policy)}")
    if "after" in idle:
        after = idle["after"]
        # the bound keeps after_ms a sane integer; below a millisecond it would round to 0
        if not is_number(after) or not 0 < after <= MAX_IDLE_SECONDS or int(after * 1000) < 1:
            report.add("idle.after", f"must be a number of seconds, at least 0.001 and at most {MAX_IDLE_SECONDS}")
    elif policy in ("reset", "ask"):
        report.add("idle.after", "missing after: the seconds of silence before the policy applies")


def _check_messages(report: Report, messages: Any) -> None:
    known = Messages.field_names()
    if not isinstance(messages, dict):
        report.add("messages", f"must be a mapping of message names ({listing(known)}) to text")
        return
    for key, value in messages.items():
        path = join("messages", key)
        if key not in known:
            report.add(path, f"unknown message; the messages are {listing(known)}")
        else:
            report.message(path, value)
