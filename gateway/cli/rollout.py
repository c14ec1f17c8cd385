"""`botgate rollout`: show the rollout, or change what the flags name with a compare-and-set; and how a rollout is
shown (kept together in one module).

The change is computed from the rollout as read and sent with `If-Match` set to its ETag. When someone (an operator,
the guard) changed the rollout meanwhile, the gateway answers 412: the command reads the new rollout, says so, and
applies the same flags to it once. A second 412 stops it: it never overwrites a change it has not seen.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot_versions.url_segments import path_segment
from gateway.cli.client import API_ERROR, USAGE_ERROR, CliError, GatewayClient
from gateway.cli.common import Register
from gateway.cli.text import when

JSON = dict[str, Any]
# flag (argparse dest) -> the guard field it sets
GUARD_FLAGS = {
    "guard_error_rate": "max_error_rate_increase",
    "guard_completion_drop": "max_completion_drop",
    "guard_min": "min_conversations",
    "guard_window": "window",
}
CANARY_SETTINGS = ("version", "percent", "guard", "steps", "hold")  # what a PUT sets; `since` is the gateway's


def add_commands(command: Register) -> None:
    """Register `botgate rollout` and its flags."""
    p = command("rollout", rollout, "show or change which version new conversations get, and the canary's guard")
    p.add_argument("bot", help="the bot's name")
    stable = p.add_mutually_exclusive_group()
    stable.add_argument("--stable", metavar="V", help="the stable version (must be published)")
    stable.add_argument("--no-stable", action="store_true", help="stable = the highest published release")
    p.add_argument("--canary", metavar="V", help="the canary version (must be published)")
    p.add_argument("--percent", metavar="P", type=float, help="the canary's share of users, 0-100")
    p.add_argument("--no-canary", action="store_true", help="remove the canary")
    guard = p.add_argument_group("guard", "roll the canary back automatically when it does worse than stable")
    guard.add_argument("--guard-error-rate", metavar="R", type=float, help="largest error rate increase, 0-1")
    guard.add_argument("--guard-completion-drop", metavar="D", type=float, help="largest completion rate drop, 0-1")
    guard.add_argument("--guard-min", metavar="N", type=int, help="conversations each side needs before judging")
    guard.add_argument("--guard-window", metavar="S", type=int, help="seconds of health judged, 60-172800")
    guard.add_argument("--no-guard", action="store_true", help="remove the canary's guard")
    steps = p.add_argument_group("progression", "advance the canary step by step, then promote it")
    steps.add_argument("--steps", metavar="P,P,...", help="ascending percents, e.g. 5,25,50,100")
    steps.add_argument("--hold", metavar="S", type=int, help="seconds at each step (default 600)")
    steps.add_argument("--no-steps", action="store_true", help="remove the steps (and hold)")


def _guard_flags(args: argparse.Namespace) -> JSON:
    return {field: getattr(args, flag) for flag, field in GUARD_FLAGS.items() if getattr(args, flag) is not None}


def _changing(args: argparse.Namespace) -> bool:
    named = (args.stable, args.canary, args.percent is not None, args.steps, args.hold is not None)
    switches = (args.no_stable, args.no_canary, args.no_guard, args.no_steps)
    return any(named) or any(switches) or bool(_guard_flags(args))


def _steps(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise CliError(
            f"--steps takes percents separated by commas, e.g. 5,25,50,100; not {text!r}", USAGE_ERROR
        ) from None


def rollout_change(current: JSON, args: argparse.Namespace) -> JSON:
    """The rollout the flags ask for, starting from `current` (what GET answered)."""
    new: JSON = {"stable": current["stable"], "canary": current["canary"]}
    if args.no_stable:
        new["stable"] = None
    elif args.stable:
        new["stable"] = args.stable
    if args.no_canary and (args.canary or args.percent is not None):
        raise CliError("--no-canary cannot be combined with --canary or --percent", USAGE_ERROR)
    if args.no_canary:
        new["canary"] = None
    elif args.canary or args.percent is not None:
        canary = current["canary"] or {}
        version = args.canary or canary.get("version")
        if version is None:
            raise CliError("--percent changes the current canary, and there is none: give --canary V", USAGE_ERROR)
        if args.percent is None and version != canary.get("version"):
            raise CliError(f"--canary {version} needs --percent P (0-100)", USAGE_ERROR)
        percent = canary.get("percent") if args.percent is None else args.percent
        new["canary"] = {**canary, "version": version, "percent": percent}
    if new["canary"] is not None:
        new["canary"] = _progression({k: v for k, v in new["canary"].items() if k in CANARY_SETTINGS}, args)
    elif _guard_flags(args) or args.no_guard or args.steps or args.hold is not None or args.no_steps:
        raise CliError("there is no canary to guard or advance: give --canary V --percent P", USAGE_ERROR)
    return new


def _progression(canary: JSON, args: argparse.Namespace) -> JSON:
    """The canary with the guard and step flags applied."""
    given = _guard_flags(args)
    if args.no_guard and given:
        raise CliError("--no-guard cannot be combined with --guard-* flags", USAGE_ERROR)
    if args.no_steps and (args.steps or args.hold is not None):
        raise CliError("--no-steps cannot be combined with --steps or --hold", USAGE_ERROR)
    if args.no_guard:
        canary["guard"] = None
    elif given:
        canary["guard"] = {**(canary.get("guard") or {}), **given}  # fields not named keep their value or default
    if args.no_steps:
        canary["steps"], canary["hold"] = None, None
    if args.steps:
        canary["steps"] = _steps(args.steps)
    if args.hold is not None:
        canary["hold"] = args.hold
    return canary


def rollout(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate rollout BOT [flags]`: change what the flags name, then show the rollout."""
    path = f"/bots/{path_segment(args.bot)}/rollout"
    read = client.admin("GET", path)
    current = read.json()
    if _changing(args):
        current = _put(client, path, current, read.headers["ETag"], args)
    bot = client.admin("GET", f"/bots/{path_segment(args.bot)}").json()
    print(rollout_text(current, bot["serving"]))
    return 0


def _put(client: GatewayClient, path: str, current: JSON, tag: str, args: argparse.Namespace) -> JSON:
    """PUT the change with If-Match; on 412 apply it once more to the rollout as it is now."""
    body = rollout_change(current, args)  # usage errors stop the command before anything is sent
    changed = _put_if_match(client, path, body, tag)
    if changed is not None:
        return changed
    read = client.admin("GET", path)
    now = read.json()
    meanwhile = rollout_change_text(current, now)
    try:
        body = rollout_change(now, args)
    except CliError as exc:
        raise CliError(
            f"the rollout changed meanwhile ({meanwhile}); your change no longer applies: {exc.message}"
        ) from None
    print(f"botgate: the rollout changed meanwhile ({meanwhile}); applied your change to the new one", file=sys.stderr)
    changed = _put_if_match(client, path, body, read.headers["ETag"])
    if changed is not None:
        return changed
    raise CliError(
        "the rollout changed again meanwhile; nothing was changed: run the command again to apply your change to "
        "the rollout as it is then",
        API_ERROR,
    )


def _put_if_match(client: GatewayClient, path: str, body: JSON, tag: str) -> JSON | None:
    """The rollout after PUTting `body` if it is still the one tagged `tag`; None when it changed (412)."""
    try:
        return dict(client.admin("PUT", path, json=body, headers={"If-Match": tag}).json())
    except CliError as exc:
        if exc.status != 412:
            raise
    return None


def canary_text(canary: JSON | None) -> str:
    """A canary as words, or none."""
    return "none" if canary is None else f"{canary['version']} for {canary['percent']:g}% of users"


def rollout_text(rollout: JSON, serving: JSON | None = None) -> str:
    """The rollout as set and, when known, as routing applies it now; then the canary's guard and steps, and the
    guard's last change, each on a line of its own when there is one."""
    stable = rollout["stable"] or "highest published release"
    if serving is not None and serving["stable"] != rollout["stable"]:
        stable += f" (now {serving['stable'] or 'nothing: no published release'})"
    canary = rollout["canary"]
    lines = [f"stable: {stable}", f"canary: {canary_text(canary)}"]
    if serving is not None and _placement(serving["canary"]) != _placement(canary):
        lines[-1] += " (not applied: its version is not published)"
    if canary is not None and canary.get("guard"):
        lines.append(f"guard: {guard_text(canary['guard'])}")
    if canary is not None and canary.get("steps"):
        lines.append(f"steps: {steps_text(canary)}")
    last = rollout.get("last_guard")
    if last:
        lines.append(f"last guard action: {last['action']} at {when(last['at'])}: {last['why']}")
    return "\n".join(lines)


def _placement(canary: JSON | None) -> tuple[str, float] | None:
    return None if canary is None else (canary["version"], canary["percent"])


def guard_text(guard: JSON) -> str:
    """A canary's guard as a sentence."""
    return (
        f"roll back if the error rate rises more than {guard['max_error_rate_increase'] * 100:g} points or the "
        f"completion rate drops more than {guard['max_completion_drop'] * 100:g} points (95% confidence, over the "
        f"last {guard['window']} s, once each side has {guard['min_conversations']} conversations)"
    )


def steps_text(canary: JSON) -> str:
    """A canary's progression: its steps, the hold, and where it stands."""
    steps = " -> ".join(f"{step:g}%" for step in canary["steps"])
    where = f"at {canary['percent']:g}% since {when(canary.get('since'))}"
    return f"{steps}, {canary['hold']} s at each ({where}), then promoted to stable"


def rollout_change_text(before: JSON, now: JSON) -> str:
    """How the rollout stands now that it changed since `before` was read, in one line."""
    parts = [f"now stable: {now['stable'] or 'highest published release'}", f"canary: {canary_text(now['canary'])}"]
    last = now.get("last_guard")
    if last and last != before.get("last_guard"):
        parts.append(f"by the guard's {last['action']} at {when(last['at'])}")
    return ", ".join(parts)
