"""Real uvicorn servers on 127.0.0.1, each in its own thread: the gateway for browsers and WebSockets, fake peers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from bot_versions.examples import examples_dir
from gateway.app import create_app
from gateway.services import Services
from gateway.settings import Settings


@dataclass
class Served:
    """A running server: its base URL, and a way to run code on its event loop."""

    server: uvicorn.Server
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, fn: Callable[[], Any]) -> None:
        """Run `fn` on the server's loop and wait for it, so it never races the requests being served."""
        loop = self.server.servers[0].get_loop()
        done = threading.Event()

        def run() -> None:
            try:
                fn()
            finally:
                done.set()

        loop.call_soon_threadsafe(run)
        if not done.wait(5):
            raise RuntimeError("the server's loop did not run the call within 5 s")


@contextmanager
def serving(app: ASGIApp, port: int = 0, timeout: float = 10.0) -> Iterator[Served]:
    """Serve `app` (lifespan included) on 127.0.0.1 until the block ends; port 0 picks a free one."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # so a test can restart a server on its port
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    # log_config=None: leave the test process's logging configuration alone.
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_config=None, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn on port {port} did not start within {timeout} s")
            time.sleep(0.01)
        yield Served(server, port)
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


def only_bots(tmp_path: Path, *names: str) -> Path:
    """A bots directory holding copies of some shipped examples."""
    bots = tmp_path / "bots"
    bots.mkdir(exist_ok=True)
    for name in names:
        (bots / name).write_text((examples_dir() / name).read_text())
    return bots


@contextmanager
def serving_gateway(settings: Settings, port: int = 0) -> Iterator[tuple[Served, list[str]]]:
    """The whole gateway under uvicorn, on its own Redis client; yields the server and what it announced."""
    announced: list[str] = []
    app = create_app(settings, announce=announced.append)
    with serving(app, port) as served:
        yield served, announced


def gateway_services(served: Served) -> Services:
    """The services of a gateway served by `serving_gateway`."""
    app: Starlette = served.server.config.app
    svc: Services = app.state.services
    return svc


@dataclass
class Recorder:
    """A fake peer (a Bot Framework connector, a token or key endpoint) that records every request it gets.

    `answers` maps a path to what it answers; any other path gets a connector's `{"id": ...}`.
    """

    received: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    answers: dict[str, Callable[[Request, bytes], Response]] = field(default_factory=dict)

    def app(self) -> Starlette:
        async def endpoint(request: Request) -> Response:
            body = await request.body()
            path = request.scope["raw_path"].decode()  # as sent: percent-encoding is part of what is checked
            self.received.append((request.method, path, dict(request.headers), body))
            answer = self.answers.get(path)
            return answer(request, body) if answer else JSONResponse({"id": f"reply-{len(self.received)}"})

        return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])

    def bodies(self, path_prefix: str = "") -> list[bytes]:
        return [body for _, path, _, body in self.received if path.startswith(path_prefix)]
