"""Stage 4: save the turn (session, transcript, duplicate marker, counters) and release the lock."""

from __future__ import annotations

from middleware.context import TurnContext
from middleware.decisions import STARTS_OVER
from middleware.pipeline import Next
from middleware.store import SessionStore, TranscriptEntry


class Send:
    """Commits the turn with a compare-and-set on the session's revision; a fenced turn answers 503."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    async def __call__(self, ctx: TurnContext, call_next: Next) -> None:
        a = ctx.activity
        if ctx.session is None or ctx.lease is None:
            raise RuntimeError("the send stage runs only after bind has bound a session")
        after = ctx.session.evolve(last_seen_ms=a.received_at_ms, turns=ctx.session.turns + 1)
        ctx.session = after
        moved = ctx.moved_from
        transcript = [
            *(
                [
                    TranscriptEntry(
                        "migration", f"moved from {moved} to {after.version}", after.version, a.received_at_ms, moved
                    )
                ]
                if moved
                else []
            ),  # fmt: skip
            TranscriptEntry("user", a.text, after.version, a.received_at_ms),
            *(TranscriptEntry("bot", r.text, after.version, a.received_at_ms) for r in ctx.replies),
        ]
        ctx.session = await self.store.commit(
            ctx.lease,
            after,
            new_conversation=ctx.decision in STARTS_OVER,
            transcript=transcript,
            response=ctx.response(),
            message_id=a.message_id,
            bot=a.bot,
            user=a.user,
        )
        ctx.saved = True
        await call_next(ctx)
