"""The gateway's Redis client: under uvloop (as uvicorn runs it) a connection Redis drops fails as a RedisError,
over every kind of URL, and its commands are packed exactly as redis-py packs them."""

from __future__ import annotations

import asyncio
import collections
import socket as socketlib
import time
from pathlib import Path

import pytest
import uvloop
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Connection, Redis, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import DataError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.redis_connection import GatewayCommands, GatewayConnection, connect
from gateway.settings import Settings
from tests.redis_servers import RedisServer

WORKERS = 30
KILLING_S = 2.0


async def _hammer_while_killing(url: str) -> collections.Counter[str]:
    client = connect(Settings(redis_url=url, redis_timeout_s=1))
    killer = Redis.from_url(url)
    outcomes: collections.Counter[str] = collections.Counter()
    stop = time.monotonic() + KILLING_S

    async def work(n: int) -> None:
        while time.monotonic() < stop:
            try:
                await client.set(f"k{n}", "v")
                outcomes["ok"] += 1
            except RedisError:
                outcomes["RedisError"] += 1
            except Exception as exc:  # what this test is looking for: anything a caller would not expect
                outcomes[type(exc).__name__] += 1

    async def kill() -> None:
        while time.monotonic() < stop:
            await killer.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
            await asyncio.sleep(0)

    try:
        await asyncio.gather(kill(), *(work(n) for n in range(WORKERS)))
        await client.set("after", "v")  # the pool recovers by itself once the kills stop
        outcomes["recovered"] += 1
    finally:
        await client.aclose()
        await killer.aclose()
    return outcomes


def test_connections_killed_mid_command_fail_as_redis_errors_and_the_pool_recovers(redis_server: RedisServer) -> None:
    """CLIENT KILL in a loop under 30 writers: every failure is a RedisError (never uvloop's RuntimeError)."""
    outcomes = uvloop.run(_hammer_while_killing(redis_server.url))
    assert outcomes["RedisError"] > 0  # the kills did land
    assert outcomes["recovered"] == 1
    assert set(outcomes) <= {"ok", "RedisError", "recovered"}, outcomes


def test_killed_connections_over_a_unix_socket_fail_as_redis_errors_too(tmp_path: Path) -> None:
    """`unix://` gets the gateway's connection of that kind: the same kills are RedisErrors there as well."""
    socket = tmp_path / "redis.sock"
    server = RedisServer(tmp_path / "redis", extra=("--unixsocket", str(socket))).start()
    try:
        outcomes = uvloop.run(_hammer_while_killing(f"unix://{socket}"))
    finally:
        server.stop()
    assert outcomes["RedisError"] > 0
    assert outcomes["recovered"] == 1
    assert set(outcomes) <= {"ok", "RedisError", "recovered"}, outcomes


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("redis://127.0.0.1:6399/0", Connection),
        ("rediss://127.0.0.1:6399/0", SSLConnection),
        ("unix:///tmp/botgate-none.sock", UnixDomainSocketConnection),
    ],
)
def test_every_url_kind_gets_the_gateways_connection_of_that_kind(url: str, kind: type) -> None:
    """TLS stays TLS and a socket stays a socket; each also has the gateway's differences."""
    connection_class = connect(Settings(redis_url=url)).connection_pool.connection_class
    assert issubclass(connection_class, kind) and issubclass(connection_class, GatewayCommands)


words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
values = st.one_of(
    words,
    st.binary(max_size=20),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False),
)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(["SET", "EVALSHA", "SCRIPT LOAD", b"GET", b"CONFIG RESETSTAT"]), args=st.lists(values))
def test_a_command_goes_out_byte_for_byte_as_redis_py_packs_it(name: str | bytes, args: list[object]) -> None:
    """hiredis packs every command exactly as redis-py's own packer, multi-word names included."""
    ours = b"".join(GatewayConnection().pack_command(name, *args))
    theirs = b"".join(Connection().pack_command(name, *args))
    assert ours == theirs


@pytest.mark.parametrize("value", [None, object(), [1]])
def test_a_value_redis_cannot_take_is_a_data_error_as_in_redis_py(value: object) -> None:
    """None or another type is refused with redis-py's DataError, before anything is sent."""
    with pytest.raises(DataError):
        Connection().pack_command("SET", "k", value)
    with pytest.raises(DataError):
        GatewayConnection().pack_command("SET", "k", value)


async def test_a_server_that_accepts_but_never_answers_is_a_timeout_not_a_hang() -> None:
    """A partitioned Redis (the connection stands, nothing comes back): the command fails as a RedisError, after
    the read timeout, however often the client reconnects (it hung for good while redis-py's health checks PINGed
    first: each PING timed out, reconnected and PINGed again)."""
    listener = socketlib.create_server(("127.0.0.1", 0))  # accepts, never reads, never answers
    port = listener.getsockname()[1]
    client = connect(Settings(redis_url=f"redis://127.0.0.1:{port}/0", redis_timeout_s=0.3))
    try:
        with pytest.raises(RedisTimeoutError, match="Timeout reading"):  # not a hang: the guard would fail first
            await asyncio.wait_for(client.set("k", b"x"), timeout=20)
    finally:
        await client.aclose()
        listener.close()


async def _answers_until_set(
    stalled: asyncio.Event, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """A Redis that answers the connection's set-up commands with +OK, then, at the first SET, stops reading and
    answering (until `stalled` is set, at the test's end)."""
    try:
        while header := await reader.readline():
            words = []
            for _ in range(int(header[1:])):
                length = int((await reader.readline())[1:])
                words.append(await reader.readexactly(length + 2))
                if words[0][:3].upper() == b"SET":
                    await stalled.wait()
                    return
            writer.write(b"+OK\r\n")
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("size", "timed_out"),
    [(1, "Timeout reading"), (32_000_000, "Timeout writing")],
    ids=["a command the socket takes", "a command larger than the socket takes"],
)
async def test_a_command_to_a_server_that_stopped_reading_times_out(size: int, timed_out: str) -> None:
    """On a connection that was answering: a command the kernel takes whole waits for its answer under the read
    timeout; one it cannot take (the server stopped reading) waits for the socket to drain under the same timeout,
    and says so."""
    stalled = asyncio.Event()
    server = await asyncio.start_server(lambda r, w: _answers_until_set(stalled, r, w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = connect(Settings(redis_url=f"redis://127.0.0.1:{port}/0", redis_timeout_s=0.3))
    try:
        await client.ping()  # connected and answering: the SET goes out on an established connection
        with pytest.raises(RedisTimeoutError, match=timed_out):  # not a hang: the guard would fail first
            await asyncio.wait_for(client.set("k", b"x" * size), timeout=20)
    finally:
        stalled.set()
        await client.aclose()
        server.close()
        await server.wait_closed()
