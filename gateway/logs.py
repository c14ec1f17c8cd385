"""structlog set-up: one JSON object per line, or readable console lines, by BOTGATE_LOG_FORMAT.

Configured once per process: by `botgate serve` for what it says before serving, and by the app factory as uvicorn
calls it (so every `--workers N` worker honours BOTGATE_LOG_FORMAT too). Following structlog's performance advice,
the bound logger class is a filtering one built once, loggers are cached on first use, and nothing goes through
the standard library's logging.

Turn events and user-related admin events carry `user`: the id as the channel sent it, or, with
BOTGATE_LOG_USER=hash, a keyed hash of it (`u#` and 16 hex digits) that operators can correlate across events but
that does not reveal the id without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

import orjson
import structlog
import uvicorn

USER_FIELD = "user"
WARNING_PREFIX = "WARNING: "

# Built once: the class decides at creation which levels are no-ops, so a filtered call costs nothing.
_BOUND_LOGGER = structlog.make_filtering_bound_logger(logging.INFO)

log = structlog.get_logger("botgate")


def user_hasher(key: bytes) -> Callable[[str], str]:
    """The keyed hash that stands for a user id in the logs: the same id and key always give the same reference."""

    def reference(user: str) -> str:
        digest = hmac.new(key, user.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return "u#" + digest[:16]

    return reference


def user_key(log_user_key: str | None, admin_tokens: Sequence[str]) -> bytes:
    """BOTGATE_LOG_USER_KEY, else a key derived from the admin tokens (every process with the same tokens agrees)."""
    if log_user_key:
        return log_user_key.encode()
    material = "\n".join(sorted(admin_tokens)).encode()
    return hmac.new(material, b"botgate log user reference", hashlib.sha256).digest()


def user_references(mode: str, log_user_key: str | None, admin_tokens: Sequence[str]) -> Callable[[str], str] | None:
    """How `user` fields are written: None for the id itself (BOTGATE_LOG_USER=id), else the keyed hash."""
    return user_hasher(user_key(log_user_key, admin_tokens)) if mode == "hash" else None


def _hash_users(reference: Callable[[str], str]) -> structlog.types.Processor:
    def processor(logger: Any, method: str, event: Any) -> Any:
        user = event.get(USER_FIELD)
        if isinstance(user, str):
            event[USER_FIELD] = reference(user)
        return event

    return processor


def configure(log_format: str, user_reference: Callable[[str], str] | None = None) -> None:
    """Configure structlog for the process; with `user_reference`, every `user` field is replaced by it.

    JSON lines are rendered by orjson and written as bytes, and stamped by `IsoTimestamp`: per structlog's
    performance guidance, and measured (docs/benchmarks.md): the turn's line is on every message's path.
    """
    users = [] if user_reference is None else [_hash_users(user_reference)]
    head: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,  # what operators' middleware binds for its turns
        structlog.processors.add_log_level,
        *users,
        IsoTimestamp(),
        structlog.processors.format_exc_info,
    ]
    if log_format == "json":
        renderer: structlog.types.Processor = structlog.processors.JSONRenderer(serializer=json_line)
        factory: Callable[..., Any] = structlog.BytesLoggerFactory(sys.stdout.buffer)
    else:
        renderer, factory = structlog.dev.ConsoleRenderer(colors=False), structlog.PrintLoggerFactory(sys.stdout)
    structlog.configure(
        processors=[*head, renderer],
        wrapper_class=_BOUND_LOGGER,
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )


def json_line(event: Any, **kw: Any) -> bytes:
    """One event as JSON: orjson, or the standard library for what orjson refuses (a lone surrogate, an integer
    past 64 bits), so that writing a log line can never fail the turn it reports."""
    try:
        return orjson.dumps(event, default=kw.get("default"), option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(event, default=repr, skipkeys=True).encode()


class IsoTimestamp:
    """`timestamp` in ISO 8601 UTC with microseconds, as structlog's TimeStamper(fmt="iso", utc=True) writes it, but
    with the date and time formatted once a second rather than on every event."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second, self._prefix = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        event["timestamp"] = f"{self._prefix}.{int((now - second) * 1_000_000):06d}Z"
        return event


def announcer(log_format: str) -> Callable[[str], None]:
    """Where start-up notes go: stderr for people (console), or the log as events (json), warnings as warnings."""
    if log_format != "json":
        return lambda line: print(line, file=sys.stderr)

    def announce(line: str) -> None:
        if line.startswith(WARNING_PREFIX):
            log.warning("startup_warning", message=line.removeprefix(WARNING_PREFIX))
        else:
            log.info("startup_note", message=line)

    return announce


def present(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields that have a value: an event never shows `None`."""
    return {name: value for name, value in fields.items() if value is not None}


class ShutdownSignal:
    """Which signal (SIGTERM, SIGINT for Ctrl-C) asked this process to stop, for the `stopping` event.

    uvicorn owns the signals of a process it serves; `watch` puts a note-taker in front of its handlers and
    calls them as before. A signal that came before `watch` (a worker told to stop while it was still starting) is
    read from what uvicorn's server captured. Where uvicorn does not own them (tests, a server in a thread) it changes
    nothing.
    """

    def __init__(self) -> None:
        self._noted: str | None = None
        self._server: uvicorn.Server | None = None

    @property
    def name(self) -> str | None:
        """The first stopping signal's name, or None when none came (the app was stopped some other way)."""
        if self._noted is None and self._server is not None:
            captured = getattr(self._server, "_captured_signals", [])  # uvicorn's own record; absent in other versions
            if captured:
                return signal.Signals(captured[0]).name
        return self._noted

    def watch(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for number in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(number)
            server = getattr(previous, "__self__", None)
            if isinstance(server, uvicorn.Server) and callable(previous):
                self._server = server
                signal.signal(number, self._noting(previous))

    def _noting(self, previous: Callable[[int, Any], Any]) -> Callable[[int, Any], None]:
        def handler(number: int, frame: Any) -> None:
            self._noted = self._noted or signal.Signals(number).name
            previous(number, frame)

        return handler
