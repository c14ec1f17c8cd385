"""Private redis-server processes for the tests: never the shared instance on 6379."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def stop_process(popen: subprocess.Popen[bytes], timeout: float = 10, *, kill: bool = False) -> None:
    """Terminate `popen` (SIGKILL with `kill`) and reap it; kill it if it is still running after `timeout` s."""
    if kill:
        popen.kill()
    else:
        popen.terminate()
    try:
        popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait()


@dataclass
class RedisServer:
    """One redis-server on 127.0.0.1 and a free port, with its data in `workdir`."""

    workdir: Path
    extra: Sequence[str] = ()
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not on PATH; install Debian's redis-server package")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                exe,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.workdir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                "redis.log",
                *self.extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        client = redis.Redis(port=self.port, socket_timeout=0.5)
        try:
            while True:
                try:
                    if client.ping():
                        return
                except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
                    pass
                if self.process is not None and self.process.poll() is not None:
                    log = (self.workdir / "redis.log").read_text() if (self.workdir / "redis.log").exists() else ""
                    raise RuntimeError(f"redis-server on port {self.port} exited:\n{log[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server on port {self.port} did not answer within {timeout}s")
                time.sleep(0.02)
        finally:
            client.close()

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        stop_process(self.process, kill=kill)
        self.process = None


CLUSTER_BUS_OFFSET = 10_000  # a cluster node also listens on its port + 10000 for the other nodes


def free_cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000, so at most 65535) is free as well."""
    for _ in range(100):
        port = free_port()
        if port + CLUSTER_BUS_OFFSET > 65_535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + CLUSTER_BUS_OFFSET))
            except OSError:
                continue
        return port
    raise RuntimeError("found no free port pair for a Redis Cluster node")


@dataclass
class RedisClusterNodes:
    """Three cluster-enabled redis-servers on free ports, joined as masters (no replicas) with redis-cli."""

    workdir: Path
    size: int = 3
    nodes: list[RedisServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The gateway's cluster URL (docs/operations.md): every node, so any of them can answer first."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    def start(self, timeout: float = 30.0) -> RedisClusterNodes:
        """Start the nodes and join them; if anything fails, the nodes already started are stopped."""
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, timeout: float) -> None:
        for i in range(self.size):
            node = RedisServer(
                self.workdir / f"node-{i}",
                port=free_cluster_port(),
                extra=("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                       "--cluster-node-timeout", "5000"),
            )  # fmt: skip
            self.nodes.append(node.start(timeout))
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RuntimeError("redis-cli is not on PATH; install Debian's redis-tools package")
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        subprocess.run(
            [cli, "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True, timeout=timeout,
        )  # fmt: skip
        self._wait_until_ok(timeout)

    def _wait_until_ok(self, timeout: float) -> None:
        # `--cluster create` returns once slots are assigned; each node agrees a moment later.
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            client = redis.Redis(port=node.port, socket_timeout=1)
            try:
                while client.cluster("info").get("cluster_state") != "ok":
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the cluster did not reach state ok within {timeout}s")
                    time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
