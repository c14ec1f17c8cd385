"""Where a turn's time goes: py-spy samples the serving process under load, folded by stage."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

PY_SPY = Path(sys.executable).parent / "py-spy"

# Inclusive shares of these frames tell the story of a turn, outermost first.
STAGES = (
    ("HTTP server and routing (uvicorn, Starlette)", "RequestResponseCycle.run_asgi"),
    ("REST channel: body, JSON, response", "PostMessage.__call__"),
    ("turn runner, all stages", "TurnRunner.handle"),
    ("bind: session lock, decide, route", "Bind._bind"),
    ("turn: the bot's runtime", "FlowRuntime.turn"),
    ("send: save (commit) and counters", "Send.__call__"),
    ("Redis client calls (redis-py)", "Redis.execute_command"),
    ("session JSON (to/from)", "Session.to_json|Session.from_json"),
    ("the turn's log line (structlog)", "TurnRunner._log"),
)

# The demo lookup service of the shipped examples answers from a thread of the serving process; py-spy does not see
# its wait in poll() as idle, so its samples are left out rather than counted as a third of the time.
IDLE_THREAD = "serve_forever (socketserver.py"


@dataclass(frozen=True, slots=True)
class Profile:
    """Sample counts: total, per stage (inclusive), and the busiest functions (self time)."""

    samples: int
    stages: list[tuple[str, float]]
    hottest: list[tuple[str, float]]


def _frame(raw: str) -> str:
    name = re.sub(r" \(.*?([^/]+/[^/]+\.py):\d+\)$", r" (\1)", raw)
    return re.sub(r":\d+\)$", ")", name)


def record(pid: int, seconds: int, out: Path) -> Profile:
    """Sample `pid` for `seconds` (py-spy, 200 Hz) and fold the stacks."""
    subprocess.run(
        [str(PY_SPY), "record", "-p", str(pid), "-d", str(seconds), "-r", "200", "-f", "raw", "-o", str(out)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if IDLE_THREAD in stack:
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";")]
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame.split(" (")[0]] += n
    stages = [(label, 100 * sum(inclusive[name] for name in pattern.split("|")) / total) for label, pattern in STAGES]
    hottest = [(frame, 100 * n / total) for frame, n in own.most_common(12)]
    return Profile(total, stages, hottest)
