"""Checks of the runtime a definition names and the block that says where its logic lives (`http`, `activity`,
`rasa`, `python`), and what this deployment lets a stored version reach.

Storing a version applies `StoreRules` (the hosts `BOTGATE_UPSTREAM_HOSTS` allows, the modules
`BOTGATE_PYTHON_MODULES` allows, and how long an upstream call may take under the turn lock's lease). Reading a stored
version back applies none: a version stored under other rules stays readable, and its runtime refuses at call time
what the process's rules do not allow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot_versions.hosts import AllowList, NotAllowed, host_and_port
from bot_versions.problems import Report, is_number, join, kind_of, listing, short
from bot_versions.runtimes.python import entry_problem
from bot_versions.runtimes.upstream import DEFAULT_MAX_IN_FLIGHT, check_sent_where_checked

RUNTIMES = ("flow", "http", "activity", "rasa", "python")
UPSTREAM_KEYS: dict[str, tuple[str, ...]] = {
    "http": ("url", "timeout", "max_in_flight", "replayable"),
    "activity": ("url", "timeout", "delivery", "max_in_flight"),
    "rasa": ("url", "timeout", "max_in_flight"),
    "python": ("entry", "timeout"),
}
FLOW_KEYS = ("reply", "start", "steps", "resume_at")
DELIVERIES = ("normal", "expectReplies")
MAX_IN_FLIGHT = 10_000
MAX_TIMEOUT_S = 30.0  # when no lease is known (reading back); storing uses the lease's bound
ENTRY = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


@dataclass(frozen=True)
class StoreRules:
    """What this deployment lets a stored version name, and the longest an upstream call may take."""

    upstream_hosts: AllowList = field(default_factory=lambda: AllowList((), "BOTGATE_UPSTREAM_HOSTS"))
    python_modules: tuple[str, ...] = ()
    max_timeout_s: float = 9.0


def runtime_of(document: dict[str, Any]) -> str:
    """The runtime a definition names (`flow` when it names none)."""
    runtime = document.get("runtime", "flow")
    return runtime if isinstance(runtime, str) else "flow"


def check_runtime(report: Report, document: dict[str, Any], rules: StoreRules | None) -> None:
    """Report a runtime that does not exist, blocks of other runtimes, and every problem of this runtime's block."""
    if "runtime" in document and document["runtime"] not in RUNTIMES:
        report.add("runtime", f"unknown runtime {short(document['runtime'])}; the runtimes are {listing(RUNTIMES)}")
        return
    runtime = runtime_of(document)
    for other in UPSTREAM_KEYS:
        if other != runtime and other in document:
            report.add(other, f"only a version with runtime: {other} has {other}; this one is {runtime}")
    if runtime != "flow":
        for key in FLOW_KEYS:
            if key in document:
                report.add(
                    key, f"{key} belongs to flow versions; a {runtime} version's logic is in its {runtime} block"
                )
        _check_block(report, runtime, document.get(runtime), rules)


def _check_block(report: Report, runtime: str, block: Any, rules: StoreRules | None) -> None:
    if block is None:
        what = "entry: package.module:attribute" if runtime == "python" else "url: where the bot listens"
        report.add(runtime, f"missing {runtime}: a {runtime} version needs a {runtime} block with {what}")
        return
    if not isinstance(block, dict):
        report.add(runtime, f"must be a mapping with {listing(UPSTREAM_KEYS[runtime])}, not {kind_of(block)}")
        return
    report.unknown_keys(runtime, block, UPSTREAM_KEYS[runtime], f"a {runtime} block has")
    if runtime == "python":
        _check_entry(report, block.get("entry"), rules)
    else:
        _check_url(report, join(runtime, "url"), block.get("url"), rules)
    _check_timeout(report, join(runtime, "timeout"), block.get("timeout"), rules)
    if "max_in_flight" in block:
        value = block["max_in_flight"]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_IN_FLIGHT:
            report.add(
                join(runtime, "max_in_flight"),
                f"must be a whole number from 1 to {MAX_IN_FLIGHT} (default {DEFAULT_MAX_IN_FLIGHT})",
            )
    if "replayable" in block and not isinstance(block["replayable"], bool):
        report.add(join(runtime, "replayable"), f"must be true or false, not {kind_of(block['replayable'])}")
    if "delivery" in block and block["delivery"] not in DELIVERIES:
        report.add(join(runtime, "delivery"), f"must be one of {listing(DELIVERIES)}, not {short(block['delivery'])}")


def _check_url(report: Report, path: str, url: Any, rules: StoreRules | None) -> None:
    if not isinstance(url, str) or not url.strip():
        report.add(path, f"must be the bot's URL, e.g. http://127.0.0.1:9001/turn, not {kind_of(url)}")
        return
    try:
        if rules is not None:
            check_sent_where_checked(url, rules.upstream_hosts.check(url))
        else:
            host_and_port(url)  # the allow-list is a store-time rule: reading back checks the shape only
    except NotAllowed as exc:
        report.add(path, f"{short(url)} {exc}")


def _check_timeout(report: Report, path: str, timeout: Any, rules: StoreRules | None) -> None:
    if timeout is None:
        return
    limit = rules.max_timeout_s if rules is not None else MAX_TIMEOUT_S
    if not is_number(timeout) or not 0 < timeout <= limit:
        report.add(path, f"must be a number of seconds above 0 and at most {limit:g} (below the turn lock's lease)")


def _check_entry(report: Report, entry: Any, rules: StoreRules | None) -> None:
    if not isinstance(entry, str) or not ENTRY.fullmatch(entry):
        report.add("python.entry", f"must be package.module:attribute, not {short(entry)}")
        return
    if rules is not None and (problem := entry_problem(entry, rules.python_modules)) is not None:
        report.add("python.entry", problem)
