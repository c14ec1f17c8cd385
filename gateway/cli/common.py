"""What every command that drives a gateway shares: its --url and --token options, registering it, running it."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from gateway.cli.client import CliError, GatewayClient

DEFAULT_URL = "http://127.0.0.1:8000"
Command = Callable[[GatewayClient, argparse.Namespace], int]
Register = Callable[..., argparse.ArgumentParser]  # (name, command, help, description="") -> its parser


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Help with each option's default, written out unless the help says it already or there is none to say."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "(default" in text or action.default in (None, False, argparse.SUPPRESS):
            return text
        return super()._get_help_string(action) or text


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        default=os.environ.get("BOTGATE_URL", DEFAULT_URL),
        help="the gateway (default: BOTGATE_URL or %(default)s)",
    )
    # read when the command runs, never as the option's default: --help must not print a token
    common.add_argument("--token", help="an admin token (default: BOTGATE_TOKEN)")
    return common


def registrar(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> Register:
    """A function that adds one gateway-driving command to the `botgate` parser, with --url and --token."""
    common = _common()

    def command(name: str, func: Command, help_text: str, description: str = "") -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            parents=[common],
            help=help_text,
            description=description or help_text[:1].upper() + help_text[1:] + ".",
            formatter_class=HelpFormatter,
        )
        p.set_defaults(func=lambda args: run(func, args))
        return p

    return command


def run(func: Command, args: argparse.Namespace) -> int:
    """Run one command; print a refusal or failure as one message and return its exit code."""
    client = GatewayClient(args.url, args.token or os.environ.get("BOTGATE_TOKEN"))
    try:
        return func(client, args)
    except CliError as exc:
        print(f"botgate: {exc.message}", file=sys.stderr)
        return exc.exit_code
    finally:
        client.close()
