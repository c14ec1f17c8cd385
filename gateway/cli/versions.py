"""`botgate publish` and `botgate unpublish`: storing definitions, publishing and unpublishing versions."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot_versions.documents import parse_document
from bot_versions.errors import BadRequest
from bot_versions.loader import CONTENT_TYPES
from bot_versions.model import content_digest
from bot_versions.url_segments import path_segment
from bot_versions.validation import validate
from gateway.cli import output
from gateway.cli.client import API_ERROR, USAGE_ERROR, CliError, GatewayClient
from gateway.cli.common import Register


def _definition(path: Path) -> tuple[bytes, str, str, str]:
    """A definition file's bytes, content type, bot and version (read here only to build the URL).

    When the bot or the version cannot be read from it, the file is validated here, as the gateway would, and every
    problem is reported with its path (a YAML `version: 1.10` is a number, and is one of them)."""
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
        raise CliError(_unsendable(path, document), USAGE_ERROR)
    return body, content_type, bot, version


def _unsendable(path: Path, document: Any) -> str:
    """Why a file that names no readable bot and version cannot be sent: every problem validation finds."""
    problems = validate(document)
    lines = [f"{path} cannot be sent: it has {len(problems)} problem(s)"]
    lines += [
        f"  {problem.path}: {problem.message}" if problem.path else f"  {problem.message}" for problem in problems
    ]
    if not problems:  # validation found nothing, yet bot or version is not a non-empty string
        lines = [f'{path}: a definition names its bot and version, e.g. bot: greeter, version: "2.1.0"']
    return "\n".join(lines)


def publish(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate publish FILE [--draft | --dry-run]` or `botgate publish BOT VERSION [--dry-run]`."""
    if args.version is not None:
        return _publish_stored(client, args.target, args.version, args.dry_run, args.draft)
    body, content_type, bot, version = _definition(Path(args.target))
    path = f"/bots/{path_segment(bot)}/versions/{path_segment(version)}"
    if args.dry_run:
        return _dry_run(client, bot, version, (content_digest(parse_document(body, content_type)), args.target))
    stored = client.admin("PUT", path, content=body, headers={"Content-Type": content_type})
    view = stored.json()
    created = stored.status_code == 201
    if args.draft:
        print(output.draft_line(bot, view, created))
        return 0
    return _publish(client, bot, path, "stored" if created else view["status"])


def _publish_stored(client: GatewayClient, bot: str, version: str, dry_run: bool, draft: bool) -> int:
    """Publish a version already stored (rolling back to one unpublished earlier needs no file)."""
    if draft:
        raise CliError("--draft stores a file as a draft: give FILE, not BOT VERSION", USAGE_ERROR)
    if dry_run:
        return _dry_run(client, bot, version)
    path = f"/bots/{path_segment(bot)}/versions/{path_segment(version)}"
    return _publish(client, bot, path, client.admin("GET", path).json()["status"])


def _publish(client: GatewayClient, bot: str, path: str, before: str) -> int:
    """Publish the version at `path` and say in one line what that did (`before`: its status until now)."""
    after = client.admin("POST", path + "/publish").json()
    bot_view = client.admin("GET", f"/bots/{path_segment(bot)}").json()
    print(output.published_line(bot_view, after["version"], before))
    return 0


def _dry_run(client: GatewayClient, bot: str, version: str, file: tuple[str, str] | None = None) -> int:
    """What publishing a stored version would do to routing and to conversations under way; changes nothing.

    `file`: (digest, name) of the file the command was given, which must be what is stored: the preview describes
    the stored version.
    """
    path = f"/bots/{path_segment(bot)}/versions/{path_segment(version)}"
    try:
        stored = client.admin("GET", path).json()
    except CliError as exc:
        if exc.status != 404:
            raise
        raise CliError(
            f"{bot} {version} is not stored yet: store it with --draft first; --dry-run then shows what publishing "
            "it would do",
            API_ERROR,
        ) from None
    if file is not None and stored["digest"] != file[0]:
        raise CliError(
            f"{file[1]} differs from the stored {bot} {version}, and versions are immutable: publishing this file "
            "would be refused; give the changed definition a new version number",
            API_ERROR,
        )
    bot_view = client.admin("GET", f"/bots/{path_segment(bot)}").json()
    moving = client.admin("GET", path + "/resumable").json()
    print(output.publish_preview(bot_view, stored, moving))
    return 0


def unpublish(client: GatewayClient, args: argparse.Namespace) -> int:
    """`botgate unpublish BOT VERSION [--reset]`."""
    in_flight = "reset" if args.reset else "drain"
    path = f"/bots/{path_segment(args.bot)}/versions/{path_segment(args.version)}/unpublish"
    view = client.admin("POST", path, json={"in_flight": in_flight}).json()
    fate = "restart on the current version at their next message" if args.reset else "finish on it"
    print(f"unpublished {args.bot} {view['version']}: its {view['active_sessions']} active conversation(s) {fate}")
    return 0


def add_commands(command: Register) -> None:
    """Register `botgate publish` and `botgate unpublish`."""
    p = command(
        "publish",
        publish,
        "store a definition file and publish it, or publish a version already stored",
        "Store a definition file (YAML, or JSON for *.json) and publish it; the file's bot and version decide where "
        "it goes. Or, with BOT VERSION, publish a version the gateway already stores (to roll back to a version "
        "unpublished earlier, say). Prints in one line what it did and where new conversations now start.",
    )
    p.add_argument("target", metavar="FILE | BOT", help="a definition file, or a bot's name when VERSION follows")
    p.add_argument("version", metavar="VERSION", nargs="?", help="a version of BOT the gateway already stores")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--draft", action="store_true", help="store FILE as a draft only (reachable by pinned users)")
    mode.add_argument(
        "--dry-run",
        action="store_true",
        help="change nothing: say what publishing the stored version would do to routing and to conversations "
        "under way (how many it would move)",
    )
    p = command("unpublish", unpublish, "take a version out of routing; its conversations drain unless --reset")
    p.add_argument("bot", help="the bot's name")
    p.add_argument("version", help="the version to take out of routing")
    p.add_argument("--reset", action="store_true", help="restart its conversations at their next message")
