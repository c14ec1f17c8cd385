"""The connection to the store: a Redis URL, a Redis Cluster's nodes, or the embedded in-process fakeredis."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import hiredis
from redis._parsers.hiredis import NOT_ENOUGH_DATA, _AsyncHiredisParser
from redis.asyncio import Connection, Redis, SSLConnection, UnixDomainSocketConnection
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import DataError

if TYPE_CHECKING:
    from gateway.settings import Settings

CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}  # scheme -> TLS


@dataclass(frozen=True, slots=True)
class ClusterAddress:
    """Where a Redis Cluster is: some of its nodes (the client discovers the rest), credentials, TLS."""

    nodes: tuple[tuple[str, int], ...]
    username: str | None = None
    password: str | None = None
    tls: bool = False


class HiredisParser(_AsyncHiredisParser):
    """hiredis, minus the read attempt (with a zero timeout, so an extra trip round the event loop) per command.

    redis-py checks each connection it takes from the pool for unread data. It also drops any connection whose
    reply was not read (a command that failed or was cancelled), so ours never hold stray data: only a server
    that closed the connection is worth noticing, and the stream knows that without reading.
    """

    async def can_read_destructive(self) -> bool:
        if not self._connected or self._stream.at_eof():
            raise RedisConnectionError("the connection to Redis was closed")
        return self._reader.gets() is not NOT_ENOUGH_DATA


class GatewayCommands:
    """What the gateway's connections do differently from redis-py's, whatever they run over (TCP, TLS, a socket):

    - a lost connection is always a ConnectionError, so redis-py retries it and the pool replaces it. Under uvloop
      (what uvicorn runs), writing to a connection Redis has just closed (CLIENT KILL, a failover, a proxy restart)
      raises RuntimeError("unable to perform operation on <TCPTransport closed=True>") instead of an OSError, which
      redis-py lets through and a client would get as a 500;
    - commands are packed by hiredis, in C: byte for byte what redis-py's own packer writes, at a sixth of its
      cost (about 9 us less per turn's script call; docs/benchmarks.md);
    - a command the kernel takes whole is not wrapped in `asyncio.wait_for`, which costs a task per command
      (about 6 us); one that does not fit waits for the socket to drain under the timeout as before. Over TCP
      and Unix sockets only: a TLS transport's buffer size leaves out what it has passed on to the socket, so
      TLS connections always wait as redis-py does.
    """

    skips_drain_wait = True

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        writer: asyncio.StreamWriter | None = self._writer  # type: ignore[attr-defined]
        if (
            writer is None or not self.skips_drain_wait or (check_health and self.health_check_interval)  # type: ignore[attr-defined]
        ):
            await self._send_as_redis_py(command, check_health)  # connect, or PING first, as redis-py does
            return
        if isinstance(command, str):
            command = command.encode()
        try:
            writer.writelines([command] if isinstance(command, bytes) else command)
        except (OSError, RuntimeError) as exc:
            await self.disconnect(nowait=True)  # type: ignore[attr-defined]
            raise RedisConnectionError(f"the connection to Redis was closed while writing ({exc})") from exc
        if writer.transport.get_write_buffer_size():
            # The kernel did not take it all (a stalled or slow server): wait for it to drain, within the socket
            # timeout, as redis-py does for every command. Only then: its timer costs a task per command.
            await self._send_as_redis_py([], check_health=False)

    async def _send_as_redis_py(self, command: Any, check_health: bool) -> None:
        try:
            await super().send_packed_command(command, check_health)  # type: ignore[misc]
        except RuntimeError as exc:
            raise RedisConnectionError(f"the connection to Redis was closed while writing ({exc})") from exc

    async def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().read_response(*args, **kwargs)  # type: ignore[misc]
        except RuntimeError as exc:
            raise RedisConnectionError(f"the connection to Redis was closed while reading ({exc})") from exc

    def pack_command(self, *args: Any) -> list[bytes]:
        # redis-py spells some commands as one name with a space ("SCRIPT LOAD"): they go out as two words
        name = args[0].encode() if isinstance(args[0], str) else args[0]
        words = tuple(name.split()) if b" " in name else (name,)
        try:
            return [hiredis.pack_command(words + args[1:])]
        except TypeError as exc:  # None or another type Redis cannot take: what redis-py's packer raises
            raise DataError(f"invalid input for a Redis command: {exc}") from None


class GatewayConnection(GatewayCommands, Connection):
    """A TCP connection to Redis, with the gateway's differences (GatewayCommands)."""


class GatewaySSLConnection(GatewayCommands, SSLConnection):
    """A TLS connection to Redis (`rediss://`), with the gateway's differences but the drain wait (see above)."""

    skips_drain_wait = False


class GatewayUnixConnection(GatewayCommands, UnixDomainSocketConnection):
    """A Unix socket connection to Redis (`unix://`), with the gateway's differences."""


# redis-py picks the connection class from the URL's scheme; the gateway swaps in its own of the same kind
GATEWAY_CONNECTIONS: dict[type[Connection | UnixDomainSocketConnection], type[GatewayCommands]] = {
    Connection: GatewayConnection,
    SSLConnection: GatewaySSLConnection,
    UnixDomainSocketConnection: GatewayUnixConnection,
}


def is_cluster_url(url: str) -> bool:
    return url.split("://", 1)[0] in CLUSTER_SCHEMES


def parse_cluster_url(url: str) -> ClusterAddress:
    """Read `redis+cluster://[user:password@]host:port[,host:port...]`; raise ValueError saying what is wrong."""
    scheme, _, rest = url.partition("://")
    if scheme not in CLUSTER_SCHEMES:
        raise ValueError(f"a cluster URL starts with {' or '.join(s + '://' for s in CLUSTER_SCHEMES)}")
    credentials, _, hosts = rest.rpartition("@")
    if "/" in hosts or "?" in hosts:
        raise ValueError("a cluster URL names nodes only: no database number (a cluster has database 0) or options")
    nodes = []
    for entry in hosts.split(","):
        try:
            parts = urlsplit(f"//{entry.strip()}")
            host, port = parts.hostname, parts.port or 6379
        except ValueError:
            host = None
        if not host:
            raise ValueError(f"{entry!r} is not host:port")
        nodes.append((host, port))
    username, _, password = credentials.partition(":")
    return ClusterAddress(
        tuple(nodes), unquote(username) or None, unquote(password) or None, tls=CLUSTER_SCHEMES[scheme]
    )


def connect(settings: Settings) -> Redis:
    """A client for the configured store; commands time out so a dead store gives 503s, not hangs."""
    if settings.redis_url is None:
        import fakeredis  # imported here: only the embedded default needs it

        return fakeredis.FakeAsyncRedis()
    options: dict[str, Any] = {
        "socket_timeout": settings.redis_timeout_s,
        "socket_connect_timeout": settings.redis_timeout_s,
        # One quick retry rides over a dropped idle connection; more would only delay the 503.
        "retry": Retry(NoBackoff(), 1),
        # No health_check_interval: with it, redis-py PINGs before the commands it sends on connecting, and against
        # a server that accepts but never answers (a network partition) each timed-out PING reconnects, which
        # PINGs again: the request never ends. A closed connection is noticed without it (HiredisParser).
    }
    if not is_cluster_url(settings.redis_url):
        client = Redis.from_url(settings.redis_url, parser_class=HiredisParser, **options)
        pool = client.connection_pool
        pool.connection_class = GATEWAY_CONNECTIONS.get(pool.connection_class, pool.connection_class)
        return client
    address = parse_cluster_url(settings.redis_url)
    # Every key of one call shares a hash tag, so each session script and registry script runs on one node.
    # (RedisCluster builds its own connections, with redis-py's parser.)
    cluster = RedisCluster(  # typed as Redis: it answers every command the gateway uses
        startup_nodes=[ClusterNode(host, port) for host, port in address.nodes],
        username=address.username,
        password=address.password,
        ssl=address.tls,
        **options,
    )
    # RedisCluster takes no connection class; its nodes are built from these arguments
    cluster.nodes_manager.connection_kwargs["connection_class"] = (
        GatewaySSLConnection if address.tls else GatewayConnection
    )
    return cluster
