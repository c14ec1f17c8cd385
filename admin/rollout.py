"""Checking a rollout and a pin against a bot's versions, as plain functions over plain data."""

from __future__ import annotations

import itertools
from typing import Any

from packaging.version import Version

from admin.requests import fields_of, problem, version_text
from bot_versions.errors import Invalid
from bot_versions.model import Status
from bot_versions.problems import is_number, short
from bot_versions.state import BotState, Canary, Guard, Rollout
from middleware.routing import BUCKETS

ROLLOUT_FIELDS = ("stable", "canary")
CANARY_FIELDS = ("version", "percent", "guard", "steps", "hold")
GUARD_FIELDS = ("max_error_rate_increase", "max_completion_drop", "min_conversations", "window")
# Set by the gateway and shown by GET; a PUT may carry them back (a GET body edited and sent again): ignored.
READ_ONLY = {"rollout": ("last_guard",), "canary": ("since",)}
WINDOW_S = (60, 48 * 3600)  # the health buckets are per minute and kept 48 hours
DEFAULT_HOLD_S = 600
PIN_FIELDS = ("version",)
NULL_MEANS = {"stable": "the highest published release", "canary": "no canary"}
STEPS = BUCKETS // 100  # buckets per percent: the finest share a canary can take is 1/STEPS of a percent

Problems = list[dict[str, str]]


def parse_rollout(data: Any, state: BotState) -> Rollout:
    """The rollout a PUT body asks for; raise Invalid listing every problem (named versions must be published)."""
    body = fields_of(data, ROLLOUT_FIELDS + READ_ONLY["rollout"], "a rollout")
    problems: Problems = [
        problem(name, f"is required; null means {NULL_MEANS[name]}") for name in ROLLOUT_FIELDS if name not in body
    ]
    stable = None
    if body.get("stable") is not None:
        stable = _published(body["stable"], "stable", state, problems)
    canary = _canary(body.get("canary"), state, problems)
    if problems:
        raise Invalid("the rollout is invalid", details=problems)
    return Rollout(stable=stable, canary=canary)


def parse_pin(data: Any, state: BotState) -> str:
    """The version a pin names: any stored version, drafts included (that is how testers try one)."""
    body = fields_of(data, PIN_FIELDS, "a pin")
    problems: Problems = []
    version = version_text(body.get("version"), "version", problems)
    meta = state.versions.get(version) if version is not None else None
    if version is not None and meta is None:
        problems.append(problem("version", f"{state.bot} has no version {version}; stored: {_listing(state, None)}"))
    elif meta is not None and meta.status is Status.UNPUBLISHED:
        problems.append(problem("version", f"{state.bot} {version} is unpublished; pin a draft or a published version"))
    if problems or version is None:
        raise Invalid("the pin is invalid", details=problems)
    return version


def _canary(value: Any, state: BotState, problems: Problems) -> Canary | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(problem("canary", "must be an object {version, percent[, guard, steps, hold]}, or null"))
        return None
    problems.extend(
        problem(f"canary.{key}", f"unknown field; a canary has {', '.join(CANARY_FIELDS)}")
        for key in value
        if key not in CANARY_FIELDS + READ_ONLY["canary"]
    )
    version = _published(value.get("version"), "canary.version", state, problems)
    percent = _percent(value.get("percent"), "canary.percent", problems)
    guard = _guard(value.get("guard"), problems)
    steps = _steps(value.get("steps"), problems)
    hold = _hold(value.get("hold"), steps, problems)
    if version is None or percent is None:
        return None
    return Canary(version=version, percent=percent, guard=guard, steps=steps, hold=hold)


def _guard(value: Any, problems: Problems) -> Guard | None:
    """A canary's guard; each field may be left out for its default (docs/guard.md)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(problem("canary.guard", f"must be an object with {', '.join(GUARD_FIELDS)}, or null"))
        return None
    before = len(problems)
    problems.extend(
        problem(f"canary.guard.{key}", f"unknown field; a guard has {', '.join(GUARD_FIELDS)}")
        for key in value
        if key not in GUARD_FIELDS
    )
    default = Guard()
    guard = Guard(
        max_error_rate_increase=_rate(value, "max_error_rate_increase", default.max_error_rate_increase, problems),
        max_completion_drop=_rate(value, "max_completion_drop", default.max_completion_drop, problems),
        min_conversations=_whole(value, "min_conversations", default.min_conversations, (1, None), problems),
        window=_whole(value, "window", default.window, WINDOW_S, problems),
    )
    return guard if len(problems) == before else None


def _rate(guard: dict[str, Any], key: str, default: float, problems: Problems) -> float:
    value = guard.get(key, default)
    if not is_number(value) or not 0 <= value <= 1:
        problems.append(
            problem(f"canary.guard.{key}", f"must be a number from 0 to 1 (0.02 is 2 points), not {short(value)}")
        )
        return default
    return float(value)


def _whole(guard: dict[str, Any], key: str, default: int, bounds: tuple[int, int | None], problems: Problems) -> int:
    value = guard.get(key, default)
    low, high = bounds
    if not is_number(value) or value != int(value) or value < low or (high is not None and value > high):
        allowed = f"from {low} to {high}" if high is not None else f"of at least {low}"
        problems.append(problem(f"canary.guard.{key}", f"must be a whole number {allowed}, not {short(value)}"))
        return default
    return int(value)


def _steps(value: Any, problems: Problems) -> tuple[float, ...] | None:
    """The percents a canary advances through, strictly ascending, each in (0, 100] at the canary's resolution."""
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        problems.append(problem("canary.steps", "must be a list of ascending percents such as [5, 25, 50, 100]"))
        return None
    before = len(problems)
    steps = [_percent(step, f"canary.steps[{i}]", problems) for i, step in enumerate(value)]
    for i, (low, high) in enumerate(itertools.pairwise(steps), start=1):
        if low is not None and high is not None and high <= low:
            problems.append(problem(f"canary.steps[{i}]", f"must be above the step before it ({low:g}): ascending"))
    for i, step in enumerate(steps):
        if step == 0:
            problems.append(problem(f"canary.steps[{i}]", "must be above 0: a step takes some users"))
    return tuple(step for step in steps if step is not None) if len(problems) == before else None


def _hold(value: Any, steps: tuple[float, ...] | None, problems: Problems) -> int | None:
    """Seconds at each step: only with steps, where it defaults to DEFAULT_HOLD_S."""
    if value is None:
        return DEFAULT_HOLD_S if steps is not None else None
    if not is_number(value) or value != int(value) or value < 1:
        problems.append(problem("canary.hold", f"must be a whole number of seconds, at least 1, not {short(value)}"))
        return None
    if steps is None:
        problems.append(problem("canary.hold", "is the time spent at each step: give steps too, or leave hold out"))
        return None
    return int(value)


def _published(value: Any, path: str, state: BotState, problems: Problems) -> str | None:
    version = version_text(value, path, problems)
    if version is None:
        return None
    meta = state.versions.get(version)
    if meta is not None and meta.status is Status.PUBLISHED:
        return version
    published = _listing(state, Status.PUBLISHED)
    if meta is None:
        problems.append(problem(path, f"{state.bot} has no version {version}; published versions: {published}"))
    else:
        problems.append(
            problem(path, f"{state.bot} {version} is {meta.status.value}; publish it first (published: {published})")
        )
    return None


def _percent(value: Any, path: str, problems: Problems) -> float | None:
    if not is_number(value):
        problems.append(problem(path, "is required: a number from 0 to 100 (decimals allowed, e.g. 0.5)"))
        return None
    if not 0 <= value <= 100:
        problems.append(problem(path, f"must be from 0 to 100, not {short(value)}"))
        return None
    steps = value * STEPS
    if abs(steps - round(steps)) > 1e-6:
        problems.append(problem(path, f"{short(value)} is finer than the canary's resolution of {1 / STEPS} percent"))
        return None
    return float(value)


def _listing(state: BotState, status: Status | None) -> str:
    names = sorted((v for v, meta in state.versions.items() if status is None or meta.status is status), key=Version)
    return ", ".join(names) or "none"
