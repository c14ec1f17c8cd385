"""Bot Framework auth with an app id and password: inbound JWTs checked against local keys, outbound tokens fetched."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from structlog.testing import capture_logs

from gateway.channels.botframework import BotFramework
from gateway.channels.botframework_auth import ISSUER
from gateway.channels.botframework_connector import token_url_for
from gateway.settings import Settings
from tests.gateway.channels.servers import Recorder, Served, serving
from tests.gateway.channels.test_botframework import URL, message
from tests.support import Gateway, running_gateway, snapshot

APP_ID = "11111111-2222-3333-4444-555555555555"
PASSWORD = "app-password"
KID = "test-key"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Peers:
    """The Bot Framework side, faked on 127.0.0.1: OpenID metadata and keys, token endpoint, connector."""

    served: Served
    recorder: Recorder
    key: rsa.RSAPrivateKey

    @property
    def service_url(self) -> str:
        return f"{self.served.url}/connector"

    def token(self, key: rsa.RSAPrivateKey | None = None, kid: str = KID, **claims: Any) -> str:
        """A channel token as the Bot Framework Service signs it; `claims` override or (as None) drop claims."""
        now = int(time.time())
        body = {"iss": ISSUER, "aud": APP_ID, "exp": now + 3600, "nbf": now - 10, "serviceurl": self.service_url}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": kid})

    def received(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        return [(headers, body) for _, p, headers, body in self.recorder.received if p == path]


@pytest.fixture
def peers() -> Iterator[Peers]:
    key = new_key()
    recorder = Recorder()
    jwk = {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": KID, "endorsements": ["emulator", "msteams"]}
    with serving(recorder.app()) as served:

        def metadata(request: Request, body: bytes) -> Response:
            return JSONResponse({"issuer": ISSUER, "jwks_uri": f"{served.url}/keys"})

        def keys(request: Request, body: bytes) -> Response:
            return JSONResponse({"keys": [jwk]})

        def token(request: Request, body: bytes) -> Response:
            return JSONResponse({"token_type": "Bearer", "expires_in": 3600, "access_token": "outbound-token"})

        recorder.answers.update({"/openid": metadata, "/keys": keys, "/token": token})
        yield Peers(served, recorder, key)


@pytest.fixture
async def gw(redis: Redis, peers: Peers) -> AsyncIterator[Gateway]:
    """A gateway with an app id and password, whose Bot Framework peers are the local fakes."""
    settings = Settings(redis_url="redis://test", msapp_id=APP_ID, msapp_password=PASSWORD)
    async with running_gateway(redis, settings=settings) as gw:
        base = peers.served.url
        gw.app.state.botframework = BotFramework.from_settings(settings, f"{base}/openid", f"{base}/token")
        yield gw


def signed(peers: Peers, activity: dict[str, Any], token: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The activity with the fake connector's serviceUrl, and its Authorization header."""
    return {**activity, "serviceUrl": peers.service_url}, {"Authorization": f"Bearer {token or peers.token()}"}


async def test_a_token_signed_by_a_bot_framework_key_is_accepted(gw: Gateway, peers: Peers) -> None:
    """A valid channel token runs the turn; keys come from the OpenID metadata's jwks_uri."""
    activity, headers = signed(peers, message("hi", "a1"))
    r = await gw.http.post(URL.format(bot="greeter"), json=activity, headers=headers)
    assert r.status_code == 200, r.text
    assert [a["text"] for a in r.json()["activities"]] == ["What is your name?"]
    assert [path for _, path, _, _ in peers.recorder.received] == ["/openid", "/keys"]


async def test_keys_are_fetched_once_for_many_requests(gw: Gateway, peers: Peers) -> None:
    """The signing keys are cached: a second request does not fetch them again."""
    for n in range(3):
        activity, headers = signed(peers, message("hi", f"a{n}"))
        assert (await gw.http.post(URL.format(bot="echo"), json=activity, headers=headers)).status_code == 200
    assert len(peers.received("/keys")) == 1


def hs256_token(peers: Peers) -> str:
    """A token signed with a shared secret, the classic algorithm-confusion attempt."""
    claims = {"iss": ISSUER, "aud": APP_ID, "exp": int(time.time()) + 60, "serviceurl": peers.service_url}
    return jwt.encode(claims, "a-shared-secret-of-32-bytes-long!", algorithm="HS256", headers={"kid": KID})


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        pytest.param(lambda p: None, 401, id="no header"),
        pytest.param(lambda p: f"Basic {p.token()}", 401, id="not bearer"),
        pytest.param(lambda p: "Bearer not-a-jwt", 401, id="not a jwt"),
        pytest.param(lambda p: f"Bearer {p.token(key=new_key())}", 401, id="another key"),
        pytest.param(lambda p: f"Bearer {p.token(kid='other')}", 401, id="unknown key id"),
        pytest.param(lambda p: f"Bearer {p.token(aud='someone-else')}", 401, id="another audience"),
        pytest.param(lambda p: f"Bearer {p.token(iss='https://evil.example')}", 401, id="another issuer"),
        pytest.param(lambda p: f"Bearer {p.token(exp=int(time.time()) - 3600)}", 401, id="expired"),
        pytest.param(lambda p: f"Bearer {p.token(exp=None)}", 401, id="no expiry"),
        pytest.param(lambda p: f"Bearer {hs256_token(p)}", 401, id="hs256"),
        pytest.param(
            lambda p: f"Bearer {p.token(serviceurl='https://elsewhere.example/')}", 403, id="another serviceUrl"
        ),
    ],
)
async def test_a_request_without_a_valid_token_is_refused_and_runs_nothing(
    gw: Gateway, peers: Peers, redis: Redis, authorization: Callable[[Peers], str | None], status: int
) -> None:
    """401 for a missing or invalid token, 403 for another serviceUrl; each refusal logged once, without the token."""
    before = await snapshot(redis)
    activity, _ = signed(peers, message("hi", "a1"))
    header = authorization(peers)
    with capture_logs() as logs:
        r = await gw.http.post(
            URL.format(bot="greeter"), json=activity, headers={"Authorization": header} if header else {}
        )
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == ("unauthorized" if status == 401 else "forbidden")
    assert await snapshot(redis) == before
    [refused] = [e for e in logs if e["event"] == "channel_auth_refused"]  # one event, with route and reason
    assert (refused["channel"], refused["route"]) == ("botframework", "/v1/bots/{bot}/activities")
    assert refused["reason"] == r.json()["error"]["message"]
    assert not header or header.split()[-1] not in str(logs)  # never the token


async def test_a_key_not_endorsed_for_the_activitys_channel_is_403(gw: Gateway, peers: Peers, redis: Redis) -> None:
    """The signing key lists the channels it may sign for; an activity from another channel is refused."""
    before = await snapshot(redis)
    activity, headers = signed(peers, {**message("hi", "a1"), "channelId": "slack"})
    r = await gw.http.post(URL.format(bot="greeter"), json=activity, headers=headers)
    assert r.status_code == 403 and "slack" in r.json()["error"]["message"]
    assert await snapshot(redis) == before


async def test_conversation_updates_need_a_token_too(gw: Gateway) -> None:
    """Every activity type is authenticated, not only messages."""
    r = await gw.http.post(URL.format(bot="greeter"), json={"type": "conversationUpdate"})
    assert r.status_code == 401


async def test_replies_to_the_service_url_carry_a_client_credentials_token(gw: Gateway, peers: Peers) -> None:
    """The connector gets the token endpoint's access token; the token is fetched once, with the app's credentials."""
    for n, text in enumerate(["hi", "Alice"]):
        activity, headers = signed(peers, {k: v for k, v in message(text, f"a{n}").items() if k != "deliveryMode"})
        assert (await gw.http.post(URL.format(bot="greeter"), json=activity, headers=headers)).status_code == 200
    delivered = peers.received("/connector/v3/conversations/conv-1/activities/a0")
    delivered += peers.received("/connector/v3/conversations/conv-1/activities/a1")
    assert [json.loads(body)["text"] for _, body in delivered] == [
        "What is your name?",
        "Hello, Alice, from the updated bot",
    ]
    assert {headers["authorization"] for headers, _ in delivered} == {"Bearer outbound-token"}
    [(_, form)] = peers.received("/token")
    assert parse_qs(form.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": [APP_ID],
        "client_secret": [PASSWORD],
        "scope": ["https://api.botframework.com/.default"],
    }


async def test_a_token_endpoint_that_refuses_gives_503(gw: Gateway, peers: Peers) -> None:
    """Without an outbound token the replies cannot be delivered: 503, so the channel retries."""

    def refuse(request: Request, body: bytes) -> Response:
        return JSONResponse({"error": "invalid_client"}, status_code=401)

    peers.recorder.answers["/token"] = refuse
    activity, headers = signed(peers, {k: v for k, v in message("hi", "a1").items() if k != "deliveryMode"})
    r = await gw.http.post(URL.format(bot="greeter"), json=activity, headers=headers)
    assert r.status_code == 503 and "token" in r.json()["error"]["message"]


async def test_unreachable_key_metadata_gives_503(redis: Redis) -> None:
    """When the keys cannot be read the request is not refused as forged but deferred: 503."""
    settings = Settings(redis_url="redis://test", msapp_id=APP_ID, msapp_password=PASSWORD)
    async with running_gateway(redis, settings=settings) as gw:
        gw.app.state.botframework = BotFramework.from_settings(settings, "http://127.0.0.1:9/openid")
        r = await gw.http.post(
            URL.format(bot="greeter"),
            json=message("hi", "a1"),
            headers={"Authorization": "Bearer " + jwt.encode({}, new_key(), "RS256", headers={"kid": KID})},
        )
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"


async def test_auth_is_announced_at_start_up(redis: Redis) -> None:
    """With an app id and password the start-up notes say tokens are checked; with only one, a warning."""
    settings = Settings(redis_url="redis://test", msapp_id=APP_ID, msapp_password=PASSWORD)
    async with running_gateway(redis, settings=settings) as gw:
        assert any(f"checks Bot Framework tokens for app id {APP_ID}" in line for line in gw.announced)
    async with running_gateway(redis, settings=Settings(redis_url="redis://test", msapp_id=APP_ID)) as gw:
        assert any(line.startswith("WARNING: only one of BOTGATE_MSAPP_ID") for line in gw.announced)


@pytest.mark.parametrize(
    ("tenant", "url"),
    [
        (None, "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"),
        (
            "0a1b2c3d-0000-4000-8000-000000000000",
            "https://login.microsoftonline.com/0a1b2c3d-0000-4000-8000-000000000000/oauth2/v2.0/token",
        ),
        ("a/b", "https://login.microsoftonline.com/a%2Fb/oauth2/v2.0/token"),
    ],
)
def test_single_tenant_bots_get_reply_tokens_from_their_own_tenant(tenant: str | None, url: str) -> None:
    """BOTGATE_MSAPP_TENANT_ID picks the token endpoint; without it the multi-tenant one is used."""
    assert token_url_for(tenant) == url
    settings = Settings(msapp_id="app", msapp_password="secret", msapp_tenant_id=tenant)
    assert BotFramework.from_settings(settings).connector.token_url == url
