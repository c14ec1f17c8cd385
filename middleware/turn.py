"""Stage 3: run the bound version's runtime, unless bind decided the gateway answers by itself."""

from __future__ import annotations

from middleware.catalog import Catalog
from middleware.context import Action, TurnContext
from middleware.pipeline import Next
from middleware.session import SessionStatus


class RunTurn:
    """Calls `turn(state, activity)` on the version's runtime and advances the session with its result."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    async def __call__(self, ctx: TurnContext, call_next: Next) -> None:
        session = ctx.session
        if session is None:
            raise RuntimeError("the turn stage runs only after bind has bound a session")
        _, runtime = await self.catalog.version(ctx.activity.bot, session.version)
        if ctx.action is Action.TURN:
            result = await runtime.turn(session.state, ctx.activity)
            ctx.replies = [*ctx.notices, *result.replies]
            status = SessionStatus.ENDED if result.done else session.status
            ctx.session = session.evolve(state=result.state, status=status)
        elif ctx.action is Action.REPROMPT:
            ctx.replies = [*ctx.notices, *runtime.reprompt(session.state)]
        else:
            ctx.replies = list(ctx.notices)
        await call_next(ctx)
