"""The demo lookup the shipped `zipcode` bot calls: a few towns and their zip codes, standard library only.

`botgate serve` starts it on 127.0.0.1:8799 (a thread of its own process) when it serves the shipped examples
(BOTGATE_BOTS_DIR unset), and allows that address in BOTGATE_CALL_HOSTS, so `make run` answers zipcode's questions
with no set-up. It is a demo, not a gazetteer: a zip code or town it does not know is answered
`{"found": false}` (200), so the bot can tell "unknown" from "the lookup is down".

    GET /zip/90210                -> {"found": true, "zip": "90210", "town": "Beverly Hills", "state": "California"}
    GET /town/California/Fresno   -> {"found": true, "zip": "93721", "town": "Fresno", "state": "California"}
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

HOST = "127.0.0.1"
PORT = 8799  # fixed: the zipcode definition names it; never the gateway's port, so `make run PORT=...` keeps it

PLACES = {
    "90210": ("Beverly Hills", "California"),
    "94103": ("San Francisco", "California"),
    "93721": ("Fresno", "California"),
    "10001": ("New York", "New York"),
    "14202": ("Buffalo", "New York"),
    "12207": ("Albany", "New York"),
    "78701": ("Austin", "Texas"),
    "77002": ("Houston", "Texas"),
    "79901": ("El Paso", "Texas"),
}
ZIPS = {(state.lower(), town.lower()): zip_code for zip_code, (town, state) in PLACES.items()}


def place(zip_code: str) -> dict[str, Any]:
    """What the lookup answers for a zip code (a bot's number answer arrives without leading zeros)."""
    key = zip_code.strip().zfill(5)
    if key not in PLACES:
        return {"found": False}
    town, state = PLACES[key]
    return {"found": True, "zip": key, "town": town, "state": state}


def zip_of(state: str, town: str) -> dict[str, Any]:
    """What the lookup answers for a town of a state, in any case."""
    key = ZIPS.get((state.strip().lower(), town.strip().lower()))
    return {"found": False} if key is None else place(key)


def answer(path: str) -> tuple[int, dict[str, Any]]:
    """The status and JSON body for a request path."""
    route, *parts = [unquote(part) for part in urlsplit(path).path.strip("/").split("/")]
    if route == "zip" and len(parts) == 1:
        return 200, place(parts[0])
    if route == "town" and len(parts) == 2:
        return 200, zip_of(*parts)
    return 404, {"error": "try /zip/<zip code> or /town/<state>/<town>"}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = answer(self.path)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the gateway logs each failed call itself."""


def start(host: str = HOST, port: int = PORT) -> ThreadingHTTPServer:
    """Serve the lookup from a daemon thread; OSError when the port is taken. `shutdown()` stops it."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
    return server
