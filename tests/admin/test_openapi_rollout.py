"""The rollout's operations in /openapi.json: ETag on answers, If-Match on PUT, 412, and the guard's fields."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.app import create_app
from gateway.openapi import openapi_document
from gateway.settings import Settings


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    doc: dict[str, Any] = openapi_document(create_app(Settings(redis_url="redis://test")).routes)
    return doc


def test_reads_and_writes_of_the_rollout_carry_its_etag(document: dict[str, Any]) -> None:
    """GET and PUT answer 200 with an ETag header; PUT takes If-Match and may answer 412 with the current tag."""
    item = document["paths"]["/admin/v1/bots/{bot}/rollout"]
    for method in ("get", "put"):
        assert item[method]["responses"]["200"]["headers"]["ETag"]["required"] is True
    put = item["put"]
    assert [p["name"] for p in put["parameters"] if p["in"] == "header"] == ["If-Match"]
    assert "ETag" in put["responses"]["412"]["headers"]
    assert put["responses"]["412"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_rollout_schema_has_the_guard_the_steps_and_the_guards_last_change(document: dict[str, Any]) -> None:
    """Canary: guard, steps, hold and the read-only since; Rollout: the read-only last_guard."""
    schemas = document["components"]["schemas"]
    canary = schemas["Canary"]["properties"]
    assert set(canary) == {"version", "percent", "guard", "steps", "hold", "since"}
    assert canary["since"]["readOnly"] is True
    assert set(schemas["Guard"]["properties"]) == {
        "max_error_rate_increase",
        "max_completion_drop",
        "min_conversations",
        "window",
    }
    assert schemas["Rollout"]["properties"]["last_guard"]["readOnly"] is True
    assert schemas["GuardAction"]["properties"]["action"]["enum"] == ["rollback", "advance", "promote"]
