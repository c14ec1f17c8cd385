"""The Prometheus metrics a turn feeds (`/metrics` serves them; docs/operations.md lists them).

Label values are bounded: only bots that exist and their versions, the channels, and a fixed set of outcomes,
events and failure reasons ever become series, so requests naming random bots create none. Under
`botgate serve --workers N` the values live in prometheus-client's multiprocess files (PROMETHEUS_MULTIPROC_DIR,
set by `botgate serve`), so a scrape of any worker adds up every worker's turns.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

TURNS = Counter(
    "botgate_turns_total",
    "Turns by their outcome (ok, duplicate, or the error code).",
    ["bot", "version", "channel", "outcome"],
)
TURN_SECONDS = Histogram(
    "botgate_turn_duration_seconds",
    "How long turns took in the gateway, bot calls included.",
    ["bot", "channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CONVERSATIONS = Counter(
    "botgate_conversations_total",
    "Conversations started, completed (by the bot), reset (by the gateway) and migrated (out of the version).",
    ["bot", "version", "event"],
)
BOT_ERRORS = Counter(
    "botgate_bot_errors_total", "Turns a version's logic failed, by reason.", ["bot", "version", "reason"]
)

_CHILDREN: dict[tuple[int, tuple[str, ...]], Any] = {}


def labelled(metric: Counter | Histogram, *values: str) -> Any:
    """`metric.labels(*values)`, looked up once per label set: on every turn, prometheus-client's own lookup (a lock
    and a check of each value) costs more than the increment. The label sets are bounded (see above)."""
    key = (id(metric), values)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*values)
    return child
