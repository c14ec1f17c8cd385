"""Checking a rollout and a pin against a bot's versions, as plain functions over plain data."""

from __future__ import annotations

import math
from typing import Any

from packaging.version import Version

from admin.requests import fields_of, problem, version_text
from bot_versions.errors import Invalid
from bot_versions.model import Status
from bot_versions.problems import short
from bot_versions.state import BotState, Canary, Rollout
from middleware.routing import BUCKETS

ROLLOUT_FIELDS = ("stable", "canary")
CANARY_FIELDS = ("version", "percent")
PIN_FIELDS = ("version",)
NULL_MEANS = {"stable": "the highest published release", "canary": "no canary"}
STEPS = BUCKETS // 100  # buckets per percent: the finest share a canary can take is 1/STEPS of a percent

Problems = list[dict[str, str]]


def parse_rollout(data: Any, state: BotState) -> Rollout:
    """The rollout a PUT body asks for; raise Invalid listing every problem (named versions must be published)."""
    body = fields_of(data, ROLLOUT_FIELDS, "a rollout")
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
        problems.append(problem("canary", "must be an object {version, percent}, or null for no canary"))
        return None
    problems.extend(
        problem(f"canary.{key}", "unknown field; a canary has version and percent")
        for key in value
        if key not in CANARY_FIELDS
    )
    version = _published(value.get("version"), "canary.version", state, problems)
    percent = _percent(value.get("percent"), problems)
    if version is None or percent is None:
        return None
    return Canary(version=version, percent=percent)


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


def _percent(value: Any, problems: Problems) -> float | None:
    path = "canary.percent"
    # math.isfinite only for floats: given an int it makes a float of it, which overflows past 1e308
    if isinstance(value, float):
        number = math.isfinite(value)
    else:
        number = isinstance(value, int) and not isinstance(value, bool)
    if not number:
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
