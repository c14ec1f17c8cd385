"""HTTP calls of `call` steps: allow-listed hosts only, bounded in time and size, failures as CallFailed."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot_versions.calls import CallFailed, HttpCaller


@pytest.fixture
async def caller() -> AsyncIterator[HttpCaller]:
    """A caller allowed to reach the local server on any port."""
    caller = HttpCaller(["127.0.0.1"])
    yield caller
    await caller.aclose()


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/zip/90210", {"town": "Beverly Hills", "state": "California"}),
        ("GET", "/town/New%20York/New%20York", {"zip": "10001"}),
        ("POST", "/method", {"method": "POST"}),
        ("DELETE", "/method", {"method": "DELETE"}),
        ("GET", "/text", "plain words"),
    ],
)
async def test_answers(caller: HttpCaller, server_url: str, method: str, path: str, expected: Any) -> None:
    """A 2xx JSON answer is parsed; any other 2xx answer is its text."""
    assert await caller(method, server_url + path, 5) == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/broken?key=secret", "GET to 127.0.0.1 was answered 500"),
        ("/nowhere", "GET to 127.0.0.1 was answered 404"),
        ("/redirect", "GET to 127.0.0.1 was answered 302"),
        ("/big", "GET to 127.0.0.1 answered more than 65536 bytes"),
        ("/bad-json", "GET to 127.0.0.1 answered JSON that could not be read"),
        ("/nan", "GET to 127.0.0.1 answered JSON that could not be read"),
    ],
)
async def test_failures(caller: HttpCaller, server_url: str, path: str, message: str) -> None:
    """Error statuses, redirects, oversized and unreadable answers fail the call, naming only method and host."""
    with pytest.raises(CallFailed, match=f"^{re.escape(message)}$"):
        await caller("GET", server_url + path, 5)


async def test_timeout(caller: HttpCaller, server_url: str) -> None:
    """A call that takes longer than its timeout fails soon after the timeout."""
    started = time.monotonic()
    with pytest.raises(CallFailed, match=r"^GET to 127\.0\.0\.1 timed out after 0\.2 s$"):
        await caller("GET", server_url + "/slow", 0.2)
    assert time.monotonic() - started < 2


async def test_unreachable_host() -> None:
    """A connection that cannot be made fails the call without showing the URL."""
    caller = HttpCaller(["127.0.0.1"])
    try:
        with pytest.raises(CallFailed, match=r"^GET to 127\.0\.0\.1 failed: ConnectError$"):
            await caller("GET", "http://127.0.0.1:9/secret?token=x", 2)
    finally:
        await caller.aclose()


@pytest.mark.parametrize(
    ("allowed", "url_host", "permitted"),
    [
        (["127.0.0.1"], "127.0.0.1", True),
        (["LOCALHOST"], "127.0.0.1", False),
        (["127.0.0.1:{port}"], "127.0.0.1", True),
        (["127.0.0.1:1"], "127.0.0.1", False),
        ([" 127.0.0.1 "], "127.0.0.1", True),
        ([], "127.0.0.1", False),
        (["zip.example"], "127.0.0.1", False),
    ],
)
async def test_allow_list(server_url: str, allowed: list[str], url_host: str, permitted: bool) -> None:
    """Only hosts on the allow-list are called; a host:port entry allows that port only."""
    port = server_url.rsplit(":", 1)[1]
    caller = HttpCaller([entry.format(port=port) for entry in allowed])
    try:
        if permitted:
            assert await caller("GET", f"http://{url_host}:{port}/text", 5) == "plain words"
        else:
            with pytest.raises(CallFailed, match="is not an allowed host"):
                await caller("GET", f"http://{url_host}:{port}/text", 5)
    finally:
        await caller.aclose()


@pytest.mark.parametrize(
    ("allowed", "url"),
    [
        (["zip.example"], "http://zip.example/x"),
        (["zip.example"], "https://ZIP.example:8443/x"),
        (["zip.example:80"], "http://zip.example/x"),
        (["zip.example:443"], "https://zip.example/x"),
        (["[::1]:8080"], "http://[::1]:8080/x"),
    ],
)
async def test_allow_list_matching(allowed: list[str], url: str) -> None:
    """Hosts compare ignoring case; a port entry matches the URL's explicit or default port."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"ok": True})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        assert await HttpCaller(allowed, client=client)("GET", url, 1) == {"ok": True}
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("allowed", "url"),
    [
        (["zip.example:80"], "https://zip.example/x"),
        (["zip.example"], "http://zip.example.evil/x"),
        (["zip.example"], "http://evil.zip.example/x"),
        (["zip.example"], "ftp://zip.example/x"),
        (["zip.example"], "http://zip.example:abc/x"),
        (["zip.example"], "http:///x"),
        (["zip.example"], "/relative"),
    ],
)
async def test_refused_urls(allowed: list[str], url: str) -> None:
    """Other hosts, other ports, other schemes and malformed URLs are refused before any request."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may be sent")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(CallFailed):
            await HttpCaller(allowed, client=client)("GET", url, 1)


@pytest.mark.parametrize("entry", ["", "zip.example/path", "user@zip.example", "zip.example:port", "a?b", "[::1"])
def test_bad_allow_list_entries(entry: str) -> None:
    """An allow-list entry that is not a host or host:port is refused when the caller is built."""
    with pytest.raises(ValueError, match="is not a host or host:port"):
        HttpCaller([entry])


async def test_aclose_leaves_a_given_client_open() -> None:
    """aclose closes only a client the caller created itself."""
    async with httpx.AsyncClient() as client:
        caller = HttpCaller([], client=client)
        await caller.aclose()
        assert not client.is_closed
    owned = HttpCaller([])
    await owned.aclose()
    assert owned._client.is_closed


surrogate_escapes = st.integers(0xD800, 0xDFFF).map(lambda c: f"\\u{c:04x}")
hostile_answers = st.one_of(
    st.integers(101, 6000).map(lambda n: f'{{"zip": {"9" * n}}}'),
    st.integers(65, 30_000).map(lambda n: "[" * n + "]" * n),
    st.integers(65, 10_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.sampled_from(['{"x": 1e400}', '{"x": NaN}', "[-Infinity]", "9" * 400 + ".0"]),
    surrogate_escapes.map(lambda s: f'{{"town": "a{s}b"}}'),
    surrogate_escapes.map(lambda s: f'{{"{s}": 1}}'),
)


@settings(max_examples=150, deadline=None)
@given(answer=hostile_answers, media_type=st.sampled_from(["application/json", "application/problem+json"]))
async def test_json_answers_the_parser_refuses_fail_the_call(answer: str, media_type: str) -> None:
    """Deep nesting, long integers, overflowing numbers and lone surrogates in a JSON answer are a CallFailed."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answer.encode(), headers={"content-type": media_type})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(CallFailed, match=r"^GET to zip\.example answered JSON that could not be read$"):
            await HttpCaller(["zip.example"], client=client)("GET", "http://zip.example/x", 1)


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(st.sampled_from("abc XYZ.,!é"), max_size=20),
    surrogate=st.integers(0xD800, 0xDFFF),
    charset=st.sampled_from(["unicode_escape", "raw_unicode_escape", "utf-7"]),
)
async def test_text_answers_never_carry_a_lone_surrogate(text: str, surrogate: int, charset: str) -> None:
    """A text answer in a charset that can spell a lone surrogate gets U+FFFD in its place."""
    spelled = chr(surrogate).encode(charset, "surrogatepass") if charset == "utf-7" else f"\\u{surrogate:04x}".encode()

    def handler(request: httpx.Request) -> httpx.Response:
        body = text.encode(charset) + spelled
        return httpx.Response(200, content=body, headers={"content-type": f"text/plain; charset={charset}"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        answer = await HttpCaller(["zip.example"], client=client)("GET", "http://zip.example/x", 1)
    answer.encode("utf-8")
    assert answer.endswith("\ufffd")
