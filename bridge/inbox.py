"""Applying stored webhook deliveries: the same planner and write-back as `bridge sync`, for a few tasks.

A delivery is a prompt to reconcile the tasks it names, not a command: it is planned against the
last synced base exactly as a pulled change would be, so a repeated or late delivery changes
nothing, and one older than what the base already holds is set aside by its own timestamp.
Only the note side is carried out here; a plan that would also write to the tracker (the note
changed too) is left to the next `bridge sync`, which holds the tracker's credentials and cursor.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bridge.apply import Report, apply_plan
from bridge.cache import StoreParseCache
from bridge.config import BridgeSettings
from bridge.connector import RemoteStatus, RemoteTask, Webhooks
from bridge.lines import neighbours
from bridge.plan import PlanOptions, build_groups, plan
from bridge.state import Base, InboxEvent, Store
from bridge.vault import scan

__all__ = ["Outcome", "apply_events"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Outcome:
    """What one delivery came to: `applied`, `unchanged`, `unknown`, `stale`, `deferred` or `invalid`."""

    event: InboxEvent
    result: str
    keys: list[str] = field(default_factory=list)
    lines: int = 0


_UNKNOWN = dt.datetime.min.replace(tzinfo=dt.UTC)


def _moment(value: str | None) -> dt.datetime:
    """A timestamp to compare; a missing or unreadable one sorts first."""
    try:
        moment = dt.datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return _UNKNOWN
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _stale(change: RemoteTask, base: Base) -> bool:
    """Older than what the last sync saw: an out-of-order delivery (deletion always counts)."""
    if change.status is RemoteStatus.DELETED:
        return False
    new, known = _moment(change.updated), _moment(base.remote_updated)
    return _UNKNOWN not in (new, known) and new < known


def apply_events(
    settings: BridgeSettings,
    root: Path,
    store: Store,
    events: Sequence[InboxEvent],
    parsers: Mapping[str, Webhooks],
    *,
    today: dt.date | None = None,
) -> list[Outcome]:
    """Apply deliveries (the caller holds the vault's lock); one outcome per delivery, in order."""
    outcomes = {e.id: Outcome(e, "unchanged") for e in events}
    latest: dict[str, dict[str, tuple[RemoteTask, InboxEvent]]] = {}
    for event in events:
        parser = parsers.get(event.connector)
        if parser is None:
            outcomes[event.id].result = f"invalid: no usable connector named {event.connector!r}"
            continue
        try:
            reported = parser.changes(event.body.encode("utf-8"))
        except ValueError as exc:  # json.JSONDecodeError is one
            outcomes[event.id].result = f"invalid: {exc}"
            continue
        mine = latest.setdefault(event.connector, {})
        for change in reported:
            held = mine.get(change.remote_id)
            if held is not None and _moment(change.updated) < _moment(held[0].updated):
                outcomes[event.id].result = "stale"
            else:
                mine[change.remote_id] = (change, event)
        if not reported:
            outcomes[event.id].result = "unknown"
    if not latest:
        return list(outcomes.values())
    cache = StoreParseCache(store, root)
    result = scan(
        root, max_bytes=settings.max_note_bytes, policy=settings.group_policy(), root=root, cache=cache
    )
    groups = build_groups(result.tasks, result.groups)
    around = neighbours(result.tasks)  # once: every connector plans against the same notes
    for connector, reports in latest.items():
        links, bases = store.links(connector), store.bases(connector)
        changes: dict[str, RemoteTask] = {}
        for remote_id, (change, event) in reports.items():
            base = bases.get(remote_id)
            if base is None:
                outcomes[event.id].result = "unknown"
            elif _stale(change, base):
                outcomes[event.id].result = "stale"
            else:
                changes[remote_id] = change
        wanted = {key for key, rid in links.items() if rid in changes}
        linked = [g for g in groups if wanted.intersection(g.keys)]
        options = PlanOptions(
            connector=connector,
            vault_name=root.name,
            today=today or dt.datetime.now().astimezone().date(),
            hold_proposed=settings.hold_proposed,
            conflict=settings.conflict,
        )
        planned = plan(
            linked,
            links=links,
            bases=bases,
            changes=changes,
            options=options,
            note_times={n.path: n.mtime_ns for n in result.notes},
            complete=False,  # only these tasks were looked at: nothing is absent
            around=around,
        )
        deferred = [s for s in planned.steps if s.ops]
        planned.steps = [s for s in planned.steps if not s.ops]
        for step in deferred:
            if (entry := reports.get(step.remote_id or "")) is not None:
                outcomes[entry[1].id].result = "deferred"  # the note changed too: bridge sync sends it
        report = Report(connector)
        apply_plan(
            planned,
            None,
            store,
            root=root,
            dialect=result.dialect,
            notes={n.path: n for n in result.notes},
            cursor=None,
            today=options.today,
            report=report,
            record=False,
        )
        for step in planned.steps:
            if (entry := reports.get(step.remote_id or "")) is None:
                continue  # a group that only settled (its lines moved), not one a delivery named
            outcome = outcomes[entry[1].id]
            outcome.keys = list(step.keys)
            if step.edits:
                outcome.result = "applied"
                outcome.lines += len(step.edits)
    cache.save()
    return list(outcomes.values())
