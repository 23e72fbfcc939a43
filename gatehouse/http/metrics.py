"""``/metrics`` in Prometheus's format: request rates and latencies, and the database's counts.

Two sources, one registry per application (never prometheus-client's global one, so several
applications in one process keep their own numbers):

- :class:`RequestMetricsMiddleware` counts each request and times it, labelled by method,
  route TEMPLATE (``/v1/views/{transfer_id}``, never the concrete path, whose ids name people
  and would grow the series without bound) and status code;
- :class:`OperationsCollector` reports, at scrape time, what
  :class:`~gatehouse.services.metrics.OperationsReadings` read from the database: decisions
  by outcome and reason, the outbox backlog, overdue rights requests and erasures, and the age
  of the latest signed checkpoint; ``gatehouse_database_up`` says whether that read worked.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``gatehouse serve --workers N``), every worker writes
its request metrics to that directory and each scrape sums all the workers' files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatehouse import __version__
from gatehouse.http.routes import mark_root, route_template
from gatehouse.services.metrics import OperationsReading, OperationsReadings

__all__ = [
    "MULTIPROCESS_ENV",
    "LATENCY_BUCKETS_S",
    "RequestMetrics",
    "RequestMetricsMiddleware",
    "OperationsCollector",
    "Metrics",
    "install_metrics",
]

# prometheus-client's own switch: set, every process writes its samples to files there.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# From a cached decision (about a millisecond) to an audit report's PDF (seconds).
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Any other method is one label: a client must not be able to mint series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetrics:
    """The request counter and latency histogram of one application."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("method", "route", "status")
        self.requests = Counter(
            "gatehouse_http_requests",
            "HTTP requests answered, by method, route template and status code "
            "(status 0: the client left before an answer).",
            labels,
            registry=registry,
        )
        self.duration = Histogram(
            "gatehouse_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by method, route "
            "template and status code.",
            labels,
            registry=registry,
            buckets=LATENCY_BUCKETS_S,
        )
        # Each label set's two children, found once: ``labels()`` costs more than counting.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its duration."""
        # The method is folded first: a client's made-up methods must not grow the cache.
        key = (method if method in _METHODS else "other", route, status)
        children = self._children.get(key)
        if children is None:
            labels = (key[0], route, str(status))
            children = self._children[key] = (
                self.requests.labels(*labels),
                self.duration.labels(*labels),
            )
        children[0].inc()
        children[1].observe(seconds)


class RequestMetricsMiddleware:
    """Time every HTTP request and record it under its route template once it is answered."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        mark_root(scope)
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.metrics.observe(
                scope["method"], route_template(scope), status, time.perf_counter() - started
            )


class OperationsCollector:
    """Families read from the database at scrape time (through a short-lived cache)."""

    def __init__(self, readings: OperationsReadings, clock: Callable[[], datetime]) -> None:
        self._readings = readings
        self._clock = clock

    def describe(self) -> Iterable[Metric]:
        """Nothing: registering must not read the database, and these names clash with none."""
        return ()

    def collect(self) -> Iterable[Metric]:
        """The build, whether the database answered, and what it said."""
        build = GaugeMetricFamily(
            "gatehouse_build_info", "The running Gatehouse release.", labels=["version"]
        )
        build.add_metric([__version__], 1)
        yield build
        reading = self._readings.current()
        yield GaugeMetricFamily(
            "gatehouse_database_up",
            "1 when the latest read of the database for these metrics answered, else 0.",
            value=0 if reading is None else 1,
        )
        if reading is not None:
            yield from self._families(reading, self._clock())

    def _families(self, reading: OperationsReading, now: datetime) -> Iterable[Metric]:
        decisions = CounterMetricFamily(
            "gatehouse_transfer_decisions",
            "Transfer decisions since midnight UTC, by outcome and reason (the refusal code, "
            "or the lawful basis of an allowed one); the count restarts at 0 each day, "
            "which rate() reads as a counter reset.",
            labels=["outcome", "reason"],
        )
        created = reading.decisions_since.timestamp()
        for decision in reading.decisions:
            decisions.add_metric([decision.outcome, decision.reason], decision.count, created)
        yield decisions
        jobs = GaugeMetricFamily(
            "gatehouse_outbox_jobs",
            "Outbox jobs not done, by status (pending, running, dead).",
            labels=["status"],
        )
        for status, count in sorted(reading.outbox_jobs.items()):
            jobs.add_metric([status], count)
        yield jobs
        oldest = reading.outbox_oldest_due
        yield GaugeMetricFamily(
            "gatehouse_outbox_oldest_due_age_seconds",
            "How long the longest-waiting due outbox job has waited (0: none is due).",
            value=0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
        )
        yield from self._deadlines(reading)
        if reading.checkpoint_at is not None:
            yield GaugeMetricFamily(
                "gatehouse_ledger_checkpoint_age_seconds",
                "Seconds since the latest signed ledger checkpoint.",
                value=max(0.0, (now - reading.checkpoint_at).total_seconds()),
            )
            yield GaugeMetricFamily(
                "gatehouse_ledger_checkpoint_timestamp_seconds",
                "When the latest signed ledger checkpoint was made, in Unix time.",
                value=reading.checkpoint_at.timestamp(),
            )

    @staticmethod
    def _deadlines(reading: OperationsReading) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "gatehouse_rights_requests_pending",
            "Rights requests awaiting an answer.",
            value=reading.requests_pending,
        )
        yield GaugeMetricFamily(
            "gatehouse_rights_requests_overdue",
            "Rights requests still unanswered past their statutory due date.",
            value=reading.requests_overdue,
        )
        yield GaugeMetricFamily(
            "gatehouse_erasures_pending",
            "Erasure requests recipients have not acknowledged, not yet due.",
            value=reading.erasures_pending,
        )
        yield GaugeMetricFamily(
            "gatehouse_erasures_overdue",
            "Erasure requests recipients have not acknowledged by their due date.",
            value=reading.erasures_overdue,
        )


class Metrics:
    """One application's metrics: its registry, and how a scrape renders them."""

    def __init__(self, readings: OperationsReadings, clock: Callable[[], datetime]) -> None:
        self.registry = CollectorRegistry()
        self.requests = RequestMetrics(self.registry)
        self.operations = OperationsCollector(readings, clock)
        self.registry.register(self.operations)

    def exposition_registry(self) -> CollectorRegistry:
        """What a scrape reads: this registry, or every worker's files in multiprocess mode."""
        if not os.environ.get(MULTIPROCESS_ENV):
            return self.registry
        merged = CollectorRegistry()
        # prometheus-client leaves this constructor unannotated; it registers itself.
        MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        # The database's counts are the same from every worker: reported once, by this one.
        merged.register(self.operations)
        return merged

    def render(self, accept: str) -> tuple[bytes, str]:
        """The exposition in the format ``accept`` asks for, and its content type."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.exposition_registry()), content_type


def install_metrics(
    app: FastAPI, readings: OperationsReadings, clock: Callable[[], datetime]
) -> Metrics:
    """Add request metrics to ``app``; install it last, outermost, to time every other layer."""
    shared = os.environ.get(MULTIPROCESS_ENV)
    # Checked at start: otherwise the first request's sample would fail, and every one after.
    if shared and not os.path.isdir(shared):
        raise RuntimeError(f"{MULTIPROCESS_ENV} names no directory: {shared}")
    metrics = Metrics(readings, clock)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics.requests)
    return metrics
