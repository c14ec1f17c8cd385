"""Servers in their own processes on 127.0.0.1 and a free port: `botgate serve` for the fault, CLI and OpenAPI
tests, and the bench's servers. The one place tests start a server process."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from tests.redis_servers import free_port

ROOT = Path(__file__).resolve().parent.parent
BOTGATE = Path(sys.executable).with_name("botgate")  # the installed console script, for tests of the command itself


def botgate_serve(*args: str) -> list[str]:
    """The command line of `botgate serve` with this interpreter (host and port are added on start)."""
    return [sys.executable, "-m", "gateway.cli", "serve", *args]


def server_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without its BOTGATE_* variables (they must not leak into the server), JSON logs,
    then `settings`."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("BOTGATE_")}
    return {**inherited, "BOTGATE_LOG_FORMAT": "json", **settings}


@dataclass
class ServerProcess:
    """One server process group (uvicorn's workers included); its output goes to `log_path`.

    stderr goes to `stderr_path` when given (what `botgate serve` announces: addresses, a generated token), else
    into the log with stdout. `start` returns once `ready_path` answers 200: `/healthz` (the process is up), or
    `/readyz` for a gateway that must also reach its store. Used as a context manager, it is stopped on exit.
    """

    command: Sequence[str]
    env: Mapping[str, str]
    log_path: Path | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    stderr_path: Path | None = None
    ready_path: str = "/healthz"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        """Start it and wait until `ready_path` answers; a server that never does is stopped before the error."""
        with contextlib.ExitStack() as files:
            output = files.enter_context(open(self.log_path or os.devnull, "ab"))
            errors = files.enter_context(open(self.stderr_path, "ab")) if self.stderr_path else None
            self.process = subprocess.Popen(
                [*self.command, "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=server_environment(self.env),
                stdout=output,
                stderr=errors or subprocess.STDOUT,
                start_new_session=True,  # its own process group, so workers are stopped with it
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def __enter__(self) -> ServerProcess:
        return self if self.process is not None else self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.command[0]} exited with {self.process.returncode}:\n{self._output()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}{self.ready_path}", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"{self.command[0]} did not get ready on {self.url} within {timeout}s:\n{self._output()}")

    def pids(self) -> list[int]:
        """Every process of the group: uvicorn's supervisor and its workers, or the one serving process."""
        if self.process is None:
            return []
        found = subprocess.run(["pgrep", "-g", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in found.split()]

    def kill(self) -> None:
        """SIGKILL the whole group, as a crash or the OOM killer would: no shutdown code runs."""
        if self.process is not None:
            self._signal_group(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 15 s."""
        if self.process is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the whole group has exited already
            os.killpg(self.process.pid, sig)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def announced(self) -> str:
        """What the server wrote on stderr (with no `stderr_path`, stderr is in `log()`)."""
        path = self.stderr_path
        return path.read_text(errors="replace") if path and path.exists() else ""

    def _output(self) -> str:
        return (self.announced() + self.log())[-2000:]

    def events(self, name: str) -> list[dict[str, Any]]:
        """The JSON log events called `name` (BOTGATE_LOG_FORMAT=json) written so far."""
        found = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                event = json.loads(line)
                if event.get("event") == name:
                    found.append(event)
        return found


def live_gateway(workdir: Path, settings: Mapping[str, str]) -> ServerProcess:
    """`botgate serve` with these BOTGATE_* settings (not started): its JSON log in `workdir/stdout.log`, what it
    announces in `workdir/stderr.log`, ready once `/readyz` answers (the store is reachable)."""
    workdir.mkdir(parents=True, exist_ok=True)
    return ServerProcess(
        botgate_serve(), settings, workdir / "stdout.log", stderr_path=workdir / "stderr.log", ready_path="/readyz"
    )
