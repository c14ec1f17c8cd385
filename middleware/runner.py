"""Runs one turn through the pipeline and logs one structured event for it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import structlog

from bot_versions.errors import BotFailed, BotgateError
from bot_versions.runtime import Activity
from middleware import metrics
from middleware.bind import Bind
from middleware.catalog import Catalog
from middleware.context import TurnContext
from middleware.health import latency_bucket, minute_of
from middleware.keys import SessionKeys
from middleware.metrics import labelled
from middleware.outcomes import turn_events
from middleware.pipeline import Middleware, build, with_hooks
from middleware.receive import Receive, check_lengths
from middleware.send import Send
from middleware.store import SessionStore, Stale
from middleware.turn import RunTurn

log = structlog.get_logger("botgate.turn")

CONVERSATION_EVENTS = frozenset({"started", "completed", "reset", "migrated"})


class TurnRunner:
    """The gateway's one entry point for a message, whatever channel it came from."""

    def __init__(
        self,
        store: SessionStore,
        catalog: Catalog,
        middleware: Sequence[Middleware] = (),
        log_text: bool = False,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.log_text = log_text
        self.middleware = tuple(middleware)
        self._chain = build(with_hooks(Receive(), Bind(store, catalog), RunTurn(catalog), Send(store), middleware))

    async def handle(self, activity: Activity) -> TurnContext:
        """Run the turn; the context holds the replies and the session it ended in."""
        ctx: TurnContext | None = None
        started = time.perf_counter()
        outcome = "ok"
        reason: str | None = None
        tries = 1
        try:
            # The session's keys are built from these fields, so they are checked before anything else.
            check_lengths(activity.user, activity.text, activity.space, activity.message_id)
            session_keys = SessionKeys.of(activity.bot, activity.channel, activity.user, activity.space)
            ctx = TurnContext(activity, session_keys)
            # Operators' hooks may have side effects, so only the built-in stages ever run a turn twice.
            if self.middleware or not await self.catalog.replayable(activity.bot):
                await self._chain(ctx)  # bind takes the lock and loads the session before the bot runs
                return ctx
            async with self.store.serving(session_keys, speculate=True):
                try:
                    await self._chain(ctx)
                except Stale:  # the cached session was out of date: run again on the stored one, under its lock
                    ctx = TurnContext(activity, session_keys)
                    tries = 2
                    await self._chain(ctx)
            return ctx
        except BotFailed as exc:
            outcome, reason = exc.code, exc.reason
            raise
        except BotgateError as exc:
            outcome = exc.code
            raise
        except Exception:
            outcome = "error"
            raise
        finally:
            seconds = time.perf_counter() - started
            if ctx is not None and ctx.stored_response is not None:
                outcome = "duplicate"  # answered from the stored answer: no turn ran
            self._log(activity, ctx, outcome, reason, tries, seconds)
            if ctx is not None:
                self._count(ctx, outcome, reason, seconds)

    def _count(self, ctx: TurnContext, outcome: str, reason: str | None, seconds: float) -> None:
        """Feed the turn to its versions' health (Redis, batched) and to /metrics; bots not bound count nowhere."""
        a, session = ctx.activity, ctx.session
        failed = outcome in ("bot_error", "error")
        events = turn_events(ctx, failed)
        if session is not None:
            labelled(metrics.TURNS, a.bot, session.version, a.channel, outcome).inc()
            labelled(metrics.TURN_SECONDS, a.bot, a.channel).observe(seconds)
            if failed:
                labelled(metrics.BOT_ERRORS, a.bot, session.version, reason or "exception").inc()
            if ctx.failed_calls:  # handled by the bot, so not a failed turn; but an operator alerts on it
                labelled(metrics.BOT_ERRORS, a.bot, session.version, "call_failed").inc(ctx.failed_calls)
        if ctx.migration_failure is not None and ctx.resumer is not None:
            labelled(metrics.BOT_ERRORS, a.bot, ctx.resumer, ctx.migration_failure.reason).inc()
        counts: dict[str, int] = {}
        for version, event in events:
            key = f"{version}|{event}"
            counts[key] = counts.get(key, 0) + 1
            if event in CONVERSATION_EVENTS:
                labelled(metrics.CONVERSATIONS, a.bot, version, event).inc()
            elif event == "turns":
                counts[f"{version}|lat|{latency_bucket(seconds * 1000)}"] = 1
        self.store.observe(a.bot, minute_of(a.received_at_ms), counts)

    def _log(
        self, a: Activity, ctx: TurnContext | None, outcome: str, reason: str | None, tries: int, seconds: float
    ) -> None:
        session = ctx.session if ctx else None
        fields: dict[str, Any] = {
            "bot": a.bot,
            "channel": a.channel,
            "user": a.user,  # the id, or its keyed hash where the log set-up says so (BOTGATE_LOG_USER=hash)
            "version": session.version if session else None,
            "conversation": session.conversation if session else None,
            "decision": ctx.decision.value if ctx and ctx.decision else None,
            "outcome": outcome,
            "saved": bool(ctx and ctx.saved),
            "tries": tries,
            "replies": len(ctx.replies) if ctx else 0,
            "duration_ms": round(seconds * 1000, 2),
        }
        if reason is not None:
            fields["reason"] = reason  # why the bot failed the turn: a short word, never the bot's text
        if self.log_text:
            fields["text"] = a.text
        # only the fields that have a value: a duplicate or a refused turn has no version or decision to show
        log.info("turn", **{name: value for name, value in fields.items() if value is not None})
