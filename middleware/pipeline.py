"""The turn pipeline: stages folded once into one callable, plus operators' own middleware hooks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from middleware.context import TurnContext

Next = Callable[[TurnContext], Awaitable[None]]


class Stage(Protocol):
    """One step of a turn: do work, then `await call_next(ctx)`, or answer and stop by not calling it."""

    async def __call__(self, ctx: TurnContext, call_next: Next) -> None: ...


class Middleware:
    """Base for operators' and bot authors' middleware, as Bot Framework's `bot.use()`.

    Override any of the hooks. `receive` runs after the message is validated, before any
    session is touched; `bind` after the session is bound and locked, before the bot runs;
    `send` after the bot answered, before the turn is saved. A hook that does not call
    `call_next` stops the turn there: nothing after it runs and the session is not saved,
    and whatever replies the hook put in `ctx.replies` are the answer.
    """

    async def receive(self, ctx: TurnContext, call_next: Next) -> None:
        await call_next(ctx)

    async def bind(self, ctx: TurnContext, call_next: Next) -> None:
        await call_next(ctx)

    async def send(self, ctx: TurnContext, call_next: Next) -> None:
        await call_next(ctx)


async def _end(ctx: TurnContext) -> None:
    return None


def _link(stage: Stage, call_next: Next) -> Next:
    async def step(ctx: TurnContext) -> None:
        await stage(ctx, call_next)

    return step


def build(stages: Sequence[Stage]) -> Next:
    """Fold stages into one callable, once, so a turn does not rebuild the chain."""
    chain: Next = _end
    for stage in reversed(stages):
        chain = _link(stage, chain)
    return chain


def with_hooks(
    receive: Stage, bind: Stage, turn: Stage, send: Stage, middleware: Sequence[Middleware] = ()
) -> list[Stage]:
    """Interleave the built-in stages with the operators' hooks, in the order the middleware was given."""
    return [
        receive,
        *(m.receive for m in middleware if type(m).receive is not Middleware.receive),
        bind,
        *(m.bind for m in middleware if type(m).bind is not Middleware.bind),
        turn,
        *(m.send for m in middleware if type(m).send is not Middleware.send),
        send,
    ]
