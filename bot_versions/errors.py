"""The gateway's one exception family; `gateway.errors` maps each class to one HTTP status."""

from __future__ import annotations

from typing import Any


class BotgateError(Exception):
    """Base of every error botgate reports to a client as JSON."""

    code = "internal"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(BotgateError):
    """The body could not be read at all (not JSON, not YAML)."""

    code = "bad_request"


class Invalid(BotgateError):
    """The body was read but its fields are missing or wrong."""

    code = "invalid"


class NotFound(BotgateError):
    """No such bot, version, session or route."""

    code = "not_found"


class Conflict(BotgateError):
    """The request contradicts what is stored (e.g. different content under a version)."""

    code = "conflict"


class PreconditionFailed(BotgateError):
    """A conditional change (`If-Match`) was refused: what it was based on changed since it was read.

    `details` holds what is stored now, so the client can apply its change to that and try again.
    """

    code = "precondition_failed"


class TooLarge(BotgateError):
    """The body is over the size limit."""

    code = "too_large"


class Unavailable(BotgateError):
    """The store is down or the session stayed busy; the client should retry later."""

    code = "unavailable"

    def __init__(self, message: str, retry_after: int = 1, details: Any = None) -> None:
        super().__init__(message, details)
        self.retry_after = retry_after


class BotFailed(BotgateError):
    """A version's logic failed the turn (an upstream bot refused, timed out or answered wrongly, replies too large).

    Nothing of the turn is saved: the session stays as it was, and a retry of the message runs the turn again.
    `reason` is a short word for logs and metrics (`timeout`, `status`, `not_json`, ...), never user text.
    """

    code = "bot_error"

    def __init__(self, message: str, reason: str, details: Any = None) -> None:
        super().__init__(message, details)
        self.reason = reason
        # Set by the turn stage: what people are told instead, and the chat answer that tells them.
        self.answer: dict[str, Any] | None = None


class Unauthorized(BotgateError):
    """No valid credentials."""

    code = "unauthorized"


class Forbidden(BotgateError):
    """Valid credentials that do not allow this."""

    code = "forbidden"
