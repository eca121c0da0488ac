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
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bridge import registry
from bridge.apply import Report, apply_plan
from bridge.cache import StoreParseCache
from bridge.config import BridgeSettings
from bridge.connector import RemoteStatus, RemoteTask, Webhooks
from bridge.groups import Group, group_tasks
from bridge.lines import Neighbours, neighbours
from bridge.model import Diagnostic, Task
from bridge.parse import parse_note
from bridge.plan import PlanOptions, build_groups, plan
from bridge.signifiers import Dialect
from bridge.state import Base, Store
from bridge.state_rows import InboxEvent
from bridge.vault import Note, decode_note, load_dialect, read_bytes, real_path, scan

__all__ = ["NoteMemo", "Outcome", "apply_events", "warm"]

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


class NoteMemo:
    """Notes as a worker last parsed them, by path: one whose bytes on disk are still exactly
    these is not parsed again. Kept across batches by a long-running receiver; compared by
    content, so a note another process wrote in the same clock tick is never taken for it."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.held: dict[str, tuple[bytes, Dialect, list[Task], list[Diagnostic]]] = {}
        self.hits = 0

    def parse(
        self, rel: str, data: bytes, text: str, dialect: Dialect
    ) -> tuple[list[Task], list[Diagnostic]]:
        held = self.held.pop(rel, None)
        if held is not None and held[0] == data and held[1] == dialect:
            self.hits += 1
            tasks, diagnostics = held[2], held[3]
        else:
            tasks, diagnostics = parse_note(text, rel, dialect)
        self.held[rel] = (data, dialect, tasks, diagnostics)  # most recent last
        while len(self.held) > self.size:
            del self.held[next(iter(self.held))]
        return tasks, diagnostics


@dataclass(slots=True)
class _View:
    """The notes a batch plans against: the whole vault, or only those its tasks live in."""

    tasks: list[Task]
    groups: list[Group]
    notes: list[Note]
    dialect: Dialect
    parsed: dict[str, tuple[bytes, Sequence[Task]]] = field(default_factory=dict)
    around: Neighbours = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)  # notes and folders ("a/") the scan could not read

    def unseen(self, base: Base) -> bool:
        """Whether a task's lines were in a note this view could not read (a descriptor limit,
        a permission): its delivery is not settled as if it changed nothing."""
        paths = {base.fields.path, *(spot[0] for spot in base.spots.values())}
        return any(p == u or (u.endswith("/") and p.startswith(u)) for p in paths for u in self.unread)


def _indexed(
    settings: BridgeSettings,
    root: Path,
    bases: Mapping[str, Mapping[str, Base]],
    memo: NoteMemo,
) -> _View | None:
    """Read only the notes where the named tasks' lines were at the last sync (their bases say,
    line by line); None when that cannot be trusted: a task not seen in the notes last time, a
    note gone or unreadable, or a line no longer in the note it was in (then the vault is scanned).
    """
    paths: set[str] = set()
    for found in bases.values():
        for base in found.values():
            if not base.present:
                return None
            paths |= {base.fields.path, *(spot[0] for spot in base.spots.values())}
    dialect, _ = load_dialect(root)
    view = _View([], [], [], dialect)
    for rel in sorted(paths):
        read = _read(settings, root, rel, dialect, memo)
        if read is None:
            return None
        data, info, tasks = read
        view.notes.append(Note(rel, info.st_size, info.st_mtime_ns))
        view.parsed[rel] = (data, tasks)
        view.tasks.extend(tasks)
    keys = {t.key for t in view.tasks}
    if any(not keys.issuperset(b.keys) for found in bases.values() for b in found.values()):
        return None
    view.groups = build_groups(view.tasks, group_tasks(view.tasks, settings.group_policy()))
    view.around = neighbours(view.tasks)
    return view


def _read(
    settings: BridgeSettings, root: Path, rel: str, dialect: Dialect, memo: NoteMemo
) -> tuple[bytes, os.stat_result, list[Task]] | None:
    """A note's bytes, stat and tasks (parsed through `memo`); None when it cannot be trusted:
    gone, unreadable, not UTF-8, or with an unclosed fence or comment (its lines may be anywhere)."""
    real, _ = real_path(root, root / rel)
    if real is None:
        return None
    data, info, _ = read_bytes(real, settings.max_note_bytes)
    if data is None or info is None:
        return None
    text, _ = decode_note(data, rel)
    if text is None:
        return None
    tasks, diagnostics = memo.parse(rel, data, text, dialect)
    if any(d.unread for d in diagnostics):
        return None
    return data, info, tasks


def warm(
    settings: BridgeSettings, root: Path, store: Store, connectors: Sequence[str], memo: NoteMemo
) -> int:
    """Parse the notes holding linked tasks into `memo` before the first delivery, so that the
    first batches cost what later ones do (parsing a note is most of a cold batch); how many."""
    dialect, _ = load_dialect(root)
    paths: set[str] = set()
    for connector in connectors:
        for base in store.bases(connector).values():
            if base.present:
                paths |= {base.fields.path, *(spot[0] for spot in base.spots.values())}
    warmed = 0
    for rel in sorted(paths)[: memo.size]:
        warmed += _read(settings, root, rel, dialect, memo) is not None
    return warmed


def _scanned(settings: BridgeSettings, root: Path, store: Store) -> _View:
    """The whole vault, as `bridge sync` reads it (through the parse cache)."""
    cache = StoreParseCache(store, root)
    result = scan(
        root, max_bytes=settings.max_note_bytes, policy=settings.group_policy(), root=root, cache=cache
    )
    cache.save()
    groups = build_groups(result.tasks, result.groups)
    around = neighbours(result.tasks)
    return _View(result.tasks, groups, result.notes, result.dialect, around=around, unread=result.unread)


def apply_events(
    settings: BridgeSettings,
    root: Path,
    store: Store,
    events: Sequence[InboxEvent],
    parsers: Mapping[str, Webhooks],
    *,
    today: dt.date | None = None,
    memo: NoteMemo | None = None,
) -> list[Outcome]:
    """Apply deliveries (the caller holds the vault's lock); one outcome per delivery, in order.

    Only the notes the deliveries' tasks live in are read (found through their bases), each
    parsed once, and each written at most once per connector, however many deliveries name it.
    `memo` keeps parsed notes between batches of a long-running worker.
    """
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
    named: dict[str, dict[str, Base]] = {}
    changes: dict[str, dict[str, RemoteTask]] = {}
    for connector, reports in latest.items():
        named[connector] = store.bases_of(connector, reports)
        changes[connector] = {}
        for remote_id, (change, event) in reports.items():
            base = named[connector].get(remote_id)
            if base is None:
                outcomes[event.id].result = "unknown"
            elif _stale(change, base):
                outcomes[event.id].result = "stale"
            else:
                changes[connector][remote_id] = change
    named = {c: {r: b for r, b in found.items() if r in changes[c]} for c, found in named.items()}
    if not any(changes.values()):
        return list(outcomes.values())
    view = _indexed(settings, root, named, memo if memo is not None else NoteMemo())
    if view is None:
        log.info("a delivered task's lines are not where the last sync saw them; reading the vault")
        view = _scanned(settings, root, store)
    for connector, reports in latest.items():
        for remote_id in [r for r in changes[connector] if view.unseen(named[connector][r])]:
            del changes[connector][remote_id]  # its note could not be read: left to the next sync
            outcomes[reports[remote_id][1].id].result = "deferred"
        asked = changes[connector]
        if not asked:
            continue
        links = store.links_of(connector, (t.key for t in view.tasks))
        wanted = {key for key, rid in links.items() if rid in asked}
        linked = [g for g in view.groups if wanted.intersection(g.keys)]
        # every task these groups' lines link to, so lines of another task are kept apart
        bases = store.bases_of(connector, {links[k] for g in linked for k in g.keys if k in links})
        options = PlanOptions(
            connector=connector,
            vault_name=root.name,
            today=today or dt.datetime.now().astimezone().date(),
            hold_proposed=settings.hold_proposed,
            conflict=settings.conflict,
            recurs=bool(getattr(registry.load(connector), "recurs", False)),
            remove_scheduled=view.dialect.remove_scheduled,
        )
        planned = plan(
            linked,
            links=links,
            bases={**bases, **named[connector]},
            changes=asked,
            options=options,
            note_times={n.path: n.mtime_ns for n in view.notes},
            complete=False,  # only these tasks were looked at: nothing is absent
            around=view.around,
        )
        deferred = [s for s in planned.steps if s.ops]
        # a recurring task's next occurrence is a create on a tracker without recurrence: the
        # closed occurrence's step waits with it, so the two are applied together
        follows = {op.follows for s in deferred for op in s.ops if op.follows}
        deferred += [s for s in planned.steps if not s.ops and s.remote_id in follows]
        waiting = {id(s) for s in deferred}
        planned.steps = [s for s in planned.steps if id(s) not in waiting]
        for step in deferred:
            if (entry := reports.get(step.remote_id or "")) is not None:
                outcomes[entry[1].id].result = "deferred"  # the note changed too: bridge sync sends it
        report = Report(connector)
        apply_plan(
            planned,
            None,
            store,
            root=root,
            dialect=view.dialect,
            notes={n.path: n for n in view.notes},
            cursor=None,
            today=options.today,
            report=report,
            record=False,
            parsed=view.parsed,
        )
        for step in planned.steps:
            if (entry := reports.get(step.remote_id or "")) is None:
                continue  # a group that only settled (its lines moved), not one a delivery named
            outcome = outcomes[entry[1].id]
            outcome.keys = list(step.keys)
            if step.edits:
                outcome.result = "applied"
                outcome.lines += len(step.edits)
        view.parsed.clear()  # written now: a later connector's write-back reads the notes again
    return list(outcomes.values())
