"""Stage 3: run the bound version's runtime, unless bind decided the gateway answers by itself."""

from __future__ import annotations

import structlog

from bot_versions.errors import BotFailed
from bot_versions.limits import replies_problem
from bot_versions.model import BotVersion
from bot_versions.runtime import Conversation, Reply, Runtime
from middleware.catalog import Catalog
from middleware.context import Action, TurnContext
from middleware.decisions import Decision
from middleware.pipeline import Next
from middleware.session import Session, SessionStatus

log = structlog.get_logger("botgate.migration")


class RunTurn:
    """Calls `turn(state, activity)` on the version's runtime and advances the session with its result.

    A failed turn (`BotFailed`, from any runtime, or replies over the limits) goes on up with the answer people
    get instead, the version's `messages.bot_error`; nothing after this stage runs, so nothing is saved.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    async def __call__(self, ctx: TurnContext, call_next: Next) -> None:
        session = ctx.session
        if session is None:
            raise RuntimeError("the turn stage runs only after bind has bound a session")
        version, runtime = await self.catalog.version(ctx.activity.bot, session.version)
        if ctx.action is Action.TURN:
            if ctx.resumer is not None:
                session, version, runtime = await self._migrate(ctx, session, version, runtime)
            try:
                ctx.session = await self._run(ctx, session, version, runtime)
            except BotFailed as exc:
                # Nothing of the turn (nor a move in it) is saved: the answer names the session as it stays.
                exc.answer = _apology(ctx.before, version)
                raise
        elif ctx.action is Action.REPROMPT:
            again = [Reply.from_json(r) for r in session.last] if runtime.repeats_replies else None
            ctx.replies = [*ctx.notices, *(again if again is not None else runtime.reprompt(session.state))]
        else:
            ctx.replies = list(ctx.notices)
        await call_next(ctx)

    async def _migrate(
        self, ctx: TurnContext, session: Session, version: BotVersion, runtime: Runtime
    ) -> tuple[Session, BotVersion, Runtime]:
        """Move the conversation to the resuming version, with the state it carries on from; or stay on its own.

        Nothing is written here: the move is saved with the turn it answers, or not at all.
        """
        target = ctx.resumer
        if target is None:
            return session, version, runtime
        new_version, new_runtime = await self.catalog.version(ctx.activity.bot, target)
        conversation = Conversation(session.conversation)
        try:
            state = await new_runtime.migrate(session.state, session.version, ctx.activity, conversation)
        except BotFailed as exc:  # an error of that version; the conversation carries on where it was
            ctx.decision, ctx.migration_failure = Decision.MIGRATE_FAILED, exc
            log.warning(
                "migrate_failed",
                bot=ctx.activity.bot,
                version=target,
                from_version=session.version,
                conversation=session.conversation,
                reason=exc.reason,
            )
            return session, version, runtime
        if state is None:
            ctx.decision = Decision.MIGRATE_DECLINED
            return session.evolve(declined=target), version, runtime
        ctx.moved_from = session.version
        return session.evolve(version=target, state=state, declined=""), new_version, new_runtime

    async def _run(self, ctx: TurnContext, session: Session, version: BotVersion, runtime: Runtime) -> Session:
        result = await runtime.turn(session.state, ctx.activity, Conversation(session.conversation))
        problem = replies_problem(result.replies)
        if problem is not None:
            raise BotFailed(f"{version.bot} {version.version} answered too much: {problem}", "reply_too_large")
        ctx.replies = [*ctx.notices, *result.replies]
        ctx.failed_calls = result.failed_calls
        return session.evolve(
            state=result.state,
            status=SessionStatus.ENDED if result.done else session.status,
            last=[reply.to_json() for reply in result.replies] if runtime.repeats_replies else [],
        )


def _apology(before: Session | None, version: BotVersion) -> dict[str, object]:
    """The chat answer of a failed turn: the failing version's bot_error message, and the session as it stays (on the
    version it was on, even when the turn would have moved it; none, when the turn would have started one)."""
    stays = before if before is not None and before.is_live else None
    return {
        "replies": [{"text": version.messages.bot_error}],
        "conversation": stays.conversation if stays is not None else None,
        "version": stays.version if stays is not None else version.version,
        "status": stays.status.value if stays is not None else None,
    }
