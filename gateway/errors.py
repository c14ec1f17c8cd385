"""Every error leaves the gateway as JSON: `{"error": {"code", "message", "details"}}`, with one status per class."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from bot_versions import errors
from bot_versions.safe_json import ascii_dumps

log = structlog.get_logger("botgate.http")

STATUS: dict[type[errors.BotgateError], int] = {
    errors.BadRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PreconditionFailed: 412,
    errors.TooLarge: 413,
    errors.Invalid: 422,
    errors.BotFailed: 502,
    errors.Unavailable: 503,
}

HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def status_of(exc: errors.BotgateError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


class ErrorResponse(JSONResponse):
    """A JSON error that always renders: an answer about a failure must not fail in turn.

    ASCII with escapes is valid JSON for every client and cannot fail to encode (a lone surrogate in a message is
    written `\\ud800`); values JSON cannot hold become text, and details that cannot be written at all (NaN, a
    cycle) are dropped rather than losing the error.
    """

    def render(self, content: Any) -> bytes:
        try:
            return ascii_dumps(content, default=str)
        except (ValueError, RecursionError):
            error = content["error"]
            return ascii_dumps({"error": {"code": error["code"], "message": error["message"], "details": None}})


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return ErrorResponse(
        {"error": {"code": code, "message": message, "details": details}}, status_code=status, headers=headers
    )


def _headers(exc: errors.BotgateError) -> dict[str, str] | None:
    if isinstance(exc, errors.Unavailable):
        return {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, errors.PreconditionFailed) and isinstance(exc.details, dict) and "etag" in exc.details:
        return {"ETag": str(exc.details["etag"])}  # the current tag, so a client can retry on what is stored now
    if isinstance(exc, errors.Unauthorized):
        return {"WWW-Authenticate": "Bearer"}  # RFC 6750: tell the client which scheme to use
    return None


def botgate_error_response(exc: errors.BotgateError) -> JSONResponse:
    """The JSON error, status and headers that `exc` leaves the gateway as."""
    return error_response(status_of(exc), exc.code, exc.message, exc.details, _headers(exc))


async def botgate_error(request: Request, exc: errors.BotgateError) -> Response:
    return botgate_error_response(exc)


async def http_error(request: Request, exc: HTTPException) -> Response:
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled_error", path=request.url.path, error=type(exc).__name__, exc_info=exc)
    return error_response(500, "internal", "the gateway failed to handle this request; it has been logged")


async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
    """A client gone before its request was whole: nothing ran, nobody reads the answer, and it is no error of ours
    (uvicorn drops what is sent to a closed connection)."""
    return error_response(400, "bad_request", "the client went away before its request was whole")


HANDLERS: dict[Any, Any] = {
    ClientDisconnect: client_gone,
    errors.BotgateError: botgate_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
