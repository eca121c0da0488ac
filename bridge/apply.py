"""The one apply path: push a plan's ops, write its note edits, commit the state in one transaction.

Order matters for crash safety. The tracker is written first (its ops are idempotent by token),
then the notes (write-back is atomic and finds lines by key), and the state last: a run killed
anywhere leaves the old base, so the rerun plans the same changes and the tracker de-duplicates.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.connector import Connector, Op, OpKind, OpResult, RemoteStatus
from bridge.copies import copier
from bridge.model import StatusType, Task
from bridge.plan_model import Plan
from bridge.plan_text import NoteLines, describe_plan
from bridge.state import Base, Store
from bridge.uuids import for_name

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from bridge.occurrences import Recur
    from bridge.signifiers import Dialect
    from bridge.vault import Note
    from bridge.writeback import WriteResult

__all__ = ["Report", "apply_plan"]

log = logging.getLogger(__name__)


def set_status(root: Path, path: str, changes: Mapping[str, StatusType], **options: Any) -> WriteResult:
    """`bridge.writeback.set_status`, imported when a plan first writes a note: the write-back
    (the parser, occurrences, atomic swaps) is not imported by a run that writes none."""
    from bridge.writeback import set_status as write

    return write(root, path, changes, **options)


@dataclass(slots=True)
class Report:
    """The counts of `bridge sync --json` (design section 12), and what the user should read."""

    connector: str
    created: int = 0
    updated: int = 0
    closed: int = 0
    reopened: int = 0
    deleted: int = 0
    notes_written: int = 0
    conflicts: int = 0
    failed: int = 0
    requests: int = 0
    held: int = 0
    absent: int = 0
    linked: int = 0
    dry_run: bool = False
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)  # --dry-run: each change, one line
    # where new tasks go, in words (`Todoist project "Inbox"`); for people, not in --json
    target: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("target")
        planned = data.pop("planned")
        return {**data, "plan": planned} if self.dry_run else data


_COUNTER = {
    OpKind.CREATE: "created",
    OpKind.UPDATE: "updated",
    OpKind.CLOSE: "closed",
    OpKind.REOPEN: "reopened",
    OpKind.DELETE: "deleted",
    OpKind.ADVANCE: "closed",  # an occurrence completed: the note was ticked, the tracker closed it
}


def _tally(report: Report, kind: OpKind) -> None:
    setattr(report, _COUNTER[kind], getattr(report, _COUNTER[kind]) + 1)


def _summarise(plan: Plan, report: Report) -> None:
    """What a plan reports whether or not it is carried out."""
    report.conflicts = len(plan.conflicts)
    report.held, report.absent = plan.held, plan.absent
    report.notices.extend(plan.notices)


def count_planned(plan: Plan, report: Report, lines: NoteLines | None = None) -> None:
    """Fill `report` with what `plan` would do, for --dry-run; `lines` gives note lines' text."""
    for op in plan.ops:
        _tally(report, op.kind)
    report.planned.extend(describe_plan(plan, lines or (lambda _path, _line: None)))
    report.notes_written = len(plan.edits)
    _summarise(plan, report)


def apply_plan(
    plan: Plan,
    connector: Connector | None,
    store: Store,
    *,
    root: Path,
    dialect: Dialect,
    notes: dict[str, Note],
    cursor: str | None,
    today: dt.date,
    report: Report,
    record: bool = True,
    parsed: Mapping[str, tuple[bytes, Sequence[Task]]] | None = None,
) -> None:
    """Carry `plan` out and commit what succeeded; failures are counted and retried next run.

    `record` keeps the report as the connector's last run (`bridge status`); webhook
    applications, which are not runs, leave it alone. `parsed` holds notes' bytes as read with
    their tasks, so write-back need not parse a note again that is unchanged since.
    """
    planned_ops = plan.ops  # made from the steps on each read: a list of every op
    ops = _mark_pending(planned_ops, plan.adopting, store, report.connector)
    results: dict[str, OpResult] = {}
    if ops:
        if connector is None:
            raise ValueError("a plan with tracker changes needs a connector to send them")
        pushed, cursor = _push_in_waves(connector, ops, cursor)
        # each answer under the token the plan gave its op (an answer is not copied to say it:
        # its own token is not read again)
        planned = {sent.token: op.token for sent, op in zip(ops, planned_ops, strict=True)}
        results = {planned.get(r.token, r.token): r for r in pushed}
    written, explained = _write_notes(plan, root, dialect, notes, today, report, parsed or {})
    bases: list[Base] = []
    links: dict[str, str] = {}
    settled: list[str] = []
    failures: defaultdict[str, list[str]] = defaultdict(list)
    for step in plan.steps:
        outcomes = [results.get(op.token) for op in step.ops]
        failed = [(op, r) for op, r in zip(step.ops, outcomes, strict=True) if r is None or not r.ok]
        if failed and step.remote_id is not None and all(r is not None and r.gone for _, r in failed):
            # deleted in the tracker since the pull: not recreated, the lines left alone (design §7)
            report.notices.append(
                f"{step.after.fields.path}: {step.ref}: deleted in the tracker; not recreated"
            )
            bases.append(replace(step.after, remote_status=RemoteStatus.DELETED, remote_now=None))
            links.update(dict.fromkeys(step.keys, step.remote_id))
            continue
        if failed:
            report.failed += 1
            for op, r in failed:
                why = r.error if r is not None and r.error else "no answer from the tracker"
                failures[why].append(f"{op.fields.path}: {op.kind.value} {op.fields.title!r}")
                if op.kind is OpKind.CREATE and r is not None and not r.uncertain:
                    settled.append(op.ref)  # refused outright: nothing to look for next time
            continue
        remote_id = step.remote_id
        for op, r in zip(step.ops, outcomes, strict=True):
            assert r is not None  # noqa: S101 - checked just above
            if op.kind is OpKind.CREATE:
                remote_id = r.remote_id
                settled.append(op.ref)
            _tally(report, op.kind)
        if remote_id is None:
            report.failed += 1
            report.errors.append(f"{step.ref}: the tracker gave no id for the created task")
            continue
        after = _linked(step.after, remote_id, outcomes)
        missing = [e for e in step.edits if e.key not in written]
        owed = sum(e.recur.count for e in missing if e.recur is not None) if missing else 0
        if owed:
            # the tracker has these occurrences, the note not yet: written next run, nothing resent
            report.notices.extend(
                f"{e.path}: the next occurrence of task {e.key} not written; written next sync"
                for e in missing
                if e.key not in explained
            )
            after = replace(after, owed=owed)
        elif missing and step.before is not None:
            report.notices.extend(
                f"{e.path}: line of task {e.key} not found; not written"
                for e in missing
                if e.key not in explained
            )
            # keep the note side as it was, and the tracker's status as pending: applied next run
            before = step.before
            after = replace(
                after,
                fields=replace(after.fields, status=before.fields.status),
                remote_status=before.remote_status,
                remote_now=after.remote_status,
                lines=before.lines,
            )
        bases.append(after)
        for key in step.keys:
            links[key] = remote_id
    report.errors.extend(_said_once(failures))
    _summarise(plan, report)
    settled.extend(plan.settle)
    report.requests = connector.requests if connector is not None else 0
    store.commit_sync(
        report.connector,
        bases=bases,
        links=links,
        cursor=cursor,
        report=report.to_json() if record else None,
        settled=settled,
    )


def _push_in_waves(
    connector: Connector, ops: list[Op], cursor: str | None
) -> tuple[list[OpResult], str | None]:
    """Push the ops, a sub-task after its parent: an op whose parent is created in this run waits
    for the push that creates it and goes in the next, with the id it got (`Op.parent_id`). If the
    parent's create failed, the sub-task is not sent: both are tried again next run."""
    creates = {op.ref: op.token for op in ops if op.kind is OpKind.CREATE}
    results: dict[str, OpResult] = {}
    waiting = ops
    while waiting:
        wave: list[Op] = []
        later: list[Op] = []
        for op in waiting:
            parent = op.fields.parent
            token = creates.get(parent) if parent is not None and op.parent_id is None else None
            if token is None or op.kind not in (OpKind.CREATE, OpKind.UPDATE):
                wave.append(op)
            elif token not in results:
                later.append(op)
            elif results[token].ok and results[token].remote_id:
                wave.append(replace(op, parent_id=results[token].remote_id))
            else:
                results[op.token] = OpResult(op.token, False, error="its parent task could not be created")
        if not wave:  # parents that wait for each other: no line is nested under its own child
            for op in later:
                results[op.token] = OpResult(op.token, False, error="its parent task was never created")
            break
        pushed = connector.push(wave)
        results.update({r.token: r for r in pushed.results})
        cursor = pushed.cursor or cursor
        waiting = later
    return list(results.values()), cursor


def _echoed(after: Base, outcomes: Sequence[OpResult | None]) -> dict[str, Any]:
    """What the tracker's answer to the step's writes showed, for the base, when the connector's
    cursor moved past them: what the next pull would otherwise have read back and recorded (its
    time, its completion count), so the "latest" rule and the webhooks compare the same values."""
    for r in reversed(outcomes):
        if r is not None and r.seen is not None:
            seen = r.seen
            break
    else:
        return {}
    return {
        "remote_updated": seen.updated or after.remote_updated,
        "completions": seen.completions if seen.completions is not None else after.completions,
    }


def _linked(after: Base, remote_id: str, outcomes: Sequence[OpResult | None]) -> Base:
    """`replaced(after, remote_id=remote_id, **_echoed(after, outcomes))`, by a `copier` made once
    (a first sync copies a base a task this way)."""
    seen = _echoed(after, outcomes)
    if not seen:
        return _WITH_ID(after, remote_id)
    return _WITH_SEEN(after, remote_id, seen["remote_updated"], seen["completions"])


_WITH_ID = copier(Base, "remote_id")
_WITH_SEEN = copier(Base, "remote_id", "remote_updated", "completions")


def _said_once(failures: dict[str, list[str]]) -> list[str]:
    """One line per failed change; a reason many share (a plan limit) is said once, with a count."""
    lines: list[str] = []
    for why, which in failures.items():
        if len(which) < _SAID_ONCE:
            lines.extend(f"{what}: {why}" for what in which)
        else:
            lines.append(f"{len(which)} changes failed ({which[0]}, …): {why}")
    return lines


_SAID_ONCE = 3


def _mark_pending(ops: list[Op], adopting: list[str], store: Store, connector: str) -> list[Op]:
    """Record the creates before sending them, and tell the connector which were sent before.

    A tracker without idempotency keys must look for what a crashed run may already have made;
    the record says which creates need that, and since when (so search lag can be waited out).
    A dead run's task adopted under a new ref is recorded too: its marker is rewritten to that ref
    before the state commits, so a run that dies meanwhile must find it under either.
    """
    creates = [op.ref for op in ops if op.kind is OpKind.CREATE]
    if not creates and not adopting:
        return ops
    earlier = store.pending(connector)
    since = store.mark_pending(connector, [*creates, *adopting], earlier)
    # each create's token made by one function per first-marked time (a first sync's creates
    # share one), and its copy by `_SENT`: both once a create, by the hundred thousand
    tokens = {at: _incarnations(at) for at in {since[ref] for ref in creates}}
    attempted, create = earlier.get, OpKind.CREATE
    return [
        _SENT(op, attempted(op.ref), tokens[since[op.ref]](op.token)) if op.kind is create else op
        for op in ops
    ]


_SENT = copier(Op, "attempted", "token")


def _incarnations(since: str) -> Callable[[str], str]:
    """A create's idempotency token for this attempt and its reruns alone, from its planned token
    (`uuid5(token, since)`): the same until the create is linked, then new, so a task made again
    later for the same line (its first task was unlinked or deleted) is not taken by the tracker
    for the first one and answered with it."""
    return for_name(since)


def _write_notes(
    plan: Plan,
    root: Path,
    dialect: Dialect,
    notes: dict[str, Note],
    today: dt.date,
    report: Report,
    parsed: Mapping[str, tuple[bytes, Sequence[Task]]],
) -> tuple[set[str], set[str]]:
    """Apply the plan's note edits, one atomic write per note.

    Returns the keys whose lines are as planned, and the keys not written for a reason already
    reported (a read-only note, a line the user changed meanwhile).
    """
    by_path: defaultdict[str, dict[str, Any]] = defaultdict(dict)
    seen: defaultdict[str, dict[str, Any]] = defaultdict(dict)
    recur: defaultdict[str, dict[str, Recur]] = defaultdict(dict)
    for edit in plan.edits:
        by_path[edit.path][edit.key] = edit.target
        if edit.seen is not None:
            seen[edit.path][edit.key] = edit.seen
        if edit.recur is not None:
            recur[edit.path][edit.key] = edit.recur
    done: set[str] = set()
    explained: set[str] = set()

    def write(path: str) -> WriteResult | OSError:
        try:
            return set_status(
                root,
                path,
                by_path[path],
                today=today,
                dialect=dialect,
                expected=notes.get(path),
                seen=seen[path],
                parsed=parsed.get(path),
                recur=recur.get(path),
            )
        except OSError as exc:  # a folder we may not write in: the rest of the run still commits
            return exc

    # Each note is its own compare-and-swap, so notes are written side by side: most of a write
    # is waiting for fsync, and a burst of deliveries touches many notes at once.
    paths = list(by_path)
    results = _writers().map(write, paths) if len(paths) > 1 else map(write, paths)
    for path, result in zip(paths, results, strict=True):
        changes = by_path[path]
        if isinstance(result, OSError):
            why = result.strerror or result
            report.notices.append(f"{path}: cannot be written ({why}); tried again next run")
            explained.update(changes)
            continue
        report.notes_written += len(result.lines)
        report.notices.extend(str(p) for p in result.problems)
        done.update(key for key in changes if key not in result.missing and key not in result.conflicts)
        if result.problems:
            explained.update(result.missing)
        explained.update(result.conflicts)
    return done, explained


_WRITERS = 8  # notes written at once
_POOL: list[ThreadPoolExecutor] = []


def _writers() -> ThreadPoolExecutor:
    """One pool for the process, made when first needed (a sync, the receiver's worker)."""
    if not _POOL:
        from concurrent.futures import ThreadPoolExecutor

        _POOL.append(ThreadPoolExecutor(_WRITERS, thread_name_prefix="bridge-write"))
    return _POOL[0]
