"""`GET /metrics`: Prometheus text, no token. The turn counters come from prometheus-client (middleware/metrics.py);
`botgate_active_sessions` is read from the store's per-version counters at scrape time, so it is the same
whichever process or worker is scraped."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from bot_versions.errors import Unavailable
from gateway.services import services
from middleware.session_admin import active_sessions
from middleware.store_errors import store_errors

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class ActiveSessions(Collector):
    """`botgate_active_sessions{bot,version}` from counts read just before the scrape."""

    def __init__(self, counts: Mapping[str, Mapping[str, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterable[Metric]:
        gauge = GaugeMetricFamily(
            "botgate_active_sessions", "Sessions whose conversation is active or confirming, per version.",
            labels=["bot", "version"],
        )  # fmt: skip
        for bot, versions in sorted(self.counts.items()):
            for version, count in sorted(versions.items()):
                gauge.add_metric([bot, version], count)
        yield gauge


async def metrics(request: Request) -> Response:
    """Every turn metric of this gateway (all workers' under --workers N), then the active sessions."""
    if os.environ.get(MULTIPROCESS_DIR):
        turns = CollectorRegistry()
        MultiProcessCollector(turns)
    else:
        turns = REGISTRY
    svc = services(request)
    counts: dict[str, dict[str, int]] = {}
    try:
        with store_errors():
            bots = await svc.registry.bots()
        for bot in bots:
            counts[bot] = await active_sessions(svc.redis, bot)
    except Unavailable:
        counts = {}  # the store is down: the turn metrics are still worth scraping; the gauge is left out
    active = CollectorRegistry()
    active.register(ActiveSessions(counts))
    return Response(generate_latest(turns) + generate_latest(active), media_type=CONTENT_TYPE_LATEST)
