"""/openapi.json: every mounted route is documented, and a live gateway answers as documented, never with a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from admin.app import PREFIX, ROUTES
from gateway.app import create_app
from gateway.openapi import openapi_document, undocumented
from gateway.settings import Settings
from tests.admin.support import RW, bearer
from tests.admin.support import settings as admin_settings
from tests.processes import ServerProcess, live_gateway
from tests.redis_servers import RedisServer
from tests.support import running_gateway

EXAMPLES = 25  # per operation: the whole run stays well under a minute
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def test_every_mounted_route_is_documented() -> None:
    """No route of the app is missing from the document."""
    assert undocumented(create_app(Settings(redis_url="redis://test")).routes) == []


async def test_the_document_lists_admin_and_chat_operations_with_schemas(redis: Redis) -> None:
    """The served document has the chat route, every admin route, and the bearer scheme on admin operations."""
    async with running_gateway(redis, settings=admin_settings()) as gw:
        doc = (await gw.http.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    chat = doc["paths"]["/v1/bots/{bot}/messages"]["post"]
    assert chat["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ChatRequest"}
    admin = [p for p in doc["paths"] if p.startswith("/admin/v1/")]
    assert set(admin) == {PREFIX + route.path for route in ROUTES}
    for path in admin:
        for operation in doc["paths"][path].values():
            assert operation["security"] == [{"bearer": []}]
            assert "401" in operation["responses"]
    assert {"/healthz", "/readyz"} <= set(doc["paths"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`botgate serve` on its own redis-server, with the test tokens."""
    server = RedisServer(tmp_path_factory.mktemp("openapi-redis")).start()
    try:
        env = {"BOTGATE_REDIS_URL": server.url, "BOTGATE_ADMIN_TOKENS": RW}
        with live_gateway(tmp_path_factory.mktemp("openapi-gateway"), env) as gateway:
            yield gateway
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api_schema(live: ServerProcess) -> Any:
    return schemathesis.openapi.from_url(live.url + "/openapi.json")


# Every documented operation but the WebSocket, which is documented for readers and cannot be driven over HTTP.
OPERATIONS = [
    (method.upper(), path)
    for path, item in openapi_document(create_app(Settings(redis_url="redis://test")).routes)["paths"].items()
    for method in item
    if path != "/v1/bots/{bot}/ws"
]
# Half the cases name a real bot, version and user, so that bodies reach the handlers' own checks.
KNOWN = {"bot": "greeter", "version": "2.0.0", "user": "alice"}


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_live_api_answers_as_documented(api_schema: Any, method: str, path: str) -> None:
    """Generated requests with a valid token: no 500, and statuses, headers and bodies as the document says."""
    operation = api_schema[path][method]
    known = {name: value for name, value in KNOWN.items() if "{" + name + "}" in path}
    cases = st.one_of(operation.as_strategy(), operation.as_strategy(path_parameters=known))

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def answers_as_documented(case: Any) -> None:
        case.call_and_validate(headers=bearer(RW), checks=CHECKS, timeout=10)

    answers_as_documented()
