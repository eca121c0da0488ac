"""A whole push against the one it replaced, kept here as it was: the push now resolves a
later request's temp ids in its own commands, names temp ids from a hash begun once and makes its
results and echoes through `bridge.frozen.maker`. On seeded generated ops (creates with
sub-tasks, owners, rules and labels; updates, moves, closes, reopens, deletes, advances; ids that
do not exist; a request refused; a project at its plan's limit) the push runs against the
emulator, each request and answer recorded; the push before runs on the same ops with the
answers replayed and must send the same requests and give the same results, cursor and log."""

from __future__ import annotations

import dataclasses
import logging
import random
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import pytest

from bridge.connector import Fields, Op, OpKind, OpResult, Push, RemoteTask
from bridge.errors import AuthError, ConnectorError
from bridge.model import Priority, StatusType
from bridge.transport import SchemeTransport, make_http_client
from connectors.todoist import client, mapping
from connectors.todoist.client import API_ORIGIN
from connectors.todoist.connector import (
    _LIMITS,
    BATCH,
    TodoistConnector,
    _already_processed,
    _derived,
    _refusal,
    log,
)
from connectors.todoist.echoes import Echoes, Sent
from connectors.todoist.emulator import Emulator
from connectors.todoist.mapping import item_state
from connectors.todoist.settings import TodoistSettings
from tests.connectors.todoist.test_push_requests import _Recording, _Replay

# -- the code replaced, as it was -------------------------------------------------------------


def _old_echoes(answer: Mapping[str, Any], sent: Sent, project: str | None) -> dict[str, RemoteTask] | None:
    if answer.get("full_sync") is not False or not isinstance(answer.get("sync_token"), str):
        return None
    if answer.get("collaborators") or answer.get("collaborator_states"):
        return None
    for seen in answer.get("projects", []):
        if sent.project is None or str(seen.get("id")) != sent.project:
            return None
        if seen.get("is_deleted") or seen.get("is_archived") or seen.get("is_shared"):
            return None
    found: dict[str, RemoteTask] = {}
    tasks, created = sent.tasks, sent.created
    for item in answer.get("items", []):
        remote_id = str(item["id"])
        wanted = tasks.get(remote_id)
        if wanted is None or str(item.get("project_id")) != project:
            return None
        status, recurring, updated, labels, completions = item_state(item)
        # a recurring task's completed occurrences keep it open: one completed by someone else
        # while the bridge changed it would look like its echo, so only one this request made is
        if status is not wanted or (recurring and not (remote_id in created and not completions)):
            return None
        # what a base and the labels map record of it: a push of 100,000 creates keeps them all
        found[remote_id] = RemoteTask(remote_id, status, updated, None, "", labels, None, completions)
    return found


class _OldEchoes(Echoes):
    def heard(self, answer: Mapping[str, Any], sent: Sent, project: str | None, refs: set[str]) -> None:
        seen = _old_echoes(answer, sent, project) if not self.broken else None
        if seen is None:
            self.broken = True
            return
        self.links.append((str(answer["sync_token"]), refs, seen))


def _old_resolved(command: dict[str, Any], ids: Mapping[str, str]) -> dict[str, Any]:
    if not ids:
        return command
    args = command.get("args", {})
    swapped = {k: ids[v] for k in _ID_ARGS if isinstance(v := args.get(k), str) and v in ids}
    return {**command, "args": {**args, **swapped}} if swapped else command


_ID_ARGS = ("id", "project_id", "parent_id", "section_id")


def _old_temp_id(op: Op) -> str:
    return _derived(op.token, "temp")


class _OldConnector(TodoistConnector):
    def push(self, ops: Sequence[Op]) -> Push:
        commands: list[tuple[Op | None, dict[str, Any]]] = []
        project = self.state.get("project_id")
        if project is None and any(op.kind is OpKind.CREATE for op in ops):
            replaces = self.state.get("replaces") or ""  # a new uuid once the old project is gone
            temp = str(uuid.uuid5(uuid.NAMESPACE_URL, f"todoist-project:{self.settings.project}:{replaces}"))
            commands.append(
                (
                    None,
                    {
                        "type": "project_add",
                        "uuid": temp,
                        "temp_id": temp,
                        "args": {"name": self.settings.project},
                    },
                )
            )
            project = temp
        # creates last: the closes of this run make room in a project at its plan's limit
        for queued in sorted(ops, key=lambda op: op.kind is OpKind.CREATE):
            commands.extend((queued, c) for c in self._commands(queued, project or ""))
        results: dict[str, OpResult] = {}
        mapping_ids: dict[str, str] = {}
        # each write reads on from the token of the one before, while answers are only echoes
        chain = _OldEchoes(None if self._unchained else self.state.get("sync_token"))
        full: str | None = None  # the plan limit a create met: the next creates would meet it too
        for start in range(0, len(commands), BATCH):
            if self.on_progress is not None:
                self.on_progress(start, len(commands))
            # a temp id lives for one request: later batches name what it became
            batch = [(op, _old_resolved(c, mapping_ids)) for op, c in commands[start : start + BATCH]]
            if full is not None:  # the project is full: no create is sent
                for op, _ in batch:
                    if op is not None and op.kind is OpKind.CREATE:
                        results[op.token] = OpResult(op.token, False, error=full)
                batch = [(op, c) for op, c in batch if op is None or op.kind is not OpKind.CREATE]
                if not batch:
                    continue
            try:
                answer = self._write([c for _, c in batch], chain)
            except ConnectorError as exc:
                chain.broken = True  # what part of it ran is not known: the next read must see it
                # refused credentials refuse every batch alike: the rest are not sent
                rest = commands[start:] if isinstance(exc, AuthError) else batch
                for failed, _ in rest:
                    if failed is not None:
                        results[failed.token] = OpResult(failed.token, False, error=str(exc))
                if isinstance(exc, AuthError):
                    break
                continue
            statuses = answer.get("sync_status", {})
            refused = statuses.get(project) if project is not None else None
            if isinstance(refused, dict) and refused.get("error_tag") in _LIMITS:
                # no project to put them in: the creates fail for that reason, said once
                why = full = _LIMITS[refused["error_tag"]]
                for op, _ in commands:
                    if op is not None and op.kind is OpKind.CREATE:
                        results[op.token] = OpResult(op.token, False, error=why)
            mapping_ids.update({str(k): str(v) for k, v in answer.get("temp_id_mapping", {}).items()})
            sent = Sent()
            for op, command in batch:
                status = statuses.get(command["uuid"])
                self._record(op, command, status, mapping_ids, results)
                if full is None and op is not None and results[op.token].error in _LIMITS.values():
                    full = results[op.token].error
                if status == "ok" or _already_processed(status):
                    sent.ran(op, command, mapping_ids)
                    args = command["args"]
                    if "labels" in args:
                        task = mapping_ids.get(command.get("temp_id", ""), args.get("id"))
                        self.labels[str(task)] = list(args["labels"])
            if chain.token is not None:
                refs = {op.ref for op, _ in batch if op is not None}
                chain.heard(answer, sent, mapping_ids.get(project or "", project), refs)
        if self.on_progress is not None:
            self.on_progress(len(commands), len(commands))
        if project is not None and project in mapping_ids:
            self.state.update(project_id=mapping_ids[project], shared=False, members=[])  # new: personal
        return Push(self._kept(chain, ops, results), self._cursor())

    def _kept(
        self, chain: _OldEchoes, ops: Sequence[Op], results: dict[str, OpResult]
    ) -> tuple[OpResult, ...]:
        failed = {op.ref for op in ops if op.token not in results or not results[op.token].ok}
        token, seen, whole = chain.kept(failed)
        self._unchained = self._unchained or not whole  # later waves of this run read nothing
        if token is None or token == chain.start:
            return tuple(results.values())
        self.state["sync_token"] = token
        self.labels.update({rid: list(task.labels or ()) for rid, task in seen.items()})
        linked = {op.token: op.remote_id for op in ops}
        out: list[OpResult] = []
        for result in results.values():
            echo = seen.get(result.remote_id or linked.get(result.token) or "") if result.ok else None
            if echo is not None:  # (`replace` would cost as much again as making the result)
                r = result
                result = OpResult(r.token, r.ok, r.remote_id, r.error, r.uncertain, r.gone, seen=echo)
            out.append(result)
        return tuple(out)

    def _untranslatable(self, op: Op) -> None:
        rule = op.fields.recurrence
        sends_due = op.kind in (OpKind.CREATE, OpKind.ADVANCE) or bool(
            {"due", "recurrence"} & set(op.changed)
        )
        if rule is None or not sends_due or rule in self._unsaid or mapping.due_string(rule) is not None:
            return
        self._unsaid.add(rule)
        log.warning(
            "the recurrence rule %r has no Todoist equivalent: its tasks are sent with their due"
            " date only, and do not recur in Todoist",
            rule,
        )

    def _commands(self, op: Op, project: str) -> list[dict[str, Any]]:
        f, rid = op.fields, op.remote_id or ""
        self._untranslatable(op)
        if op.kind is OpKind.ADVANCE:
            return [mapping.advance_command(rid, f, op.token)]
        if op.kind is OpKind.CREATE:
            args = mapping.add_args(f, op.ref, project, self._assignee(f.owner), op.parent_id)
            return [{"type": "item_add", "uuid": op.token, "temp_id": _old_temp_id(op), "args": args}]
        if op.kind is OpKind.UPDATE:
            args = mapping.update_args(
                rid,
                f,
                op.ref,
                op.changed,
                self._assignee(f.owner),
                before=op.before,
                remote_labels=self.labels.get(rid),
            )
            update = {"type": "item_update", "uuid": op.token, "args": args}
            move = self._move(op, project)
            if move is None:
                return [update]
            return [update, move] if len(args) > 1 else [{**move, "uuid": op.token}]
        if op.kind is OpKind.DELETE or (
            f.status is StatusType.CANCELLED and self.settings.cancelled == "delete"
        ):
            return [{"type": "item_delete", "uuid": op.token, "args": {"id": rid}}]
        kind = "item_close" if op.kind is OpKind.CLOSE else "item_uncomplete"
        if op.kind is OpKind.CLOSE and f.recurrence:
            # a recurring line closed for good (cancelled, or its rule ended): `item_close` would
            # only move the task to its next date, `item_complete` ends it
            kind = "item_complete"
        status_command = {"type": kind, "uuid": op.token, "args": {"id": rid}}
        if op.before is not None and mapping.labels(op.before) != mapping.labels(f):
            # the status labels (proposed, in-progress, cancelled) follow the status
            merged = mapping.merged_labels(f, op.before, self.labels.get(rid))
            relabel = {
                "type": "item_update",
                "uuid": _derived(op.token, "labels"),
                "args": {"id": rid, "labels": merged},
            }
            return [relabel, status_command]
        return [status_command]

    @staticmethod
    def _record(
        op: Op | None,
        command: dict[str, Any],
        status: Any,
        ids: dict[str, str],
        results: dict[str, OpResult],
    ) -> None:
        if op is None or (op.token in results and not results[op.token].ok):
            if op is None and status != "ok" and not _already_processed(status):
                log.warning("creating the Todoist project failed: %s", status)
            return
        if status != "ok" and not _already_processed(status):
            why = _refusal(status) if isinstance(status, dict) else f"no status ({status!r})"
            if isinstance(status, dict) and status.get("error_tag") in _LIMITS:
                why = _LIMITS[status["error_tag"]]
            gone = isinstance(status, dict) and status.get("error_tag") == "ITEM_NOT_FOUND"
            results[op.token] = OpResult(
                op.token, False, error=str(why), gone=gone and op.kind is not OpKind.CREATE
            )
            return
        remote_id = ids.get(command.get("temp_id", "")) if op.kind is OpKind.CREATE else op.remote_id
        if op.kind is OpKind.CREATE and remote_id is None:
            results[op.token] = OpResult(op.token, False, error="created, but Todoist gave no id for it")
            return
        results[op.token] = OpResult(op.token, True, remote_id=remote_id)


# -- generated pushes -------------------------------------------------------------------------

_STATUSES = [
    StatusType.TODO,
    StatusType.IN_PROGRESS,
    StatusType.PROPOSED,
    StatusType.DONE,
    StatusType.CANCELLED,
]
_RULES = [None, None, None, "every week", "every 3rd blue moon"]  # the last has no Todoist words


def _fields(rng: random.Random, n: int, parent: str | None = None) -> Fields:
    return Fields(
        f"Task {n} [x] \u2028 " + rng.choice(["é", '"', "%", ""]),
        rng.choice(_STATUSES[:3]),
        due=f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}" if n % 3 else None,
        priority=rng.choice([None, *Priority]),
        owner=rng.choice([None, None, "myself", "Lior Genzel"]),
        labels=tuple(rng.sample(["task", "work", "odd tag"], rng.randint(0, 2))),
        note_title=f"Note [{n // 10}]",
        path=f"notes/Note {n // 10}.md",
        vault="My Vault",
        recurrence=rng.choice(_RULES),
        parent=parent,
    )


def _creates(rng: random.Random, first: int, count: int, parents: Sequence[str | None]) -> list[Op]:
    ops = []
    for n in range(first, first + count):
        parent_id = rng.choice(parents) if parents and n % 4 == 0 else None
        fields = _fields(rng, n, "p" if parent_id else None)
        ops.append(Op(OpKind.CREATE, f"{n:016x}", str(uuid.UUID(int=n)), fields, parent_id=parent_id))
    return ops


def _changes(rng: random.Random, made: list[tuple[Op, str]], first: int) -> list[Op]:
    """Updates, moves, closes, reopens, deletes and advances of created tasks, some of ids that
    do not exist."""
    ops = []
    names = ["title", "due", "recurrence", "priority", "labels", "status", "owner", "note_title", "parent"]
    for n, (created, remote_id) in enumerate(made, start=first):
        if rng.random() < 0.05:
            remote_id = "999999999"  # gone: ITEM_NOT_FOUND
        kind = rng.choice(
            [OpKind.UPDATE, OpKind.UPDATE, OpKind.CLOSE, OpKind.REOPEN, OpKind.DELETE, OpKind.ADVANCE]
        )
        before = created.fields
        status = rng.choice(_STATUSES)
        parent = rng.choice([None, "p"])
        parent_id = rng.choice([None, made[0][1], made[1][1]]) if parent else None
        fields = _fields(rng, n, parent)
        fields = dataclasses.replace(fields, status=status)
        changed = tuple(rng.sample(names, rng.randint(1, 4)))
        token = str(uuid.UUID(int=10**6 + n))
        ops.append(
            Op(kind, created.ref, token, fields, remote_id, changed, before=before, parent_id=parent_id)
        )
    return ops


Outcome = tuple[Any, ...]


def _run(connector: TodoistConnector, emulator: Emulator | None, *, limit: bool) -> Outcome:
    """Pushes on one account: a first sync's creates (sub-tasks among them, some named by the
    temp id of a create in the first request), then changes and creates under real parents, then
    a push whose first request is refused."""
    rng = random.Random(11)  # noqa: S311 (the same ops every run)
    out: list[Any] = []
    cursor = connector.pull(None).cursor
    first = _creates(rng, 0, 150, [])
    temp = [_derived(op.token, "temp") for op in first[:60]]
    first += _creates(rng, 150, 110, temp)  # parents made in the first request, named by temp id
    pushed = connector.push(first)
    out += [pushed.results, pushed.cursor]
    if limit:
        return tuple(out)
    made = [(op, r.remote_id) for op, r in zip(first, pushed.results, strict=True) if r.ok and r.remote_id]
    cursor = connector.pull(pushed.cursor).cursor
    second = _changes(rng, made[:180], 1_000) + _creates(rng, 2_000, 60, [rid for _, rid in made[:20]])
    pushed = connector.push(second)
    out += [pushed.results, pushed.cursor]
    cursor = connector.pull(pushed.cursor).cursor
    if emulator is not None:
        emulator.fail_next(400, path_prefix="/sync")
    third = _changes(rng, made[180:], 3_000) + _creates(rng, 4_000, 150, [made[5][1]])
    pushed = connector.push(third)
    out += [pushed.results, pushed.cursor, cursor]
    return tuple(out)


def _both(url: str, token: str, emulator: Emulator, caplog: pytest.LogCaptureFixture, *, limit: bool) -> None:
    settings = TodoistSettings(
        api_token=token, base_url=url, project="Bridge", owners={"Lior Genzel": "lior@example.com"}
    )

    def run(cls: type[TodoistConnector], transport: httpx.BaseTransport, account: Emulator | None) -> Outcome:
        http = make_http_client(
            base_url=url, origin=API_ORIGIN, transport=transport, safe=client.is_idempotent
        )
        connector = cls(settings, http=http)
        caplog.clear()
        try:
            outcome = _run(connector, account, limit=limit)
        finally:
            connector.close()
        said = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
        return outcome, said

    if limit:
        emulator.max_active_tasks = 120
    recording = _Recording(SchemeTransport())
    with caplog.at_level(logging.INFO):
        new = run(TodoistConnector, recording, emulator)
        replay = _Replay(recording.seen)
        old = run(_OldConnector, replay, None)
    assert replay.asked == [asked for asked, _ in recording.seen]
    assert old == new
    results = [r for pushed in new[0][::2] if isinstance(pushed, tuple) for r in pushed]
    assert any(r.ok and r.seen is not None for r in results)
    assert any(not r.ok for r in results)


def test_pushes_send_and_give_what_the_push_before_did(
    emulator_url: str, todoist_token: str, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    _both(emulator_url, todoist_token, emulator, caplog, limit=False)


def test_a_push_into_a_full_project_sends_and_gives_what_the_push_before_did(
    emulator_url: str, todoist_token: str, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    _both(emulator_url, todoist_token, emulator, caplog, limit=True)
