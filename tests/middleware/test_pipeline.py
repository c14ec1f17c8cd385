"""The pipeline: stages run in order, and operators' hooks can look, change, or answer and stop."""

from __future__ import annotations

from redis.asyncio import Redis

from bot_versions.runtime import Reply
from middleware.context import TurnContext
from middleware.keys import SessionKeys
from middleware.pipeline import Middleware, Next, build
from tests.support import running_gateway, snapshot


async def test_build_folds_stages_in_order_and_a_stage_that_does_not_call_next_stops_the_chain() -> None:
    """Stages run first to last; one that answers itself ends the turn there."""
    seen: list[str] = []

    def stage(name: str, stop: bool = False):  # type: ignore[no-untyped-def]
        async def run(ctx: TurnContext, call_next: Next) -> None:
            seen.append(name)
            if not stop:
                await call_next(ctx)

        return run

    chain = build([stage("a"), stage("b", stop=True), stage("c")])
    await chain(None)  # type: ignore[arg-type]
    assert seen == ["a", "b"]


class Help(Middleware):
    """Answers /help itself, before any session is touched."""

    async def receive(self, ctx: TurnContext, call_next: Next) -> None:
        if ctx.activity.text.strip() == "/help":
            ctx.replies = [Reply("Just answer the questions.")]
            return
        await call_next(ctx)


class WhichVersion(Middleware):
    """Answers /version with the version the session is bound to, without running the bot."""

    async def bind(self, ctx: TurnContext, call_next: Next) -> None:
        if ctx.activity.text.strip() == "/version" and ctx.session is not None:
            ctx.replies = [Reply(f"You are talking to {ctx.session.version}.")]
            return
        await call_next(ctx)


class Shout(Middleware):
    """Changes the bot's replies on their way out; they are saved as changed."""

    async def send(self, ctx: TurnContext, call_next: Next) -> None:
        ctx.replies = [Reply(r.text.upper(), r.choices) for r in ctx.replies]
        await call_next(ctx)


async def test_a_receive_hook_can_answer_without_touching_the_session(redis: Redis) -> None:
    """/help is answered by the hook; the store does not change."""
    async with running_gateway(redis, middleware=[Help()]) as gw:
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        before = await snapshot(redis)
        reply = await alice.send("/help")
        assert reply["replies"] == [{"text": "Just answer the questions."}]
        assert await snapshot(redis) == before
        assert await alice.says("Alice") == ["Hello, Alice, from the updated bot"]


async def test_a_bind_hook_sees_the_bound_session_and_can_answer_in_its_place(redis: Redis) -> None:
    """/version mid-conversation names the pinned version; the conversation carries on afterwards."""
    async with running_gateway(redis, middleware=[WhichVersion()]) as gw:
        alice = gw.chat("greeter", "alice")
        await alice.send("hi")
        assert await alice.says("/version") == ["You are talking to 2.0.0."]
        assert await alice.says("Alice") == ["Hello, Alice, from the updated bot"]


async def test_a_send_hook_changes_replies_before_they_are_saved(redis: Redis) -> None:
    """The user and the transcript both get the changed replies."""
    async with running_gateway(redis, middleware=[Shout()]) as gw:
        alice = gw.chat("greeter", "alice")
        assert await alice.says("hi") == ["WHAT IS YOUR NAME?"]
        keys = SessionKeys.of("greeter", "rest", "alice")
        rows = await redis.xrange(keys.transcript(alice.last["conversation"]))
        assert rows[-1][1][b"text"] == b"WHAT IS YOUR NAME?"


async def test_hooks_run_in_the_order_the_middleware_was_given(redis: Redis) -> None:
    """Two middleware: the first one's hook runs first and can stop the second's."""
    async with running_gateway(redis, middleware=[Help(), Shout()]) as gw:
        alice = gw.chat("greeter", "alice")
        assert await alice.says("/help") == ["Just answer the questions."]
        assert await alice.says("hi") == ["WHAT IS YOUR NAME?"]
