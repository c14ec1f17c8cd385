"""One structured event per turn, without the message text unless asked for."""

from __future__ import annotations

from redis.asyncio import Redis
from structlog.testing import capture_logs

from gateway.settings import Settings
from tests.support import running_gateway

SECRET_TEXT = "my card number is 4111"


async def test_each_turn_logs_one_event_with_its_decision_and_no_text(redis: Redis) -> None:
    """bot, channel, version, conversation, decision, outcome and duration, but not what the user wrote."""
    async with running_gateway(redis) as gw:
        alice = gw.chat("greeter", "alice")
        with capture_logs() as logs:
            await alice.send(SECRET_TEXT)
    turns = [e for e in logs if e["event"] == "turn"]
    assert len(turns) == 1
    event = turns[0]
    assert {k: event[k] for k in ("bot", "channel", "version", "decision", "outcome", "saved")} == {
        "bot": "greeter",
        "channel": "rest",
        "version": "2.0.0",
        "decision": "new",
        "outcome": "ok",
        "saved": True,
    }
    assert event["conversation"] == alice.last["conversation"]
    assert event["duration_ms"] >= 0
    assert all(SECRET_TEXT not in str(v) for e in logs for v in e.values())


async def test_message_text_is_logged_only_when_the_operator_asks(redis: Redis) -> None:
    """BOTGATE_LOG_TEXT=1 adds the text to the turn event."""
    async with running_gateway(redis, settings=Settings(redis_url="redis://t", log_text=True)) as gw:
        with capture_logs() as logs:
            await gw.chat("greeter", "alice").send(SECRET_TEXT)
    assert [e["text"] for e in logs if e["event"] == "turn"] == [SECRET_TEXT]


async def test_a_failed_turn_is_logged_with_its_outcome(redis: Redis) -> None:
    """A 404 turn still logs one event, with outcome not_found and nothing saved."""
    async with running_gateway(redis) as gw:
        with capture_logs() as logs:
            r = await gw.http.post("/v1/bots/nobody/messages", json={"user": "a", "text": "hi"})
    assert r.status_code == 404
    assert [(e["outcome"], e["saved"]) for e in logs if e["event"] == "turn"] == [("not_found", False)]


async def test_a_turn_names_its_user_and_never_shows_an_empty_field(redis: Redis) -> None:
    """`user` is the id the channel sent; a turn refused before binding leaves out version and decision, no None."""
    async with running_gateway(redis) as gw:
        with capture_logs() as logs:
            await gw.chat("greeter", "alice").send("hi")
            await gw.http.post("/v1/bots/nobody/messages", json={"user": "bob", "text": "hi"})
    ok, refused = [e for e in logs if e["event"] == "turn"]
    assert (ok["user"], refused["user"]) == ("alice", "bob")
    assert {"version", "conversation", "decision"} <= set(ok)
    assert not {"version", "conversation", "decision"} & set(refused)
    assert None not in refused.values()
