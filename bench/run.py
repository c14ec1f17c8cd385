"""`make bench`: floor and gateway side by side on one private redis-server; prints the figures table.

Every configuration runs `--rounds` times, alternating, each run after its own warm-up; medians are reported.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import platform
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from redis import Redis

from bench import clients, http_bot, load, memory, profile, report, servers
from bench.servers import AFFINE, CEILING, FLOOR, GATEWAY, HTTP_BOT, ONE_CALL_FLOOR, SCALE, SIDE_CPUS, ServerKind
from tests.processes import ServerProcess
from tests.redis_servers import RedisServer

RESULTS = Path(__file__).resolve().parent / "results"  # git-ignored: figures worth keeping go to docs/


@dataclass
class Deployment:
    """Servers started for one run: all are measured for CPU; `loads` are driven at the same time."""

    servers: list[ServerProcess]
    loads: Callable[[str], list[load.Load]]  # user prefix -> what wrk sends

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()


@dataclass(frozen=True, slots=True)
class Config:
    """One measured configuration: how to deploy it, and whether its users are new in every run."""

    label: str
    deploy: Callable[[str], Deployment]  # Redis URL -> running servers
    new_users: bool = False  # greeter: each run starts new conversations; echo: the same 10,000 users throughout


def single(kind: ServerKind, bot: str = "echo") -> Callable[[str], Deployment]:
    """One server of `kind`, sent REST messages for `bot`."""

    def deploy(redis_url: str) -> Deployment:
        server = servers.start(kind, redis_url)
        return Deployment([server], lambda prefix: [load.messages(server.url, bot, prefix)])

    return deploy


HTTP_BOT_VERSIONS = itertools.count(1)  # the newest, the one routed to, is always this run's


def http_bot_alone(redis_url: str) -> Deployment:
    bot = servers.start(HTTP_BOT, redis_url)
    return Deployment([bot], lambda prefix: [load.http_turns(bot.url, prefix)])


def http_bot_behind_gateway(redis_url: str) -> Deployment:
    """The same bot, and a gateway in front of it on the same core: what the gateway adds to the bot."""
    bot = servers.start(HTTP_BOT, redis_url)
    host = bot.url.removeprefix("http://")
    try:
        gateway = servers.start(GATEWAY, redis_url, BOTGATE_UPSTREAM_HOSTS=host)
    except BaseException:
        bot.stop()
        raise
    deployment = Deployment([bot, gateway], lambda prefix: [load.messages(gateway.url, http_bot.NAME, prefix)])
    try:
        publish(gateway.url, http_bot.definition(bot.url, f"1.0.{next(HTTP_BOT_VERSIONS)}"))
    except BaseException:
        deployment.stop()
        raise
    return deployment


def one_gateway_per_core(redis_url: str) -> Deployment:
    """Two single-worker gateways, each sent its own half of the users: the affinity a load balancer can give."""
    first = servers.start(AFFINE, redis_url)
    try:
        second = servers.start(AFFINE, redis_url)
    except BaseException:
        first.stop()
        raise
    return Deployment(
        [first, second],
        lambda prefix: [
            load.messages(first.url, "echo", f"{prefix}a"),
            load.messages(second.url, "echo", f"{prefix}b"),
        ],
    )


def publish(gateway_url: str, definition: dict[str, object]) -> None:
    """Store and publish a version through the admin API."""
    path = f"{gateway_url}/admin/v1/bots/{definition['bot']}/versions/{definition['version']}"
    headers = {"Authorization": f"Bearer {servers.TOKEN}"}
    httpx.put(path, json=definition, headers=headers).raise_for_status()
    httpx.post(f"{path}/publish", headers=headers).raise_for_status()


CONFIGS = (
    Config("ceiling", single(CEILING)),
    Config("floor", single(FLOOR)),
    Config("one-call floor", single(ONE_CALL_FLOOR)),
    Config("gateway echo", single(GATEWAY)),
    Config("gateway greeter", single(GATEWAY, "greeter"), new_users=True),
    Config("http bot direct", http_bot_alone),
    Config("gateway http bot", http_bot_behind_gateway),
    Config("gateway x2 echo", single(SCALE)),
    Config("2 gateways, user affinity, echo", one_gateway_per_core),
)
PROFILED = ("gateway echo", "gateway greeter")


def measure(config: Config, redis_url: str, redis: Redis, run: int, args: argparse.Namespace) -> report.Run:
    """Deploy, warm up, reset Redis's counters, measure, stop."""
    deployment = config.deploy(redis_url)
    try:
        # Echo users are the same 10,000 in every run: their sessions exist, the steady state. Greeter users are
        # new in every run (and in its warm-up), so each conversation starts, routes and ends.
        warm, measured = (f"w{run}-", f"g{run}-") if config.new_users else ("e", "e")
        _warm_up(deployment.loads(warm), args.warmup, config.new_users)
        redis.config_resetstat()
        cpu = _cpu(deployment)
        result = load.run_together(deployment.loads(measured), args.seconds)
        cpu = _cpu(deployment) - cpu
        calls = load.client_calls(load.command_calls(redis))
    finally:
        deployment.stop()
    return report.Run(config.label, run, result, calls, cpu)


MAX_WARMUP_GROWTH = 20  # a warm-up this much too short means a server that barely answers, not a slow one


def _warm_up(loads: list[load.Load], seconds: float, new_users: bool) -> None:
    """Run `loads` for `seconds`; where users come back (echo), longer if that is too short for one run to send a
    message from every user of every load: a new gateway process has a copy of none of their sessions (a turn for a
    user it has not served costs two Redis calls, the steady state one), and wrk numbers the users from 0 again in
    each run. A fifth over the users, so that neither of two loads run together falls short."""
    wanted = 0 if new_users else 1.2 * len(loads) * load.USERS
    while (sent := load.run_together(loads, seconds).requests) < wanted:
        if sent < wanted / MAX_WARMUP_GROWTH:
            raise RuntimeError(f"the warm-up sent {sent} messages in {seconds} s: is the server answering?")
        seconds = math.ceil(seconds * wanted / sent)


def _cpu(deployment: Deployment) -> float:
    return sum(servers.cpu_seconds(server) for server in deployment.servers)


def extras(redis_url: str, redis: Redis, tmp: Path, args: argparse.Namespace) -> report.Extras:
    """Bytes per session, the upstream client libraries side by side, then (unless --profile-seconds 0) a profile
    of each one-worker gateway load."""
    server = servers.start(GATEWAY, redis_url)
    try:
        mem = memory.measure(server.url, redis)
        profiles = {}
        for config in [c for c in CONFIGS if c.label in PROFILED] if args.profile_seconds else []:
            bot_name = config.label.removeprefix("gateway ")
            profiled = f"p{bot_name}-"
            warm = f"pw{bot_name}-" if config.new_users else profiled  # as measured: new users, or the steady state
            _warm_up([load.messages(server.url, bot_name, warm)], 3, config.new_users)
            traffic = load.messages(server.url, bot_name, profiled)
            profiles[config.label] = _profiled(server, traffic, tmp, args.profile_seconds)
    finally:
        server.stop()
    bot = servers.start(HTTP_BOT, redis_url)
    own_cpus = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {int(SIDE_CPUS)})  # the client beside Redis; the bot keeps its core
        upstream_clients = clients.measure(bot.url)
    finally:
        os.sched_setaffinity(0, own_cpus)
        bot.stop()
    return report.Extras(mem, profiles, upstream_clients)


def _profiled(server: ServerProcess, traffic: load.Load, tmp: Path, seconds: int) -> profile.Profile:
    loader = threading.Thread(target=load.run_wrk, args=(traffic, seconds + 2))
    loader.start()
    try:
        time.sleep(1)  # sample under full load only
        return profile.record(server.pids()[0], seconds, tmp / f"{len(list(tmp.glob('*.txt')))}.txt")
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
            more = extras(redis_server.url, redis, Path(tmp), args)
        finally:
            redis.close()
            redis_server.stop()
    table = report.render(runs, more, machine(), time.monotonic() - started)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
