"""`botgate serve`: check the configuration and the port, then run the gateway under uvicorn.

Everything that can stop start-up is checked before anything is printed or bound: the settings, the admin tokens,
the definition files, and whether the port is free. With the shipped examples (BOTGATE_BOTS_DIR unset) it also runs
the demo lookup the zipcode bot calls, in this process, and allows it in BOTGATE_CALL_HOSTS.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer

import structlog
import uvicorn

from admin.auth import TokenError, generate_token, parse_tokens, token_notice
from bot_versions.errors import BotgateError
from bot_versions.examples import examples_dir, lookup
from bot_versions.loader import load_directory
from gateway.cli.common import HelpFormatter
from gateway.logs import announcer, configure, present
from gateway.metrics import MULTIPROCESS_DIR
from gateway.settings import Settings, SettingsError

log = structlog.get_logger("botgate.serve")

DEFAULT_PORT = 8000
LOOKUP_ADDRESS = f"{lookup.HOST}:{lookup.PORT}"


def serve(args: argparse.Namespace) -> int:
    """`botgate serve`: check everything, make sure there is an admin token, run uvicorn; 2 when it cannot start."""
    try:
        settings = Settings.from_env()
        tokens = parse_tokens(settings.admin_tokens)
        settings.require_tokens_when_shared()
        # Fail before binding the port: a bad definition file should stop the deploy, not the first turn.
        load_directory(settings.bots_dir or examples_dir(), settings.store_rules())
    except (SettingsError, TokenError, BotgateError) as exc:
        print(f"botgate: {exc}", file=sys.stderr)
        return 2
    if settings.embedded and args.workers > 1:
        print(
            "botgate: --workers > 1 needs BOTGATE_REDIS_URL: each worker would have its own embedded store",
            file=sys.stderr,
        )
        return 2
    problem = port_problem(args.host, args.port)
    if problem is not None:
        print(f"botgate: {problem}", file=sys.stderr)
        return 2
    if not tokens:
        token = generate_token()
        # Every worker builds its app from the environment, so they all accept this one token.
        os.environ["BOTGATE_ADMIN_TOKENS"] = token
        print(token_notice(token), file=sys.stderr)
    # For this process's own events (the banner, signals); each app configures the turn's logging, user references
    # included, as uvicorn builds it.
    configure(settings.log_format)
    # Where activity bots reach this gateway's connector when BOTGATE_PUBLIC_URL is not set (workers read it too).
    reachable = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    reachable = f"[{reachable}]" if ":" in reachable else reachable
    os.environ["BOTGATE_SERVE_URL"] = f"http://{reachable}:{args.port}"
    demo = start_demo_lookup(settings) if settings.bots_dir is None else None
    banner(settings, f"http://{args.host}:{args.port}", args.workers, demo)
    try:
        with _metrics_shared_by(args.workers):
            uvicorn.run(
                "gateway.app:create_app",
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                log_level="warning",
                access_log=False,
            )
    finally:
        if isinstance(demo, ThreadingHTTPServer):
            demo.shutdown()
            demo.server_close()
    return 0


def port_problem(host: str, port: int) -> str | None:
    """Why the gateway could not listen on host:port, with how to pick another port; None when it can.

    Binds a socket as uvicorn will (same family, SO_REUSEADDR) and closes it at once.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            why = f"port {port} on {host} is taken: another botgate, or another program, is listening there"
        else:
            why = f"cannot listen on {host} port {port}: {exc.strerror or exc}"
        other = port + 1 if 0 < port < 65535 else DEFAULT_PORT
        return (
            f"{why}. Pick another port: `botgate serve --port {other}`, `BOTGATE_PORT={other} botgate serve`, "
            f"or `make run PORT={other}`"
        )
    return None


def start_demo_lookup(settings: Settings) -> ThreadingHTTPServer | str:
    """Run the lookup the shipped zipcode bot calls and allow it for `call` steps; what to tell when it could not.

    The zipcode definition names the lookup's fixed address, so when another process holds that port (another
    botgate's demo lookup, say) the bot's calls go there: say so, and carry on.
    """
    hosts = [entry for entry in os.environ.get("BOTGATE_CALL_HOSTS", "").split(",") if entry.strip()]
    os.environ["BOTGATE_CALL_HOSTS"] = ",".join([*hosts, LOOKUP_ADDRESS])  # read by the app in every worker
    try:
        return lookup.start()
    except OSError as exc:
        return (
            f"WARNING: the zipcode demo lookup could not listen on {LOOKUP_ADDRESS} ({exc.strerror or exc}); "
            "the zipcode bot's calls go to whatever listens there (another botgate's demo lookup answers the same)"
        )


def banner(settings: Settings, base: str, workers: int, demo: ThreadingHTTPServer | str | None) -> None:
    """What the gateway serves and where: lines on stderr for people, or one `serving` event in JSON format."""
    demo_url = f"http://{LOOKUP_ADDRESS}" if isinstance(demo, ThreadingHTTPServer) else None
    if settings.log_format == "json":
        fields = {"url": base, "workers": workers, "start_page": f"{base}/", "web_chat": f"{base}/chat/{{bot}}",
                  "api_docs": f"{base}/docs", "openapi": f"{base}/openapi.json", "demo_lookup": demo_url}  # fmt: skip
        log.info("serving", **present(fields))
    else:
        lines = [
            f"botgate serving on {base}",
            f"  start page: {base}/ (the bots, their web chat, the dashboard and the API docs)",
            f"  web chat:   {base}/chat/greeter",
            f'  REST:       curl -s {base}/v1/bots/greeter/messages -d \'{{"user": "me", "text": "hi"}}\'',
            f"  admin API:  {base}/admin/v1/bots (Authorization: Bearer <token>), docs at {base}/docs",
        ]
        if demo_url is not None:
            lines.append(f"  zipcode's demo lookup: {demo_url} (allowed in BOTGATE_CALL_HOSTS)")
        print("\n".join(lines), file=sys.stderr)
    if isinstance(demo, str):
        announcer(settings.log_format)(demo)


@contextmanager
def _metrics_shared_by(workers: int) -> Iterator[None]:
    """With several workers, /metrics of any one must count every worker's turns: prometheus-client's multiprocess
    mode, in a directory of this run's own (removed at exit) unless PROMETHEUS_MULTIPROC_DIR names one already."""
    if workers == 1 or os.environ.get(MULTIPROCESS_DIR):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="botgate-metrics-") as directory:
        os.environ[MULTIPROCESS_DIR] = directory  # read by each worker when it imports prometheus-client
        try:
            yield
        finally:
            del os.environ[MULTIPROCESS_DIR]


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `botgate serve`."""
    description = (
        "Serve the gateway: check the settings (BOTGATE_* variables, see docs/operations.md), the definition files "
        "and the port, then serve. Exit status 2 when it cannot start."
    )
    s = sub.add_parser("serve", help="serve the gateway", description=description, formatter_class=HelpFormatter)
    s.add_argument("--host", default="127.0.0.1", help="the address to listen on (0.0.0.0: every interface)")
    s.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("BOTGATE_PORT") or DEFAULT_PORT),
        help="the port to listen on (default: BOTGATE_PORT or %(default)s)",
    )
    s.add_argument("--workers", type=int, default=1, help="worker processes (more than 1 needs BOTGATE_REDIS_URL)")
    s.set_defaults(func=serve)
