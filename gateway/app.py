"""The app factory and its lifespan: connect the store, load the bots, build the pipeline."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.middleware import Middleware as AsgiMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from admin.app import admin_routes
from admin.audit import STARTUP_ACTOR, log_change
from admin.auth import configured_or_generated, token_notice
from admin.guard import RolloutGuard
from bot_versions.calls import HttpCaller
from bot_versions.examples import examples_dir
from bot_versions.hosts import AllowList
from bot_versions.loader import load_directory
from bot_versions.model import Status
from bot_versions.registry import Registry, wall_ms
from bot_versions.runtimes.env import RuntimeEnv
from bot_versions.runtimes.upstream import Upstream
from gateway import front
from gateway.channels import ROUTES as CHANNEL_ROUTES
from gateway.channels import startup_notes
from gateway.channels.rest import MessagesFirst
from gateway.connector import routes as CONNECTOR_ROUTES
from gateway.errors import HANDLERS, error_response
from gateway.logs import ShutdownSignal, announcer, configure, present, user_references
from gateway.metrics import metrics
from gateway.openapi import openapi_json
from gateway.redis_connection import connect
from gateway.services import Clock, Services, services
from gateway.settings import Settings
from middleware.catalog import Catalog
from middleware.inbox import RedisInbox
from middleware.pipeline import Middleware
from middleware.runner import TurnRunner
from middleware.store import SessionStore

log = structlog.get_logger("botgate.app")


async def publish_directory(registry: Registry, settings: Settings) -> dict[str, list[str]]:
    """Store and publish the bots directory; a version already stored keeps the status operators gave it.

    What was done, for the `bots_loaded` event: versions stored and published now, versions already stored.
    """
    done: dict[str, list[str]] = {"stored_and_published": [], "already_stored": []}
    for version in load_directory(settings.bots_dir or examples_dir(), settings.store_rules()):
        name = f"{version.bot} {version.version}"
        if await registry.put(version, STARTUP_ACTOR):
            await registry.set_status(version.bot, version.version, Status.PUBLISHED, STARTUP_ACTOR)
            done["stored_and_published"].append(name)
        else:
            done["already_stored"].append(name)
    return done


async def build_services(
    settings: Settings, redis: Redis | None, clock: Clock, middleware: Sequence[Middleware]
) -> Services:
    client = redis if redis is not None else connect(settings)
    registry = Registry(client, clock, on_change=log_change)
    caller = HttpCaller(settings.call_hosts)
    upstream = Upstream(AllowList(settings.upstream_hosts, "BOTGATE_UPSTREAM_HOSTS"), settings.upstream_secret)
    inbox = RedisInbox(client)
    env = RuntimeEnv(
        caller=caller,
        upstream=upstream,
        inbox=inbox,
        connector_url=settings.connector_url,
        python_modules=settings.python_modules,
        max_timeout_s=settings.max_upstream_timeout_s,
    )
    store = SessionStore(client, settings.store_limits())
    catalog = Catalog(registry, env)
    runner = TurnRunner(store, catalog, middleware, log_text=settings.log_text)
    return Services(settings, client, registry, store, catalog, runner, caller, upstream, inbox, clock)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """200 when the store answers a PING within the Redis timeout, else 503: a probe needs a prompt answer."""
    svc = services(request)
    try:
        # Bounded as a whole: while Redis stalls, new connections queue behind each other in redis-py's pool.
        async with asyncio.timeout(svc.settings.redis_timeout_s):
            await svc.redis.ping()
    except (RedisError, TimeoutError) as exc:
        return error_response(
            503, "unavailable", f"the store is not reachable ({type(exc).__name__})", headers={"Retry-After": "1"}
        )
    return JSONResponse({"status": "ready"})


def create_app(
    settings: Settings | None = None,
    *,
    redis: Redis | None = None,
    clock: Clock = wall_ms,
    middleware: Sequence[Middleware] = (),
    announce: Callable[[str], None] | None = None,
) -> Starlette:
    """Build the gateway. Pass `redis` to share a client you own (it is then not closed on shutdown).

    Called with no settings, as uvicorn calls it in each worker of `botgate serve`, it reads them from the
    environment and configures logging by them (BOTGATE_LOG_FORMAT, BOTGATE_LOG_USER). Start-up notes go to
    `announce`, by default stderr in console format and log events in JSON format.
    """
    if settings is None:
        settings = Settings.from_env()
        settings.require_tokens_when_shared()
        configure(settings.log_format, user_references(settings.log_user, settings.log_user_key, settings.admin_tokens))
    tokens, generated_token = configured_or_generated(settings.admin_tokens)
    notes = announce or announcer(settings.log_format)
    show_secret = announce or announcer("console")  # a token is never logged: always printed, to stderr
    shutdown = ShutdownSignal()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        svc = await build_services(settings, redis, clock, middleware)
        app.state.services = svc
        try:
            loaded = await publish_directory(svc.registry, settings)
            log.info("bots_loaded", source=str(settings.bots_dir or "the shipped examples"), **loaded)
            if settings.embedded:
                notes(
                    "WARNING: running on the embedded in-process store; nothing is kept across restarts. "
                    "Set BOTGATE_REDIS_URL to use Redis."
                )
            for note in startup_notes(settings):
                notes(note)
            if generated_token is not None:
                show_secret(token_notice(generated_token))
            shutdown.watch()
            app.state.guard = guard = RolloutGuard(
                svc.redis, svc.registry, svc.catalog, settings.guard_interval_s, clock
            )
            guard.start()
            log.info("started", pid=os.getpid(), store="embedded" if settings.embedded else "redis")
            try:
                yield
            finally:
                log.info("stopping", **present({"pid": os.getpid(), "signal": shutdown.name}))
                await guard.stop()
        finally:
            await svc.store.flush()  # health counts wait up to a second in the process: write them before leaving
            await svc.caller.aclose()
            await svc.upstream.aclose()
            if redis is None:
                await svc.redis.aclose()
        log.info("stopped", pid=os.getpid())

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/openapi.json", openapi_json),
            Route("/metrics", metrics),
            *front.routes,
            *CHANNEL_ROUTES,
            *CONNECTOR_ROUTES,
            *admin_routes(tokens),
        ],
        exception_handlers=HANDLERS,
        # inside the server-error layer (an unexpected exception still becomes a logged JSON 500), before the rest
        middleware=[AsgiMiddleware(MessagesFirst)],
        lifespan=lifespan,
    )
