"""The `botgate` commands that drive a running gateway over HTTP: publishing, rollout, pins, sessions, chat."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot_versions.documents import parse_document
from bot_versions.errors import BadRequest
from bot_versions.loader import CONTENT_TYPES
from bot_versions.model import content_digest
from gateway import cli_output
from gateway.cli_client import API_ERROR, USAGE_ERROR, CliError, GatewayClient, segment

DEFAULT_URL = "http://127.0.0.1:8000"
Command = Callable[[GatewayClient, argparse.Namespace], int]


def _definition(path: Path) -> tuple[bytes, str, str, str]:
    """A definition file's bytes, content type, bot and version (read here only to build the URL)."""
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", USAGE_ERROR) from None
    # YAML reads JSON too, so a file with another suffix is sent as YAML
    content_type = CONTENT_TYPES.get(path.suffix.lower(), "application/yaml")
    try:
        document = parse_document(body, content_type)
    except BadRequest as exc:
        raise CliError(f"{path}: {exc.message}", USAGE_ERROR) from None
    names = document if isinstance(document, dict) else {}
    bot, version = names.get("bot"), names.get("version")
    if not isinstance(bot, str) or not isinstance(version, str) or not bot or not version:
        raise CliError(
            f"{path}: a definition names its bot and version, e.g. bot: greeter, version: 2.1.0", USAGE_ERROR
        )
    return body, content_type, bot, version


def publish(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate publish FILE [--draft | --dry-run]`: store the definition, then publish it unless --draft."""
    body, content_type, bot, version = _definition(Path(args.file))
    path = f"/bots/{segment(bot)}/versions/{segment(version)}"
    if args.dry_run:
        return _dry_run(client, bot, version, content_digest(parse_document(body, content_type)), args.file)
    stored = client.admin("PUT", path, content=body, headers={"Content-Type": content_type})
    view = stored.json()
    if stored.status_code == 201:
        print(f"stored {bot} {view['version']} as a draft")
    else:
        print(f"{bot} {view['version']} was already stored with this content ({view['status']})")
    if not args.draft:
        view = client.admin("POST", path + "/publish").json()
        print(f"published {bot} {view['version']}")
    return 0


def _dry_run(client: GatewayClient, bot: str, version: str, digest: str, file: str) -> int:
    """What publishing a stored version would do to routing and to conversations under way; changes nothing."""
    path = f"/bots/{segment(bot)}/versions/{segment(version)}"
    try:
        stored = client.admin("GET", path).json()
    except CliError as exc:
        if not exc.message.startswith("404"):
            raise
        raise CliError(
            f"{bot} {version} is not stored yet: store it with --draft first; --dry-run then shows what publishing "
            "it would do",
            API_ERROR,
        ) from None
    if stored["digest"] != digest:  # the preview would describe what is stored, not this file
        raise CliError(
            f"{file} differs from the stored {bot} {version}, and versions are immutable: publishing this file would "
            "be refused; give the changed definition a new version number",
            API_ERROR,
        )
    bot_view = client.admin("GET", f"/bots/{segment(bot)}").json()
    moving = client.admin("GET", path + "/resumable").json()
    print(cli_output.publish_preview(bot_view, stored, moving))
    return 0


def unpublish(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate unpublish BOT VERSION [--reset]`."""
    in_flight = "reset" if args.reset else "drain"
    path = f"/bots/{segment(args.bot)}/versions/{segment(args.version)}/unpublish"
    view = client.admin("POST", path, json={"in_flight": in_flight}).json()
    fate = "restart on the current version at their next message" if args.reset else "finish on it"
    print(f"unpublished {args.bot} {view['version']}: its {view['active_sessions']} active conversation(s) {fate}")
    return 0


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
    print(cli_output.rollout_text(current, bot["serving"]))
    return 0


def pin(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate pin BOT USER VERSION`."""
    path = f"/bots/{segment(args.bot)}/pins/{segment(args.user)}"
    view = client.admin("PUT", path, json={"version": args.version}).json()
    print(f"pinned {args.user} to {args.bot} {view['pin']}; {cli_output.next_text(view)}")
    return 0


def unpin(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate unpin BOT USER`."""
    view = client.admin("DELETE", f"/bots/{segment(args.bot)}/pins/{segment(args.user)}").json()
    print(f"{args.user} has no pin on {args.bot}; {cli_output.next_text(view)}")
    return 0


def status(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate status BOT`: rollout, versions table, pins."""
    print(cli_output.status_text(client.admin("GET", f"/bots/{segment(args.bot)}").json()))
    return 0


def sessions(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate sessions BOT USER`."""
    path = f"/bots/{segment(args.bot)}/sessions/{segment(args.user)}"
    print(cli_output.sessions_text(client.admin("GET", path).json()))
    return 0


def transcript(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate transcript BOT USER`."""
    path = f"/bots/{segment(args.bot)}/sessions/{segment(args.user)}/transcript"
    print(cli_output.transcript_text(client.admin("GET", path).json()))
    return 0


def chat(client: GatewayClient, args: argparse.Namespace) -> int:
    """Send each line of stdin as a message and print the replies; 1 at the end if any message was refused."""
    lines = sys.stdin
    interactive = lines.isatty()
    if interactive:
        print(f"chatting with {args.bot} as {args.user} through {client.url}; end with Ctrl-D")
    failed = False
    path = f"/v1/bots/{segment(args.bot)}/messages"
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
        print("\n".join(cli_output.chat_lines(response)), flush=True)


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        default=os.environ.get("BOTGATE_URL", DEFAULT_URL),
        help="the gateway (default: BOTGATE_URL or %(default)s)",
    )
    common.add_argument(
        "--token", default=os.environ.get("BOTGATE_TOKEN"), help="an admin token (default: BOTGATE_TOKEN)"
    )
    return common


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the gateway-driving commands on the `botgate` parser."""
    common = _common()

    def command(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(func=lambda args: run(func, args))
        return p

    p = command("publish", publish, "store a definition file (YAML or JSON) and publish it")
    p.add_argument("file")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--draft", action="store_true", help="store it as a draft only (reachable by pinned users)")
    mode.add_argument(
        "--dry-run",
        action="store_true",
        help="change nothing: say what publishing the stored version would do to routing and to conversations "
        "under way (how many it would move)",
    )
    p = command("unpublish", unpublish, "take a version out of routing; its conversations drain unless --reset")
    p.add_argument("bot")
    p.add_argument("version")
    p.add_argument("--reset", action="store_true", help="restart its conversations at their next message")
    p = command("rollout", rollout, "show or change which version new conversations get")
    p.add_argument("bot")
    stable = p.add_mutually_exclusive_group()
    stable.add_argument("--stable", metavar="V", help="the stable version (must be published)")
    stable.add_argument("--no-stable", action="store_true", help="stable = the highest published release")
    p.add_argument("--canary", metavar="V", help="the canary version (must be published)")
    p.add_argument("--percent", metavar="P", type=float, help="the canary's share of users, 0-100")
    p.add_argument("--no-canary", action="store_true", help="remove the canary")
    p = command("pin", pin, "pin a user's next conversations to a version (a draft too)")
    for name in ("bot", "user", "version"):
        p.add_argument(name)
    p = command("unpin", unpin, "remove a user's pin")
    p.add_argument("bot")
    p.add_argument("user")
    command("status", status, "a bot's versions, their status and active sessions, and its rollout").add_argument("bot")
    p = command("sessions", sessions, "a user's sessions with a bot")
    p.add_argument("bot")
    p.add_argument("user")
    p = command("transcript", transcript, "a user's conversations, each message with its version")
    p.add_argument("bot")
    p.add_argument("user")
    p = command("chat", chat, "chat with a bot in the terminal through the REST channel")
    p.add_argument("bot")
    p.add_argument("--user", required=True, help="the user id to chat as")


def run(func: Command, args: argparse.Namespace) -> int:
    """Run one command; print a refusal or failure as one message and return its exit code."""
    client = GatewayClient(args.url, args.token)
    try:
        return func(client, args)
    except CliError as exc:
        print(f"botgate: {exc.message}", file=sys.stderr)
        return exc.exit_code
    finally:
        client.close()
