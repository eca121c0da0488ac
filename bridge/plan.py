"""The merge rules, once: notes, the last synced base and the tracker in; steps out. Pure.

`bridge sync` and the webhook receiver both plan through `plan()`, so there is one copy of the
rules of design section 7: content flows note → tracker, status both ways, only the side that
changed wins, and when both changed the configured policy decides.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any, Literal

from bridge.connector import Fields, Op, OpKind, RemoteStatus, RemoteTask
from bridge.copies import maker
from bridge.errors import ConfigError
from bridge.groups import Group, build_groups
from bridge.lines import (
    LINE_FIELDS,
    Lines,
    Neighbours,
    known_values,
    line_values,
    neighbours,
    resolve,
    spot,
    synced_value,
)
from bridge.matching import Candidates, Orphans
from bridge.model import Priority, StatusType, Task
from bridge.occurrences import Recur, next_dates
from bridge.plan_model import Conflict, NoteEdit, Plan, PlanOptions, Step
from bridge.state import Base
from bridge.text import normalise
from bridge.uuids import namer

__all__ = [
    "Conflict",
    "Group",
    "NoteEdit",
    "Plan",
    "PlanOptions",
    "Step",
    "build_groups",
    "plan",
]

_NAMESPACE = uuid.UUID("5d1c6f64-3c1e-4f43-9a57-0d8b7a1f4b52")
_named = namer(_NAMESPACE)
# made through their slots: a first sync makes one of each for every task (`bridge.copies.maker`)
_new_fields, _new_base, _new_op = maker(Fields), maker(Base), maker(Op)
_NO_PAST: frozenset[str] = frozenset()
# what a first sync's creates name for each task, as the module's own: an enum's member read
# through its class goes through the enum's metaclass, about 0.3 µs each time
_DONE, _CANCELLED, _PROPOSED = StatusType.DONE, StatusType.CANCELLED, StatusType.PROPOSED
_CREATE, _REMOTE_OPEN = OpKind.CREATE, RemoteStatus.OPEN
_CONTENT = (
    "title",
    "due",
    "priority",
    "owner",
    "labels",
    "status",
    "note_title",
    "path",
    "recurrence",
    "parent",
)
# Where each task line is, as a parent: (path, line key) -> the ref of the task it is part of.
Parents = Mapping[tuple[str, str], str]


def _state(status: StatusType) -> Literal["open", "done", "cancelled"]:
    if status is StatusType.DONE:
        return "done"
    if status is StatusType.CANCELLED:
        return "cancelled"
    return "open"


def _remote_for(status: StatusType) -> RemoteStatus:
    return RemoteStatus.OPEN if _state(status) == "open" else RemoteStatus.DONE


def _choose(
    group: Group,
    name: str,
    base: Base | None,
    ident: Mapping[Task, str],
    rows: Sequence[tuple[str | None, ...]],
) -> Any:
    """A field of the group: a line whose value changed since it was synced wins; else the base stands.

    Comparing each line with its own last synced value (not with the group's) is what lets lines
    that disagree settle: after a sync every line matches its own base, so none "changed". A line
    whose field could not be read says nothing about it. `rows` are the lines' `line_values`.
    """
    index = LINE_FIELDS.index(name)
    readable = [(t, row[index]) for t, row in zip(group.tasks, rows, strict=True) if name not in t.unknown]
    if base is None:
        return next((v for _, v in readable if v is not None), None)
    synced = synced_value(base, name)
    for task, value in readable:
        old = base.lines.get(ident.get(task, task.line_key))
        if value != (old[index] if old is not None else synced):
            return value
    return synced


@lru_cache(maxsize=4096)
def _note_title(path: str) -> str:
    """A note's title, its file name without the extension; the lines of a note ask for it in turn."""
    return PurePosixPath(path).stem


def note_fields(
    group: Group,
    base: Base | None,
    vault_name: str,
    ident: Mapping[Task, str] | None = None,
    parents: Parents | None = None,
    top: Collection[str] = (),
) -> Fields:
    """The group's fields as the notes say now; `ident` names each line as the base remembers it.
    Title and link come from the group's first line in vault order, whatever order it came in,
    and so does the parent (`parents`: see `_parent_refs`; none for a ref in `top`: see `_loops`)."""
    if base is None and len(group.tasks) == 1:
        return _one_line_fields(group.tasks[0], group, vault_name, parents or {}, top)
    else:
        first = min(group.tasks, key=lambda t: (t.source.path, t.source.line))
        ident = ident or {}
        rows = [line_values(t) for t in group.tasks]
        status, due, priority, owner = (_choose(group, name, base, ident, rows) for name in LINE_FIELDS)
    rule = next((t.recurrence for t in group.tasks if t.recurrence), None)
    return Fields(
        title=first.description,
        status=StatusType(status or first.status_type),
        due=due,
        priority=Priority(priority) if priority else None,
        owner=owner,
        labels=tuple(dict.fromkeys(tag for t in group.tasks for tag in t.tags)),
        note_title=_note_title(first.source.path),
        path=first.source.path,
        vault=vault_name,
        recurrence=rule,
        parent=_parent(first, group, base, parents or {}, top),
    )


def _one_line_fields(
    task: Task, group: Group, vault_name: str, parents: Parents, top: Collection[str]
) -> Fields:
    """`note_fields` of a new task of one line (most of a first sync), read from the line as the
    general case reads it: its readable values (`line_values` then back to the enums, which gives
    the line's own), its status whether readable or not, its tags once each, its rule if any."""
    unknown = task.unknown
    return _new_fields(
        title=task.description,
        status=task.status_type,
        due=None if "due" in unknown else task.due,
        priority=None if "priority" in unknown else task.priority,
        owner=None if "owner" in unknown else task.owner,
        labels=tuple(dict.fromkeys(task.tags)) if len(task.tags) > 1 else task.tags,
        note_title=_note_title(task.source.path),
        path=task.source.path,
        vault=vault_name,
        recurrence=task.recurrence or None,
        parent=_parent(task, group, None, parents, top),
    )


def _parent(
    first: Task, group: Group, base: Base | None, parents: Parents, top: Collection[str] = ()
) -> str | None:
    """The ref of the task the line is nested under. A line at the top has none; a parent line
    that is no task of this plan's (a webhook plans a few groups; a parent held back, routed to
    another tracker, or history) says nothing, so the task stays where it was synced."""
    if first.parent is None or (base.ref if base is not None else group.ref) in top:
        return None
    ref = parents.get((first.source.path, first.parent))
    if ref is None:
        return base.fields.parent if base is not None else None
    return None if ref == group.ref or (base is not None and ref == base.ref) else ref


class _Fresh:
    """Each unlinked group's lines resolved once a plan (`resolve` against no base), however many
    of the plan's parts ask: finding parents, leading by members and creating each ask in turn.

    Keyed by the tasks tuple itself (its id, the tuple kept alive with the answer), since hashing
    a tuple of tasks hashes every field of every task. `resolve` is pure, so an answer is the same
    whichever part asks first.
    """

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[int, tuple[Sequence[Task], Lines]] = {}

    def __call__(self, tasks: Sequence[Task]) -> Lines:
        found = self._seen.get(id(tasks))
        if found is not None and found[0] is tasks:
            return found[1]
        # one line against no base: its own member, under its own line key (what `resolve` gives)
        lines = Lines(tuple(tasks), (), _Alone(tasks[0])) if len(tasks) == 1 else resolve(tasks, None)
        self._seen[id(tasks)] = (tasks, lines)
        return lines


class _Alone(Mapping[Task, str]):
    """The `Lines.ident` of a line alone against no base: its line key, as `identify` names it,
    looked up without hashing the task (a Task's hash hashes all its fields, at each lookup)."""

    __slots__ = ("task",)

    def __init__(self, task: Task) -> None:
        self.task = task

    def __getitem__(self, task: Task) -> str:
        if task is self.task or task == self.task:
            return task.line_key
        raise KeyError(task)

    def __iter__(self) -> Iterator[Task]:
        return iter((self.task,))

    def __len__(self) -> int:
        return 1


def _parent_refs(
    groups: Sequence[Group],
    links: Mapping[str, str],
    bases: Mapping[str, Base],
    options: PlanOptions,
    fresh: _Fresh | None = None,
) -> dict[tuple[str, str], str]:
    """Each task line of a task a sub-task can be put under: a linked one (by its base's ref, which
    never changes) or one this plan creates (by the ref it is created under). Only lines some
    line is nested under are asked for (`_parent`), so only their groups are looked at."""
    nested = {(t.source.path, t.parent) for group in groups for t in group.tasks if t.parent is not None}
    if not nested:
        return {}
    fresh = fresh or _Fresh()
    found: dict[tuple[str, str], str] = {}
    for group in groups:
        if not any((t.source.path, t.line_key) in nested for t in group.tasks):
            continue
        rid = next((links[k] for k in group.keys if k in links and links[k] in bases), None)
        if rid is not None:
            if bases[rid].remote_status is RemoteStatus.DELETED:
                continue
            ref = bases[rid].ref
        else:
            members = fresh(group.tasks).members
            proposed = all(t.status_type is StatusType.PROPOSED for t in members)
            if not members[0].status_type.is_open or (options.hold_proposed and proposed):
                continue
            ref = _led_by_members(group, fresh).ref
        found.update({(t.source.path, t.line_key): ref for t in group.tasks})
    return found


def _parent_ids(result: Plan, bases: Mapping[str, Base]) -> None:
    """Each op's `parent_id` where its parent has a tracker id already; a parent created in this
    run gets its id when apply has sent its create (`bridge.apply`)."""
    wanted = {op.fields.parent for op in result.ops if op.fields.parent is not None}
    if not wanted:
        return
    ids = {b.ref: rid for rid, b in bases.items() if b.ref in wanted}
    ids.update({s.ref: s.remote_id for s in result.steps if s.remote_id and s.ref in wanted})
    for step in result.steps:
        step.ops = [
            replace(op, parent_id=ids[op.fields.parent])
            if op.fields.parent in ids and op.kind in (OpKind.CREATE, OpKind.UPDATE)
            else op
            for op in step.ops
        ]


def _changed(fields: Fields, before: Fields) -> tuple[str, ...]:
    """The content fields that differ; labels as a set, since the lines of a group may come in
    another order on another run (a ticked copy leaves and rejoins through its link)."""
    return tuple(
        name
        for name in _CONTENT
        if (
            set(fields.labels) != set(before.labels)
            if name == "labels"
            else getattr(fields, name) != getattr(before, name)
        )
    )


def _token(options: PlanOptions, *parts: object) -> str:
    return _named(":".join([options.connector, *map(str, parts)]))


def _digest(fields: Fields, changed: tuple[str, ...]) -> str:
    """What an update sends, so that an edit made after a crashed run gets a token of its own."""
    values = json.dumps({name: fields.to_json()[name] for name in changed}, sort_keys=True)
    return hashlib.sha256(values.encode()).hexdigest()[:16]


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _led_by_members(group: Group, fresh: _Fresh | None = None) -> Group:
    """A new group with its would-be members first: its ref (the marker a created task carries)
    and its wording then come from a line that is part of the task, never from a history line,
    which may later become an action item of its own under that very key."""
    if len(group.tasks) == 1:
        return group  # a line alone is its own member against no base (`_Fresh`)
    lines = (fresh or _Fresh())(group.tasks)
    if not lines.history:
        return group
    return Group(lines.members[0].key, (*lines.members, *lines.history))


def _by_task(groups: Sequence[Group], links: Mapping[str, str], bases: Mapping[str, Base]) -> list[Group]:
    """The groups as the tracker has them: lines that link to one task are planned as one (a
    carried line was ticked, so it no longer groups with the open copies), and lines that link to
    different tasks stay apart (two tasks' lines came to read alike), since merging tracker tasks
    would mean closing one the user may still use. A new line goes with its group's first task."""
    if not links:  # no line is linked (a first sync): each group as it is
        return list({g.ref: g for g in groups}.values())
    merged: dict[str, Group] = {}
    for group in groups:
        parts: dict[str, list[Task]] = {}
        for task in group.tasks:
            rid = links.get(task.key)
            parts.setdefault(rid if rid is not None and rid in bases else "", []).append(task)
        loose = parts.pop("", [])
        if not parts:
            merged[f"ref:{group.ref}"] = group
            continue
        first = next(iter(parts))
        parts[first] = [t for t in group.tasks if t in set(parts[first]) or t in set(loose)]
        for rid, tasks in parts.items():
            slot = f"remote:{rid}"
            if slot in merged:
                both = sorted((*merged[slot].tasks, *tasks), key=lambda t: (t.source.path, t.source.line))
                merged[slot] = Group(merged[slot].ref, tuple(both))  # in vault order, whatever came first
            else:
                merged[slot] = Group(group.ref if rid == first else bases[rid].ref, tuple(tasks))
    return list(merged.values())


def plan(
    groups: Sequence[Group],
    *,
    links: Mapping[str, str],
    bases: Mapping[str, Base],
    changes: Mapping[str, RemoteTask],
    options: PlanOptions,
    note_times: Mapping[str, int] | None = None,
    complete: bool = True,
    unread: Collection[str] = (),
    around: Neighbours | None = None,
    pending: Collection[str] = (),
    top: Collection[str] = (),
) -> Plan:
    """Steps that bring notes and tracker together.

    `complete` is False when only some tasks were looked at (a webhook's), so nothing is absent;
    `unread` names the notes ("a.md") and folders ("a/") whose tasks are not all known: a linked
    task of theirs that no line claims is unseen, not gone.

    `around` gives each task line's neighbours in its note (`neighbours()` of every task read);
    without it they are taken from `groups`. `pending` are the refs of creates sent by a run
    that never committed (`Store.pending`). `top` are the refs of tasks kept at the top whatever
    their lines are nested under: when nesting loops, the plan is made again with them (`_loops`).
    """
    result = Plan()
    times = note_times or {}
    around = around if around is not None else neighbours([t for g in groups for t in g.tasks])
    claimed: set[str] = set()
    unlinked: list[Group] = []
    by_task = _by_task(groups, links, bases)
    fresh = _Fresh()
    parents = _parent_refs(by_task, links, bases, options, fresh)
    merge = _Merger(options, result, times, around, parents, top)
    historic: set[str] = set()
    for group in by_task:
        rid = (
            next((links[k] for k in group.keys if k in links and links[k] in bases), None) if links else None
        )
        if rid is None:
            unlinked.append(_led_by_members(group, fresh))
            continue
        lines = resolve(group.tasks, bases[rid])
        if not lines.members and not bases[rid].owed:
            historic.add(rid)  # only lines remembered as history are left: the task is not in the notes
            continue
        claimed.add(rid)
        _add(result, merge(group, bases[rid], changes.get(rid), lines))
    seen_keys = {key for group in groups for key in group.keys} if bases else set()
    vanished = [  # linked lines that were in the notes last time and are gone now (history aside)
        b
        for b in bases.values()
        if b.present
        and b.remote_id not in claimed
        and (b.remote_id in historic or not seen_keys.intersection(b.keys))
    ]
    orphans = Orphans.find(groups, bases, changes, pending)
    candidates = Candidates(vanished, orphans, claimed, around, options.vault_name)
    matchless = _matchless(vanished, orphans)
    for group in unlinked:
        for base, remote, why in () if matchless else candidates(group, changes):
            lines = resolve(group.tasks, base)
            if lines.members:
                claimed.add(base.remote_id)
                first = group.tasks[0]
                result.notices.extend([f"{first.source.path}:{first.source.line}: {why}"] if why else [])
                if not why and remote is not None and remote.ref:
                    result.settle += [remote.ref, group.ref]  # a dead run's create, found: not pending now
                    if remote.ref != group.ref:
                        result.adopting.append(group.ref)
                _add(result, merge(group, base, remote, lines))
                break
        else:
            _add(result, _create(group, options, result, around, parents, fresh, top))
    for remote in list(candidates.leftovers()):
        _keep(result, remote, options)
        claimed.add(remote.remote_id)
    _absent(result, bases, claimed, changes, options, complete, unread)
    loops = _loops(result, bases, top)
    if loops:  # planned again only when nesting loops, at most once a loop
        return plan(
            groups,
            links=links,
            bases=bases,
            changes=changes,
            options=options,
            note_times=note_times,
            complete=complete,
            unread=unread,
            around=around,
            pending=pending,
            top=loops.union(top),
        )
    _parent_ids(result, bases)
    return result


def _matchless(vanished: Sequence[Base], orphans: Orphans) -> bool:
    """Whether no tracker task is there for an unlinked group to be (a first sync): no vanished
    base and no dead run's task, so `Candidates` would offer none and each group is created."""
    return not vanished and not orphans.by_ref and not orphans.by_norm


def _loops(result: Plan, bases: Mapping[str, Base], kept: Collection[str]) -> frozenset[str]:
    """More tasks to keep at the top (besides `kept`) so that no task is nested under itself.

    Lines of one task nested under another's and the other way round (a sentence and its copy
    under each other) would make each the other's parent: no tracker holds that, and both creates
    would wait for each other on every run. In each such loop one task this plan has a step for
    stays at the top: one at the top in the tracker already if there is one (so the same task
    stays there run after run), else the one with the smallest ref. A task whose step does not
    take its parent from its lines (gone from the notes, deleted) cannot be moved, so when the
    loop is still there planned again, the next one is taken.
    """
    parent = {b.ref: b.fields.parent for b in bases.values()}
    at_top = {ref for ref, above in parent.items() if above is None}
    parent.update({step.after.ref: step.after.fields.parent for step in result.steps})
    if all(above is None for above in parent.values()):
        return frozenset()  # no task is under another (most vaults): nothing can loop
    planned = {step.after.ref for step in result.steps}.difference(kept)
    top: set[str] = set()
    seen: set[str] = set()
    for start in sorted(planned):
        walked: dict[str, None] = {}  # the refs walked from `start`, in order
        at: str | None = start
        while at is not None and at not in seen and at not in walked:
            walked[at] = None
            at = parent.get(at)
        if at is not None and at in walked:  # back to a ref of this walk: a loop
            order = list(walked)
            loop = order[order.index(at) :]
            ours = [ref for ref in loop if ref in planned]
            if ours:
                top.add(min(ours, key=lambda ref: (ref not in at_top, ref)))
        seen.update(walked)
    return frozenset(top)


def _keep(result: Plan, remote: RemoteTask, options: PlanOptions) -> None:
    """A dead run's task whose lines are gone now (deleted or reworded before the rerun): linked
    as no longer in the notes, so it is reported (and acted on as BRIDGE_ABSENT says), never lost."""
    ref = remote.ref or ""
    fields = Fields(remote.title, StatusType.TODO, vault=options.vault_name)
    norm = normalise(remote.title)
    after = Base(
        remote.remote_id, ref, fields, remote.status, remote.updated, norm=norm, version=1, present=False
    )
    result.steps.append(Step(ref, remote.remote_id, (), after, None))
    result.settle.append(ref)


def _add(result: Plan, step: list[Step] | Step | None) -> None:
    if isinstance(step, list):
        result.steps.extend(step)
    elif step is not None:
        result.steps.append(step)


def _remembered(lines: Lines, around: Neighbours, names: Sequence[str] | None = None) -> dict[str, Any]:
    """What the base keeps of a group's lines besides the members' values: the history lines'
    values (so they stay history), where every line stood, and which lines are history.
    `names`: each line's `lines.ident`, members then history, when the caller has them."""
    every = (*lines.members, *lines.history)
    if names is None:
        names = [lines.ident[t] for t in every]
    return {
        "spots": {name: spot(t, around) for name, t in zip(names, every, strict=True)},
        "past": frozenset(names[len(lines.members) :]),
    }


def _create(
    group: Group,
    options: PlanOptions,
    result: Plan,
    around: Neighbours,
    parents: Parents | None = None,
    fresh: _Fresh | None = None,
    top: Collection[str] = (),
) -> Step | None:
    if len(group.tasks) == 1:
        return _create_one(group, options, result, around, parents or {}, top)
    lines = (fresh or _Fresh())(group.tasks)
    group = Group(group.ref, lines.members)
    fields = note_fields(group, None, options.vault_name, parents=parents, top=top)
    if _state(fields.status) != "open":
        return None  # a task already done when first seen is history, not work
    if options.hold_proposed and all(t.status_type is StatusType.PROPOSED for t in group.tasks):
        result.held += 1
        return None
    every = (*lines.members, *lines.history)
    names = [lines.ident[t] for t in every]  # each line's identity, looked up once
    values = {name: line_values(t) for name, t in zip(names, every, strict=True)}
    remembered = _remembered(lines, around, names)
    return _new_task(group.ref, fields, group.keys, group.norm, values, remembered, options)


def _create_one(
    group: Group,
    options: PlanOptions,
    result: Plan,
    around: Neighbours,
    parents: Parents,
    top: Collection[str],
) -> Step | None:
    """`_create` of a group of one line (most of a first sync), as the general case makes it: the
    line is its only member, under its line key, with no history."""
    task = group.tasks[0]
    fields = _one_line_fields(task, group, options.vault_name, parents, top)
    if fields.status is _DONE or fields.status is _CANCELLED:
        return None  # a task already done when first seen is history, not work
    if options.hold_proposed and task.status_type is _PROPOSED:
        result.held += 1
        return None
    name = task.line_key
    values, remembered = {name: line_values(task)}, {"spots": {name: spot(task, around)}, "past": _NO_PAST}
    return _new_task(group.ref, fields, (task.key,), task.norm, values, remembered, options)


def _new_task(
    ref: str,
    fields: Fields,
    keys: tuple[str, ...],
    norm: str,
    values: dict[str, Any],
    remembered: dict[str, Any],
    options: PlanOptions,
) -> Step:
    """The step that creates a group's task: its base as the tracker will hold it, and the op."""
    after = _new_base(
        "",
        ref,
        fields,
        _REMOTE_OPEN,
        None,
        keys,
        norm,
        1,
        values,
        **remembered,
        completions=0 if options.recurs else None,  # a new task has no completed occurrence
    )
    op = _new_op(_CREATE, ref, _token(options, ref, "create"), fields)
    return Step(ref, None, keys, after, None, ops=[op])


@dataclass(slots=True)
class _Merger:
    """Plans one linked group against its base and the tracker (the three-way merge)."""

    options: PlanOptions
    result: Plan
    note_times: Mapping[str, int]
    around: Neighbours
    parents: Parents = field(default_factory=dict)
    top: Collection[str] = ()  # refs kept at the top (`_loops`)

    def __call__(
        self, whole: Group, base: Base, remote: RemoteTask | None, lines: Lines | None = None
    ) -> list[Step] | Step | None:
        options, result = self.options, self.result
        lines = lines or resolve(whole.tasks, base)
        if base.owed:
            return self._owed(whole, base, lines)
        ident = lines.ident
        group = Group(whole.ref, lines.members)
        fields = note_fields(group, base, options.vault_name, ident, self.parents, self.top)
        remote_status = remote.status if remote else (base.remote_now or base.remote_status)
        remote_updated = remote.updated if remote and remote.updated else base.remote_updated
        rid = base.remote_id
        step = Step(group.ref, rid, group.keys, base, base)
        values = {ident[t]: known_values(t, ident[t], base) for t in (*lines.members, *lines.history)}
        if remote_status is RemoteStatus.DELETED:
            if base.remote_status is not RemoteStatus.DELETED:
                where = f"{group.tasks[0].source.path}:{group.tasks[0].source.line}"
                result.notices.append(f"{where}: deleted in the tracker; the note line is left alone")
            step.after = replace(
                base,
                remote_status=RemoteStatus.DELETED,
                remote_now=None,
                keys=group.keys,
                lines=values,
                present=True,
                **_remembered(lines, self.around),
            )
            return step if step.after != base else None

        occurrence = self._occurrence(group, base, remote, lines, fields)
        if occurrence is not None:
            return occurrence
        note_changed = _state(fields.status) != _state(base.fields.status)
        remote_changed = remote_status is not base.remote_status
        final_remote: RemoteStatus = remote_status
        if note_changed and remote_changed and _remote_for(fields.status) is not remote_status:
            winner = _winner(group, remote_updated, options, self.note_times)
            conflict = Conflict(group.ref, rid, _state(fields.status), remote_status.value, winner)
            result.conflicts.append(conflict)
            note_changed, remote_changed = winner == "note", winner == "tracker"
        # the state every line of the group ends in: lines and tracker always agree after a sync
        target = base.fields.status
        if note_changed:
            target = fields.status
            if _remote_for(fields.status) is not remote_status:
                kind = OpKind.REOPEN if _state(fields.status) == "open" else OpKind.CLOSE
                # a run that died after sending this, and a change made in the tracker since,
                # must not make the tracker take the resend for the old command (`uuid` dedup)
                seen = remote.updated if remote is not None and remote.updated else ""
                token = _token(options, rid, kind, base.version, *([seen] if seen else []))
                step.ops.append(Op(kind, group.ref, token, fields, rid, (), base.fields))
                final_remote = _remote_for(fields.status)
        elif remote_changed:
            target = StatusType.DONE if remote_status is RemoteStatus.DONE else StatusType.TODO
        is_open = target.is_open
        wanted = StatusType.TODO if is_open else target
        for task in group.tasks:
            if task.status_type.is_open != is_open:
                step.edits.append(
                    NoteEdit(task.source.path, task.line_key, wanted, task.status_type, task.source.line)
                )
                values[ident[task]] = known_values(task, ident[task], base, wanted)
        # an update carries the status the task ends in, never one the tracker's change overrode
        fields = replace(fields, status=fields.status if fields.status.is_open == is_open else wanted)
        changed = _changed(fields, base.fields)
        if changed and (changed != ("status",) or _state(fields.status) == _state(base.fields.status)):
            token = _token(options, rid, "update", base.version, _digest(fields, changed))
            step.ops.insert(0, Op(OpKind.UPDATE, group.ref, token, fields, rid, changed, base.fields))
        step.after = replace(
            base,
            fields=fields,
            remote_status=final_remote,
            remote_updated=remote_updated,
            completions=remote.completions
            if remote is not None and remote.completions is not None
            else base.completions,
            keys=group.keys,
            norm=group.norm,
            lines=values,
            remote_now=None,
            present=True,
            **_remembered(lines, self.around),
        )
        if step.ops or step.edits or step.after != base:
            step.after = replace(step.after, version=base.version + 1)
            return step
        return None

    def _owed(self, group: Group, base: Base, lines: Lines) -> Step | None:
        """Occurrences the last sync planned but could not write into the note: written now,
        from the line they were to be written next to (the latest before the synced date), with
        nothing sent to the tracker, which has them already."""
        before = [t for t in (*lines.members, *lines.history) if t.due is None or t.due != base.fields.due]
        if not before:
            return None  # the user has removed the lines meanwhile: nothing to write next to
        anchor = max(before, key=lambda t: (t.due or "", t.status_type.is_open, -t.source.line))
        rule = base.fields.recurrence
        recur = Recur(base.owed, None if rule else base.fields.due)
        edit = NoteEdit(
            anchor.source.path,
            anchor.line_key,
            StatusType.DONE,
            anchor.status_type,
            anchor.source.line,
            recur,
        )
        after = replace(base, owed=0, version=base.version + 1)
        return Step(group.ref, base.remote_id, group.keys, after, base, edits=[edit])

    def _occurrence(
        self, group: Group, base: Base, remote: RemoteTask | None, lines: Lines, fields: Fields
    ) -> list[Step] | Step | None:
        """Occurrences of a recurring task completed on either side since the last sync, or None.

        In the note an occurrence is completed when its line was ticked, with the next line added
        by Obsidian Tasks (a new done line with the synced due date next to an open one) or
        without it (the bridge adds it, as Tasks would). In the tracker, when its completion count
        went up (a tracker with recurring tasks) or its task was closed (one without: each
        occurrence is a task of its own). Either way the task stays open, on its next occurrence.
        """
        options, ident = self.options, lines.ident
        open_lines = [t for t in lines.members if t.status_type.is_open]
        # lines done on the occurrence last synced, now and then: counted, not paired, since the
        # lines of one sentence pair with the remembered ones by state and place, which a line
        # Obsidian Tasks inserted above them shifts
        synced_due = base.fields.due
        done_now = [
            t
            for t in (*lines.members, *lines.history)
            if t.status_type is StatusType.DONE and t.due == synced_due
        ]
        done_then = sum(
            1 for v in base.lines.values() if v[0] == StatusType.DONE.value and v[1] == synced_due
        )
        ticked = [t for t in done_now if t in lines.members] or done_now
        rule = fields.recurrence
        was_open = _state(base.fields.status) == "open"
        by_note = bool(rule) and was_open and len(done_now) > done_then
        in_tracker = 0
        if remote is not None and options.recurs and remote.status is RemoteStatus.OPEN:
            if remote.completions is not None and base.completions is not None:
                in_tracker = max(remote.completions - base.completions, 0)
        elif remote is not None and rule and not options.recurs and remote.status is RemoteStatus.DONE:
            in_tracker = int(base.remote_status is RemoteStatus.OPEN and (was_open or by_note))
        if not by_note and not in_tracker:
            return None
        if not rule and (remote is None or not remote.due or remote.due == base.fields.due):
            return None  # not moved on to a next date: closed and reopened, not recurring there
        # the open line of the occurrence last synced is the one the tracker completed; a copy of it
        # left open (a near-duplicate, a carried line) when the note moved on is ticked with it
        current = [t for t in open_lines if t.due == synced_due]
        moved_on = [t for t in open_lines if t.due != synced_due]
        anchor: Task | None
        others: list[Task] = []
        if open_lines and not by_note:
            anchor, count = (current or open_lines)[0], in_tracker
            others = [t for t in open_lines if t is not anchor]
        elif open_lines:
            anchor, count = ((moved_on or open_lines)[0], in_tracker - 1) if in_tracker > 1 else (None, 0)
            others = current if moved_on and synced_due is not None else []
        else:
            anchor = ticked[0] if ticked else None
            count = max(in_tracker, 1)
        if anchor is None and not open_lines:
            return None
        edits: list[NoteEdit] = []
        due = fields.due
        if anchor is not None and count:
            if rule:
                dates = next_dates(anchor, count, options.today, remove_scheduled=options.remove_scheduled)
                if len(dates) < count:
                    return None  # the rule has ended: the task is done for good
                due = dates[-1].due.isoformat() if dates[-1].due else None
            else:
                due = remote.due if remote is not None else None
            recur = Recur(count, None if rule else due)
            place = (
                anchor.source.path,
                anchor.line_key,
                StatusType.DONE,
                anchor.status_type,
                anchor.source.line,
            )
            edits.append(NoteEdit(*place, recur))
        elif moved_on:
            due = moved_on[0].due
        for other in others:
            edits.append(
                NoteEdit(
                    other.source.path, other.line_key, StatusType.DONE, other.status_type, other.source.line
                )
            )
        fields = replace(fields, status=StatusType.TODO, due=due)
        # what the base remembers: lines ticked now are history; a written next line is new
        values = {ident[t]: known_values(t, ident[t], base) for t in (*lines.members, *lines.history)}
        past = set(base.past) | {ident[t] for t in lines.history}
        for edit in edits:
            task = next(t for t in group.tasks if t.line_key == edit.key)
            values[ident[task]] = known_values(task, ident[task], base, StatusType.DONE)
            past.add(ident[task])
        spots = {ident[t]: spot(t, self.around) for t in (*lines.members, *lines.history)}
        if anchor is not None and count:
            name, n = anchor.key, 0
            while name in values or name in base.lines:
                n += 1
                name = f"{anchor.key}~{n}"
            values[name] = (StatusType.TODO.value, due, *line_values(anchor)[2:])
            spots[name] = (anchor.source.path, anchor.source.line, None, None)
        completions = (
            remote.completions if remote is not None and remote.completions is not None else base.completions
        )
        after = replace(
            base,
            fields=fields,
            remote_status=RemoteStatus.OPEN,
            remote_updated=remote.updated if remote is not None and remote.updated else base.remote_updated,
            keys=group.keys,
            norm=group.norm,
            lines=values,
            remote_now=None,
            present=True,
            spots=spots,
            past=frozenset(past),
            version=base.version + 1,
        )
        rid = base.remote_id
        unsent = by_note and not in_tracker  # the note completed one the tracker has not counted
        if options.recurs:
            step = Step(group.ref, rid, group.keys, after, base, edits=edits)
            if unsent:
                token = _token(options, rid, OpKind.ADVANCE, base.version)
                step.ops.append(Op(OpKind.ADVANCE, group.ref, token, fields, rid, (), base.fields))
                completions = (completions or 0) + 1
            # the date is the ADVANCE's to send; after a completion in the tracker it is sent only
            # when the tracker's rule landed elsewhere (a first date the rule does not fit)
            agreed = unsent or due is None or (remote is not None and remote.due in (None, due))
            changed = tuple(
                n for n in _changed(fields, base.fields) if n != "status" and (n != "due" or not agreed)
            )
            if not agreed and "due" not in changed:
                changed += ("due",)
            if changed:
                token = _token(options, rid, "update", base.version, _digest(fields, changed))
                step.ops.append(Op(OpKind.UPDATE, group.ref, token, fields, rid, changed, base.fields))
            step.after = replace(after, completions=completions)
            return step
        # a tracker without recurrence: the occurrence's task is closed, the next one is a new task
        closed = replace(
            base,
            fields=replace(base.fields, status=StatusType.DONE),
            remote_status=RemoteStatus.DONE,
            keys=(),
            present=False,
            remote_now=None,
            version=base.version + 1,
        )
        close = Step(base.ref, rid, (), closed, base)
        if unsent and base.remote_status is RemoteStatus.OPEN:
            token = _token(options, rid, OpKind.CLOSE, base.version)
            close.ops.append(
                Op(
                    OpKind.CLOSE,
                    base.ref,
                    token,
                    replace(fields, status=StatusType.DONE),
                    rid,
                    (),
                    base.fields,
                )
            )
        ref = f"{base.ref.partition('-')[0]}-{base.version + 1}"
        create = Op(OpKind.CREATE, ref, _token(options, ref, "create"), fields, follows=rid)
        new = replace(
            after, remote_id="", ref=ref, remote_status=RemoteStatus.OPEN, remote_updated=None, version=1
        )
        return [close, Step(ref, None, group.keys, new, None, ops=[create], edits=edits)]


def _winner(
    group: Group, remote_updated: str | None, options: PlanOptions, note_times: Mapping[str, int]
) -> Literal["note", "tracker"]:
    if options.conflict != "latest":
        return options.conflict
    remote_time = _parse_time(remote_updated)
    stamps = [note_times[t.source.path] for t in group.tasks if t.source.path in note_times]
    if remote_time is None or not stamps:
        return "note"
    note_time = dt.datetime.fromtimestamp(max(stamps) / 1e9, dt.UTC)
    return "note" if note_time >= remote_time else "tracker"


def _paths(base: Base) -> set[str]:
    return {base.fields.path, *(spot[0] for spot in base.spots.values())}


def _region(base: Base, unread: Collection[str]) -> str:
    """The unread note or folder a task was last seen in."""
    paths = _paths(base)
    for region in sorted(unread):
        folder = region.endswith("/")
        if region == "./" or any(p == region or (folder and p.startswith(region)) for p in paths):
            return region
    return ""


def _in_unread(base: Base, unread: Collection[str]) -> bool:
    return bool(unread) and _region(base, unread) != ""


def _absent(
    result: Plan,
    bases: Mapping[str, Base],
    claimed: set[str],
    changes: Mapping[str, RemoteTask],
    options: PlanOptions,
    complete: bool,
    unread: Collection[str],
) -> None:
    """Linked tasks no line claimed: remember what the tracker said, act only as the settings say.

    A tracker change pulled now is kept in the base (`remote_now`), since the cursor moves on: when
    the line is readable again, or pasted back, the change still reaches it.
    """
    unclaimed = [b for rid, b in bases.items() if rid not in claimed]
    gone: list[Base] = []
    for base in unclaimed:
        change = changes.get(base.remote_id)
        now = change.status if change else (base.remote_now or base.remote_status)
        after = replace(base, present=False)
        if change is not None:
            pending = change.status if change.status is not base.remote_status else None
            after = replace(after, remote_now=pending, remote_updated=change.updated or base.remote_updated)
        if now is RemoteStatus.OPEN and base.remote_status is RemoteStatus.OPEN:
            gone.append(base)
        if after != base:
            result.steps.append(Step(base.ref, base.remote_id, base.keys, after, base))
    unseen = [b for b in gone if _in_unread(b, unread)]
    if unseen:
        where = ", ".join(sorted({_region(b, unread) for b in unseen}))
        result.notices.append(
            f"{len(unseen)} linked task{'s' if len(unseen) > 1 else ''} not seen in notes that could"
            f" not be read in full ({where}); left as they are"
        )
        gone = [b for b in gone if b not in unseen]
    result.absent = len(gone)
    if not gone:
        return
    some = f"{len(gone)} linked task{'s' if len(gone) > 1 else ''} no longer in the notes"
    if not complete:
        result.notices.append(f"{some}; left open, since some notes could not be read")
        return
    if options.absent == "leave":
        result.notices.append(f"{some}; left open (BRIDGE_ABSENT=leave)")
        return
    result.notices.append(f"{some}; {'closed' if options.absent == 'close' else 'deleted'} (BRIDGE_ABSENT)")
    open_links = sum(1 for b in bases.values() if b.remote_status is RemoteStatus.OPEN)
    if not options.force and len(gone) > 1 and len(gone) > options.max_absent_share * open_links:
        raise ConfigError(
            f"{len(gone)} of {open_links} linked open tasks are gone from the notes; closing them all"
            " looks like a mistake (a moved vault?). Check BRIDGE_VAULT, or run again with --force"
        )
    kind = OpKind.CLOSE if options.absent == "close" else OpKind.DELETE
    status = RemoteStatus.DONE if kind is OpKind.CLOSE else RemoteStatus.DELETED
    steps = {s.remote_id: s for s in result.steps}
    for base in gone:
        token = _token(options, base.remote_id, kind, base.version)
        op = Op(kind, base.ref, token, base.fields, base.remote_id, (), base.fields)
        after = replace(base, remote_status=status, present=False, remote_now=None, version=base.version + 1)
        step = Step(base.ref, base.remote_id, base.keys, after, base, ops=[op])
        if base.remote_id in steps:
            result.steps.remove(steps[base.remote_id])
        result.steps.append(step)
