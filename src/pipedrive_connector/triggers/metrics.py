"""Prometheus metrics of a trigger process, served at ``/metrics`` by the receiver app.

prometheus_client rather than a hand-written exposition: histograms with cumulative buckets,
label escaping and the content type are easy to get subtly wrong, and it is small and pure Python.
Each ``TriggerMetrics`` has its own registry (several apps in one process do not mix), and the
gauges that describe the shared state (queue depth, dead letters) are read from the store when
scraped, so every replica reports the same database-wide figures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from pipedrive_connector.triggers.state import EVENT_STATUSES, TriggerState

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Acknowledgement latency: group commit puts most answers in the low milliseconds.
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class TriggerMetrics:
    def __init__(self, store: TriggerState | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.deliveries = Counter(
            "pipedrive_triggers_deliveries",
            "Webhook deliveries answered, by outcome (stored, duplicate, ignored, invalid, "
            "unauthorized, too_large, unavailable).",
            ["outcome"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "pipedrive_triggers_ack_seconds",
            "Seconds from a delivery's arrival to its answer (stored deliveries: after the commit).",
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.handler_runs = Counter(
            "pipedrive_triggers_handler_runs",
            "Handler (and sink) runs by handler and outcome (ok, error).",
            ["handler", "outcome"],
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            "pipedrive_triggers_dead_lettered",
            "Events this process dead-lettered after their last retry.",
            registry=self.registry,
        )
        self.pipedrive_requests = Counter(
            "pipedrive_triggers_pipedrive_requests",
            "HTTP attempts to the Pipedrive API (catch-up, polling, enrichment) by status; 429 "
            "counts the rate-limited ones, error the transport failures.",
            ["status"],
            registry=self.registry,
        )
        self._children: dict[tuple[int, tuple[str, ...]], Counter] = {}
        if store is not None:
            self.registry.register(_StateCollector(store))

    def observe_usage(self, usage: Any) -> None:
        """An ``on_usage`` hook for the Pipedrive client: ``Pipedrive(..., on_usage=...)``."""
        status = getattr(usage, "status_code", None)
        self.pipedrive_requests.labels(str(status) if status is not None else "error").inc()

    def delivery(self, outcome: str, seconds: float) -> None:
        self._child(self.deliveries, outcome).inc()
        self.ack_seconds.observe(seconds)

    def handler(self, name: str, ok: bool) -> None:
        self._child(self.handler_runs, name, "ok" if ok else "error").inc()

    def _child(self, metric: Counter, *labels: str) -> Counter:
        """``metric.labels(*labels)``, remembered: ``labels`` takes a lock and builds a key on
        every call, twice per delivery."""
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _StateCollector:
    """Events by status in the shared state, read at scrape time."""

    def __init__(self, store: TriggerState) -> None:
        self.store = store

    def describe(self) -> list[Metric]:
        return []  # read the database only when scraped, not at registration

    def collect(self) -> Iterator[Metric]:
        try:
            counts = self.store.counts()
        except Exception as exc:  # a scrape must still answer while the database is away
            log.warning("metrics: cannot count events: %s", exc)
            return
        events = GaugeMetricFamily(
            "pipedrive_triggers_events", "Events in the inbox by status.", labels=["status"]
        )
        for status in EVENT_STATUSES:
            events.add_metric([status], counts.get(status, 0))
        yield events
        yield GaugeMetricFamily(
            "pipedrive_triggers_queue_depth",
            "Events waiting for or in their handlers (pending + running).",
            value=counts.get("pending", 0) + counts.get("running", 0),
        )
        yield GaugeMetricFamily(
            "pipedrive_triggers_dead_letters",
            "Dead-lettered events kept for replay.",
            value=counts.get("dead", 0),
        )
