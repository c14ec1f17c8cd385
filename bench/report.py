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


def render(runs: Sequence[Run], mem: MemoryResult, profiles: dict[str, Profile], machine: str, elapsed: float) -> str:
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
    out += ["", *_figures(by_label, mem), "", *_memory(mem)]
    for label, prof in profiles.items():
        out += ["", *_profile(label, prof)]
    return "\n".join(out)


def _figures(by_label: dict[str, list[Run]], mem: MemoryResult) -> list[str]:
    def rate(label: str) -> float:
        return _median(by_label[label], lambda r: r.load.rate)

    def p99(label: str) -> float:
        return _median(by_label[label], lambda r: r.load.p99_ms)

    def calls(label: str) -> float:
        return _median(by_label[label], lambda r: r.calls_per_message)

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    echo, greeter = rate("gateway echo") / rate("floor"), rate("gateway greeter") / rate("floor")
    p99_echo, p99_greeter = p99("gateway echo") / p99("floor"), p99("gateway greeter") / p99("floor")
    trips = max(calls("gateway echo"), calls("gateway greeter"))
    scale = rate("gateway x2 echo") / rate("gateway echo")
    rows = [
        ["gateway / floor msgs/s, echo", ">= 0.8 (1.0 reachable)", f"{echo:.2f}", verdict(echo >= 0.8)],
        ["gateway / floor msgs/s, greeter turns", ">= 0.7", f"{greeter:.2f}", verdict(greeter >= 0.7)],
        ["p99 latency gateway / floor at 32 connections, echo", "<= 1.5", f"{p99_echo:.2f}", verdict(p99_echo <= 1.5)],
        ["p99 latency gateway / floor, greeter", "<= 1.5", f"{p99_greeter:.2f}", verdict(p99_greeter <= 1.5)],
        ["Redis round trips per turn (echo / greeter)", "<= 3",
         f"{calls('gateway echo'):.2f} / {calls('gateway greeter'):.2f}", verdict(trips <= 3)],
        ["bytes per session (session + lock + counters)", "< 2048", f"{mem.per_session:.0f}",
         verdict(mem.per_session < 2048)],
        ["2 workers / 1 worker msgs/s, echo", "reported", f"{scale:.2f}", "-"],
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
