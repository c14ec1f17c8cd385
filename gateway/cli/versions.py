"""`botgate publish` and `botgate unpublish`: storing definitions, publishing and unpublishing versions."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot_versions.documents import parse_document
from bot_versions.errors import BadRequest
from bot_versions.loader import CONTENT_TYPES
from gateway.cli import output
from gateway.cli.client import API_ERROR, USAGE_ERROR, CliError, GatewayClient, segment
from gateway.cli.common import Register


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
        return _dry_run(client, bot, version)
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


def _dry_run(client: GatewayClient, bot: str, version: str) -> int:
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
    bot_view = client.admin("GET", f"/bots/{segment(bot)}").json()
    moving = client.admin("GET", path + "/resumable").json()
    print(output.publish_preview(bot_view, stored, moving))
    return 0


def unpublish(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate unpublish BOT VERSION [--reset]`."""
    in_flight = "reset" if args.reset else "drain"
    path = f"/bots/{segment(args.bot)}/versions/{segment(args.version)}/unpublish"
    view = client.admin("POST", path, json={"in_flight": in_flight}).json()
    fate = "restart on the current version at their next message" if args.reset else "finish on it"
    print(f"unpublished {args.bot} {view['version']}: its {view['active_sessions']} active conversation(s) {fate}")
    return 0


def add_commands(command: Register) -> None:
    """Register `botgate publish` and `botgate unpublish`."""
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
