"""Fixtures of the bot_versions tests: a real local HTTP server playing zip.example."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest

TOWNS = {"90210": ("Beverly Hills", "California"), "10001": ("New York", "New York")}
ZIPS = {(state, town): zip_code for zip_code, (town, state) in TOWNS.items()}
JSON = "application/json"
Answer = tuple[int, str, str] | None


def _town(method: str, zip_code: str = "") -> Answer:
    if zip_code not in TOWNS:
        return None
    town, state = TOWNS[zip_code]
    return 200, JSON, json.dumps({"town": town, "state": state})


def _zip(method: str, state: str = "", town: str = "") -> Answer:
    if (state, town) not in ZIPS:
        return None
    return 200, JSON, json.dumps({"zip": ZIPS[state, town]})


# first path segment -> (method, other segments) -> (status, content type, body), or None for 404
ROUTES: dict[str, Callable[..., Answer]] = {
    "zip": _town,
    "town": _zip,
    "method": lambda method: (200, JSON + "; charset=utf-8", json.dumps({"method": method})),
    "text": lambda method: (200, "text/plain; charset=utf-8", "plain words"),
    "broken": lambda method: (500, "text/plain", "boom"),
    "redirect": lambda method: (302, "text/plain", ""),
    "big": lambda method: (200, JSON, json.dumps(["x" * 1000] * 100)),
    "bad-json": lambda method: (200, JSON, "{nope"),
    "nan": lambda method: (200, JSON, '{"x": NaN}'),
    "slow": lambda method: (200, JSON, "{}"),
}


class ZipServer(ThreadingHTTPServer):
    """A stand-in for zip.example that records what it was asked."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ZipHandler)
        self.requests: list[tuple[str, str, str]] = []
        self.release = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: a client that timed out closes its socket, so a failed write is expected here."""


class ZipHandler(BaseHTTPRequestHandler):
    """Answers zip.example's routes; as a proxy target it receives absolute URLs, so only the path is read."""

    server: ZipServer

    def do_GET(self) -> None:
        self.answer()

    def do_POST(self) -> None:
        self.answer()

    def do_DELETE(self) -> None:
        self.answer()

    def answer(self) -> None:
        self.server.requests.append((self.command, self.headers.get("Host", ""), self.path))
        route, *args = [unquote(part) for part in urlsplit(self.path).path.strip("/").split("/")]
        if route == "slow":
            self.server.release.wait(5)
        found = ROUTES.get(route, lambda *_: None)(self.command, *args)
        self.send(*(found or (404, "text/plain", "no such place")))

    def send(self, status: int, content_type: str, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if status == 302:
            self.send_header("Location", "http://elsewhere.example/")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output free of one access-log line per request."""


@pytest.fixture(scope="session")
def zip_server() -> Iterator[ZipServer]:
    """A real HTTP server on 127.0.0.1 and an ephemeral port, for the whole test session."""
    server = ZipServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def server_url(zip_server: ZipServer) -> str:
    """The local server's base URL."""
    return f"http://127.0.0.1:{zip_server.server_port}"


@pytest.fixture
async def proxied_client(server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that sends every request (for zip.example too) to the local server, as to a proxy."""
    async with httpx.AsyncClient(proxy=server_url, trust_env=False) as client:
        yield client
