"""`botgate rollout`: show or change which version new conversations get; its flags, the change they ask for, and
how a rollout is shown. Kept together in one module."""

from __future__ import annotations

import argparse
from typing import Any

from gateway.cli.client import USAGE_ERROR, CliError, GatewayClient, segment
from gateway.cli.common import Register

JSON = dict[str, Any]


def canary_text(canary: JSON | None) -> str:
    """A canary as words, or none."""
    return "none" if canary is None else f"{canary['version']} for {canary['percent']:g}% of users"


def rollout_text(rollout: JSON, serving: JSON | None = None) -> str:
    """The rollout as set and, when known, as routing applies it now."""
    stable = rollout["stable"] or "highest published release"
    if serving is not None and serving["stable"] != rollout["stable"]:
        stable += f" (now {serving['stable'] or 'nothing: no published release'})"
    lines = [f"stable: {stable}", f"canary: {canary_text(rollout['canary'])}"]
    if serving is not None and serving["canary"] != rollout["canary"]:
        lines[-1] += " (not applied: its version is not published)"
    return "\n".join(lines)


def _rollout_change(current: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The rollout the flags ask for, starting from the current one."""
    new = dict(current)
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
        new["canary"] = {"version": version, "percent": canary.get("percent") if args.percent is None else args.percent}
    return new


def rollout(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate rollout BOT [flags]`: change what the flags name, then show the rollout."""
    path = f"/bots/{segment(args.bot)}/rollout"
    current = client.admin("GET", path).json()
    changing = args.stable or args.no_stable or args.canary or args.percent is not None or args.no_canary
    if changing:
        current = client.admin("PUT", path, json=_rollout_change(current, args)).json()
    bot = client.admin("GET", f"/bots/{segment(args.bot)}").json()
    print(rollout_text(current, bot["serving"]))
    return 0


def add_commands(command: Register) -> None:
    """Register `botgate rollout` and its flags."""
    p = command("rollout", rollout, "show or change which version new conversations get")
    p.add_argument("bot", help="the bot's name")
    stable = p.add_mutually_exclusive_group()
    stable.add_argument("--stable", metavar="V", help="the stable version (must be published)")
    stable.add_argument("--no-stable", action="store_true", help="stable = the highest published release")
    p.add_argument("--canary", metavar="V", help="the canary version (must be published)")
    p.add_argument("--percent", metavar="P", type=float, help="the canary's share of users, 0-100")
    p.add_argument("--no-canary", action="store_true", help="remove the canary")
