"""The processes under test: the ceiling, the two floors, the bench's http bot and `botgate serve`, each pinned to
chosen cores."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.processes import ServerProcess, botgate_serve

# Two cores: the server under test gets core 0 to itself; Redis and wrk share core 1.
SERVER_CPUS = "0"
SIDE_CPUS = "1"
BOTH_CPUS = "0,1"
TOKEN = "bench-token"


@dataclass(frozen=True, slots=True)
class ServerKind:
    """How to start one configuration: the command, and the cores its processes may use."""

    name: str
    command: tuple[str, ...]
    cpus: str


def _uvicorn(app: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "uvicorn", app, "--workers", "1", "--log-level", "warning", "--no-access-log")


CEILING = ServerKind("ceiling", _uvicorn("bench.ceiling:app"), SERVER_CPUS)
FLOOR = ServerKind("floor", _uvicorn("bench.floor:app"), SERVER_CPUS)
ONE_CALL_FLOOR = ServerKind("one-call floor", _uvicorn("bench.floor:one_call"), SERVER_CPUS)
HTTP_BOT = ServerKind("http bot", _uvicorn("bench.http_bot:app"), SERVER_CPUS)
GATEWAY = ServerKind("gateway", tuple(botgate_serve("--workers", "1")), SERVER_CPUS)
# Two workers get both cores: pinning them to core 0 would measure nothing, and there is no third core.
SCALE = ServerKind("gateway x2", tuple(botgate_serve("--workers", "2")), BOTH_CPUS)
# One single-worker gateway per core, each sent its own users: what a load balancer with user affinity gives.
AFFINE = ServerKind("gateway, one per core", tuple(botgate_serve("--workers", "1")), BOTH_CPUS)


def start(kind: ServerKind, redis_url: str, **settings: str) -> ServerProcess:
    """Start a server of `kind` on `redis_url`; its output (the gateway's log line per turn) goes to /dev/null."""
    env = {
        "BOTGATE_REDIS_URL": redis_url,
        "BOTGATE_LOG_FORMAT": "json",  # what a deployment logs; the console renderer is for people
        "BOTGATE_ADMIN_TOKENS": TOKEN,
        **settings,
    }
    return ServerProcess(("taskset", "-c", kind.cpus, *kind.command), env).start()


def pin(pid: int, cpus: str) -> None:
    """Move a running process (e.g. redis-server) and its threads onto `cpus`."""
    os.sched_setaffinity(pid, {int(c) for c in cpus.split(",")})
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), {int(c) for c in cpus.split(",")})


def cpu_seconds(server: ServerProcess) -> float:
    """User plus system CPU time the server's processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in server.pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue  # a worker that has just exited
        total += int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15 of proc(5)'s stat
    return total / ticks
