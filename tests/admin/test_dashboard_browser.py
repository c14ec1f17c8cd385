"""The dashboard at /admin/ in headless Chromium, against the whole gateway under uvicorn on this test's
redis-server, with the example bots `make run` loads. Every test also checks, when its page closes, that the page
had no JavaScript error and requested nothing outside the gateway (tests/browser.py's PageWatch).

Set BOTGATE_DASHBOARD_SCREENSHOT=docs/dashboard.png to refresh the README's screenshot from the drain test.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from redis.asyncio import Redis

from admin.auth import AdminToken
from gateway.settings import Settings
from tests.admin.support import RO, RW, TOKENS, as_yaml, bearer, greeter
from tests.browser import PageWatch
from tests.gateway.channels.servers import Served, serving_gateway
from tests.redis_servers import RedisServer

WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 400, "height": 900}
SLOW = 15_000  # ms: a refresh every 3 s, a reconnection after a backoff of up to 8 s
SCREENSHOT_ENV = "BOTGATE_DASHBOARD_SCREENSHOT"
PAGE_WEIGHT_BUDGET = 100_000  # bytes transferred: the page, its scripts and styles, and uPlot
# Refreshing the README's screenshot spreads the drain over three minutes, so the chart draws it as a line.
SPREAD = bool(os.environ.get(SCREENSHOT_ENV))


@pytest.fixture
def settings(redis: Redis, redis_server: RedisServer) -> Settings:
    """The example bots (the default bots directory) and the test tokens, on this test's emptied Redis."""
    return Settings(redis_url=redis_server.url, admin_tokens=TOKENS)


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    with serving_gateway(settings) as (server, _):
        yield server


@pytest.fixture
async def api(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    """The admin API with the read-write token, and the chat API, on the same gateway."""
    async with httpx.AsyncClient(base_url=served.url, headers=bearer(RW)) as client:
        yield client


@pytest.fixture
async def watch(served: Served) -> PageWatch:
    return PageWatch(served.url)


@pytest.fixture
async def page(browser: Browser, watch: PageWatch) -> AsyncIterator[Page]:
    """A page of its own (own sessionStorage), watched; its errors and requests are checked when it closes."""
    context = await browser.new_context(viewport=WIDE)
    opened = watch.attach(await context.new_page())
    yield opened
    await context.close()
    watch.check()


async def sign_in(page: Page, url: str, token: str) -> None:
    await page.goto(f"{url}/admin/")
    await page.get_by_label("Admin token").fill(token)
    await page.get_by_role("button", name="Sign in").click()


async def open_bot(page: Page, bot: str) -> None:
    await page.get_by_role("link", name=bot, exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(bot)
    await expect(page.locator("#versions-table tbody tr").first).to_be_visible()


async def ok(response: httpx.Response) -> Any:
    assert response.is_success, response.text
    return response.json()


async def chat(api: httpx.AsyncClient, user: str, text: str) -> dict[str, Any]:
    body: dict[str, Any] = await ok(await api.post("/v1/bots/greeter/messages", json={"user": user, "text": text}))
    return body


async def set_rollout(api: httpx.AsyncClient, stable: str | None, canary: dict[str, Any] | None = None) -> None:
    await ok(await api.put("/admin/v1/bots/greeter/rollout", json={"stable": stable, "canary": canary}))


async def wait_for_active(page: Page, version: str, count: int) -> None:
    """Until the drain chart's data says `version` has `count` active sessions in its latest known minute."""
    await page.wait_for_function(
        """([version, count]) => {
            const raw = document.getElementById("chart-active").dataset.series;
            const values = raw ? JSON.parse(raw).versions[version] : null;
            const known = values ? values.filter((v) => v !== null) : [];
            return known.length > 0 && known[known.length - 1] === count;
        }""",
        arg=[version, count],
        timeout=SLOW,
    )


async def next_minute(page: Page, wait: bool) -> None:
    """With `wait`, until the charts' latest minute is a new one (at most a minute and a refresh away)."""
    if not wait:
        return
    last = await page.evaluate("JSON.parse(document.getElementById('chart-active').dataset.series).t.at(-1)")
    await page.wait_for_function(
        "(last) => JSON.parse(document.getElementById('chart-active').dataset.series).t.at(-1) !== last",
        arg=last,
        timeout=70_000,
    )


async def page_weight(page: Page) -> dict[str, float]:
    """What loading the page cost, from the browser's own timing entries (before any API call)."""
    weight: dict[str, float] = await page.evaluate(
        """() => {
            const nav = performance.getEntriesByType("navigation")[0];
            const files = performance.getEntriesByType("resource");
            const sum = (key) => files.reduce((n, e) => n + e[key], nav[key]);
            return {requests: files.length + 1, transfer_bytes: sum("transferSize"), body_bytes: sum("decodedBodySize"),
                    dom_content_loaded_ms: nav.domContentLoadedEventEnd - nav.startTime,
                    load_ms: nav.loadEventEnd - nav.startTime};
        }"""
    )
    return weight


DRAFT = greeter("2.1.0", "Hello, {name}, welcome to the new greeter!")
BROKEN = {**DRAFT, "steps": {"ask_name": {"ask": "What is your name?", "save": "name", "next": "greeet"}}}


async def test_an_operator_stores_pins_publishes_and_starts_a_canary_from_the_page(
    page: Page, served: Served, api: httpx.AsyncClient, watch: PageWatch, tmp_path: Path
) -> None:
    """Paste YAML (a 422 shown with its path, then a draft), pin, publish, a guarded canary at 10% with steps: the
    API agrees, the audit names the page's token; then the pinned user's sessions are looked up, reset, unpinned."""
    watch.expect_failed_loads("status of 422")
    await page.goto(f"{served.url}/admin/")
    weight = await page_weight(page)
    (tmp_path / "page-weight.json").write_text(json.dumps(weight))
    print(f"dashboard page: {weight}")
    assert weight["transfer_bytes"] < PAGE_WEIGHT_BUDGET

    await sign_in(page, served.url, RW)
    identity = AdminToken.of(RW).identity
    await expect(page.locator("#identity")).to_have_text(f"{identity} · read-write")
    await open_bot(page, "greeter")

    store = page.get_by_role("region", name="Store a draft")
    await store.get_by_label("Definition (YAML or JSON)").fill(as_yaml(BROKEN))
    await expect(store.get_by_label("Version")).to_have_value("2.1.0")  # read from the pasted text
    await store.get_by_role("button", name="Store draft").click()
    await expect(store.get_by_role("alert")).to_contain_text("steps.ask_name.next")
    await store.get_by_label("Definition (YAML or JSON)").fill(as_yaml(DRAFT))
    await store.get_by_role("button", name="Store draft").click()
    await expect(store.get_by_role("alert")).to_contain_text("Stored greeter 2.1.0 as a draft")
    versions = page.locator("#versions-table tbody")
    await expect(versions.locator("tr").first).to_contain_text("draft")

    pins = page.get_by_role("region", name="Pins")
    await pins.get_by_label("User id").fill("tess/qa")  # one path segment, percent-encoded
    await pins.get_by_label("Version").select_option("2.1.0")
    await pins.get_by_role("button", name="Pin", exact=True).click()
    await expect(pins.get_by_role("alert")).to_contain_text("Pinned tess/qa to 2.1.0")
    await expect(pins.locator("tbody tr")).to_have_text(["tess/qa2.1.0Unpin"])

    # Publishing with no stable set would move everyone: the confirmation says so, and Cancel changes nothing.
    await page.get_by_role("button", name="Publish 2.1.0").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("New conversations will start on 2.1.0 at once")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    assert (await ok(await api.get("/admin/v1/bots/greeter/versions/2.1.0")))["status"] == "draft"

    rollout = page.locator("#rollout-form")
    await rollout.get_by_label("Stable", exact=True).select_option("2.0.0")
    await rollout.get_by_role("button", name="Save rollout").click()
    await expect(rollout.get_by_role("alert")).to_have_text("Saved: stable 2.0.0, no canary.")
    await page.get_by_role("button", name="Publish 2.1.0").click()
    await expect(dialog).to_contain_text("2.1.0 becomes eligible for routing")
    await dialog.get_by_role("button", name="Publish 2.1.0").click()
    await expect(page.locator("#version-outcome")).to_have_text("Published greeter 2.1.0.")
    await expect(rollout.get_by_label("Canary version")).to_contain_text("2.1.0")  # refreshed: now publishable
    await rollout.get_by_label("Canary version").select_option("2.1.0")
    await rollout.get_by_label("Canary percent of users").fill("10")
    await rollout.get_by_label("Roll the canary back when it does worse than stable").check()
    await rollout.get_by_label("Min conversations each").fill("50")
    await rollout.get_by_label("Steps (ascending percents").fill("10, 50, 100")
    await rollout.get_by_label("Hold at each step (seconds)").fill("600")
    await rollout.get_by_role("button", name="Save rollout").click()
    await expect(rollout.get_by_role("alert")).to_have_text("Saved: stable 2.0.0, canary 2.1.0 at 10 %.")
    await expect(page.get_by_role("list", name="Canary steps")).to_have_text("10 % (now)50 %100 %")

    bot = await ok(await api.get("/admin/v1/bots/greeter"))
    assert {v["version"]: v["status"] for v in bot["versions"]}["2.1.0"] == "published"
    assert bot["pins"] == {"tess/qa": "2.1.0"}
    assert bot["rollout"]["stable"] == "2.0.0"
    canary = bot["rollout"]["canary"]
    assert (canary["version"], canary["percent"], canary["steps"], canary["hold"]) == ("2.1.0", 10, [10, 50, 100], 600)
    assert canary["guard"] == {
        "max_error_rate_increase": 0.02,
        "max_completion_drop": 0.05,
        "min_conversations": 50,
        "window": 900,
    }
    audit = (await ok(await api.get("/admin/v1/bots/greeter/audit")))["entries"]
    mine = [(e["action"], e["subject"]) for e in audit if e["actor"] == identity]
    assert mine == [
        ("rollout", "greeter"),
        ("publish", "2.1.0"),
        ("rollout", "greeter"),
        ("pin", "tess/qa"),
        ("store", "2.1.0"),
    ]
    await expect(page.locator("#audit-table tbody tr").first).to_contain_text(identity)

    # The pinned tester talks to the draft-turned-canary; the page finds her by her id, resets her, unpins her.
    assert (await chat(api, "tess/qa", "hi"))["version"] == "2.1.0"
    users = page.get_by_role("region", name="A user's sessions")
    await users.get_by_label("User id").fill("tess/qa")
    await users.get_by_role("button", name="Look up").click()
    await expect(page.locator("#sessions-table tbody tr")).to_have_count(1)
    await expect(page.locator("#sessions-table tbody tr")).to_contain_text("2.1.0active")
    await expect(page.locator("#transcript")).to_contain_text("What is your name?")
    await users.get_by_role("button", name="Reset this user's sessions…").click()
    await expect(dialog).to_contain_text("1 live conversation(s) of tess/qa end now")
    await dialog.get_by_role("button", name="Reset sessions").click()
    await expect(users.get_by_role("alert")).to_have_text("Reset tess/qa's sessions.")
    await expect(page.locator("#sessions-table tbody tr")).to_contain_text("ended")
    await pins.get_by_role("button", name="Unpin tess/qa").click()
    await expect(pins.get_by_role("alert")).to_contain_text("Unpinned tess/qa")
    await expect(pins.locator("tbody tr")).to_have_count(0)
    sessions = await ok(await api.get("/admin/v1/bots/greeter/sessions/tess%2Fqa"))
    assert sessions["pin"] is None and [s["status"] for s in sessions["sessions"]] == ["ended"]


async def test_a_read_only_token_sees_everything_and_gets_no_control(
    page: Page, served: Served, watch: PageWatch
) -> None:
    """A wrong token is told so; a ro: token, signed in by keyboard, sees bots, versions, charts, audit and a user's
    sessions, and no enabled control that changes anything, at 1280 and at 400 pixels."""
    watch.expect_failed_loads("status of 401")
    await sign_in(page, served.url, "not-a-token")
    await expect(page.locator("#sign-in-error")).to_contain_text("This gateway does not accept that token")

    await page.get_by_label("Admin token").fill("")
    await page.keyboard.type(RO)  # the token box keeps the focus after a refusal
    await page.keyboard.press("Enter")
    await expect(page.locator("#identity")).to_have_text(f"{AdminToken.of(RO).identity} · read-only")
    bots = page.locator("#bots-table tbody tr")
    await expect(bots).to_have_count(3)
    await expect(bots.filter(has_text="greeter")).to_contain_text("2.0.0")

    link = page.get_by_role("link", name="greeter", exact=True)
    await link.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("greeter")
    await expect(page.locator("#versions-table tbody tr")).to_have_count(2)
    await expect(page.locator("#health-table tbody tr")).to_have_count(2)
    await expect(page.locator("#audit-table tbody tr")).to_have_count(4)  # startup stored and published both
    await expect(page.locator("#chart-active canvas")).to_have_count(1)

    users = page.get_by_role("region", name="A user's sessions")
    await users.get_by_label("User id").fill("nobody")
    await users.get_by_role("button", name="Look up").click()
    await expect(page.locator("#user-routing")).to_contain_text("next conversation on 2.0.0 (stable)")

    controls = """() => Array.from(document.querySelectorAll("button, input, select, textarea"))
        .filter((el) => el.getClientRects().length > 0 && !el.disabled)
        .map((el) => (el.labels && el.labels.length ? el.labels[0] : el).textContent.trim())"""
    assert sorted(await page.evaluate(controls)) == ["Look up", "Sign out", "User id", "Window"]

    await page.keyboard.press("Tab")  # from the Look up button: a keyboard focus shows its ring
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"

    await page.set_viewport_size(NARROW)
    await expect(page.locator("#versions-table")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]


@pytest.mark.timeout(300 if SPREAD else 120)
async def test_the_drain_chart_shows_the_old_version_emptying_as_its_conversations_end(
    page: Page, served: Served, api: httpx.AsyncClient, tmp_path: Path
) -> None:
    """Traffic on 1.0.0 and 2.0.0, then unpublish 1.0.0 with drain from the page (it says 3 users are affected):
    the chart's data for 1.0.0 goes 3, 2, 0 as those conversations end. Screenshot saved."""
    await set_rollout(api, "1.0.0")
    for user in ("ann", "bob", "cy"):
        assert (await chat(api, user, "hi"))["version"] == "1.0.0"
    await set_rollout(api, "2.0.0")
    for user in ("dee", "eve", "fay"):
        assert (await chat(api, user, "hi"))["version"] == "2.0.0"
    await chat(api, "fay", "Fay")
    await ok(await api.put("/admin/v1/bots/greeter/versions/2.1.0", json=DRAFT))
    await ok(await api.post("/admin/v1/bots/greeter/versions/2.1.0/publish"))
    await set_rollout(api, "2.0.0", {"version": "2.1.0", "percent": 10})

    await sign_in(page, served.url, RW)
    await open_bot(page, "greeter")
    await page.get_by_label("Window", exact=True).select_option("900")
    await wait_for_active(page, "1.0.0", 3)

    await page.get_by_role("button", name="Unpublish 1.0.0").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("3 users have conversations under way on 1.0.0")
    await expect(dialog.get_by_label("Drain: let these 3 finish on 1.0.0")).to_be_checked()
    await dialog.get_by_role("button", name="Unpublish 1.0.0").click()
    await expect(page.locator("#version-outcome")).to_contain_text("Unpublished greeter 1.0.0 (drain)")
    await expect(page.locator("#versions-table tbody tr", has_text="1.0.0")).to_contain_text("unpublished (drain)")

    # For the README's screenshot the conversations end a minute apart, so the chart draws the fall over minutes.
    await next_minute(page, SPREAD)
    assert (await chat(api, "ann", "Ann"))["status"] == "ended"
    await wait_for_active(page, "1.0.0", 2)
    for user in ("bob", "cy"):
        await next_minute(page, SPREAD)
        for newcomer in (f"{user}-friend", f"{user}-colleague"):
            await chat(api, newcomer, "hi")  # the newer versions fill up meanwhile
        reply = (await chat(api, user, user.title()))["replies"][-1]["text"]
        assert reply == f"Hello, {user.title()}, from the original bot"
    await wait_for_active(page, "1.0.0", 0)
    await expect(page.locator("#chart-active .chart-text")).to_contain_text("v1.0.0: 0")
    versions = (await ok(await api.get("/admin/v1/bots/greeter")))["versions"]
    assert {v["version"]: v["active_sessions"] for v in versions}["1.0.0"] == 0

    shot = tmp_path / "dashboard.png"
    await page.evaluate("window.scrollTo(0, 0)")
    health = await page.get_by_role("region", name="Health", exact=True).bounding_box()
    assert health is not None
    top = {"x": 0, "y": 0, "width": WIDE["width"], "height": health["y"] + health["height"] + 16}
    await page.screenshot(path=shot, full_page=True, clip=top, animations="disabled")  # versions down to health
    if SPREAD:
        shutil.copyfile(shot, os.environ[SCREENSHOT_ENV])


async def test_a_change_based_on_an_old_view_of_the_rollout_is_refused_and_overwrites_nothing(
    page: Page, served: Served, api: httpx.AsyncClient, watch: PageWatch
) -> None:
    """The operator edits the rollout form, someone else changes the rollout through the API, the operator saves:
    412, the page says so and shows the new rollout, and the other change stands."""
    watch.expect_failed_loads("status of 412")
    await sign_in(page, served.url, RW)
    await open_bot(page, "greeter")
    rollout = page.locator("#rollout-form")
    await rollout.get_by_label("Canary version").select_option("1.0.0")
    await rollout.get_by_label("Canary percent of users").fill("5")

    await set_rollout(api, "1.0.0")  # someone else, meanwhile
    await rollout.get_by_role("button", name="Save rollout").click()

    await expect(rollout.get_by_role("alert")).to_contain_text("someone else changed the rollout")
    stored = await ok(await api.get("/admin/v1/bots/greeter/rollout"))
    assert (stored["stable"], stored["canary"]) == ("1.0.0", None)
    await expect(rollout.get_by_label("Stable", exact=True)).to_have_value("1.0.0")
    await expect(rollout.get_by_label("Canary version")).to_have_value("")


async def test_the_page_refreshes_in_place_and_recovers_when_the_gateway_restarts(
    browser: Browser, settings: Settings
) -> None:
    """Refreshes keep the same rows, the scroll position and a half-typed field; while the gateway is down the page
    says it is reconnecting, and it is live again once the gateway is back on its port."""
    context = await browser.new_context(viewport=WIDE)
    with serving_gateway(settings) as (first, _):
        port = first.port
        watch = PageWatch(first.url)
        watch.expect_failed_loads("net::ERR_CONNECTION_REFUSED", "net::ERR_CONNECTION_RESET", "net::ERR_EMPTY_RESPONSE")
        page = watch.attach(await context.new_page())
        await sign_in(page, first.url, RW)
        await open_bot(page, "greeter")
        await page.get_by_role("region", name="A user's sessions").get_by_label("User id").fill("half-typ")
        await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        before = await page.evaluate(
            "() => { window.firstRow = document.querySelector('#versions-table tbody tr'); return window.scrollY; }"
        )
        seen = int(await page.evaluate("document.body.dataset.refreshed"))
        await page.wait_for_function("(n) => Number(document.body.dataset.refreshed) > n", arg=seen, timeout=SLOW)
    await expect(page.locator("#connection")).to_have_text("Reconnecting…", timeout=SLOW)
    await expect(page.get_by_role("alert").filter(has_text="Can't reach the gateway")).to_be_visible()

    with serving_gateway(settings, port=port):
        await expect(page.locator("#connection")).to_have_text("Live", timeout=SLOW)
        await expect(page.locator("#banner")).to_be_hidden()
        same_row = await page.evaluate("window.firstRow === document.querySelector('#versions-table tbody tr')")
        assert same_row and await page.evaluate("window.firstRow.isConnected")
        assert await page.evaluate("window.scrollY") == before
        await expect(page.get_by_role("region", name="A user's sessions").get_by_label("User id")).to_have_value(
            "half-typ"
        )
        await context.close()
    watch.check()
