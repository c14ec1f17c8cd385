"""Load from wrk (REST channel messages, bench/wrk/messages.lua; http-runtime turns, bench/wrk/http_turns.lua) and
what Redis counted while it ran."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from redis import Redis

from bench.servers import SIDE_CPUS
from tests.processes import ROOT

SCRIPT = Path(__file__).resolve().parent / "wrk" / "messages.lua"
HTTP_TURNS = Path(__file__).resolve().parent / "wrk" / "http_turns.lua"
CONNECTIONS = 32
USERS = 10_000  # the users each messages.lua load cycles through (its USERS)
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


@dataclass(frozen=True, slots=True)
class Load:
    """What one wrk sends: its script and the script's arguments, to one URL."""

    url: str
    script: Path
    args: tuple[str, ...]


def messages(base_url: str, bot: str, prefix: str) -> Load:
    """REST channel messages to `bot` (echo or greeter traffic, see messages.lua), users named `prefix` + n."""
    mode = "greeter" if bot == "greeter" else "echo"
    return Load(f"{base_url}/v1/bots/{bot}/messages", SCRIPT, (mode, prefix))


def http_turns(base_url: str, prefix: str) -> Load:
    """The http runtime's turn requests, straight to a bot (http_turns.lua)."""
    return Load(f"{base_url}/turn", HTTP_TURNS, (prefix,))


def run_wrk(load: Load, seconds: float, connections: int = CONNECTIONS) -> LoadResult:
    """Drive `load` at `connections` connections for `seconds`, wrk on the side core (beside Redis)."""
    command = [
        "taskset", "-c", SIDE_CPUS, "wrk", "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--timeout", "10s",
        "-s", str(load.script), load.url, "--", *load.args,
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


def run_together(loads: Sequence[Load], seconds: float) -> LoadResult:
    """Several wrk at once, the connections shared out: requests add up; the latencies are the worst wrk's (two
    wrk's percentiles cannot be merged exactly, so the figure errs on the slow side)."""
    if len(loads) == 1:
        return run_wrk(loads[0], seconds)
    with ThreadPoolExecutor(len(loads)) as pool:
        results = list(pool.map(lambda load: run_wrk(load, seconds, CONNECTIONS // len(loads)), loads))
    return LoadResult(
        requests=sum(r.requests for r in results),
        seconds=max(r.seconds for r in results),
        socket_errors=sum(r.socket_errors for r in results),
        status_errors=sum(r.status_errors for r in results),
        p50_ms=max(r.p50_ms for r in results),
        p99_ms=max(r.p99_ms for r in results),
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
