"""How the CLI shows what the admin API answers: plain functions from its JSON to text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from packaging.version import Version

JSON = dict[str, Any]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned columns separated by two spaces; None shows as '-'."""
    cells = [[str(h) for h in headers], *[["-" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells)


def when(iso: str | None) -> str:
    """An API timestamp, shortened to the second for reading: 2025-05-01 12:00:00Z."""
    return "-" if not iso else iso.replace("T", " ")[:19] + "Z"


def canary_text(canary: JSON | None) -> str:
    """A canary as words, or none."""
    return "none" if canary is None else f"{canary['version']} for {canary['percent']:g}% of users"


def rollout_text(rollout: JSON, serving: JSON | None = None) -> str:
    """The rollout as set and, when known, as routing applies it now; then the canary's guard and steps, and the
    guard's last change, each on a line of its own when there is one."""
    stable = rollout["stable"] or "highest published release"
    if serving is not None and serving["stable"] != rollout["stable"]:
        stable += f" (now {serving['stable'] or 'nothing: no published release'})"
    canary = rollout["canary"]
    lines = [f"stable: {stable}", f"canary: {canary_text(canary)}"]
    if serving is not None and _placement(serving["canary"]) != _placement(canary):
        lines[-1] += " (not applied: its version is not published)"
    if canary is not None and canary.get("guard"):
        lines.append(f"guard: {guard_text(canary['guard'])}")
    if canary is not None and canary.get("steps"):
        lines.append(f"steps: {steps_text(canary)}")
    last = rollout.get("last_guard")
    if last:
        lines.append(f"last guard action: {last['action']} at {when(last['at'])}: {last['why']}")
    return "\n".join(lines)


def _placement(canary: JSON | None) -> tuple[str, float] | None:
    return None if canary is None else (canary["version"], canary["percent"])


def guard_text(guard: JSON) -> str:
    """A canary's guard as a sentence."""
    return (
        f"roll back if the error rate rises more than {guard['max_error_rate_increase'] * 100:g} points or the "
        f"completion rate drops more than {guard['max_completion_drop'] * 100:g} points (95% confidence, over the "
        f"last {guard['window']} s, once each side has {guard['min_conversations']} conversations)"
    )


def steps_text(canary: JSON) -> str:
    """A canary's progression: its steps, the hold, and where it stands."""
    steps = " -> ".join(f"{step:g}%" for step in canary["steps"])
    where = f"at {canary['percent']:g}% since {when(canary.get('since'))}"
    return f"{steps}, {canary['hold']} s at each ({where}), then promoted to stable"


def rollout_change_text(before: JSON, now: JSON) -> str:
    """How the rollout stands now that it changed since `before` was read, in one line."""
    parts = [f"now stable: {now['stable'] or 'highest published release'}", f"canary: {canary_text(now['canary'])}"]
    last = now.get("last_guard")
    if last and last != before.get("last_guard"):
        parts.append(f"by the guard's {last['action']} at {when(last['at'])}")
    return ", ".join(parts)


def status_text(bot: JSON) -> str:
    """`botgate status`: the bot's rollout, its versions as a table, and its pins."""
    rows = [
        [
            v["version"],
            v["status"] + (f" ({v['in_flight']})" if v["in_flight"] else ""),
            v["active_sessions"],
            v.get("resumes"),
            when(v["created_at"]),
        ]
        for v in bot["versions"]
    ]
    parts = [
        f"bot: {bot['bot']}",
        rollout_text(bot["rollout"], bot["serving"]),
        "",
        table(["VERSION", "STATUS", "ACTIVE SESSIONS", "RESUMES", "CREATED"], rows),
    ]
    if bot["pins"]:
        parts += ["", table(["PINNED USER", "VERSION"], sorted(bot["pins"].items()))]
    return "\n".join(parts)


def next_text(pin: JSON) -> str:
    """Where a user's next conversation goes, and why."""
    target = pin["next_conversation"]
    if target is None:
        return f"{pin['user']}'s next conversation: none (nothing published)"
    return f"{pin['user']}'s next conversation: {target['version']} ({target['reason']})"


def sessions_text(data: JSON) -> str:
    """`botgate sessions`: one row per channel and space, then the user's pin and next version."""
    pin = f"pinned to {data['pin']}" if data["pin"] else "not pinned"
    footer = f"{data['user']} is {pin}; {next_text(data)}"
    if not data["sessions"]:
        return f"{data['user']} has no sessions with {data['bot']}\n{footer}"
    rows = [
        [s["channel"], s["space"], s["version"], s["status"], s["conversation"], s["turns"], when(s["last_seen"])]
        for s in data["sessions"]
    ]
    headers = ["CHANNEL", "SPACE", "VERSION", "STATUS", "CONVERSATION", "TURNS", "LAST SEEN"]
    return table(headers, rows) + "\n" + footer


def transcript_text(data: JSON) -> str:
    """`botgate transcript`: each conversation, newest first, its messages with their versions."""
    if not data["conversations"]:
        return f"{data['user']} has no kept conversations with {data['bot']}"
    blocks = []
    for c in data["conversations"]:
        where = c["channel"] + (f", space {c['space']}" if c["space"] else "")
        lines = [f"conversation {c['conversation']} ({where}, started {when(c['started_at'])})"]
        lines += [f"  [{m['version']}] {m['role']}: {m['text']}" for m in c["messages"]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def chat_lines(response: JSON) -> list[str]:
    """One chat turn's replies, each with the version that said it, choices numbered."""
    version = response.get("version")
    lines = []
    for reply in response["replies"]:
        lines.append(f"[{version}] {reply['text']}")
        lines += [f"    {n}. {label}" for n, label in enumerate(reply.get("choices") or (), start=1)]
    if response.get("status") == "ended":
        lines.append("(conversation ended; the next message starts a new one)")
    return lines


def publish_preview(bot: JSON, version: JSON, moving: JSON) -> str:
    """`botgate publish --dry-run`: what publishing `version` would change, in two lines."""
    name, number = bot["bot"], version["version"]
    if version["status"] == "published":
        routing = f"{name} {number} is published already: publishing it again changes nothing"
    elif bot["rollout"]["stable"] is not None:
        routing = (
            f"publishing {name} {number} makes it eligible for routing; new conversations keep going to the stable "
            f"version {bot['rollout']['stable']} until the rollout names {number}"
        )
    elif _is_newest_release(number, bot["versions"]):
        routing = f"publishing {name} {number} makes it the stable version: new conversations start on it"
    else:
        routing = (
            f"publishing {name} {number} makes it eligible for routing; new conversations keep going to "
            f"{bot['serving']['stable'] or 'nothing published'} (a higher release, or {number} is a pre-release)"
        )
    if not moving["resumes"]:
        return routing + f"\n{number} resumes no older versions: conversations under way stay where they are"
    counts = ", ".join(f"{v}: {n}" for v, n in moving["by_version"].items()) or "none under way"
    return routing + (
        f"\nonce routed to their users, it would move at most {moving['sessions']} conversation(s) under way "
        f"({counts}; resumes {moving['resumes']}) at their next message"
    )


def _is_newest_release(number: str, versions: Sequence[JSON]) -> bool:
    candidate = Version(number)
    if candidate.is_prerelease:
        return False
    published = [Version(v["version"]) for v in versions if v["status"] == "published"]
    return all(candidate > v for v in published if not v.is_prerelease)


def health_text(data: JSON) -> str:
    """`botgate health`: one row per version, newest first; rates as percentages, '-' when there is nothing yet."""
    headers = ["VERSION", "ACTIVE", "STARTED", "COMPLETED", "RESET", "MIGRATED", "TURNS", "ERRORS", "ERROR %",
               "COMPLETION %", "P95 MS"]  # fmt: skip
    rows = [
        [
            version,
            h["active_sessions"],
            h["started"],
            h["completed"],
            h["reset"],
            h["migrated"],
            h["turns"],
            h["errors"],
            _percent(h["error_rate"]),
            _percent(h["completion_rate"]),
            h["p95_ms"],
        ]
        for version, h in data["versions"].items()
    ]
    minutes = data["window"] // 60
    return f"{data['bot']}, the last {minutes} minute(s)\n" + table(headers, rows)


def _percent(rate: float | None) -> str | None:
    return None if rate is None else f"{rate * 100:.1f}"
