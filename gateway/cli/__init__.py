"""The `botgate` command: `serve` runs the gateway; every other command drives a running one over HTTP.

One module per group of commands (`serve`, `versions`, `rollout`, `bots`, `users`), each registering its own
subcommands; `client` talks to the gateway, `output` turns its JSON answers into text.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from gateway.cli import bots, rollout, serve, users, versions
from gateway.cli.common import registrar


def parser() -> argparse.ArgumentParser:
    """The `botgate` argument parser with every command."""
    p = argparse.ArgumentParser(prog="botgate", description="A gateway for versioned chat bots.")
    sub = p.add_subparsers(dest="command", required=True)
    serve.add_command(sub)
    command = registrar(sub)
    for group in (versions, rollout, users, bots):
        group.add_commands(command)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code."""
    args = parser().parse_args(argv)
    code: int = args.func(args)
    return code
