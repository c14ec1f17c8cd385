"""Every refusal of the admin API: its status and JSON error, and nothing changed in the store."""

from __future__ import annotations

import json
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.admin.support import RO, RW, Admin, bearer, greeter, settings
from tests.support import running_gateway, snapshot

V = "/bots/greeter/versions"
JSON_TYPE = {"Content-Type": "application/json"}
YAML_TYPE = {"Content-Type": "application/yaml"}
BROKEN = {"bot": "greeter", "version": "2.2.0", "start": "nowhere", "steps": {"a": {"say": "{x.y}"}}}


def body(document: Any) -> dict[str, Any]:
    return {"content": json.dumps(document), "headers": JSON_TYPE}


def case(name: str, method: str, path: str, status: int, code: str, token: str | None = RW, **kwargs: Any) -> Any:
    """One refusal: the request (kwargs go to httpx), the token it carries, the status and error code expected."""
    return pytest.param(method, path, kwargs, token, status, code, id=name)


def canary(version: str, percent: float) -> dict[str, Any]:
    return body({"stable": None, "canary": {"version": version, "percent": percent}})


ROLL = "/bots/greeter/rollout"
STABLE_1 = body({"stable": "1.0.0", "canary": None})
CASES = [
    case("bad JSON", "PUT", f"{V}/2.1.0", 400, "bad_request", content=b'{"bot": "greeter",', headers=JSON_TYPE),
    case("bad YAML", "PUT", f"{V}/2.1.0", 400, "bad_request", content=b"bot: [greeter", headers=YAML_TYPE),
    case("YAML alias", "PUT", f"{V}/2.1.0", 400, "bad_request", content=b"bot: &a x\nversion: *a", headers=YAML_TYPE),
    case("not UTF-8", "PUT", f"{V}/2.1.0", 400, "bad_request", content=b"\xff\xfe", headers=JSON_TYPE),
    case("empty body", "PUT", f"{V}/2.1.0", 400, "bad_request", content=b"", headers=JSON_TYPE),
    case("invalid definition", "PUT", f"{V}/2.2.0", 422, "invalid", **body(BROKEN)),
    case("version mismatch", "PUT", f"{V}/2.1.0", 422, "invalid", **body(greeter("2.2.0"))),
    case("bot mismatch", "PUT", "/bots/other/versions/2.1.0", 422, "invalid", **body(greeter("2.1.0"))),
    case("URL version not a version", "PUT", f"{V}/not-a-version", 422, "invalid", **body(greeter("2.1.0"))),
    case("different content", "PUT", f"{V}/2.0.0", 409, "conflict", **body(greeter("2.0.0"))),
    case("too large", "PUT", f"{V}/2.1.0", 413, "too_large", content=b"x" * (256 * 1024 + 1), headers=JSON_TYPE),
    case("unknown bot", "GET", "/bots/nope", 404, "not_found"),
    case("impossible bot name", "GET", "/bots/Not_A_Name", 404, "not_found"),
    case("unknown version", "GET", f"{V}/9.9.9", 404, "not_found"),
    case("impossible version", "GET", f"{V}/banana", 404, "not_found"),
    case("publish unknown version", "POST", f"{V}/9.9.9/publish", 404, "not_found"),
    case("publish on unknown bot", "POST", "/bots/nope/versions/1.0.0/publish", 404, "not_found"),
    case("unpublish unknown version", "POST", f"{V}/9.9.9/unpublish", 404, "not_found"),
    case("bad in_flight", "POST", f"{V}/1.0.0/unpublish", 422, "invalid", **body({"in_flight": "later"})),
    case("unknown unpublish field", "POST", f"{V}/1.0.0/unpublish", 422, "invalid", **body({"x": 1})),
    case("unpublish bad JSON", "POST", f"{V}/1.0.0/unpublish", 400, "bad_request", content=b"{", headers=JSON_TYPE),
    case("rollout of unknown bot", "GET", "/bots/nope/rollout", 404, "not_found"),
    case("put rollout of unknown bot", "PUT", "/bots/nope/rollout", 404, "not_found", **STABLE_1),
    case("rollout bad YAML", "PUT", ROLL, 400, "bad_request", content=b"stable: [", headers=YAML_TYPE),
    case("canary on a draft", "PUT", ROLL, 422, "invalid", **canary("3.0.0", 10)),
    case("percent out of range", "PUT", ROLL, 422, "invalid", **canary("2.0.0", 100.5)),
    case("stable unknown", "PUT", ROLL, 422, "invalid", **body({"stable": "9.0.0", "canary": None})),
    case("pin unknown version", "PUT", "/bots/greeter/pins/alice", 422, "invalid", **body({"version": "9.9.9"})),
    case("pin on unknown bot", "PUT", "/bots/nope/pins/alice", 404, "not_found", **body({"version": "1.0.0"})),
    case("unpin on unknown bot", "DELETE", "/bots/nope/pins/alice", 404, "not_found"),
    case("sessions of unknown bot", "GET", "/bots/nope/sessions/alice", 404, "not_found"),
    case("reset on unknown bot", "DELETE", "/bots/nope/sessions/alice", 404, "not_found"),
    case("user id too long", "DELETE", "/bots/greeter/sessions/" + "u" * 257, 422, "invalid"),
    case("transcript of unknown bot", "GET", "/bots/nope/sessions/alice/transcript", 404, "not_found"),
    case("audit of unknown bot", "GET", "/bots/nope/audit", 404, "not_found"),
    case("audit limit 0", "GET", "/bots/greeter/audit?limit=0", 422, "invalid"),
    case("audit limit not a number", "GET", "/bots/greeter/audit?limit=many", 422, "invalid"),
    case("audit limit a superscript digit", "GET", "/bots/greeter/audit?limit=%C2%B2", 422, "invalid"),
    case("unknown route", "GET", "/bots/greeter/no-such-route", 404, "not_found"),
    case("wrong method", "PATCH", ROLL, 405, "method_not_allowed"),
    case("no token", "PUT", ROLL, 401, "unauthorized", token=None, **STABLE_1),
    case("wrong token", "PUT", ROLL, 401, "unauthorized", token="wrong", **STABLE_1),
    case("read-only rollout", "PUT", ROLL, 403, "forbidden", token=RO, **STABLE_1),
    case("read-only store", "PUT", f"{V}/2.1.0", 403, "forbidden", token=RO, **body(greeter("2.1.0"))),
    case("read-only publish", "POST", f"{V}/3.0.0/publish", 403, "forbidden", token=RO),
    case("read-only unpublish", "POST", f"{V}/1.0.0/unpublish", 403, "forbidden", token=RO),
    case("read-only pin", "PUT", "/bots/greeter/pins/alice", 403, "forbidden", token=RO, **body({"version": "3.0.0"})),
    case("read-only unpin", "DELETE", "/bots/greeter/pins/alice", 403, "forbidden", token=RO),
    case("read-only reset", "DELETE", "/bots/greeter/sessions/alice", 403, "forbidden", token=RO),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "token", "status", "code"), CASES)
async def test_each_refusal_has_its_status_and_leaves_the_store_unchanged(
    redis: Redis, method: str, path: str, kwargs: dict[str, Any], token: str | None, status: int, code: str
) -> None:
    """A JSON error with the right status and code; every key in Redis is as it was."""
    async with running_gateway(redis, settings=settings()) as gw:
        admin = Admin(gw.http)
        assert (await admin.store(greeter("3.0.0"))).status_code == 201
        await admin.ok("PUT", "/bots/greeter/pins/alice", json={"version": "3.0.0"})
        await gw.chat("greeter", "alice").send("hi")
        before = await snapshot(redis)

        headers = {**kwargs.get("headers", {}), **(bearer(token) if token else {})}
        r = await gw.http.request(method, "/admin/v1" + path, **{**kwargs, "headers": headers})

        assert r.status_code == status, r.text
        assert r.json()["error"]["code"] == code
        assert await snapshot(redis) == before


async def test_an_invalid_definition_lists_all_its_problems(redis: Redis) -> None:
    """The 422 for a broken definition names each problem, not just the first."""
    async with running_gateway(redis, settings=settings()) as gw:
        r = await Admin(gw.http).call("PUT", f"{V}/2.1.0", **body(BROKEN))
        details = r.json()["error"]["details"]
        assert {d["path"] for d in details} >= {"start", "steps.a.say", "version"}
