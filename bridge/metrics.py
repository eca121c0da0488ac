"""`GET /metrics`: what the receiver did, in Prometheus text format (the official client library).

Two kinds of figures. Counters and the latency histogram count what this receiver took or
applied, from zero at its start; Prometheus' `rate()` and `increase()` are made for that. The
received and duplicate counts are kept by the process that answers; the applied and settled counts
and the latency histogram are counted at scrape time from the inbox rows this receiver's worker
settled, since that worker runs in a process of its own (they drop when old rows are pruned,
which Prometheus reads as a counter reset). The inbox gauges are read from the state database at each
scrape, so every receiver sharing one database reports the same queue, and a restart forgets
nothing of it. Each app has its own registry (never the client's global one), so several
receivers in one process, as in the tests, keep apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from bridge.state import SET_ASIDE

__all__ = [
    "CONTENT_TYPE",
    "LATENCY_BUCKETS",
    "SET_ASIDE_STATES",
    "WAITING_STATES",
    "InboxCollector",
    "Metrics",
    "outcome_label",
    "seconds_since",
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


def seconds_since(received_at: str, now: dt.datetime) -> float | None:
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


# What one worker settled, per connector and outcome: count, seconds summed, and the count at or
# under each of LATENCY_BUCKETS (`Store.settled_by`).
Settled = list[tuple[str, str, int, float, list[int]]]


class SettledCollector:
    """The applied and settled counters and the apply-latency histogram, counted at scrape time
    from the inbox rows this receiver's worker settled (`settled()`; None when the database
    cannot say). The worker runs in a process of its own, so the rows are what both share; the
    worker id carries the process id, so the figures still start at zero with the receiver."""

    def __init__(self, settled: Callable[[], Settled | None]) -> None:
        self._settled = settled
        self.connectors: set[str] = set()

    def describe(self) -> Iterable[Metric]:
        return list(self._families([]))

    def collect(self) -> Iterable[Metric]:
        rows = self._settled()
        if rows is not None:
            yield from self._families(rows)

    def _families(self, rows: Settled) -> Iterator[Metric]:
        applied: dict[str, int] = dict.fromkeys(self.connectors, 0)
        settled: dict[tuple[str, str], int] = {}
        sums: dict[str, float] = dict.fromkeys(self.connectors, 0.0)
        counts: dict[str, int] = dict.fromkeys(self.connectors, 0)
        ups: dict[str, list[int]] = {c: [0] * len(LATENCY_BUCKETS) for c in self.connectors}
        for connector, result, count, seconds, under in rows:
            outcome = outcome_label(result)
            settled[connector, outcome] = settled.get((connector, outcome), 0) + count
            applied[connector] = applied.get(connector, 0) + (count if outcome == "applied" else 0)
            sums[connector] = sums.get(connector, 0.0) + seconds
            counts[connector] = counts.get(connector, 0) + count
            into = ups.setdefault(connector, [0] * len(LATENCY_BUCKETS))
            for index, n in enumerate(under):
                into[index] += n
        done = CounterMetricFamily(
            "bridge_deliveries_applied",
            "Deliveries that changed note lines (outcome applied), applied by this receiver",
            labels=["connector"],
        )
        for connector, n in sorted(applied.items()):
            done.add_metric([connector], float(n))
        yield done
        by_outcome = CounterMetricFamily(
            "bridge_deliveries_settled",
            "Deliveries this receiver's worker finished with, by outcome",
            labels=["connector", "outcome"],
        )
        for (connector, outcome), n in sorted(settled.items()):
            by_outcome.add_metric([connector, outcome], float(n))
        yield by_outcome
        latency = HistogramMetricFamily(
            "bridge_delivery_apply_seconds",
            "Seconds from a delivery stored (request received) to the worker done with it",
            labels=["connector"],
        )
        for connector in sorted(counts):
            buckets = [(str(b), float(n)) for b, n in zip(LATENCY_BUCKETS, ups[connector], strict=True)]
            latency.add_metric([connector], [*buckets, ("+Inf", float(counts[connector]))], sums[connector])
        yield latency


class Metrics:
    """One receiver's metrics, in a registry of its own."""

    def __init__(
        self,
        inbox_counts: Callable[[], Mapping[str, int] | None],
        settled: Callable[[], Settled | None] = lambda: [],
    ) -> None:
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
        self.registry.register(InboxCollector(inbox_counts))
        self.applied = SettledCollector(settled)
        self.registry.register(self.applied)

    def track(self, connectors: Iterable[str]) -> None:
        """Report zeros for these connectors from the start, so a rate is defined before the first
        delivery."""
        for name in connectors:
            self.received.labels(name)
            self.duplicates.labels(name)
        self.applied.connectors.update(connectors)

    def on_receive(self, connector: str, new: bool) -> None:
        (self.received if new else self.duplicates).labels(connector).inc()

    def render(self) -> bytes:
        """The text exposition; reads the inbox, so call it off the event loop."""
        return generate_latest(self.registry)
