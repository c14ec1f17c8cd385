"""`botgate serve`: check the configuration, then run the gateway under uvicorn."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from admin.auth import TokenError, generate_token, parse_tokens, token_notice
from bot_versions.errors import BotgateError
from bot_versions.examples import examples_dir
from bot_versions.loader import load_directory
from gateway.logs import configure
from gateway.metrics import MULTIPROCESS_DIR
from gateway.settings import Settings, SettingsError


def serve(args: argparse.Namespace) -> int:
    """`botgate serve`: check the configuration, make sure there is an admin token, run uvicorn."""
    try:
        settings = Settings.from_env()
        tokens = parse_tokens(settings.admin_tokens)
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
    if not tokens:
        token = generate_token()
        # Every worker builds its app from the environment, so they all accept this one token.
        os.environ["BOTGATE_ADMIN_TOKENS"] = token
        print(token_notice(token), file=sys.stderr)
    configure(settings.log_format)
    base = f"http://{args.host}:{args.port}"
    # Where activity bots reach this gateway's connector when BOTGATE_PUBLIC_URL is not set (workers read it too).
    reachable = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    reachable = f"[{reachable}]" if ":" in reachable else reachable
    os.environ["BOTGATE_SERVE_URL"] = f"http://{reachable}:{args.port}"
    print(
        f"botgate serving on {base}\n"
        f"  web chat:  {base}/chat/greeter\n"
        f'  REST:      curl -s {base}/v1/bots/greeter/messages -d \'{{"user": "me", "text": "hi"}}\'\n'
        f"  admin API: {base}/admin/v1/bots (Authorization: Bearer <token>), schema at {base}/openapi.json",
        file=sys.stderr,
    )
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
    return 0


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
    s = sub.add_parser("serve", help="serve the gateway")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=int(os.environ.get("BOTGATE_PORT", "8000")))
    s.add_argument("--workers", type=int, default=1)
    s.set_defaults(func=serve)
