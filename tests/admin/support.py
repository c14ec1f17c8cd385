"""Helpers for the admin tests: tokens, settings, definitions, and an admin client on an in-process gateway."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from bot_versions.examples import examples_dir
from gateway.settings import Settings

RW = "rw-test-token-0123456789"
RO = "ro-test-token-0123456789"
TOKENS = (RW, "ro:" + RO)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def settings(tmp_path: Path | None = None, *examples: str) -> Settings:
    """Settings with the test tokens; with `examples`, only those example files are loaded at start-up."""
    bots_dir = None
    if tmp_path is not None:
        bots_dir = tmp_path / "bots"
        bots_dir.mkdir(exist_ok=True)
        for name in examples:
            (bots_dir / name).write_text((examples_dir() / name).read_text())
    return Settings(redis_url="redis://test", admin_tokens=TOKENS, bots_dir=bots_dir)


def greeter(version: str, greeting: str = "Hello, {name}, from " + "{version}") -> dict[str, Any]:
    """A greeter definition whose greeting names its version, so a reply shows which version answered."""
    return {
        "bot": "greeter",
        "version": version,
        "start": "ask_name",
        "steps": {
            "ask_name": {"ask": "What is your name?", "save": "name", "next": "greet"},
            "greet": {"say": greeting.replace("{version}", version)},
        },
    }


def as_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False)


@dataclass
class Admin:
    """The admin API of an in-process gateway, with a token (read-write unless told)."""

    http: httpx.AsyncClient
    token: str = RW

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**bearer(self.token), **kwargs.pop("headers", {})}
        return await self.http.request(method, "/admin/v1" + path, headers=headers, **kwargs)

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call and expect a 2xx; the JSON body."""
        r = await self.call(method, path, **kwargs)
        assert r.is_success, r.text
        return r.json()

    async def store(self, document: dict[str, Any]) -> httpx.Response:
        path = f"/bots/{document['bot']}/versions/{document['version']}"
        return await self.call("PUT", path, json=document)

    async def release(self, document: dict[str, Any]) -> Any:
        """Store and publish a definition."""
        assert (await self.store(document)).is_success
        return await self.ok("POST", f"/bots/{document['bot']}/versions/{document['version']}/publish")

    async def rollout(self, bot: str, stable: str | None, canary: str | None = None, percent: float = 0) -> Any:
        body = {"stable": stable, "canary": None if canary is None else {"version": canary, "percent": percent}}
        return await self.ok("PUT", f"/bots/{bot}/rollout", json=body)
