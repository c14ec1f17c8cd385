"""The dashboard's page and files are served from the package without a token; GET /admin/v1/whoami says who a
token is. (What the page does in a browser is in test_dashboard_browser.py.)"""

from __future__ import annotations

import re
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from admin.auth import AdminToken
from admin.dashboard import CONTENT_SECURITY_POLICY
from tests.admin.support import RO, RW, bearer
from tests.admin.support import settings as admin_settings
from tests.support import Gateway, running_gateway

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "admin" / "dashboard"
ASSET_URL = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.fixture
async def gateway(redis: Redis) -> AsyncIterator[Gateway]:
    async with running_gateway(redis, settings=admin_settings()) as gw:
        yield gw


def page_assets() -> list[str]:
    """Every URL the page's HTML names, in-page anchors (#/) aside."""
    return [url for url in ASSET_URL.findall((DASHBOARD / "index.html").read_text()) if not url.startswith("#")]


async def test_the_page_and_its_files_are_served_without_a_token(gateway: Gateway) -> None:
    """GET /admin/ and every script, style and icon it names answer 200 with no Authorization header."""
    page = await gateway.http.get("/admin/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>botgate dashboard</title>" in page.text
    for url in page_assets():
        asset = await gateway.http.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["cache-control"] == "no-cache"
        assert asset.headers["x-content-type-options"] == "nosniff"


async def test_the_page_names_only_files_of_its_own_and_forbids_anything_else(gateway: Gateway) -> None:
    """The HTML names only /admin/assets/ files, and its Content-Security-Policy allows only this origin."""
    assert page_assets() and all(url.startswith("/admin/assets/") for url in page_assets())
    headers = (await gateway.http.get("/admin/")).headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    policy = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert policy["default-src"] == "'none'"
    assert {policy[name] for name in ("script-src", "style-src", "connect-src", "img-src")} == {"'self'"}
    assert headers["x-frame-options"] == "DENY"


async def test_admin_without_a_slash_leads_to_the_page(gateway: Gateway) -> None:
    """/admin redirects to /admin/, where the page is."""
    answer = await gateway.http.get("/admin")
    assert answer.is_redirect
    assert answer.headers["location"].endswith("/admin/")


async def test_every_data_call_still_needs_a_token(gateway: Gateway) -> None:
    """The API behind the page stays behind its token: /admin/v1 answers 401 without one."""
    for path in ("/admin/v1/bots", "/admin/v1/whoami", "/admin/v1/bots/greeter/health"):
        assert (await gateway.http.get(path)).status_code == 401


@pytest.mark.parametrize(("token", "read_only"), [(RW, False), (RO, True)])
async def test_whoami_names_the_token_as_the_audit_does_and_says_whether_it_may_write(
    gateway: Gateway, token: str, read_only: bool
) -> None:
    """GET /admin/v1/whoami: the token#xxxxxxxx identity the audit records, and read_only for a ro: token."""
    answer = await gateway.http.get("/admin/v1/whoami", headers=bearer(token))
    assert answer.status_code == 200
    assert answer.json() == {"identity": AdminToken.of(token).identity, "read_only": read_only}


async def test_whoami_refuses_a_token_it_does_not_know(gateway: Gateway) -> None:
    """An unknown token gets 401 with the usual JSON error, so the page can say the token is not accepted."""
    answer = await gateway.http.get("/admin/v1/whoami", headers=bearer("not-a-token"))
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"


def test_every_file_of_the_dashboard_is_package_data() -> None:
    """pyproject's package-data patterns for admin match every file under admin/dashboard (else a wheel lacks it)."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["admin"]
    packaged = {path for pattern in patterns for path in (ROOT / "admin").glob(pattern)}  # as setuptools globs
    files = {path for path in DASHBOARD.rglob("*") if path.is_file()}
    assert files and files - packaged == set()


def test_the_vendored_chart_library_carries_its_licence_and_version() -> None:
    """uPlot is vendored with its MIT licence, and the version the docs name is the one in the file."""
    vendored = DASHBOARD / "assets" / "vendor" / "uplot"
    assert "MIT License" in (vendored / "LICENSE").read_text()
    header = (vendored / "uPlot.iife.min.js").read_text()[:100]
    assert "(v1.6.32)" in header
    assert "uplot` 1.6.32" in (vendored / "README.md").read_text()
    assert "1.6.32" in (ROOT / "docs" / "dashboard.md").read_text()
