"""What the upstream runtimes share, as plain functions over plain data: the signature, the allow-list, the bound on
calls in flight, reading a bot's answer, buttons; and the pooled client's failures (an in-process transport, and a
real socket for an answer that trickles in)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from bot_versions.errors import BotFailed, Unavailable
from bot_versions.hosts import AllowList, NotAllowed, host_and_port, parse_entry
from bot_versions.model import BotVersion
from bot_versions.runtime import Reply, TurnResult
from bot_versions.runtime_checks import StoreRules
from bot_versions.runtimes.buttons import chosen, offered
from bot_versions.runtimes.env import RuntimeEnv
from bot_versions.runtimes.factory import build_runtime
from bot_versions.runtimes.shapes import MAX_STATE_BYTES, checked_state, turn_result
from bot_versions.runtimes.transport import AiohttpTransport, Raw, Refused
from bot_versions.runtimes.upstream import MAX_ANSWER_BYTES, SIGNATURE_HEADER, Gate, Upstream, sign
from bot_versions.validation import validate
from tests.bot_versions.runtimes.support import definition
from tests.bot_versions.test_runtimes import no_calls
from tests.support import HttpxTransport
from tests.upstream.http_test_bot import HUGE_REPLIES, WRONG_SHAPES

LOCAL = AllowList(["127.0.0.1"], "BOTGATE_UPSTREAM_HOSTS")
STORE_LOCAL = StoreRules(upstream_hosts=LOCAL)


def test_the_signature_is_the_hex_hmac_sha256_of_the_exact_bytes() -> None:
    """`sha256=` and the lowercase hex HMAC-SHA256 (the well-known "quick brown fox" vector)."""
    body = b"The quick brown fox jumps over the lazy dog"
    expected = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    assert sign(b"key", body) == expected


@pytest.mark.parametrize("secret", ["s3cret", None])
async def test_every_call_is_signed_over_the_bytes_sent_when_a_secret_is_set(secret: str | None) -> None:
    """The header is the HMAC of the body as sent (compact, non-ASCII kept); without a secret there is no header."""
    seen: list[httpx.Request] = []

    def bot(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"replies": []})

    async with httpx.AsyncClient(transport=httpx.MockTransport(bot)) as client:
        upstream = Upstream(LOCAL, secret, transport=HttpxTransport(client))
        await upstream.post("http://127.0.0.1:9/turn", {"text": "café ☕"}, timeout=1, who="shop 1.0.0")
    [request] = seen
    assert request.content == '{"text":"café ☕"}'.encode()
    expected = (
        None if secret is None else "sha256=" + hmac.new(secret.encode(), request.content, hashlib.sha256).hexdigest()
    )
    assert request.headers.get(SIGNATURE_HEADER) == expected


@pytest.mark.parametrize(
    ("entries", "url", "allowed"),
    [
        (["bots.internal"], "http://bots.internal/turn", True),
        (["bots.internal"], "https://bots.internal:8443/turn", True),  # a bare host allows any port
        (["BOTS.internal"], "http://bots.INTERNAL/turn", True),  # hosts ignore case
        (["127.0.0.1:9001"], "http://127.0.0.1:9001/turn", True),
        (["127.0.0.1:9001"], "http://127.0.0.1:9002/turn", False),  # host:port allows that port only
        (["127.0.0.1:80"], "http://127.0.0.1/turn", True),  # the scheme's default port
        (["127.0.0.1:80"], "https://127.0.0.1/turn", False),
        (["[::1]:8080"], "http://[::1]:8080/turn", True),
        (["bots.internal"], "http://bots.internal.evil.example/turn", False),  # exact, not a suffix
        (["bots.internal"], "http://evil.example/?bots.internal", False),
        (["bots.internal"], "http://bots.internal@evil.example/turn", False),
        (["bots.internal"], "http://user:pw@bots.internal/turn", False),  # credentials never go in a URL
        (["bots.internal"], "ftp://bots.internal/turn", False),
        (["bots.internal"], "bots.internal/turn", False),
        (["bots.internal"], "http://bots.internal:99999/turn", False),
        ([], "http://127.0.0.1:9001/turn", False),  # nothing set: nothing allowed
        # What the HTTP client cannot send is refused here, not left to fail (or 500) at every turn.
        (["127.0.0.1"], "http://127.0.0.1:9001/turn\x01", False),
        (["127.0.0.1"], "http://127.0.0.1:9001/a\x7fb", False),
        (["127.0.0.1"], "http://127.0.0.1:9001/a b", True),  # the client sends it as /a%20b
    ],
)
def test_the_allow_list(entries: list[str], url: str, allowed: bool) -> None:
    """A URL is allowed when it is http(s), without credentials, and its host (and port) is listed."""
    hosts = AllowList(entries, "BOTGATE_UPSTREAM_HOSTS")
    try:
        hosts.check(url)
    except NotAllowed as exc:
        assert not allowed, exc
    else:
        assert allowed


@pytest.mark.parametrize(
    ("url", "host_port"),
    [
        ("http://Bots.Internal/x?key=1", ("bots.internal", 80)),
        ("https://bots.internal/x", ("bots.internal", 443)),
        ("http://127.0.0.1:9001", ("127.0.0.1", 9001)),
        ("http://[::1]:8080/", ("::1", 8080)),
    ],
)
def test_a_urls_host_and_port(url: str, host_port: tuple[str, int]) -> None:
    """Lowercase host, and the scheme's default port when none is written."""
    assert host_and_port(url) == host_port


@pytest.mark.parametrize("entry", ["", "http://bots.internal", "bots.internal/turn", "u@bots.internal", "h:port"])
def test_an_allow_list_entry_is_a_host_or_host_and_port(entry: str) -> None:
    """Anything else in the setting is refused when the gateway starts."""
    with pytest.raises(ValueError, match="is not a host or host:port"):
        parse_entry(entry, "BOTGATE_UPSTREAM_HOSTS")


def test_a_refused_url_is_named_by_host_and_port_never_by_path_or_query() -> None:
    """The message may reach logs and clients: the path and query (which may carry keys) stay out of it."""
    with pytest.raises(NotAllowed) as refused:
        LOCAL.check("http://evil.example:8080/hook?api_key=SECRET")
    assert "evil.example:8080" in str(refused.value) and "SECRET" not in str(refused.value)


def test_the_gate_refuses_the_call_over_its_bound_at_once_and_frees_slots_as_calls_end() -> None:
    """Over `limit` calls in flight the next is Unavailable (503, Retry-After); a slot frees even if its call fails."""
    gate = Gate(2, "shop 1.0.0")
    with gate.slot(), gate.slot():
        with pytest.raises(Unavailable) as busy, gate.slot():
            pass
        assert busy.value.retry_after == 1 and "shop 1.0.0" in busy.value.message
    with pytest.raises(RuntimeError), gate.slot():
        raise RuntimeError("the call failed")
    assert gate.in_flight == 0
    with gate.slot(), gate.slot():
        assert gate.in_flight == 2


VALID = [
    ({"replies": []}, TurnResult([], {}, False)),
    ({"replies": [{"text": "hi"}], "state": {"n": 1}, "done": True}, TurnResult([Reply("hi")], {"n": 1}, True)),
    ({"replies": [{"text": "Size?", "choices": ["S", "L"]}]}, TurnResult([Reply("Size?", ("S", "L"))], {}, False)),
    ({"replies": [{"text": "", "extra": 1}], "unknown": [1]}, TurnResult([Reply("")], {}, False)),
    (  # exactly the limit
        {"replies": [], "state": {"blob": "x" * (MAX_STATE_BYTES - 11)}},
        TurnResult([], {"blob": "x" * (MAX_STATE_BYTES - 11)}, False),
    ),
]


@pytest.mark.parametrize(("answer", "expected"), VALID)
def test_answers_of_the_right_shape_are_read(answer: dict[str, Any], expected: TurnResult) -> None:
    """Replies with optional choices, a state (default {}), done (default false); unknown keys ignored."""
    assert turn_result(answer, "shop 1.0.0") == expected


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        *((shape, "shape") for shape in WRONG_SHAPES.values()),
        ({"replies": [{"text": "hi"}], "state": {"blob": "x" * (MAX_STATE_BYTES - 10)}}, "state_too_big"),
        ({"replies": [], "state": {"blob": "é" * (MAX_STATE_BYTES // 2)}}, "state_too_big"),  # bytes, not characters
        ({"replies": [{"text": "x", "choices": None}]}, "shape"),
        ({"replies": [{"text": "x"}], "done": None}, "shape"),
        *((({"replies": replies}), "reply_too_large") for replies in HUGE_REPLIES.values()),
    ],
)
def test_answers_of_the_wrong_shape_or_size_fail_with_their_reason(answer: Any, reason: str) -> None:
    """Every way to break the answer's contract is a BotFailed with a short reason, naming the version."""
    with pytest.raises(BotFailed) as failed:
        turn_result(answer, "shop 1.0.0")
    assert failed.value.reason == reason and "shop 1.0.0" in failed.value.message


@pytest.mark.parametrize("state", [{"n": float("nan")}, {"s": "\ud800"}, {"o": object()}, {1: {2}}])
def test_a_state_that_is_not_plain_json_fails_as_shape(state: dict[Any, Any]) -> None:
    """A python bot can return anything: what JSON cannot keep fails the turn instead of the save."""
    with pytest.raises(BotFailed) as failed:
        checked_state(state, "py 1.0.0")
    assert failed.value.reason == "shape"


BUTTONS = [["Small", '/size{"size":"small"}'], ["Large", '/size{"size":"large"}']]


@pytest.mark.parametrize(
    ("text", "buttons", "sent"),
    [
        ("Small", BUTTONS, '/size{"size":"small"}'),
        ("  large ", BUTTONS, '/size{"size":"large"}'),  # a label in any case
        ("2", BUTTONS, '/size{"size":"large"}'),  # or its number
        ("3", BUTTONS, "3"),
        ("medium", BUTTONS, "medium"),  # anything else as typed
        ("Small", [], "Small"),
        ("Small", None, "Small"),
        ("Tea", [["Tea", "tea"], ["Coffee", "coffee"]], "tea"),
    ],
)
def test_a_chosen_button_is_sent_as_its_value(text: str, buttons: Any, sent: str) -> None:
    """What the bot gets for the user's text: the value of the button it names, else the text itself."""
    assert chosen(text, buttons) == sent


def test_offered_buttons_become_choices_and_the_last_are_kept_in_the_state() -> None:
    """Texts with buttons become replies with choices; empty messages are dropped; the last buttons are kept."""
    result = offered([("Hi", []), (None, []), ("Size?", BUTTONS)], False, "bot 1.0.0")
    assert result == TurnResult([Reply("Hi"), Reply("Size?", ("Small", "Large"))], {"buttons": BUTTONS}, False)
    assert offered([("Bye", [])], True, "bot 1.0.0") == TurnResult([Reply("Bye")], {}, True)


def test_offered_replies_are_held_to_the_reply_limits() -> None:
    """A Bot Framework or Rasa bot's replies pass the same limits as an http bot's."""
    with pytest.raises(BotFailed) as failed:
        offered([("x" * 9000, [])], False, "bot 1.0.0")
    assert failed.value.reason == "reply_too_large"


async def chunked(chunk: bytes, times: int) -> AsyncIterator[bytes]:
    for _ in range(times):
        yield chunk


def raising(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("url", "handler", "reason"),
    [
        ("http://127.0.0.1:9/t?key=SECRET", raising(httpx.ConnectError("no")), "refused"),
        ("http://127.0.0.1:9/t?key=SECRET", raising(httpx.ReadTimeout("slow")), "timeout"),
        ("http://127.0.0.1:9/t?key=SECRET", raising(httpx.RemoteProtocolError("bad")), "failed"),
        ("http://evil.example/t?key=SECRET", lambda r: httpx.Response(200), "not_allowed"),
        ("http://127.0.0.1:9/t\x01?key=SECRET", lambda r: httpx.Response(200), "not_allowed"),  # stored before
        (
            "http://127.0.0.1:9/t?key=SECRET",
            lambda r: httpx.Response(200, headers={"Content-Length": str(MAX_ANSWER_BYTES + 1)}),
            "too_large",
        ),
        (
            "http://127.0.0.1:9/t?key=SECRET",
            lambda r: httpx.Response(200, content=chunked(b"x" * 70_000, 4)),  # no Content-Length
            "too_large",
        ),
    ],
)
async def test_the_clients_failures_name_the_bot_by_host_and_port_only(
    url: str, handler: Callable[[httpx.Request], httpx.Response], reason: str
) -> None:
    """Refused, timed out, broken, not allowed, oversize answers: each a BotFailed with its reason; never the query."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(BotFailed) as failed:
            await Upstream(LOCAL, transport=HttpxTransport(client)).post(url, {}, timeout=1, who="shop 1.0.0")
    assert failed.value.reason == reason
    assert "SECRET" not in failed.value.message and "shop 1.0.0" in failed.value.message


@asynccontextmanager
async def trickling_bot(body: bytes, pause: float) -> AsyncIterator[str]:
    """A bot on a real socket that sends its 200 headers at once, then its body a byte every `pause` seconds."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        try:
            for byte in body:
                await writer.drain()
                await asyncio.sleep(pause)
                writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            pass  # the gateway gave up: as it should
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/turn"
    finally:
        server.close()


async def test_an_answer_that_trickles_in_fails_when_the_timeout_is_up_in_all() -> None:
    """The timeout bounds the whole call, not each read: a bot sending a byte every 0.2 s cannot hold a turn (and its
    user's lock) past it."""
    body = json.dumps({"replies": [{"text": "finally"}]}).encode()  # 31 bytes: about 6 s at this pace
    async with trickling_bot(body, 0.2) as url:
        upstream = Upstream(LOCAL)  # the gateway's own transport, on a real socket
        with pytest.raises(BotFailed) as failed:
            await upstream.post(url, {}, timeout=1, who="shop 1.0.0")
        await upstream.aclose()
    assert failed.value.reason == "timeout"


@pytest.mark.parametrize("runtime", ["http", "activity", "rasa"])
def test_runtimes_built_twice_for_one_version_share_its_bound(runtime: str) -> None:
    """A version's runtime may be built more than once in a process (turns missing a cache together, an evicted
    runtime still running turns): max_in_flight bounds the version's calls, not each runtime object's."""
    env = RuntimeEnv(caller=no_calls, upstream=Upstream(LOCAL))
    document = definition("shop", "1.0.0", runtime, url="http://127.0.0.1:9001/turn", max_in_flight=1)
    version = BotVersion("shop", "1.0.0", runtime, document)
    first, second = build_runtime(version, env), build_runtime(version, env)
    other = build_runtime(BotVersion("shop", "1.0.1", runtime, {**document, "version": "1.0.1"}), env)
    with first.endpoint.gate.slot():  # type: ignore[attr-defined]
        with pytest.raises(Unavailable), second.endpoint.gate.slot():  # type: ignore[attr-defined]
            pass
        with other.endpoint.gate.slot():  # type: ignore[attr-defined]
            pass  # another version has a bound of its own


class Elsewhere(HttpxTransport):
    """A transport whose URL parser reads every URL as another host: a parser differential, made certain."""

    def target(self, url: str) -> tuple[str, int]:
        return "169.254.169.254", 80


async def test_a_url_the_client_reads_as_another_host_is_refused_and_not_called() -> None:
    """The allow-list and the client must agree on where a URL goes: when they do not, nothing is sent."""
    calls: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: calls.append(r) or httpx.Response(200))) as c:
        with pytest.raises(BotFailed) as failed:
            await Upstream(LOCAL, transport=Elsewhere(c)).post("http://127.0.0.1:9/t", {}, timeout=1, who="shop 1.0.0")
    assert failed.value.reason == "not_allowed"
    assert "169.254.169.254:80" in failed.value.message
    assert calls == []


class NoNetwork(AiohttpTransport):
    """The gateway's transport, reading URLs as aiohttp does, with the network left out: a call is recorded and
    refused, so what these tests see never depends on what listens on this machine."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], max_bytes: int) -> Raw:
        self.sent.append(url)
        raise Refused()


@pytest.mark.parametrize(
    ("url", "place"),
    [
        ("http://127.0.0.1:9/turn", ("127.0.0.1", 9)),
        ("HTTP://LOCALHOST:9/turn", ("localhost", 9)),
        ("http://[::ffff:127.0.0.1]:9/turn", ("::ffff:7f00:1", 9)),  # the same address, spelled otherwise
        ("https://127.0.0.1/turn?x=1", ("127.0.0.1", 443)),
    ],
)
async def test_aiohttp_connects_where_the_allow_list_looks(url: str, place: tuple[str, int]) -> None:
    """The gateway's own transport reads these URLs as the allow-list does (addresses compared as addresses): a
    call to each is let through to the transport."""
    assert AiohttpTransport().target(url) == place
    host, port = host_and_port(url)
    transport = NoNetwork()
    upstream = Upstream(
        AllowList([f"[{host}]:{port}" if ":" in host else f"{host}:{port}"], "TEST"), transport=transport
    )
    with pytest.raises(BotFailed) as failed:
        await upstream.post(url, {}, timeout=2, who="shop 1.0.0")
    assert (failed.value.reason, transport.sent) == ("refused", [url])


@pytest.mark.parametrize("runtime", ["http", "activity", "rasa"])
def test_a_url_aiohttp_cannot_send_where_the_allow_list_looks_is_refused_when_stored(runtime: str) -> None:
    """httpx reads `http://127.0.0.1\\evil/t` as the host `127.0.0.1\\evil`, which this allow-list names; aiohttp
    would not send it: refused with its path when the version is stored, not at every turn."""
    rules = StoreRules(upstream_hosts=AllowList(["127.0.0.1\\evil"], "BOTGATE_UPSTREAM_HOSTS"))
    stored = definition("shop", "1.0.0", runtime, url="http://127.0.0.1\\evil/t")
    problems = validate(stored, rules)
    assert [(p.path, "cannot be sent by the HTTP client" in p.message) for p in problems] == [(f"{runtime}.url", True)]
    assert validate(definition("shop", "1.0.0", runtime, url="http://127.0.0.1:9/t"), STORE_LOCAL) == []
