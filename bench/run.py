"""`make bench`: floor and gateway side by side on one private redis-server; prints the figures table.

Every configuration runs `--rounds` times, alternating, each run after its own warm-up; medians are reported.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from redis import Redis

from bench import load, memory, profile, report, servers
from bench.servers import FLOOR, GATEWAY, SCALE, SIDE_CPUS, ServerKind
from tests.processes import ServerProcess
from tests.redis_servers import RedisServer

RESULTS = Path(__file__).resolve().parent / "results"  # git-ignored: figures worth keeping go to docs/


@dataclass(frozen=True, slots=True)
class Config:
    """One measured configuration: a server kind and the load driven through it."""

    label: str
    kind: ServerKind
    bot: str


CONFIGS = (
    Config("floor", FLOOR, "echo"),
    Config("gateway echo", GATEWAY, "echo"),
    Config("gateway greeter", GATEWAY, "greeter"),
    Config("gateway x2 echo", SCALE, "echo"),
)


def measure(config: Config, redis_url: str, redis: Redis, run: int, args: argparse.Namespace) -> report.Run:
    """Start the server, warm it up, reset Redis's counters, measure, stop it."""
    server = servers.start(config.kind, redis_url)
    try:
        # Echo users are the same 10,000 in every run: their sessions exist, the steady state. Greeter users are
        # new in every run (and in its warm-up), so each conversation starts, routes and ends.
        warm, measured = ("e", "e") if config.bot == "echo" else (f"w{run}-", f"g{run}-")
        load.run_wrk(server.url, config.bot, warm, args.warmup)
        redis.config_resetstat()
        cpu = servers.cpu_seconds(server)
        result = load.run_wrk(server.url, config.bot, measured, args.seconds)
        cpu = servers.cpu_seconds(server) - cpu
        calls = load.client_calls(load.command_calls(redis))
    finally:
        server.stop()
    return report.Run(config.label, run, result, calls, cpu)


def extras(
    redis_url: str, redis: Redis, tmp: Path, args: argparse.Namespace
) -> tuple[memory.MemoryResult, dict[str, profile.Profile]]:
    """Bytes per session, then (unless --profile-seconds 0) a profile of each one-worker gateway load."""
    server = servers.start(GATEWAY, redis_url)
    try:
        mem = memory.measure(server.url, redis)
        profiles = {}
        for config in CONFIGS[1:3] if args.profile_seconds else ():
            load.run_wrk(server.url, config.bot, "p", 3)
            profiles[config.label] = _profiled(server, config, tmp, args.profile_seconds)
    finally:
        server.stop()
    return mem, profiles


def _profiled(server: ServerProcess, config: Config, tmp: Path, seconds: int) -> profile.Profile:
    loader = threading.Thread(target=load.run_wrk, args=(server.url, config.bot, f"p{config.bot}-", seconds + 2))
    loader.start()
    try:
        time.sleep(1)  # sample under full load only
        return profile.record(server.pids()[0], seconds, tmp / f"{config.bot}.txt")
    finally:
        loader.join()


def machine() -> str:
    """When and on what: date, cores, CPU model, Python and kernel."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown CPU")
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores ({model}); "
        f"Python {platform.python_version()}; {platform.system()} {platform.release()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=6, help="warm-up seconds before each run (not measured)")
    parser.add_argument("--profile-seconds", type=int, default=8, help="0 skips the profile")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="botgate-bench-") as tmp:
        redis_server = RedisServer(Path(tmp) / "redis").start()
        if redis_server.process is not None:
            servers.pin(redis_server.process.pid, SIDE_CPUS)
        redis = Redis.from_url(redis_server.url)
        try:
            runs = [
                measure(config, redis_server.url, redis, run, args)
                for run in range(1, args.rounds + 1)
                for config in CONFIGS
            ]
            mem, profiles = extras(redis_server.url, redis, Path(tmp), args)
        finally:
            redis.close()
            redis_server.stop()
    table = report.render(runs, mem, profiles, machine(), time.monotonic() - started)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
