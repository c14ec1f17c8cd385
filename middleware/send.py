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
        transcript = _migration(ctx.moved_from, after.version, a.received_at_ms)
        transcript += [
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


def _migration(moved_from: str | None, to: str, at_ms: int) -> list[TranscriptEntry]:
    """The transcript line that marks a conversation's move to a newer version, when this turn moved it."""
    if moved_from is None:
        return []
    return [TranscriptEntry("migration", f"moved from {moved_from} to {to}", to, at_ms, moved_from)]
