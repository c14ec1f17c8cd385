"""Load from wrk (REST channel messages, bench/wrk/messages.lua) and what Redis counted while it ran."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from redis import Redis

from bench.servers import SIDE_CPUS
from tests.processes import ROOT

SCRIPT = Path(__file__).resolve().parent / "wrk" / "messages.lua"
CONNECTIONS = 32
LUA_SOURCES = [*(ROOT / "middleware" / "lua").glob("*.lua"), *(ROOT / "bot_versions").glob("*.lua")]
SCRIPT_CALLS = ("evalsha", "eval", "evalsha_ro", "eval_ro", "fcall", "fcall_ro")
BENCH_OWN = ("info", "config|resetstat", "memory|usage", "scan", "flushall", "dbsize")


@dataclass(frozen=True, slots=True)
class LoadResult:
    """One wrk run: completed requests, how long, failures, latency percentiles."""

    requests: int
    seconds: float
    socket_errors: int
    status_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def run_wrk(url: str, bot: str, prefix: str, seconds: float) -> LoadResult:
    """Drive `bot` (echo or greeter) through the REST channel at 32 connections for `seconds`, wrk beside Redis."""
    command = [
        "taskset", "-c", SIDE_CPUS, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(SCRIPT), f"{url}/v1/bots/{bot}/messages", "--", bot, prefix,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    data = json.loads(line.removeprefix("BENCH "))
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        socket_errors=data["socket_errors"],
        status_errors=data["status_errors"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )


def commands_inside_scripts() -> frozenset[str]:
    """Every command a Lua script of ours calls: INFO commandstats counts those too, but they cost no round trip."""
    found: set[str] = set()
    for path in LUA_SOURCES:
        found.update(m.lower() for m in re.findall(r"redis\.call\('([A-Za-z]+)'", path.read_text()))
    return frozenset(found)


def command_calls(redis: Redis) -> dict[str, int]:
    """Calls per command since the last CONFIG RESETSTAT."""
    stats = redis.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


def client_calls(calls: dict[str, int]) -> dict[str, int]:
    """The calls clients made: script calls, plus commands that no script of ours issues (the bench's own left out)."""
    inside = commands_inside_scripts()
    return {
        name: n for name, n in calls.items() if name not in BENCH_OWN and (name in SCRIPT_CALLS or name not in inside)
    }
