"""A real Bot Framework bot on Microsoft's botbuilder-python 4.17: asks the user's name in a waterfall dialog.

Runs under the botbuilder virtualenv (tests/upstream/botbuilder_env.py), never the project's:
`<botbuilder python> tests/upstream/dialog_bot.py --label v1 --host 127.0.0.1 --port 3978`.
It is deployed as the Emulator sees bots: no app id or password, replies POSTed to the inbound activity's
`serviceUrl` while the inbound POST is open. Dialog state lives in `ConversationState` on `MemoryStorage`,
keyed by `conversation.id`, so a new conversation id starts a fresh dialog.
"""

from __future__ import annotations

import argparse
import logging
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import (
    BotAdapter,
    BotFrameworkAdapterSettings,
    ConversationState,
    MemoryStorage,
    MessageFactory,
    TurnContext,
)
from botbuilder.dialogs import (
    DialogSet,
    DialogTurnResult,
    DialogTurnStatus,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions
from botbuilder.integration.aiohttp import (
    BotFrameworkHttpAdapter,
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes, EndOfConversationCodes

QUESTION = "What is your name?"


class NameBot:
    """Asks the user's name, greets them with this process's label, then ends the conversation."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.conversation_state = ConversationState(MemoryStorage())
        self.dialogs = DialogSet(self.conversation_state.create_property("DialogState"))
        self.dialogs.add(TextPrompt("name_prompt"))
        self.dialogs.add(WaterfallDialog("ask_name", [self._ask, self._greet]))

    async def on_turn(self, turn_context: TurnContext) -> None:
        if turn_context.activity.type == ActivityTypes.message:
            dialog_context = await self.dialogs.create_context(turn_context)
            result = await dialog_context.continue_dialog()
            if result.status == DialogTurnStatus.Empty:
                await dialog_context.begin_dialog("ask_name")
        # Saved after every turn, as the SDK's samples do; MemoryStorage keys it by channel and conversation id.
        await self.conversation_state.save_changes(turn_context)

    async def _ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        return await step.prompt("name_prompt", PromptOptions(prompt=MessageFactory.text(QUESTION)))

    async def _greet(self, step: WaterfallStepContext) -> DialogTurnResult:
        name = str(step.result).strip()
        await step.context.send_activity(MessageFactory.text(f"Hello, {name}, from dialog bot {self.label}"))
        await step.context.send_activity(
            Activity(type=ActivityTypes.end_of_conversation, code=EndOfConversationCodes.completed_successfully)
        )
        return await step.end_dialog(name)


ADAPTERS = ("cloud", "legacy")


def make_app(label: str, adapter_kind: str = "cloud") -> web.Application:
    """The aiohttp app: `POST /api/messages` for activities and `GET /healthz`.

    `cloud` is the SDK's current `CloudAdapter`; `legacy` its older `BotFrameworkHttpAdapter`, kept because in
    4.17 only the legacy one answers `deliveryMode: expectReplies` (CloudAdapter fails to serialize the answer).
    """
    # No app id or password: the adapter accepts unauthenticated requests and sends replies without a token,
    # as it does for the Bot Framework Emulator.
    adapter: BotAdapter
    if adapter_kind == "cloud":
        settings = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
        cloud = CloudAdapter(ConfigurationBotFrameworkAuthentication(settings))
        adapter = cloud
    elif adapter_kind == "legacy":
        legacy = BotFrameworkHttpAdapter(BotFrameworkAdapterSettings(app_id="", app_password=""))
        adapter = legacy
    else:
        raise ValueError(f"adapter {adapter_kind!r}: expected one of {', '.join(ADAPTERS)}")
    bot = NameBot(label)

    async def on_error(context: TurnContext, error: Exception) -> None:
        # Logged, then raised again so the inbound POST fails with a 500 instead of looking like a silent turn.
        logging.getLogger("dialog_bot").error("turn failed: %r", error)
        raise error

    adapter.on_turn_error = on_error

    async def messages(request: web.Request) -> web.StreamResponse:
        if adapter_kind == "cloud":
            response = await cloud.process(request, bot)
        else:
            response = await legacy.process(request, None, bot)
        return response if response is not None else web.Response(status=201)

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="A botbuilder-python 4.17 bot that asks the name.")
    parser.add_argument("--label", default="v1", help="said in the greeting, so two processes answer differently")
    parser.add_argument("--adapter", choices=ADAPTERS, default="cloud", help="the SDK adapter that serves the bot")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3978)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    web.run_app(make_app(args.label, args.adapter), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
