"""How the CLI shows what the admin API answers: plain functions from its JSON to text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from packaging.version import InvalidVersion, Version

from admin.audit import change_text
from gateway.cli.rollout import rollout_text
from gateway.cli.text import table, when

JSON = dict[str, Any]


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


def bots_text(data: JSON) -> str:
    """`botgate bots`: one row per bot with what routing serves now and its conversations under way."""
    if not data["bots"]:
        return "no bots yet: store and publish a definition with `botgate publish FILE`"
    rows = [
        [
            bot["bot"],
            bot["serving"]["stable"],
            _canary_cell(bot["serving"]["canary"]),
            sum(v["active_sessions"] for v in bot["versions"]),
            len(bot["versions"]),
        ]
        for bot in data["bots"]
    ]
    return table(["BOT", "STABLE", "CANARY", "ACTIVE SESSIONS", "VERSIONS"], rows)


def _canary_cell(canary: JSON | None) -> str | None:
    return None if canary is None else f"{canary['version']} ({canary['percent']:g}%)"


def audit_text(data: JSON) -> str:
    """`botgate audit`: the bot's changes, newest first: when, who, what, to what, and from what to what."""
    if not data["entries"]:
        return f"{data['bot']} has no recorded changes"
    rows = [
        [when(e["at"]), e["actor"], e["action"], e["subject"], change_text(e["action"], e["before"], e["after"])]
        for e in data["entries"]
    ]
    return table(["WHEN", "WHO", "WHAT", "SUBJECT", "BEFORE -> AFTER"], rows)


def draft_line(bot: str, version: JSON, created: bool) -> str:
    """What `botgate publish FILE --draft` did, in one line."""
    number = version["version"]
    if created:
        return f"stored {bot} {number} as a draft; only users pinned to it reach it (botgate pin {bot} USER {number})"
    return f"{bot} {number} was already stored with this content ({version['status']}); nothing changed"


def published_line(bot: JSON, number: str, before: str) -> str:
    """What publishing did, in one line: stored and/or published (`before`: `stored` for a new version, else the
    status it had), then where new conversations start now."""
    name = bot["bot"]
    done = {
        "stored": f"stored and published {name} {number}",
        "published": f"{name} {number} was already published",
        "unpublished": f"published {name} {number} again",
    }.get(before, f"published {name} {number}")
    return f"{done}; {_routing_after(bot, number)}"


def _routing_after(bot: JSON, number: str) -> str:
    serving, stable = bot["serving"], bot["serving"]["stable"]
    canary = serving["canary"]
    if stable == number:
        return "new conversations now start on it"
    if canary is not None and canary["version"] == number:
        return f"it is the canary for {canary['percent']:g}% of users; stable stays {stable}"
    if bot["rollout"]["stable"] is not None:
        why = f"the rollout names it; `botgate rollout {bot['bot']} --stable {number}` moves new conversations"
    elif _is_prerelease(number):
        why = f"{number} is a pre-release: reach it by canary or pin"
    else:
        why = "a higher release is published"
    return f"stable stays {stable} ({why})"


def _is_prerelease(number: str) -> bool:
    try:
        return Version(number).is_prerelease
    except InvalidVersion:
        return False


def unpin_line(user: str, bot: str, before: str | None, after: JSON) -> str:
    """What `botgate unpin` did: removed a pin, or found none; then where the user's next conversation goes."""
    if before is None:
        return f"{user} had no pin on {bot}; nothing changed; {next_text(after)}"
    return f"removed {user}'s pin to {bot} {before}; {next_text(after)}"
