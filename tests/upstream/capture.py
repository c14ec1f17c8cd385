"""A stand-in Bot Framework connector for testing activity bots alone: it records what they POST to serviceUrl."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Captured:
    """One request a bot sent to the connector."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class CaptureServer:
    """A connector on 127.0.0.1 and a free port, in a thread: answers each POST as the Bot Framework service
    does (200 with a ResourceResponse `{"id": ...}`) and keeps every request in `captured`."""

    def __init__(self) -> None:
        self.captured: list[Captured] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner._lock:
                    owner.captured.append(Captured("POST", self.path, dict(self.headers), json.loads(raw or b"null")))
                answer = json.dumps({"id": uuid.uuid4().hex}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the captured requests are the record

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> CaptureServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def for_conversation(self, conversation_id: str) -> list[Captured]:
        """The requests about one conversation, in the order they arrived."""
        prefix = f"/v3/conversations/{conversation_id}/"
        with self._lock:
            return [c for c in self.captured if c.path.startswith(prefix)]
