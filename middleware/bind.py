"""Stage 2: lock and load the session, then decide which conversation and version this message belongs to."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from bot_versions.errors import NotFound
from bot_versions.model import BotVersion, IdlePolicy, Messages
from bot_versions.runtime import Reply
from bot_versions.state import BotState
from middleware.catalog import Catalog
from middleware.context import Action, TurnContext
from middleware.decisions import STARTS_OVER, Decision, decide
from middleware.pipeline import Next
from middleware.routing import resumer, route
from middleware.session import Session, SessionStatus
from middleware.store import SessionStore

NO_POLICY = IdlePolicy()  # a session with no live version before it: nothing to be idle from
DEFAULT_MESSAGES = Messages()


def new_conversation_id() -> str:
    return secrets.token_hex(8)


def _notice(decision: Decision, messages: Messages) -> list[Reply]:
    text = {
        Decision.IDLE_RESET: messages.idle_reset,
        Decision.CONFIRM_RESET: messages.idle_reset,
        Decision.VERSION_RESET: messages.version_reset,
        Decision.IDLE_ASK: messages.idle_ask,
        Decision.CONFIRM_AGAIN: messages.idle_ask_again,
    }.get(decision)
    return [Reply(text)] if text else []


class Bind:
    """Holds the session's turn lock around the rest of the turn and binds it to a conversation and version."""

    def __init__(self, store: SessionStore, catalog: Catalog, new_id: Callable[[], str] = new_conversation_id) -> None:
        self.store = store
        self.catalog = catalog
        self.new_id = new_id

    async def __call__(self, ctx: TurnContext, call_next: Next) -> None:
        async with self.store.turn(ctx.keys, ctx.activity.message_id) as lease:
            ctx.lease = lease
            if lease.seen is not None:
                ctx.stored_response = lease.seen  # a channel retry: answer as before, run nothing
                return
            await self._bind(ctx)
            await call_next(ctx)

    async def _bind(self, ctx: TurnContext) -> None:
        a = ctx.activity
        state = await self.catalog.require_state(a.bot)
        before = ctx.before
        if before is not None and before.is_live and before.version not in state.versions:
            # Another process moved (or started) this conversation on a version this process's view, up to the
            # catalog's max age old, does not know yet: read the view again rather than reset the conversation.
            self.catalog.invalidate(a.bot)
            state = await self.catalog.require_state(a.bot)
        pinned: BotVersion | None = None
        if before is not None and before.is_live:
            pinned = (await self.catalog.version(a.bot, before.version))[0]
        idle = pinned.idle if pinned else NO_POLICY
        meta = state.versions.get(before.version) if before else None
        if before is not None and before.is_live:
            ctx.resumer = resumer(state, before.version, a.user, before.declined)
        ctx.decision = decide(before, idle, meta, a.text, a.received_at_ms, ctx.resumer)
        if ctx.decision is not Decision.MIGRATE:
            ctx.resumer = None
        messages = pinned.messages if pinned else DEFAULT_MESSAGES
        ctx.notices = _notice(ctx.decision, messages)

        if ctx.decision in STARTS_OVER or before is None:
            ctx.session = self._start(before, state, a.user, a.received_at_ms)
            ctx.action = Action.TURN
        else:
            ctx.session, ctx.action = _continue(before, ctx.decision)
        ctx.version = (await self.catalog.version(a.bot, ctx.session.version))[0]

    def _start(self, before: Session | None, state: BotState, user: str, now_ms: int) -> Session:
        target = route(state, user)
        if target is None:
            raise NotFound(f"{state.bot} has no published version to start a conversation on")
        return Session(
            conversation=self.new_id(),
            version=target.version,
            status=SessionStatus.ACTIVE,
            started_at_ms=now_ms,
            last_seen_ms=now_ms,
            turns=before.turns if before else 0,
            revision=before.revision if before else 0,
        )


def _continue(before: Session, decision: Decision) -> tuple[Session, Action]:
    if decision is Decision.IDLE_ASK:
        return before.evolve(status=SessionStatus.CONFIRMING, unclear=0), Action.NOTICE
    if decision is Decision.CONFIRM_AGAIN:
        return before.evolve(unclear=before.unclear + 1), Action.NOTICE
    if decision is Decision.CONFIRM_YES:
        return before.evolve(status=SessionStatus.ACTIVE, unclear=0), Action.REPROMPT
    return before, Action.TURN
