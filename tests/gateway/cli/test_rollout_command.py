"""`botgate rollout` against a live `botgate serve`: guard and step flags, If-Match, one retry on 412, never an
overwrite of a change it has not seen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from gateway.cli.client import GatewayClient
from tests.admin.support import RW, bearer, greeter
from tests.processes import ServerProcess, live_gateway
from tests.redis_servers import RedisServer

ROLLOUT = "/admin/v1/bots/greeter/rollout"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`botgate serve` on its own redis-server, with greeter 2.1.0 published beside the examples."""
    server = RedisServer(tmp_path_factory.mktemp("cli-rollout-redis")).start()
    try:
        env = {"BOTGATE_REDIS_URL": server.url, "BOTGATE_ADMIN_TOKENS": RW}
        with live_gateway(tmp_path_factory.mktemp("cli-rollout-gateway"), env) as gateway:
            api = httpx.Client(base_url=gateway.url, headers=bearer(RW))
            assert api.put("/admin/v1/bots/greeter/versions/2.1.0", json=greeter("2.1.0")).is_success
            assert api.post("/admin/v1/bots/greeter/versions/2.1.0/publish").is_success
            api.close()
            yield gateway
    finally:
        server.stop()


@pytest.fixture
def api(live: ServerProcess) -> Iterator[httpx.Client]:
    """The admin API of the live gateway, with the rollout reset to stable 2.0.0 and a guarded 5% canary."""
    with httpx.Client(base_url=live.url, headers=bearer(RW), timeout=10) as client:
        canary = {"version": "2.1.0", "percent": 5, "guard": {}}
        assert client.put(ROLLOUT, json={"stable": "2.0.0", "canary": canary}).is_success
        yield client


@dataclass
class Meddler:
    """Before each of the next `times` rollout PUTs the CLI sends, another operator changes the canary's guard."""

    api: httpx.Client
    times: int = 0
    if_match: list[str | None] = field(default_factory=list)
    changes: int = 0

    def before_put(self, headers: dict[str, str]) -> None:
        self.if_match.append(headers.get("If-Match"))
        if self.times:
            self.times -= 1
            self.changes += 1
            body = self.api.get(ROLLOUT).json()
            body["canary"]["guard"] = {"min_conversations": 49 + self.changes}
            assert self.api.put(ROLLOUT, json=body).is_success


@pytest.fixture
def meddler(api: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> Meddler:
    meddler = Meddler(api)
    real = GatewayClient.admin

    def admin(self: GatewayClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if method == "PUT" and path.endswith("/rollout"):
            meddler.before_put(kwargs.get("headers", {}))
        return real(self, method, path, **kwargs)

    monkeypatch.setattr(GatewayClient, "admin", admin)
    return meddler


def test_guard_and_step_flags_set_the_canary_and_the_text_shows_them(botgate: Any, api: httpx.Client) -> None:
    """Guard fields named by flags (others keep their value), steps and hold; shown one line each."""
    run = botgate(
        "rollout", "greeter", "--guard-error-rate", "0.01", "--guard-min", "200", "--steps", "5,25,100", "--hold", "300"
    )
    assert run.code == 0, run.err
    canary = api.get(ROLLOUT).json()["canary"]
    assert canary["guard"] == {
        "max_error_rate_increase": 0.01,
        "max_completion_drop": 0.05,
        "min_conversations": 200,
        "window": 900,
    }
    assert (canary["steps"], canary["hold"]) == ([5, 25, 100], 300)
    lines = run.out.splitlines()
    assert lines[:2] == ["stable: 2.0.0", "canary: 2.1.0 for 5% of users"]
    assert lines[2].startswith("guard: roll back if the error rate rises more than 1 points or the completion rate")
    assert lines[3].startswith("steps: 5% -> 25% -> 100%, 300 s at each (at 5% since ")

    run = botgate("rollout", "greeter", "--no-guard", "--no-steps")
    assert run.code == 0, run.err
    canary = api.get(ROLLOUT).json()["canary"]
    assert (canary["guard"], canary["steps"], canary["hold"]) == (None, None, None)
    assert len(run.out.splitlines()) == 2


def test_every_change_is_sent_with_the_etag_it_was_computed_from(botgate: Any, meddler: Meddler) -> None:
    """The PUT carries If-Match: the ETag of the GET it started from."""
    tag = meddler.api.get(ROLLOUT).headers["ETag"]
    assert botgate("rollout", "greeter", "--percent", "10").code == 0
    assert meddler.if_match == [tag]


def test_a_412_is_retried_once_on_the_new_rollout_with_a_clear_message(botgate: Any, meddler: Meddler) -> None:
    """Someone changed the guard meanwhile: the CLI says so, applies its percent to the new rollout, and both
    changes stand."""
    meddler.times = 1
    run = botgate("rollout", "greeter", "--percent", "20")
    assert run.code == 0, run.err
    assert run.err == (
        "botgate: the rollout changed meanwhile (now stable: 2.0.0, canary: 2.1.0 for 5% of users); "
        "applied your change to the new one\n"
    )
    canary = meddler.api.get(ROLLOUT).json()["canary"]
    assert (canary["percent"], canary["guard"]["min_conversations"]) == (20, 50)
    assert len(meddler.if_match) == 2 and meddler.if_match[0] != meddler.if_match[1]
    assert run.out.splitlines()[1] == "canary: 2.1.0 for 20% of users"


def test_a_second_412_stops_without_overwriting(botgate: Any, meddler: Meddler) -> None:
    """Changed again before the retry: exit 1, a message, and the other operator's last change stands."""
    meddler.times = 2
    run = botgate("rollout", "greeter", "--percent", "20")
    assert (run.code, run.out) == (1, "")
    assert "applied your change to the new one" in run.err
    assert run.err.splitlines()[-1] == (
        "botgate: the rollout changed again meanwhile; nothing was changed: run the command again to apply your "
        "change to the rollout as it is then"
    )
    canary = meddler.api.get(ROLLOUT).json()["canary"]
    assert (canary["percent"], canary["guard"]["min_conversations"]) == (5, 51)


def test_a_change_that_no_longer_applies_is_not_sent(botgate: Any, meddler: Meddler) -> None:
    """The canary was removed meanwhile: `--percent` has nothing to change, so the retry is not sent."""
    meddler.api.put(ROLLOUT, json={"stable": "2.0.0", "canary": {"version": "2.1.0", "percent": 5}})
    tag = meddler.api.get(ROLLOUT).headers["ETag"]
    meddler.api.put(ROLLOUT, json={"stable": "2.0.0", "canary": None})
    real_get = GatewayClient.admin

    def stale_first_read(self: GatewayClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = real_get(self, method, path, **kwargs)
        if method == "GET" and path.endswith("/rollout") and not meddler.if_match:
            body = {"stable": "2.0.0", "canary": {"version": "2.1.0", "percent": 5}, "last_guard": None}
            return httpx.Response(200, json=body, headers={"ETag": tag})
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(GatewayClient, "admin", stale_first_read)
        run = botgate("rollout", "greeter", "--percent", "20")
    assert run.code == 1
    assert "the rollout changed meanwhile (now stable: 2.0.0, canary: none); your change no longer applies" in run.err
    assert meddler.api.get(ROLLOUT).json()["canary"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--no-guard", "--guard-min", "10"), "--no-guard cannot be combined"),
        (("--no-steps", "--hold", "60"), "--no-steps cannot be combined"),
        (("--steps", "5,x"), "--steps takes percents separated by commas"),
        (("--no-canary", "--guard-min", "10"), "there is no canary to guard or advance"),
    ],
    ids=["no guard and a guard flag", "no steps and hold", "steps not numbers", "guard without a canary"],
)
def test_contradicting_guard_flags_are_usage_errors(
    botgate: Any, api: httpx.Client, args: tuple[str, ...], message: str
) -> None:
    """Exit 2 with the reason, nothing sent."""
    run = botgate("rollout", "greeter", *args)
    assert (run.code, run.out) == (2, "")
    assert message in run.err


def test_the_gateways_refusal_of_a_guard_is_printed_with_its_path(botgate: Any, api: httpx.Client) -> None:
    """A window out of range: 422 with canary.guard.window, exit 1."""
    run = botgate("rollout", "greeter", "--guard-window", "30")
    assert run.code == 1
    assert "  canary.guard.window: must be a whole number from 60 to 172800" in run.err
