"""One headless Chromium for the whole test session, shared by the web chat and dashboard tests.

Debian's chromium is started once, on a DevTools port of its own; each test connects to it with Playwright
(`connect_over_cdp`) and works in fresh browser contexts (their own storage), which are closed when the test
ends while Chromium keeps running for the next test. Playwright objects belong to the event loop of the test that
made them, so only the browser process is shared, never a Playwright connection.

`make test` installs Chromium (the Makefile's `browser` target); where it is missing, every browser test is skipped
with a loud message rather than failing the suite.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, async_playwright

from tests.redis_servers import stop_process

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying Google's hosts, which this machine refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",  # Chromium picks a free port and writes it to DevToolsActivePort
]
START_TIMEOUT_S = 30.0


@dataclass
class ChromiumProcess:
    """A Chromium started by this test session, and the DevTools address Playwright connects to."""

    process: subprocess.Popen[bytes]
    endpoint: str
    log_path: Path

    def stop(self) -> None:
        stop_process(self.process, timeout=10)


def start_chromium(workdir: Path) -> ChromiumProcess:
    """Start Chromium with a fresh profile in `workdir`; return once its DevTools endpoint is known."""
    profile = workdir / "profile"
    log_path = workdir / "chromium.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [CHROMIUM, *CHROMIUM_ARGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    active_port = profile / "DevToolsActivePort"  # "<port>\n<browser target path>" once it listens
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        lines = active_port.read_text().split() if active_port.exists() else []
        if len(lines) == 2:
            return ChromiumProcess(process, f"ws://127.0.0.1:{lines[0]}{lines[1]}", log_path)
        time.sleep(0.05)
    process.kill()
    process.wait()
    raise RuntimeError(f"chromium did not open its DevTools port within {START_TIMEOUT_S} s")


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The DevTools endpoint of the session's one Chromium, started on first use and stopped at the end."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip(
            f"!!! CHROMIUM IS NOT INSTALLED at {CHROMIUM}: THE BROWSER TESTS (WEB CHAT, DASHBOARD) DID NOT RUN. "
            "Run `make test` (it installs Debian's chromium package) or `apt-get install -y chromium`. !!!"
        )
    browser = start_chromium(tmp_path_factory.mktemp("chromium"))
    yield browser.endpoint
    browser.stop()


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    """The shared Chromium, connected for this test; the contexts and pages it opens are closed after it."""
    async with async_playwright() as playwright:
        connected = await playwright.chromium.connect_over_cdp(chromium)
        try:
            yield connected
        finally:
            await connected.close()  # closes this test's contexts and disconnects; Chromium keeps running


@dataclass
class PageWatch:
    """What a page did that a test must check: uncaught errors, console errors, and every URL it requested.

    Chromium also logs each failed load in the console ("Failed to load resource: the server responded with a
    status of 401", "net::ERR_CONNECTION_REFUSED"). Those are the browser reporting an answer, not the page
    failing, so a test names the ones it causes on purpose with `expect_failed_loads`; any other is an error.
    """

    origin: str
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> Page:
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", self._console)
        page.on("request", self._request)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def expect_failed_loads(self, *fragments: str) -> None:
        """Allow "Failed to load resource" lines holding one of `fragments` (a status such as "401", or an error)."""
        self.expected.extend(fragments)

    def unexpected_console_errors(self) -> list[str]:
        def expected(text: str) -> bool:
            return text.startswith("Failed to load resource") and any(f in text for f in self.expected)

        return [text for text in self.console_errors if not expected(text)]

    def outside_requests(self) -> list[str]:
        return [url for url in self.requests if url != self.origin and not url.startswith(self.origin + "/")]

    def check(self) -> None:
        """No JavaScript error, no console error but the expected failed loads, no request beyond the origin."""
        assert self.page_errors == [], f"JavaScript errors: {self.page_errors}"
        assert self.unexpected_console_errors() == [], f"console errors: {self.unexpected_console_errors()}"
        assert self.outside_requests() == [], f"requests outside {self.origin}: {self.outside_requests()}"
