"""The Twilio SMS channel: signatures, TwiML replies, numbered choices, retries and errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from structlog.testing import capture_logs
from twilio.request_validator import RequestValidator

from gateway.settings import Settings
from tests.support import Gateway, running_gateway, snapshot

TOKEN = "twilio-test-auth-token"
PATH = "/v1/bots/{bot}/twilio"
REQUEST_URL = "http://gateway.test" + PATH


def sms(body: str, sid: str | None = None, sender: str = "+15550001111") -> dict[str, str]:
    """The form Twilio posts for an incoming SMS (the fields botgate reads, plus a few it ignores)."""
    form = {"From": sender, "To": "+15559990000", "Body": body, "AccountSid": "AC0123", "NumSegments": "1"}
    if sid is not None:
        form["MessageSid"] = sid
    return form


async def post(
    gw: Gateway, form: dict[str, str], bot: str = "greeter", signed_url: str | None = None, token: str = TOKEN
) -> httpx.Response:
    """POST the form, signed by the twilio package's own validator over `signed_url` (default: the request URL)."""
    signature = RequestValidator(token).compute_signature(signed_url or REQUEST_URL.format(bot=bot), form)
    return await gw.http.post(PATH.format(bot=bot), data=form, headers={"X-Twilio-Signature": signature})


def messages(r: httpx.Response) -> list[str]:
    """The texts of a TwiML response's <Message> elements, read by an XML parser."""
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(r.content)
    assert root.tag == "Response"
    return [message.text or "" for message in root.findall("Message")]


@pytest.fixture
async def gw(redis: Redis) -> AsyncIterator[Gateway]:
    async with running_gateway(redis, settings=Settings(redis_url="redis://test", twilio_auth_token=TOKEN)) as gw:
        yield gw


async def test_a_signed_sms_gets_twiml_with_one_message_per_reply(gw: Gateway) -> None:
    """A request signed with the auth token is answered with TwiML, From being the user."""
    r = await post(gw, sms("hi", "SM1"))
    assert messages(r) == ["What is your name?"]
    assert r.headers["X-Bot-Version"] == "2.0.0"
    assert messages(await post(gw, sms("Alice", "SM2"))) == ["Hello, Alice, from the updated bot"]


async def test_choices_are_numbered_lines_and_a_number_answers(gw: Gateway) -> None:
    """zipcode's state question lists its choices as "1. California"...; replying "3" picks Texas."""
    assert messages(await post(gw, sms("hi"), bot="zipcode")) == ["Let's find your town.", "Do you know your zip code?"]
    assert messages(await post(gw, sms("no"), bot="zipcode")) == [
        "Which state are you in?\n1. California\n2. New York\n3. Texas\n4. Another state"
    ]
    assert messages(await post(gw, sms("3"), bot="zipcode")) == ["Which town in Texas?"]


async def test_replies_are_xml_escaped(gw: Gateway) -> None:
    """Markup in a reply stays text: the TwiML parses and gives back exactly what the bot said."""
    r = await post(gw, sms("<Message>& </Response>"), bot="echo")
    assert messages(r) == ["ECHO: <Message>& </Response>"]
    assert b"&lt;Message&gt;&amp;" in r.content


async def test_a_retried_message_sid_runs_once(gw: Gateway, redis: Redis) -> None:
    """Twilio's retry of SM1 gets the same TwiML and changes nothing in the store."""
    first = await post(gw, sms("hi", "SM1"))
    before = await snapshot(redis)
    again = await post(gw, sms("hi", "SM1"))
    assert again.content == first.content
    assert await snapshot(redis) == before


@pytest.mark.parametrize(
    "tamper",
    ["no signature", "another token", "another body", "another url"],
)
async def test_a_bad_or_missing_signature_is_403_and_runs_nothing(gw: Gateway, redis: Redis, tamper: str) -> None:
    """Requests not signed by Twilio for exactly this URL and form are refused before any turn runs."""
    await post(gw, sms("hi", "SM1"))
    before = await snapshot(redis)
    form = sms("Alice", "SM2")
    if tamper == "no signature":
        r = await gw.http.post(PATH.format(bot="greeter"), data=form)
    elif tamper == "another token":
        r = await post(gw, form, token="not-the-token")
    elif tamper == "another body":
        signature = RequestValidator(TOKEN).compute_signature(REQUEST_URL.format(bot="greeter"), sms("Bob", "SM2"))
        r = await gw.http.post(PATH.format(bot="greeter"), data=form, headers={"X-Twilio-Signature": signature})
    else:
        r = await post(gw, form, signed_url="https://elsewhere.example/v1/bots/greeter/twilio")
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "forbidden"
    assert await snapshot(redis) == before


async def test_behind_a_proxy_the_signature_covers_the_public_url_and_query(redis: Redis) -> None:
    """With BOTGATE_PUBLIC_URL set, Twilio's signature over the public URL (query included) is the one accepted."""
    settings = Settings(redis_url="redis://test", twilio_auth_token=TOKEN, public_url="https://bots.example.com/")
    async with running_gateway(redis, settings=settings) as gw:
        public = "https://bots.example.com/v1/bots/greeter/twilio?source=sms"
        form = sms("hi")
        signature = RequestValidator(TOKEN).compute_signature(public, form)
        r = await gw.http.post(
            f"{PATH.format(bot='greeter')}?source=sms", data=form, headers={"X-Twilio-Signature": signature}
        )
        assert messages(r) == ["What is your name?"]
        assert (await post(gw, sms("Alice"))).status_code == 403  # signed over the internal URL


async def test_without_an_auth_token_the_route_is_404(redis: Redis) -> None:
    """No BOTGATE_TWILIO_AUTH_TOKEN: the channel is off, signed or not, and says how to turn it on."""
    async with running_gateway(redis) as gw:
        r = await post(gw, sms("hi"))
        assert r.status_code == 404
        assert "BOTGATE_TWILIO_AUTH_TOKEN" in r.json()["error"]["message"]
        assert any("Twilio SMS channel off" in line for line in gw.announced)


@pytest.mark.parametrize("missing", ["From", "Body"])
async def test_a_signed_request_without_from_or_body_is_422(gw: Gateway, redis: Redis, missing: str) -> None:
    """Both fields are needed; the error names the missing one."""
    before = await snapshot(redis)
    form = {k: v for k, v in sms("hi").items() if k != missing}
    r = await post(gw, form)
    assert r.status_code == 422
    assert [d["path"] for d in r.json()["error"]["details"]] == [missing]
    assert await snapshot(redis) == before


async def test_a_body_that_is_not_utf8_is_400(gw: Gateway) -> None:
    """The form must be UTF-8, as Twilio sends it."""
    r = await gw.http.post(
        PATH.format(bot="greeter"), content=b"Body=\xff", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 400


async def test_an_unknown_bot_is_404(gw: Gateway) -> None:
    """A signed message to a bot that does not exist is 404 JSON."""
    r = await post(gw, sms("hi"), bot="nobody")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_a_refused_signature_is_logged_once_with_route_and_reason(gw: Gateway) -> None:
    """channel_auth_refused names channel, route template, bot and why; never the signature, sender or text."""
    form = sms("my secret", "SM9")
    with capture_logs() as logs:
        await gw.http.post(PATH.format(bot="greeter"), data=form)
        await post(gw, form, token="not-the-token")
    refused = [e for e in logs if e["event"] == "channel_auth_refused"]
    common = {"event": "channel_auth_refused", "log_level": "warning", "channel": "twilio", "route": PATH}
    assert refused == [
        {**common, "bot": "greeter", "reason": "no X-Twilio-Signature header"},
        {**common, "bot": "greeter", "reason": "X-Twilio-Signature does not match"},
    ]
    assert "my secret" not in str(logs) and "+15550001111" not in str(refused)
