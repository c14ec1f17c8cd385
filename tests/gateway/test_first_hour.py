"""What a newcomer meets on `make run`: `botgate serve` with the shipped examples (no BOTGATE_BOTS_DIR), its start
page, its API reference, and the zipcode example answering end to end through its demo lookup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Request, Response, expect

from tests.gateway.channels.test_webchat_browser import last_reply, say
from tests.processes import ServerProcess, live_gateway


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`botgate serve` as `make run` starts it: the shipped examples on the embedded store."""
    with live_gateway(tmp_path_factory.mktemp("first-hour"), {}) as gateway:
        yield gateway


def test_the_zipcode_example_answers_through_its_demo_lookup_over_rest(shipped: ServerProcess) -> None:
    """Both paths of zipcode end with an answer from the lookup, not an apology, and no call fails."""
    url = f"{shipped.url}/v1/bots/zipcode/messages"

    def send(user: str, text: str) -> list[str]:
        r = httpx.post(url, json={"user": user, "text": text}, timeout=10)
        assert r.status_code == 200, r.text
        return [reply["text"] for reply in r.json()["replies"]]

    assert send("rest-zip", "hi") == ["Let's find your town.", "Do you know your zip code?"]
    assert send("rest-zip", "yes") == ["What is your zip code?"]
    assert send("rest-zip", "10001") == ["10001 is New York, New York."]
    send("rest-town", "hi")
    assert send("rest-town", "no") == ["Which state are you in?"]
    assert send("rest-town", "California") == ["Which town in California?"]
    assert send("rest-town", "fresno") == ["The zip code of Fresno, California is 93721."]
    assert shipped.events("call_failed") == []


async def test_the_zipcode_example_answers_in_the_web_chat(browser: Browser, shipped: ServerProcess) -> None:
    """In headless Chromium: a zip code is looked up, and a state chosen by button then a town gives its zip code."""
    page = await browser.new_page()
    await page.goto(f"{shipped.url}/chat/zipcode")
    await expect(page.locator("#connection")).to_have_text("Connected")
    await say(page, "hi")
    await expect(last_reply(page)).to_have_text("Do you know your zip code?")
    await say(page, "yes")
    await expect(last_reply(page)).to_have_text("What is your zip code?")
    await say(page, "90210")
    await expect(last_reply(page)).to_have_text("90210 is Beverly Hills, California.")
    await say(page, "hi")
    await say(page, "no")
    await page.get_by_role("group", name="Choose an answer").get_by_role("button", name="Texas").click()
    await expect(last_reply(page)).to_have_text("Which town in Texas?")
    await say(page, "Austin")
    await expect(last_reply(page)).to_have_text("The zip code of Austin, Texas is 78701.")
    await page.close()


async def test_the_start_page_lists_the_bots_with_links_to_their_web_chat(
    browser: Browser,
    shipped: ServerProcess,
) -> None:
    """`/` lists echo, greeter and zipcode with the version they serve, links the dashboard and the API reference."""
    page = await browser.new_page()
    response = await page.goto(f"{shipped.url}/")
    assert response is not None and response.status == 200
    bots = page.locator("ul").first.locator("li")
    await expect(bots).to_have_text(["echo 1.0.0", "greeter 2.0.0", "zipcode 1.1.0"])
    assert await page.get_by_role("link", name="Dashboard").get_attribute("href") == "admin/"
    assert await page.get_by_role("link", name="API reference").get_attribute("href") == "docs"
    await page.get_by_role("link", name="greeter").click()
    await expect(page).to_have_url(f"{shipped.url}/chat/greeter")
    await expect(page.locator("#connection")).to_have_text("Connected")
    await page.close()


async def test_the_api_reference_renders_from_vendored_assets_only(
    browser: Browser,
    shipped: ServerProcess,
    tmp_path: Path,
) -> None:
    """`/docs` shows every route of /openapi.json with Swagger UI; its assets answer 200 and nothing comes from
    another origin."""
    requested: list[str] = []
    answered: dict[str, int] = {}
    page = await browser.new_page()

    def on_request(request: Request) -> None:
        requested.append(request.url)

    def on_response(response: Response) -> None:
        answered[response.url] = response.status

    page.on("request", on_request)
    page.on("response", on_response)
    await page.goto(f"{shipped.url}/docs")
    await expect(page.get_by_text("Send a message through the REST channel")).to_be_visible()
    await expect(page.get_by_text("/admin/v1/bots/{bot}/rollout").first).to_be_visible()
    await page.screenshot(path=tmp_path / "docs.png")
    await page.close()
    assert [url for url in requested if not url.startswith(shipped.url)] == []
    assets = {url: status for url, status in answered.items() if "/docs/assets/" in url}
    assert {url.rsplit("/", 1)[1] for url in assets} == {"swagger-ui.css", "swagger-ui-bundle.js", "docs.js"}
    assert set(assets.values()) == {200}
    assert answered[f"{shipped.url}/openapi.json"] == 200
