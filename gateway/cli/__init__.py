"""The `botgate` command: `serve` runs the gateway; every other command drives a running one over HTTP.

One module per group of commands (`serve`, `versions`, `rollout`, `bots`, `users`), each registering its own
subcommands; `client` talks to the gateway, `output` turns its JSON answers into text.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from gateway.cli import bots, rollout, serve, users, versions
from gateway.cli.common import HelpFormatter, registrar
from gateway.version import installed_version

DESCRIPTION = (
    "botgate: a gateway for versioned chat bots. `botgate serve` runs it; the other commands drive a running "
    "gateway over HTTP (--url, default BOTGATE_URL or http://127.0.0.1:8000) with an admin token (--token, "
    "default BOTGATE_TOKEN). `botgate COMMAND --help` describes each. Exit status: 0 done, 1 the gateway refused, "
    "2 the command could not be sent or the gateway could not start."
)


def parser() -> argparse.ArgumentParser:
    """The `botgate` argument parser with every command."""
    p = argparse.ArgumentParser(prog="botgate", description=DESCRIPTION, formatter_class=HelpFormatter)
    p.add_argument("--version", action="version", version=f"botgate {installed_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
