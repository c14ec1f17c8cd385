"""Fixtures for the fault tests: gateways in their own processes, a never-ending bot, a slow server to call."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.gateway.test_concurrency import COUNTER
from tests.processes import ServerProcess, botgate_serve
from tests.redis_servers import RedisServer, free_port

StartGateway = Callable[..., ServerProcess]
StartRedis = Callable[..., RedisServer]


@pytest.fixture
def counter_bots(tmp_path: Path) -> Path:
    """A bots directory holding only `counter`: ask, echo the answer, ask again, forever."""
    bots = tmp_path / "bots"
    bots.mkdir()
    (bots / "counter.yaml").write_text(yaml.safe_dump(COUNTER))
    return bots


@pytest.fixture
def start_redis(tmp_path: Path) -> Iterator[StartRedis]:
    """Start private redis-servers with data in tmp_path/redis (again on `port`, to restart); all stopped at the end."""
    started: list[RedisServer] = []

    def start(*extra: str, port: int | None = None) -> RedisServer:
        server = RedisServer(tmp_path / "redis", extra=extra, port=port or free_port())
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def start_gateway(tmp_path: Path) -> Iterator[StartGateway]:
    """Start `botgate serve` processes (JSON logs in tmp_path); every one still running is stopped at the end."""
    started: list[ServerProcess] = []

    def start(redis_url: str, bots_dir: Path, **env: str) -> ServerProcess:
        settings: Mapping[str, str] = {
            "BOTGATE_REDIS_URL": redis_url,
            "BOTGATE_BOTS_DIR": str(bots_dir),
            "BOTGATE_LOG_FORMAT": "json",
            "BOTGATE_ADMIN_TOKENS": "fault-test-token",
            **env,
        }
        log_path = tmp_path / f"gateway-{len(started)}.log"
        server = ServerProcess(botgate_serve(), settings, log_path)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


class SlowServer:
    """A local HTTP server for `call` steps: `/stall` answers after `stall` seconds, any other path at once."""

    def __init__(self, stall: float) -> None:
        self.stall = stall
        self.stalled = threading.Event()  # set when a /stall request has arrived
        self.closing = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/stall":
                    owner.stalled.set()
                    owner.closing.wait(owner.stall)
                body = json.dumps({"path": self.path}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the caller may have been killed
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # the tests read the gateway's log, not this one

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.port: int = self.http.server_address[1]
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def lookup_bot(self) -> dict[str, object]:
        """A bot that looks up whatever it is told on this server: `stall` keeps its turn waiting."""
        return {
            "bot": "lookup",
            "version": "1.0.0",
            "start": "ask",
            "steps": {
                "ask": {"ask": "What should I look up?", "save": "what", "next": "fetch"},
                "fetch": {
                    "call": {"url": f"http://127.0.0.1:{self.port}/{{what}}", "save": "found", "timeout": 30},
                    "next": "show",
                    "on_error": "show",
                },
                "show": {"say": "Looked up {what}", "next": "ask"},
            },
        }


@pytest.fixture
def slow_server(counter_bots: Path) -> Iterator[SlowServer]:
    """A slow local server, its `lookup` bot written beside `counter` (allow 127.0.0.1:port in BOTGATE_CALL_HOSTS)."""
    server = SlowServer(stall=10.0)
    server.thread.start()
    (counter_bots / "lookup.yaml").write_text(yaml.safe_dump(server.lookup_bot()))
    yield server
    server.closing.set()
    server.http.shutdown()
    server.http.server_close()
