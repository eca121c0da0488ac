"""The merge rules, once: notes, the last synced base and the tracker in; steps out. Pure.

`bridge sync` and the webhook receiver both plan through `plan()`, so there is one copy of the
rules of design section 7: content flows note → tracker, status both ways, only the side that
changed wins, and when both changed the configured policy decides.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Literal, TypeVar

from bridge.connector import Fields, Op, OpKind, RemoteStatus, RemoteTask
from bridge.errors import ConfigError
from bridge.model import StatusType, Task
from bridge.state import Base

__all__ = ["Conflict", "Group", "NoteEdit", "Plan", "PlanOptions", "Step", "build_groups", "plan"]

T = TypeVar("T")
_NAMESPACE = uuid.UUID("5d1c6f64-3c1e-4f43-9a57-0d8b7a1f4b52")
_CONTENT = ("title", "due", "priority", "owner", "labels", "status", "note_title", "path")


@dataclass(frozen=True, slots=True)
class Group:
    """The lines that are one action item (near-duplicates, carried-forward copies): one tracker task."""

    ref: str
    tasks: tuple[Task, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.key for t in self.tasks))

    @property
    def norm(self) -> str:
        return self.tasks[0].norm


def build_groups(tasks: Sequence[Task], group_keys: Sequence[str | None]) -> list[Group]:
    members: dict[str, list[Task]] = {}
    for task, key in zip(tasks, group_keys, strict=True):
        members.setdefault(key or task.key, []).append(task)
    return [Group(ref, tuple(found)) for ref, found in members.items()]


@dataclass(frozen=True, slots=True)
class PlanOptions:
    connector: str
    vault_name: str = ""
    today: dt.date = field(default_factory=lambda: dt.datetime.now().astimezone().date())
    hold_proposed: bool = False
    absent: Literal["leave", "close", "delete"] = "leave"
    max_absent_share: float = 0.5
    force: bool = False
    conflict: Literal["latest", "note", "tracker"] = "latest"


@dataclass(frozen=True, slots=True)
class NoteEdit:
    path: str
    key: str
    target: StatusType


@dataclass(frozen=True, slots=True)
class Conflict:
    ref: str
    remote_id: str
    note: str
    tracker: str
    winner: Literal["note", "tracker"]


@dataclass(slots=True)
class Step:
    """What one group needs; `after` is its base once every op succeeded (for a create, minus its id)."""

    ref: str
    remote_id: str | None
    keys: tuple[str, ...]
    after: Base
    ops: list[Op] = field(default_factory=list)
    edits: list[NoteEdit] = field(default_factory=list)


@dataclass(slots=True)
class Plan:
    steps: list[Step] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    held: int = 0
    absent: int = 0

    @property
    def ops(self) -> list[Op]:
        return [op for step in self.steps for op in step.ops]

    @property
    def edits(self) -> list[NoteEdit]:
        return [edit for step in self.steps for edit in step.edits]


def _state(status: StatusType) -> Literal["open", "done", "cancelled"]:
    if status is StatusType.DONE:
        return "done"
    if status is StatusType.CANCELLED:
        return "cancelled"
    return "open"


def _remote_for(status: StatusType) -> RemoteStatus:
    return RemoteStatus.OPEN if _state(status) == "open" else RemoteStatus.DONE


def note_fields(group: Group, base: Base | None, vault_name: str) -> Fields:
    """The group's fields as the notes say now; where its lines disagree, the line that changed wins."""
    old = base.fields if base else None
    tasks = group.tasks
    first = tasks[0]
    labels = tuple(dict.fromkeys(tag for t in tasks for tag in t.tags))
    return Fields(
        title=first.description,
        status=_choose([t.status_type for t in tasks], old.status if old else None, old is not None),
        due=_choose([t.due for t in tasks], old.due if old else None, old is not None),
        priority=_choose([t.priority for t in tasks], old.priority if old else None, old is not None),
        owner=_choose([t.owner for t in tasks], old.owner if old else None, old is not None),
        labels=labels,
        note_title=PurePosixPath(first.source.path).stem,
        path=first.source.path,
        vault=vault_name,
    )


def _choose(values: list[T], old: T | None, known: bool) -> T:
    """The line that changed since the base wins; else the first line that has a value."""
    if known:
        changed = [v for v in values if v != old]
        if changed:
            return changed[0]
    return next((v for v in values if v is not None), values[0])


def _token(options: PlanOptions, *parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, ":".join([options.connector, *map(str, parts)])))


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def plan(
    groups: Sequence[Group],
    *,
    links: Mapping[str, str],
    bases: Mapping[str, Base],
    changes: Mapping[str, RemoteTask],
    options: PlanOptions,
    note_times: Mapping[str, int] | None = None,
    complete: bool = True,
) -> Plan:
    """Steps that bring notes and tracker together; `complete` is False after a partial read of the notes."""
    result = Plan()
    seen_keys = {key for group in groups for key in group.keys}
    vanished = {b.norm: b for b in bases.values() if b.keys and not seen_keys.intersection(b.keys) and b.norm}
    by_ref = {c.ref: c for c in changes.values() if c.ref}
    claimed: set[str] = set()
    for group in groups:
        remote_id = next((links[k] for k in group.keys if k in links and links[k] in bases), None)
        base = bases.get(remote_id) if remote_id else None
        if (
            base is None
            and (moved := vanished.get(group.norm)) is not None
            and moved.remote_id not in claimed
        ):
            base, remote_id = moved, moved.remote_id  # cut from one note, pasted into another: a move
            result.notices.append(
                f"{group.tasks[0].source.path}:{group.tasks[0].source.line}: moved; link kept"
            )
        if base is None and (found := by_ref.get(group.ref)) is not None and found.remote_id not in bases:
            # created by a run that died before committing: adopt it instead of creating it again
            fields = note_fields(group, None, options.vault_name)
            base = Base(found.remote_id, group.ref, fields, _remote_for(fields.status), found.updated)
            remote_id = found.remote_id
        if base is None or remote_id is None:
            step = _create(group, options, result)
        else:
            claimed.add(remote_id)
            step = _merge(group, base, changes.get(remote_id), options, result, note_times or {})
        if step is not None:
            result.steps.append(step)
    _absent(result, bases, claimed, changes, options, complete)
    return result


def _create(group: Group, options: PlanOptions, result: Plan) -> Step | None:
    fields = note_fields(group, None, options.vault_name)
    if _state(fields.status) != "open":
        return None  # a task already done when first seen is history, not work
    if options.hold_proposed and all(t.status_type is StatusType.PROPOSED for t in group.tasks):
        result.held += 1
        return None
    after = Base("", group.ref, fields, RemoteStatus.OPEN, None, group.keys, group.norm, 1)
    op = Op(OpKind.CREATE, group.ref, _token(options, group.ref, "create"), fields)
    return Step(group.ref, None, group.keys, after, ops=[op])


def _merge(
    group: Group,
    base: Base,
    remote: RemoteTask | None,
    options: PlanOptions,
    result: Plan,
    note_times: Mapping[str, int],
) -> Step | None:
    fields = note_fields(group, base, options.vault_name)
    remote_status = remote.status if remote else base.remote_status
    remote_updated = remote.updated if remote and remote.updated else base.remote_updated
    rid = base.remote_id
    step = Step(group.ref, rid, group.keys, base)
    if remote_status is RemoteStatus.DELETED:
        if base.remote_status is not RemoteStatus.DELETED:
            where = f"{group.tasks[0].source.path}:{group.tasks[0].source.line}"
            result.notices.append(f"{where}: deleted in the tracker; the note line is left alone")
        step.after = replace(base, remote_status=RemoteStatus.DELETED, keys=group.keys, fields=fields)
        return step if step.after != base else None

    note_changed = _state(fields.status) != _state(base.fields.status)
    remote_changed = remote_status is not base.remote_status
    final_note: StatusType = fields.status
    final_remote: RemoteStatus = remote_status
    if note_changed and remote_changed and _remote_for(fields.status) is not remote_status:
        winner = _winner(group, remote_updated, options, note_times)
        result.conflicts.append(Conflict(group.ref, rid, _state(fields.status), remote_status.value, winner))
        note_changed, remote_changed = winner == "note", winner == "tracker"
    if note_changed and _remote_for(fields.status) is not remote_status:
        kind = OpKind.REOPEN if _state(fields.status) == "open" else OpKind.CLOSE
        step.ops.append(Op(kind, group.ref, _token(options, rid, kind, base.version), fields, rid))
        final_remote = _remote_for(fields.status)
    elif remote_changed and not note_changed:
        target = StatusType.DONE if remote_status is RemoteStatus.DONE else StatusType.TODO
        for task in group.tasks:
            if _state(task.status_type) != _state(target):
                step.edits.append(NoteEdit(task.source.path, task.key, target))
        final_note = target if step.edits else fields.status
    changed = tuple(name for name in _CONTENT if getattr(fields, name) != getattr(base.fields, name))
    if changed and (changed != ("status",) or _state(fields.status) == _state(base.fields.status)):
        update = Op(
            OpKind.UPDATE, group.ref, _token(options, rid, "update", base.version), fields, rid, changed
        )
        step.ops.insert(0, update)
    after_fields = replace(fields, status=final_note)
    step.after = replace(
        base,
        fields=after_fields,
        remote_status=final_remote,
        remote_updated=remote_updated,
        keys=group.keys,
        norm=group.norm,
    )
    if step.ops or step.edits or step.after != base:
        step.after = replace(step.after, version=base.version + 1)
        return step
    return None


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


def _absent(
    result: Plan,
    bases: Mapping[str, Base],
    claimed: set[str],
    changes: Mapping[str, RemoteTask],
    options: PlanOptions,
    complete: bool,
) -> None:
    """Linked tasks whose lines are gone: left alone by default, never acted on after a partial read."""
    gone = [b for rid, b in bases.items() if rid not in claimed and b.remote_status is RemoteStatus.OPEN]
    gone = [b for b in gone if (c := changes.get(b.remote_id)) is None or c.status is RemoteStatus.OPEN]
    result.absent = len(gone)
    if not gone or options.absent == "leave" or not complete:
        return
    open_links = sum(1 for b in bases.values() if b.remote_status is RemoteStatus.OPEN)
    if not options.force and len(gone) > 1 and len(gone) > options.max_absent_share * open_links:
        raise ConfigError(
            f"{len(gone)} of {open_links} linked open tasks are gone from the notes; closing them all"
            " looks like a mistake (a moved vault?). Check BRIDGE_VAULT, or run again with --force"
        )
    kind = OpKind.CLOSE if options.absent == "close" else OpKind.DELETE
    for base in gone:
        op = Op(
            kind, base.ref, _token(options, base.remote_id, kind, base.version), base.fields, base.remote_id
        )
        status = RemoteStatus.DONE if kind is OpKind.CLOSE else RemoteStatus.DELETED
        after = replace(base, remote_status=status, version=base.version + 1)
        result.steps.append(Step(base.ref, base.remote_id, base.keys, after, ops=[op]))
