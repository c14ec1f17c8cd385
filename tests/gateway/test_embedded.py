"""The embedded default: with no BOTGATE_REDIS_URL the gateway runs on in-process fakeredis, Lua included."""

from __future__ import annotations

import httpx

from gateway.app import create_app
from gateway.settings import Settings
from tests.clock import ManualClock


async def test_the_embedded_store_runs_a_whole_conversation_and_says_it_keeps_nothing() -> None:
    """make run's default: the same code path, scripts included, on fakeredis, with a warning at start-up."""
    announced: list[str] = []
    app = create_app(Settings(), clock=ManualClock(), announce=announced.append)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://x") as http:
        first = await http.post("/v1/bots/greeter/messages", json={"user": "me", "text": "hi"})
        second = await http.post("/v1/bots/greeter/messages", json={"user": "me", "text": "Ada"})
        assert (await http.get("/readyz")).status_code == 200
    assert first.json()["replies"] == [{"text": "What is your name?"}]
    assert second.json()["replies"] == [{"text": "Hello, Ada, from the updated bot"}]
    assert second.json()["conversation"] == first.json()["conversation"]
    assert any("nothing is kept across restarts" in line for line in announced)
