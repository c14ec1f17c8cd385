"""The processes under test: the floor app and `botgate serve`, each pinned to chosen cores."""

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


@dataclass(frozen=True, slots=True)
class ServerKind:
    """How to start one configuration: the command, and the cores its processes may use."""

    name: str
    command: tuple[str, ...]
    cpus: str


FLOOR = ServerKind(
    "floor",
    (sys.executable, "-m", "uvicorn", "bench.floor:app", "--workers", "1", "--log-level", "warning", "--no-access-log"),
    SERVER_CPUS,
)
GATEWAY = ServerKind("gateway", tuple(botgate_serve("--workers", "1")), SERVER_CPUS)
# Two workers get both cores: pinning them to core 0 would measure nothing, and there is no third core.
SCALE = ServerKind("gateway x2", tuple(botgate_serve("--workers", "2")), BOTH_CPUS)


def start(kind: ServerKind, redis_url: str) -> ServerProcess:
    """Start a server of `kind` on `redis_url`; its output (the gateway's log line per turn) goes to /dev/null."""
    env = {
        "BOTGATE_REDIS_URL": redis_url,
        "BOTGATE_LOG_FORMAT": "json",  # what a deployment logs; the console renderer is for people
        "BOTGATE_ADMIN_TOKENS": "bench-token",
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
