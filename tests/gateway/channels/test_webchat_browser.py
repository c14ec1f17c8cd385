"""The web chat page in headless Chromium against the gateway served by uvicorn on this test's redis-server.

`browser` is the session's one Chromium (tests/browser.py), shared with the dashboard tests.
"""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Locator, Page, expect
from redis.asyncio import Redis

from gateway.settings import Settings
from middleware.keys import SessionKeys
from middleware.store import SessionStore
from tests.gateway.channels.servers import serving_gateway
from tests.redis_servers import RedisServer

SLOW = 15_000  # ms: reconnecting after an outage waits out the page's backoff


async def say(page: Page, text: str) -> None:
    """Type into the message box, as a user does, and press Enter."""
    box = page.get_by_label("Message to")
    await box.fill(text)
    await box.press("Enter")


def last_reply(page: Page) -> Locator:
    return page.locator(".msg.bot .bubble").last


async def test_a_conversation_survives_a_reload_and_choices_are_buttons(
    browser: Browser, redis: Redis, redis_server: RedisServer, tmp_path: Path
) -> None:
    """Open /chat/greeter, answer, reload and continue; in zipcode, click a choice button; screenshots saved."""
    with serving_gateway(Settings(redis_url=redis_server.url)) as (served, _):
        page = await browser.new_page(viewport={"width": 900, "height": 760})
        await page.goto(f"{served.url}/chat/greeter")
        await expect(page.locator("#connection")).to_have_text("Connected")
        await say(page, "hi")
        await expect(last_reply(page)).to_have_text("What is your name?")
        user = await page.evaluate("localStorage.getItem('botgate:user')")

        await page.reload()
        await expect(last_reply(page)).to_have_text("What is your name?")  # the history is shown again
        await expect(page.locator("#connection")).to_have_text("Connected")
        await say(page, "Alice")
        await expect(last_reply(page)).to_have_text("Hello, Alice, from the updated bot")
        await expect(page.locator(".msg.bot .meta").last).to_have_text("v2.0.0")
        await expect(page.locator(".divider")).to_have_count(1)
        assert await page.evaluate("localStorage.getItem('botgate:user')") == user
        await page.screenshot(path=tmp_path / "greeter.png", animations="disabled")

        await page.goto(f"{served.url}/chat/zipcode")
        await say(page, "hi")
        await expect(last_reply(page)).to_have_text("Do you know your zip code?")
        await say(page, "no")
        await expect(last_reply(page)).to_have_text("Which state are you in?")
        choices = page.get_by_role("group", name="Choose an answer")
        await expect(choices.get_by_role("button")).to_have_text(["California", "New York", "Texas", "Another state"])
        await choices.get_by_role("button", name="Texas").click()
        await expect(last_reply(page)).to_have_text("Which town in Texas?")
        await expect(choices.get_by_role("button", name="Texas")).to_be_disabled()
        await expect(page.get_by_label("Message to")).to_be_focused()
        await page.screenshot(path=tmp_path / "zipcode.png", animations="disabled")
        await page.close()


async def test_the_page_says_when_the_gateway_is_unreachable_and_sends_after_reconnecting(
    browser: Browser, redis: Redis, redis_server: RedisServer
) -> None:
    """With the gateway down the page says so; a message typed meanwhile goes out once it is back."""
    settings = Settings(redis_url=redis_server.url)
    with serving_gateway(settings) as (served, _):
        port = served.port
        page = await browser.new_page()
        await page.goto(f"{served.url}/chat/greeter")
        await say(page, "hi")
        await expect(last_reply(page)).to_have_text("What is your name?")
    await expect(page.get_by_role("alert")).to_contain_text("Can't reach the gateway. Reconnecting in")
    await expect(page.locator("#connection")).to_have_text("Offline")
    await say(page, "Alice")
    with serving_gateway(settings, port=port):
        await expect(last_reply(page)).to_have_text("Hello, Alice, from the updated bot", timeout=SLOW)
        await expect(page.get_by_role("alert")).to_be_hidden()
        await page.close()


async def test_the_page_says_when_the_bot_is_busy_and_retries_by_itself(
    browser: Browser, redis: Redis, redis_server: RedisServer
) -> None:
    """A message refused as busy is announced and sent again after retry_after, running once."""
    with serving_gateway(Settings(redis_url=redis_server.url, lock_wait_ms=200)) as (served, _):
        page = await browser.new_page()
        await page.goto(f"{served.url}/chat/greeter")
        await say(page, "hi")
        await expect(last_reply(page)).to_have_text("What is your name?")
        user = await page.evaluate("localStorage.getItem('botgate:user')")
        async with SessionStore(redis).turn(SessionKeys.of("greeter", "web", user.strip('"')), None):
            await say(page, "Alice")
            await expect(page.get_by_role("alert")).to_contain_text("greeter is busy right now; trying again in 1 s")
        await expect(last_reply(page)).to_have_text("Hello, Alice, from the updated bot", timeout=SLOW)
        await expect(page.locator(".msg.bot")).to_have_count(2)
        await page.close()
