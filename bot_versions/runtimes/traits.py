"""What the runtimes for bots that keep their own dialog (all but flow) have in common."""

from __future__ import annotations

from bot_versions.runtime import Activity, Conversation, Reply, State


class RepeatsReplies:
    """The gateway cannot read the bot's dialog, so "continue? yes" repeats the last replies instead of asking it."""

    repeats_replies = True

    def reprompt(self, state: State) -> list[Reply]:
        return []  # never asked: the turn stage repeats the replies kept with the session


class KeepsConversation(RepeatsReplies):
    """A bot that keys its own state by the gateway's conversation id (Bot Framework bots, Rasa's trackers)."""

    async def migrate(
        self, state: State, from_version: str, activity: Activity, conversation: Conversation
    ) -> State | None:
        """Carry on with the same conversation id: the new version reads the state its predecessor kept there
        (when both share their storage)."""
        return dict(state)
