"""The commands about one user: pins, sessions, transcripts, and chatting as that user."""

from __future__ import annotations

import argparse
import sys

from bot_versions.url_segments import path_segment
from gateway.cli import output
from gateway.cli.client import USAGE_ERROR, CliError, GatewayClient
from gateway.cli.common import Register


def pin(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate pin BOT USER VERSION`."""
    path = f"/bots/{path_segment(args.bot)}/pins/{path_segment(args.user)}"
    view = client.admin("PUT", path, json={"version": args.version}).json()
    print(f"pinned {args.user} to {args.bot} {view['pin']}; {output.next_text(view)}")
    return 0


def unpin(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate unpin BOT USER`: says whether there was a pin to remove (read first: the DELETE answers `pin: null`
    either way)."""
    before = client.admin("GET", f"/bots/{path_segment(args.bot)}/sessions/{path_segment(args.user)}").json()["pin"]
    view = client.admin("DELETE", f"/bots/{path_segment(args.bot)}/pins/{path_segment(args.user)}").json()
    print(output.unpin_line(args.user, args.bot, before, view))
    return 0


def sessions(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate sessions BOT USER`."""
    path = f"/bots/{path_segment(args.bot)}/sessions/{path_segment(args.user)}"
    print(output.sessions_text(client.admin("GET", path).json()))
    return 0


def transcript(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate transcript BOT USER`."""
    path = f"/bots/{path_segment(args.bot)}/sessions/{path_segment(args.user)}/transcript"
    print(output.transcript_text(client.admin("GET", path).json()))
    return 0


def chat(client: GatewayClient, args: argparse.Namespace) -> int:
    """Send each line of stdin as a message and print the replies; 1 at the end if any message was refused."""
    lines = sys.stdin
    interactive = lines.isatty()
    if interactive:
        print(f"chatting with {args.bot} as {args.user} through {client.url}; end with Ctrl-D")
    failed = False
    path = f"/v1/bots/{path_segment(args.bot)}/messages"
    while True:
        if interactive:
            print("you> ", end="", flush=True)
        line = lines.readline()
        if not line:
            return 1 if failed else 0
        try:
            response = client.call("POST", path, json={"user": args.user, "text": line.rstrip("\n")}).json()
        except CliError as exc:
            if exc.exit_code == USAGE_ERROR:
                raise
            print(f"botgate: {exc.message}", file=sys.stderr)
            failed = True
            continue
        print("\n".join(output.chat_lines(response)), flush=True)


def add_commands(command: Register) -> None:
    """Register `pin`, `unpin`, `sessions`, `transcript` and `chat`."""
    p = command("pin", pin, "pin a user's next conversations to a version (a draft too)")
    p.add_argument("bot", help="the bot's name")
    p.add_argument("user", help="the user's id, as the channel sends it")
    p.add_argument("version", help="a draft or published version")
    p = command("unpin", unpin, "remove a user's pin; says whether there was one")
    p.add_argument("bot", help="the bot's name")
    p.add_argument("user", help="the user's id")
    p = command("sessions", sessions, "a user's sessions with a bot, their pin and where their next conversation goes")
    p.add_argument("bot", help="the bot's name")
    p.add_argument("user", help="the user's id")
    p = command("transcript", transcript, "a user's conversations, each message with its version")
    p.add_argument("bot", help="the bot's name")
    p.add_argument("user", help="the user's id")
    p = command(
        "chat",
        chat,
        "chat with a bot in the terminal through the REST channel",
        "Chat with a bot through the REST channel: each line read is one message, each reply is printed with the "
        "version that answered; Ctrl-D ends. Needs no token.",
    )
    p.add_argument("bot", help="the bot's name")
    p.add_argument("--user", required=True, help="the user id to chat as")
