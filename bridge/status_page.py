"""`GET /`: a read-only status page of the receiver, rendered on the server as plain HTML.

It shows what an operator checks first — the inbox's depth, the deliveries set aside, the recent
deliveries and when each connector last synced — from the state database, without JavaScript.
Nothing secret is on it: no body, signature, token, setting or path, only ids, times, states and
outcomes. Every value is escaped, since delivery ids come from request headers; outcomes are
cut short, since a reason may quote part of a payload.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bridge.metrics import SET_ASIDE_STATES, WAITING_STATES
from bridge.state import Store

__all__ = ["HEADERS", "Delivery", "Snapshot", "read_snapshot", "render"]

RECENT = 25  # deliveries listed, newest first
SET_ASIDE_SHOWN = 100
REASON_CHARS = 200

# The page loads nothing and runs nothing: a strict policy costs nothing and keeps it that way.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none';"
        " frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

# The numbers of a sync report worth a glance; the report's messages are not shown.
RUN_COUNTS = ("created", "updated", "closed", "reopened", "deleted", "conflicts", "failed")


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    connector: str
    delivery_id: str
    received_at: str
    state: str
    outcome: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the page shows."""

    counts: Mapping[str, int]
    recent: list[Delivery]
    set_aside: list[Delivery]
    runs: Mapping[str, tuple[str, Mapping[str, Any]]]

    @property
    def depth(self) -> int:
        return sum(n for state, n in self.counts.items() if state in WAITING_STATES)

    @property
    def set_aside_count(self) -> int:
        return sum(n for state, n in self.counts.items() if state in SET_ASIDE_STATES)


# a set-aside delivery's reason is its `error`; a settled one's is its outcome
_COLUMNS = "id, connector, delivery_id, received_at, state, COALESCE(error, outcome)"


def _deliveries(rows: Iterable[tuple[Any, ...]]) -> list[Delivery]:
    return [
        Delivery(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), "" if r[5] is None else str(r[5]))
        for r in rows
    ]


def read_snapshot(store: Store, *, recent: int = RECENT) -> Snapshot:
    """The inbox counts, the newest deliveries, the set-aside ones and the last run of each connector."""
    # Plain reads, not a transaction: SQLite's would take the write lock that deliveries need.
    counts = store.inbox_counts()
    newest = store.db.execute(f"SELECT {_COLUMNS} FROM inbox ORDER BY id DESC LIMIT ?", (recent,)).rows  # noqa: S608
    states = sorted(SET_ASIDE_STATES)
    marks = ", ".join("?" for _ in states)  # only placeholders are formatted into the SQL
    aside = store.db.execute(
        f"SELECT {_COLUMNS} FROM inbox WHERE state IN ({marks}) ORDER BY id LIMIT ?",  # noqa: S608
        (*states, SET_ASIDE_SHOWN),
    ).rows
    runs = store.runs()
    return Snapshot(counts, _deliveries(newest), _deliveries(aside), runs)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _short(text: str) -> str:
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


def _table(table_id: str, head: Iterable[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p id="{table_id}-empty" class="empty">{_e(empty)}</p>'
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def _delivery_rows(deliveries: list[Delivery]) -> list[list[str]]:
    return [
        [str(d.id), d.connector, d.delivery_id, d.received_at, d.state, _short(d.outcome)] for d in deliveries
    ]


_STYLE = """
body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; max-width: 75rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
dl.figures { display: flex; gap: 2.5rem; margin: 0; }
dl.figures div { display: flex; flex-direction: column-reverse; }
dl.figures dd { font-size: 2rem; margin: 0; font-variant-numeric: tabular-nums; }
dl.figures dt { color: #666; }
table { border-collapse: collapse; width: 100%; }
#states { width: auto; }
th, td { text-align: left; padding: .25rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
td { font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.empty, footer { color: #666; }
"""


def render(snapshot: Snapshot, now: dt.datetime | None = None) -> str:
    """The page, as one HTML document."""
    now = now or dt.datetime.now(dt.UTC)
    counts = snapshot.counts
    figures = [
        ("depth", "waiting to be applied", snapshot.depth),
        ("set-aside-count", "set aside", snapshot.set_aside_count),
        ("done-count", "done", counts.get("done", 0)),
    ]
    figure_html = "".join(
        f'<div><dt>{_e(label)}</dt><dd id="{key}">{_e(value)}</dd></div>' for key, label, value in figures
    )
    states = [[state, str(n)] for state, n in sorted(counts.items())]
    runs = [
        [name, when, *(str(report.get(k, 0)) for k in RUN_COUNTS)]
        for name, (when, report) in sorted(snapshot.runs.items())
    ]
    head = ["#", "connector", "delivery id", "received", "state", "outcome"]
    aside_rows = [[*row[:4], row[5]] for row in _delivery_rows(snapshot.set_aside)]
    aside = _table("set-aside", [*head[:4], "reason"], aside_rows, "Nothing is set aside.")
    recent = _table("recent", head, _delivery_rows(snapshot.recent), "No delivery yet.")
    last = _table(
        "runs", ["connector", "finished", *RUN_COUNTS], runs, "No sync has run against this state yet."
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>task-bridge receiver</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>task-bridge receiver</h1>
<section id="inbox">
<h2>Inbox</h2>
<dl class="figures">{figure_html}</dl>
<h2>By state</h2>
{_table("states", ["state", "deliveries"], states, "The inbox is empty.")}
</section>
<section>
<h2>Set aside</h2>
{aside}
</section>
<section>
<h2>Recent deliveries</h2>
{recent}
</section>
<section>
<h2>Last sync</h2>
{last}
</section>
<footer><p>Read at <time id="now">{_e(now.isoformat(timespec="seconds"))}</time>. Times are UTC.
Figures for Prometheus: <a href="metrics">/metrics</a>.</p></footer>
</body>
</html>
"""
