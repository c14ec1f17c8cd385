"""Reading definition files from a directory, as the gateway does at start-up (BOTGATE_BOTS_DIR).

The files are `*.yaml`, `*.yml` (read as YAML) and `*.json` (read as JSON) directly in the
directory, in name order; hidden files are skipped. Every bad file is reported in one error,
each with all of its problems, so an operator fixes a directory in one go.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot_versions.documents import parse_document
from bot_versions.errors import BadRequest, BotgateError, Invalid
from bot_versions.model import BotVersion
from bot_versions.validation import StoreRules, load_version

CONTENT_TYPES = {".yaml": "application/yaml", ".yml": "application/yaml", ".json": "application/json"}


class DefinitionFileError(BotgateError):
    """Definition files that cannot be read or are invalid; the message names each file and problem."""

    code = "definition_file"


def load_directory(path: Path, rules: StoreRules | None = None) -> list[BotVersion]:
    """Every definition in a directory, in file name order; raise DefinitionFileError listing every bad file."""
    try:
        files = sorted(
            file
            for file in path.iterdir()
            if file.suffix.lower() in CONTENT_TYPES and not file.name.startswith(".") and file.is_file()
        )
    except OSError as exc:
        raise DefinitionFileError(f"cannot read the definitions directory {path}: {exc.strerror}") from None
    versions: list[BotVersion] = []
    problems: list[dict[str, str]] = []
    defined_in: dict[tuple[str, str], Path] = {}
    for file in files:
        try:
            version = load_file(file, rules)
        except DefinitionFileError as exc:
            problems.extend(exc.details)
            continue
        first = defined_in.setdefault((version.bot, version.version), file)
        if first != file:
            message = f"{version.bot} {version.version} is already defined in {first.name}"
            problems.append({"file": str(file), "path": "version", "message": message})
            continue
        versions.append(version)
    if problems:
        raise DefinitionFileError(_describe(problems), details=problems)
    return versions


def load_file(path: Path, rules: StoreRules | None = None) -> BotVersion:
    """One definition file, read as YAML or JSON by its suffix; raise DefinitionFileError with all its problems."""
    try:
        body = path.read_bytes()
        document = parse_document(body, CONTENT_TYPES.get(path.suffix.lower()))
        return load_version(document, rules)
    except OSError as exc:
        problems = [{"path": "", "message": f"cannot read the file: {exc.strerror}"}]
    except BadRequest as exc:
        problems = [{"path": "", "message": exc.message}]
    except Invalid as exc:
        problems = list(exc.details)
    details = [{"file": str(path), **problem} for problem in problems]
    raise DefinitionFileError(_describe(details), details=details)


def _describe(problems: list[dict[str, Any]]) -> str:
    lines = ["invalid bot definition files:"]
    file = None
    for problem in problems:
        if problem["file"] != file:
            file = problem["file"]
            lines.append(f"  {file}:")
        where = f"{problem['path']}: " if problem["path"] else ""
        lines.append(f"    {where}{problem['message']}")
    return "\n".join(lines)
