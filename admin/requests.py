"""Reading admin requests: path parameters, bodies (JSON, or YAML by Content-Type), and the small bodies' fields.

Everything here raises bot_versions.errors classes, so a bad request is answered before anything
is changed: 400 for a body that cannot be read, 404 for a bot or version that cannot exist, 422
for fields that are missing or wrong, each problem with its path.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from bot_versions.documents import parse_document
from bot_versions.errors import Invalid, NotFound
from bot_versions.model import InFlight, canonical_version, is_valid_bot_name
from bot_versions.problems import short
from gateway.channels.body import read_body
from middleware.receive import MAX_ID

MAX_BODY = 256 * 1024  # a definition is a few KiB; this leaves room for large flows
IN_FLIGHT = tuple(choice.value for choice in InFlight)


def url_bot(request: Request) -> str:
    """The bot named in the URL; a name no bot can have is simply not found."""
    bot: str = request.path_params["bot"]
    if not is_valid_bot_name(bot):
        raise NotFound(f"there is no bot named {short(bot)} (bot names are lowercase slugs such as greeter)")
    return bot


def url_version(request: Request) -> str:
    """The version named in the URL, in its normal form; a string that is no version is not found."""
    text: str = request.path_params["version"]
    try:
        return canonical_version(text)
    except ValueError:
        raise NotFound(f"there is no version {short(text)} (versions look like 1.0.0 or 2.1.0rc1)") from None


def url_user(request: Request) -> str:
    """The user id in the URL, within the channels' limits (one percent-encoded segment, decoded exactly by the
    admin routes, so any id a channel accepts can be named)."""
    user: str = request.path_params["user"]
    if len(user) > MAX_ID:
        raise Invalid(
            "the user id is too long", details=[problem("user", f"must be 1-{MAX_ID} characters, got {len(user)}")]
        )
    return user


async def read_document(request: Request, *, optional: bool = False) -> Any:
    """The body as plain data: YAML when Content-Type says so, JSON otherwise; None for an allowed empty body."""
    body = await read_body(request, MAX_BODY)
    if optional and not body.strip():
        return None
    return parse_document(body, request.headers.get("content-type"))


def problem(path: str, message: str) -> dict[str, str]:
    """One problem of a request, at its path, as error details list it."""
    return {"path": path, "message": message}


def fields_of(data: Any, known: tuple[str, ...], what: str) -> dict[str, Any]:
    """A body that must be an object with only `known` keys; raise Invalid listing each stray key."""
    if not isinstance(data, dict):
        raise Invalid(f"{what} must be a JSON object", details=[problem("", "expected an object")])
    stray = [problem(str(key), f"unknown field; {what} has {', '.join(known)}") for key in data if key not in known]
    if stray:
        raise Invalid(f"{what} has unknown fields", details=stray)
    return data


def in_flight_of(data: Any) -> InFlight:
    """What unpublishing does to conversations under way: `drain` (the default) or `reset`."""
    if data is None:
        return InFlight.DRAIN
    value = fields_of(data, ("in_flight",), "an unpublish request").get("in_flight", InFlight.DRAIN.value)
    if value not in IN_FLIGHT:
        raise Invalid(
            "in_flight must be drain or reset",
            details=[problem("in_flight", f"must be one of {', '.join(IN_FLIGHT)}, not {short(value)}")],
        )
    return InFlight(value)


def version_text(value: Any, path: str, problems: list[dict[str, str]]) -> str | None:
    """A version string in normal form, or None after adding to `problems` why `value` is not one."""
    if not isinstance(value, str):
        problems.append(problem(path, f"must be a version string such as 2.1.0, not {type(value).__name__}"))
        return None
    try:
        return canonical_version(value)
    except ValueError:
        # our own words: the parser's message repeats the whole value, however long
        problems.append(problem(path, f"{short(value)} is not a version (versions look like 2.1.0 or 2.1.0rc1)"))
        return None
