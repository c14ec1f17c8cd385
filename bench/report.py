"""The tables `make bench` prints: per configuration, the figures against their goals, memory, profile."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.load import LoadResult
from bench.memory import MemoryResult
from bench.profile import Profile


@dataclass(frozen=True, slots=True)
class Run:
    """One measured run of one configuration, with the Redis calls clients made during it."""

    label: str
    number: int
    load: LoadResult
    calls: dict[str, int]
    cpu_seconds: float  # the server's processes, user + system, over the measured run

    @property
    def cpu_us_per_message(self) -> float:
        return self.cpu_seconds / max(self.load.requests, 1) * 1e6

    @property
    def calls_per_message(self) -> float:
        return sum(self.calls.values()) / max(self.load.requests, 1)


def _median(runs: Sequence[Run], value: Callable[[Run], float]) -> float:
    return statistics.median(value(r) for r in runs)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


@dataclass(frozen=True, slots=True)
class Extras:
    """What is measured once, after the rounds: bytes per session, profiles, the upstream client libraries."""

    memory: MemoryResult
    profiles: dict[str, Profile]
    clients: dict[str, float]  # library -> client CPU us per request


def render(runs: Sequence[Run], extras: Extras, machine: str, elapsed: float) -> str:
    """Markdown, so the output pastes into docs/benchmarks.md as it is."""
    by_label: dict[str, list[Run]] = {}
    for run in runs:
        by_label.setdefault(run.label, []).append(run)
    out = [f"botgate bench - {machine}; {elapsed:.0f} s in all", ""]
    rows = []
    for label, group in by_label.items():
        rates = " / ".join(f"{r.load.rate:.0f}" for r in group)
        errors = sum(r.load.status_errors + r.load.socket_errors for r in group)
        mid = sorted(group, key=lambda r: r.load.rate)[len(group) // 2]
        calls = ", ".join(f"{name} {n / mid.load.requests:.2f}" for name, n in sorted(mid.calls.items()))
        rows.append([
            label, f"{_median(group, lambda r: r.load.rate):.0f}", rates,
            f"{_median(group, lambda r: r.load.p50_ms):.1f}", f"{_median(group, lambda r: r.load.p99_ms):.1f}",
            f"{_median(group, lambda r: r.cpu_us_per_message):.0f}",
            str(errors), f"{_median(group, lambda r: r.calls_per_message):.2f}", calls or "-",
        ])  # fmt: skip
    out += _table(
        ["configuration", "msgs/s (median)", "msgs/s per run", "p50 ms", "p99 ms", "server CPU us/msg", "errors",
         "Redis calls/msg",
         "calls/msg by command (median run)"],
        rows,
    )  # fmt: skip
    out += ["", *_figures(by_label, extras), "", *_memory(extras.memory)]
    for label, prof in extras.profiles.items():
        out += ["", *_profile(label, prof)]
    return "\n".join(out)


CPU_GOAL = 290 / 230


def _figures(by_label: dict[str, list[Run]], extras: Extras) -> list[str]:
    def median(label: str, value: Callable[[Run], float]) -> float:
        return _median(by_label[label], value)

    def rate(label: str) -> float:
        return median(label, lambda r: r.load.rate)

    def p50(label: str) -> float:
        return median(label, lambda r: r.load.p50_ms)

    def p99(label: str) -> float:
        return median(label, lambda r: r.load.p99_ms)

    def calls(label: str) -> float:
        return median(label, lambda r: r.calls_per_message)

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    floor = rate("floor")
    echo, greeter = rate("gateway echo") / floor, rate("gateway greeter") / floor
    p99_echo, p99_greeter = p99("gateway echo") / p99("floor"), p99("gateway greeter") / p99("floor")
    cpu, floor_cpu = (median(label, lambda r: r.cpu_us_per_message) for label in ("gateway echo", "floor"))
    trips = [calls("gateway echo"), calls("gateway greeter"), calls("gateway http bot")]
    per_session = extras.memory.per_session
    through, direct = rate("gateway http bot"), rate("http bot direct")
    added_p50 = p50("gateway http bot") - p50("http bot direct")
    aiohttp, httpx = extras.clients["aiohttp"], extras.clients["httpx"]
    two_workers, affine = rate("gateway x2 echo"), rate("2 gateways, user affinity, echo")
    rows = [
        ["gateway / floor msgs/s, echo", f">= 0.8, aim 1.0 (one-call floor: {rate('one-call floor') / floor:.2f})",
         f"{echo:.2f}", verdict(echo >= 0.8)],
        ["gateway / floor msgs/s, greeter turns", ">= 0.7", f"{greeter:.2f}", verdict(greeter >= 0.7)],
        ["p99 gateway / floor at 32 connections, echo / greeter", "<= 1.5", f"{p99_echo:.2f} / {p99_greeter:.2f}",
         verdict(max(p99_echo, p99_greeter) <= 1.5)],
        # Set as 290 us when the floor took 230 on the machine of the time: as a ratio, it holds on any machine.
        ["server CPU per echo message / the floor's", f"<= {CPU_GOAL:.2f} (290 us to the floor's 230)",
         f"{cpu / floor_cpu:.2f} ({cpu:.0f} / {floor_cpu:.0f} us)", verdict(cpu / floor_cpu <= CPU_GOAL)],
        ["Redis calls per steady turn, echo / greeter / http bot", "<= 1.1", " / ".join(f"{t:.2f}" for t in trips),
         verdict(max(trips) <= 1.1)],
        ["bytes per session, greeter (a flow bot keeps no replies)", "< 2048", f"{per_session:.0f}",
         verdict(per_session < 2048)],
        ["http bot through the gateway / called directly, msgs/s (same core)", "reported", f"{through / direct:.2f}",
         "-"],
        ["http bot: p50 added by the gateway, ms", "reported", f"{added_p50:+.1f}", "-"],
        ["upstream client CPU us per request, aiohttp / httpx", "reported", f"{aiohttp:.0f} / {httpx:.0f}", "-"],
        ["ceiling (no Redis) / floor msgs/s", "reported", f"{rate('ceiling') / floor:.2f}", "-"],
        ["2 workers / 1 worker msgs/s, echo (Redis calls per turn)", "reported",
         f"{two_workers / rate('gateway echo'):.2f} ({calls('gateway x2 echo'):.2f})", "-"],
        ["2 gateways with user affinity / 2 workers msgs/s (Redis calls per turn)", "reported",
         f"{affine / two_workers:.2f} ({calls('2 gateways, user affinity, echo'):.2f})", "-"],
    ]  # fmt: skip
    return _table(["figure", "goal", "measured", ""], rows)


def _memory(mem: MemoryResult) -> list[str]:
    rows = [
        ["session hash", f"{mem.session:.0f}"],
        ["turn lock and queue (exist only during a turn)", f"{mem.lock_and_queue:.0f}"],
        ["conversation list", f"{mem.conversations:.0f}"],
        ["user's session index", f"{mem.user_index:.0f}"],
        ["share of the bot's counters (per-version counts, where each session is counted)", f"{mem.counters:.1f}"],
        ["**per session**", f"**{mem.per_session:.0f}**"],
        ["transcript stream (reported apart)", f"{mem.transcripts:.0f}"],
    ]
    return [f"Bytes per session, MEMORY USAGE over {mem.sessions:,} greeter sessions mid-conversation:", "",
            *_table(["key", "bytes"], rows)]  # fmt: skip


def _profile(label: str, prof: Profile) -> list[str]:
    stages = _table(["stage (inclusive)", "share"], [[name, f"{share:.0f}%"] for name, share in prof.stages])
    hottest = _table(["function (self time)", "share"], [[f"`{n}`", f"{share:.1f}%"] for n, share in prof.hottest])
    return [f"Profile, {label} ({prof.samples} samples of the serving process):", "", *stages, "", *hottest]
