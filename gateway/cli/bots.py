"""`botgate bots`, `status`, `health` and `audit`: the bots, what each is made of, how its versions are doing,
and what was changed."""

from __future__ import annotations

import argparse

from bot_versions.url_segments import path_segment
from gateway.cli import output
from gateway.cli.client import GatewayClient
from gateway.cli.common import Register


def bots(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate bots`: every bot with its stable and canary version and its conversations under way."""
    print(output.bots_text(client.admin("GET", "/bots").json()))
    return 0


def status(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate status BOT`: rollout, versions table, pins."""
    print(output.status_text(client.admin("GET", f"/bots/{path_segment(args.bot)}").json()))
    return 0


def health(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate health BOT [--window S]`: each version's conversation health as a table."""
    path = f"/bots/{path_segment(args.bot)}/health?window={args.window}"
    print(output.health_text(client.admin("GET", path).json()))
    return 0


def audit(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate audit BOT [--limit N]`: the bot's recorded changes, newest first."""
    path = f"/bots/{path_segment(args.bot)}/audit?limit={args.limit}"
    print(output.audit_text(client.admin("GET", path).json()))
    return 0


def add_commands(command: Register) -> None:
    """Register `bots`, `status`, `health` and `audit`."""
    command("bots", bots, "every bot with its stable and canary version and its active sessions")
    p = command("status", status, "a bot's versions, their status and active sessions, its rollout and pins")
    p.add_argument("bot", help="the bot's name")
    p = command("health", health, "each version's conversations, turns, errors, rates and p95 latency")
    p.add_argument("bot", help="the bot's name")
    p.add_argument("--window", type=int, default=3600, help="seconds back from now, 60 to 172800 (default: 3600)")
    p = command(
        "audit",
        audit,
        "a bot's changes, newest first: when, which token, what, and before -> after",
        "A bot's recorded changes (stored, published, unpublished, rollout, pins), newest first: when, the "
        "identity of the token that made it (token# and the first 8 hex digits of its SHA-256), what, and the "
        "value before and after.",
    )
    p.add_argument("bot", help="the bot's name")
    p.add_argument("--limit", type=int, default=20, help="how many changes to show, 1 to 1000")
