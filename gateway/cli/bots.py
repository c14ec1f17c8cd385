"""`botgate status` and `botgate health`: what a bot is made of and how its versions are doing."""

from __future__ import annotations

import argparse

from gateway.cli import output
from gateway.cli.client import GatewayClient, segment
from gateway.cli.common import Register


def status(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate status BOT`: rollout, versions table, pins."""
    print(output.status_text(client.admin("GET", f"/bots/{segment(args.bot)}").json()))
    return 0


def health(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate health BOT [--window S]`: each version's conversation health as a table."""
    path = f"/bots/{segment(args.bot)}/health?window={args.window}"
    print(output.health_text(client.admin("GET", path).json()))
    return 0


def add_commands(command: Register) -> None:
    """Register `botgate status` and `botgate health`."""
    command("status", status, "a bot's versions, their status and active sessions, and its rollout").add_argument("bot")
    p = command("health", health, "each version's conversations, turns, errors, rates and p95 latency")
    p.add_argument("bot")
    p.add_argument("--window", type=int, default=3600, help="seconds back from now, 60 to 172800 (default: 3600)")
