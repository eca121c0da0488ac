"""`GET /metrics`: what the receiver did, in Prometheus text format (the official client library).

Two kinds of figures. Counters and the latency histogram are kept by this process, so they start
at zero with it and count what this receiver took or applied; Prometheus' `rate()` and
`increase()` are made for that. The inbox gauges are read from the state database at each
scrape, so every receiver sharing one database reports the same queue, and a restart forgets
nothing of it. Each app has its own registry (never the client's global one), so several
receivers in one process, as in the tests, keep apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from bridge.state import SET_ASIDE

__all__ = [
    "CONTENT_TYPE",
    "LATENCY_BUCKETS",
    "SET_ASIDE_STATES",
    "WAITING_STATES",
    "InboxCollector",
    "Metrics",
    "outcome_label",
]

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Inbox states (the `state` column): waiting to be applied, and given up on after retries. Any
# other state a delivery can reach is still counted by `bridge_inbox_deliveries{state=…}`.
WAITING_STATES = frozenset({"new", "claimed"})
SET_ASIDE_STATES = frozenset({SET_ASIDE})

# Seconds from a delivery stored to the worker done with it: milliseconds when all is well, up to
# minutes while a sync holds the writer lock or the database is away.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


def outcome_label(result: str) -> str:
    """The outcome without its detail: `invalid: no usable connector …` counts as `invalid`, so the
    label takes a handful of values whatever the payloads said."""
    return result.split(":", 1)[0].strip() or "unknown"


def _seconds_since(received_at: str, now: dt.datetime) -> float | None:
    try:
        then = dt.datetime.fromisoformat(received_at)
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=dt.UTC)
    return max(0.0, (now - then).total_seconds())


class InboxCollector:
    """Inbox gauges computed at scrape time from `counts()` (deliveries per state); `counts`
    returns None when the state database cannot be read, and only `bridge_state_database_up 0`
    is reported then, rather than a queue of zero that is not known to be empty."""

    def __init__(self, counts: Callable[[], Mapping[str, int] | None]) -> None:
        self._counts = counts

    def describe(self) -> Iterable[Metric]:
        """The names, so that registering does not query the database."""
        return list(self._families({}))

    def collect(self) -> Iterable[Metric]:
        counts = self._counts()
        up = GaugeMetricFamily(
            "bridge_state_database_up", "1 when the state database answered this scrape, else 0"
        )
        up.add_metric([], 0.0 if counts is None else 1.0)
        yield up
        if counts is not None:
            yield from self._families(counts)

    @staticmethod
    def _families(counts: Mapping[str, int]) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "bridge_inbox_depth", "Deliveries stored and not yet applied (states new and claimed)"
        )
        depth.add_metric([], float(sum(n for s, n in counts.items() if s in WAITING_STATES)))
        yield depth
        aside = GaugeMetricFamily(
            "bridge_deliveries_set_aside", "Deliveries given up on after retries, kept with their reason"
        )
        aside.add_metric([], float(sum(n for s, n in counts.items() if s in SET_ASIDE_STATES)))
        yield aside
        by_state = GaugeMetricFamily(
            "bridge_inbox_deliveries", "Deliveries in the inbox by state", labels=["state"]
        )
        for state in sorted(set(counts) | WAITING_STATES | {"done"}):
            by_state.add_metric([state], float(counts.get(state, 0)))
        yield by_state


class Metrics:
    """One receiver's metrics, in a registry of its own."""

    def __init__(self, inbox_counts: Callable[[], Mapping[str, int] | None]) -> None:
        self.registry = CollectorRegistry()
        self.received = Counter(
            "bridge_deliveries_received",
            "Deliveries accepted and stored in the inbox by this receiver",
            ["connector"],
            registry=self.registry,
        )
        self.duplicates = Counter(
            "bridge_deliveries_duplicate",
            "Deliveries answered as duplicates (the same id or body was stored before)",
            ["connector"],
            registry=self.registry,
        )
        self.applied = Counter(
            "bridge_deliveries_applied",
            "Deliveries that changed note lines (outcome applied), applied by this receiver",
            ["connector"],
            registry=self.registry,
        )
        self.settled = Counter(
            "bridge_deliveries_settled",
            "Deliveries this receiver's worker finished with, by outcome",
            ["connector", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bridge_delivery_apply_seconds",
            "Seconds from a delivery stored (request received) to the worker done with it",
            ["connector"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(InboxCollector(inbox_counts))

    def track(self, connectors: Iterable[str]) -> None:
        """Report zeros for these connectors from the start, so a rate is defined before the first
        delivery."""
        for name in connectors:
            self.received.labels(name)
            self.duplicates.labels(name)
            self.applied.labels(name)
            self.latency.labels(name)

    def on_receive(self, connector: str, new: bool) -> None:
        (self.received if new else self.duplicates).labels(connector).inc()

    def on_settle(self, connector: str, result: str, received_at: str, now: dt.datetime) -> None:
        """One delivery the worker finished with: its outcome, and its time since it was stored."""
        outcome = outcome_label(result)
        self.settled.labels(connector, outcome).inc()
        if outcome == "applied":
            self.applied.labels(connector).inc()
        seconds = _seconds_since(received_at, now)
        if seconds is not None:
            self.latency.labels(connector).observe(seconds)

    def render(self) -> bytes:
        """The text exposition; reads the inbox, so call it off the event loop."""
        return generate_latest(self.registry)
