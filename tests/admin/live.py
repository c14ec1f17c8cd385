"""A real `botgate serve` process on 127.0.0.1 and a free port, for the CLI and schemathesis tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.redis_servers import free_port

BOTGATE = Path(sys.executable).with_name("botgate")


@dataclass
class LiveGateway:
    """A running `botgate serve`, its URL, and where its stderr goes."""

    url: str
    process: subprocess.Popen[bytes]
    stderr: Path

    def announced(self) -> str:
        return self.stderr.read_text()


def _environment(settings: Mapping[str, str]) -> dict[str, str]:
    # The test process's own BOTGATE_* variables must not leak into the server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTGATE_")}
    return {**env, "BOTGATE_LOG_FORMAT": "json", **settings}


@contextmanager
def live_gateway(workdir: Path, settings: Mapping[str, str], timeout: float = 20.0) -> Iterator[LiveGateway]:
    """Start `botgate serve` with these BOTGATE_* settings; stop it on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    stderr = workdir / "stderr.log"
    with (workdir / "stdout.log").open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [str(BOTGATE), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=_environment(settings),
            stdout=out,
            stderr=err,
        )
    gateway = LiveGateway(f"http://127.0.0.1:{port}", process, stderr)
    try:
        _wait_ready(gateway, timeout)
        yield gateway
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(gateway: LiveGateway, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with suppress(httpx.TransportError):
            if httpx.get(gateway.url + "/readyz", timeout=1).status_code == 200:
                return
        if gateway.process.poll() is not None:
            raise RuntimeError(f"botgate serve exited with {gateway.process.returncode}:\n{gateway.announced()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"botgate serve did not get ready within {timeout}s:\n{gateway.announced()}")
        time.sleep(0.05)
