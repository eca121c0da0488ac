"""`POST /api/v1/sync`: commands first (in order, each on its own), then the resources asked for.

Follows the Sync tag of the API reference (reference §7): form-encoded fields holding JSON (what
the docs show) or one JSON body (what the TypeScript SDK sends); `sync_token` `*` for a full sync
of active objects, else the objects changed since that token — completed and deleted tasks
included; at most 100 commands. A remembered command `uuid` is not executed again: a replay of
one that ran is answered `ALREADY_PROCESSED` (error_code 37) with its `temp_id_mapping`, as
the real service does when a batch is retried after its answer was lost. A `temp_id` resolves in
the later commands of the same request only (the reference promises no more). Supported resource
types: items, projects, labels, user, collaborators (with collaborator_states) and `all`.
Commands: item_add/update/move/close/complete/uncomplete/update_date_complete/delete,
project_add/archive/unarchive/delete (an archived project's tasks leave active reads; a deleted
one's are deleted) and label_add.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs

from connectors.todoist.emulator.errors import ApiError, invalid
from connectors.todoist.emulator.fields import sync_task_changes
from connectors.todoist.emulator.records import (
    clone,
    due_from_object,
    label_sync,
    parse_instant,
    timestamp,
    user_record,
)
from connectors.todoist.emulator.render import loads
from connectors.todoist.emulator.state import Emulator

__all__ = ["MAX_COMMANDS", "RESOURCE_TYPES", "answer_sync", "handle_sync"]

Json = dict[str, Any]
_T = TypeVar("_T")
MAX_COMMANDS = 100
RESOURCE_TYPES = ("items", "projects", "labels", "user", "collaborators")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def _field(data: dict[str, Any], name: str, *, form: bool) -> Any:
    value = data.get(name)
    if isinstance(value, str) and (name != "sync_token" or (form and value.startswith('"'))):
        try:
            value = loads(value)
        except ValueError:
            raise invalid(name, explanation="not valid JSON") from None
    return value


def form_fields(body: bytes) -> dict[str, str]:
    """A form-encoded body's fields (the last value of a repeated one), as `parse_qs` reads them.

    A batch of 100 commands is some 40 kB, mostly `%XX`: `parse_qs` decodes those a Python call
    each, so a well-formed body (no stray `%`, UTF-8) is decoded in C instead: each `%` made a
    `\\x` escape (backslashes, which a form encoder always escapes, doubled first) for
    `codecs.escape_decode`. Anything else is left to `parse_qs` itself."""
    try:
        fields: dict[str, str] = {}
        for part in body.split(b"&"):
            if part:
                key, _, value = part.partition(b"=")
                fields[_unquoted(key)] = _unquoted(value)
    except ValueError:  # a stray `%`, or not UTF-8 (UnicodeDecodeError is a ValueError)
        fields = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    return fields


def _unquoted(text: bytes) -> str:
    escaped = text.replace(b"\\", b"\\\\").replace(b"+", b" ").replace(b"%", b"\\x")
    return bytes(codecs.escape_decode(escaped)[0]).decode("utf-8")


Parsed = tuple[str | None, list[str], list[Json] | None]


def parse_request(content_type: str, body: bytes) -> Parsed:
    """(sync_token, resource_types, commands) from a form-encoded or JSON request body."""
    return _parse(content_type, body)


def _parse(content_type: str, body: bytes) -> Parsed:
    form = not content_type.lower().startswith("application/json")
    if form:
        data: Any = form_fields(body)
    else:
        try:
            data = loads(body or b"{}")
        except ValueError:
            raise invalid("body", explanation="not valid JSON") from None
        if not isinstance(data, dict):
            raise invalid("body", expected="a JSON object")
    token = _field(data, "sync_token", form=form)
    if token is not None and not isinstance(token, str):
        raise invalid("sync_token", expected="a string")
    types = _field(data, "resource_types", form=form) or []
    if not isinstance(types, list) or not all(isinstance(name, str) for name in types):
        raise invalid("resource_types", expected="a JSON array of strings")
    commands = _field(data, "commands", form=form)
    if commands is not None:
        if not isinstance(commands, list):
            raise invalid("commands", expected="a JSON array of command objects")
        if len(commands) > MAX_COMMANDS:
            raise ApiError(400, "Too many commands", "INVALID_ARGUMENT_VALUE", 20,
                           argument="commands", max_count=MAX_COMMANDS)  # fmt: skip
        for command in commands:
            if not (isinstance(command, dict) and isinstance(command.get("type"), str)
                    and isinstance(command.get("uuid"), str) and command["uuid"]):  # fmt: skip
                raise invalid("commands", explanation="each command needs a type and a uuid")
    return token, types, commands


def _wanted(types: list[str]) -> set[str]:
    wanted: set[str] = set()
    for name in types:
        if name == "all":
            wanted.update(RESOURCE_TYPES)
        elif name in RESOURCE_TYPES:
            wanted.add(name)
    for name in types:
        if name.startswith("-"):
            wanted.discard(name[1:])
    return wanted


def _ref(em: Emulator, args: Json, key: str, temps: dict[str, str]) -> str:
    """An id argument resolved through this request's temp ids; an unknown uuid-shaped one is a
    bad temp id."""
    value = args.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise invalid(key, explanation=f"{key} is required")
    real = temps.get(value, value)
    known = real in em.tasks or real in em.projects or real in em.sections
    if real == value and not known and _UUID.match(value):
        raise ApiError(400, "Invalid temporary id", None, 15, argument=key)
    return real


def _created(temp_id: object, real: str) -> dict[str, str]:
    return {temp_id: real} if isinstance(temp_id, str) and temp_id else {}


_PROJECT_COMMANDS = {
    "project_archive": "archive_project",
    "project_unarchive": "unarchive_project",
    "project_delete": "delete_project",
}


def _apply(em: Emulator, command: Json, temps: dict[str, str]) -> dict[str, str]:
    kind, args, temp_id = command["type"], command.get("args", {}), command.get("temp_id")
    if not isinstance(args, dict):
        raise invalid("args", expected="an object")
    today = em.today()
    if kind == "item_add":
        changes = sync_task_changes(args, today, creating=True, tz=em.timezone)
        for key in ("project_id", "section_id", "parent_id"):
            if changes.get(key):
                changes[key] = _ref(em, args, key, temps)
        return _created(temp_id, em.add_task(changes))
    if kind == "project_add":
        parent = _ref(em, args, "parent_id", temps) if args.get("parent_id") else None
        extra = {
            key: args[key] for key in ("color", "description", "is_favorite", "view_style") if key in args
        }
        return _created(temp_id, em.create_project(args.get("name"), parent_id=parent, **extra)["id"])
    if kind == "label_add":
        extra = {key: args[key] for key in ("color", "item_order", "is_favorite") if key in args}
        return _created(temp_id, em.create_label(args.get("name"), **extra)["id"])
    if kind in _PROJECT_COMMANDS:
        getattr(em, _PROJECT_COMMANDS[kind])(_ref(em, args, "id", temps))
        return {}
    task_id = _ref(em, args, "id", temps)
    if kind == "item_update":
        rest = {key: value for key, value in args.items() if key != "id"}
        em.edit_task(task_id, sync_task_changes(rest, today, creating=False, tz=em.timezone))
    elif kind == "item_move":
        keys = ("project_id", "section_id", "parent_id")
        where = {key: _ref(em, args, key, temps) for key in keys if args.get(key)}
        em.move_task(task_id, **where)
    elif kind == "item_close":
        em.close_task(task_id)
    elif kind == "item_complete":
        when = args.get("date_completed") or args.get("completed_at")
        if when is not None and not isinstance(when, str):
            raise invalid("date_completed", expected="an RFC 3339 date-time")
        undo = args.get("from_undo", False)
        if not isinstance(undo, bool | int):
            raise invalid("from_undo", expected="a boolean")
        stamp = timestamp(parse_instant(when, "date_completed")) if when else None
        em.complete_task(task_id, stamp, from_undo=bool(undo))
    elif kind == "item_update_date_complete":
        flags = {key: args.get(key, default) for key, default in (("is_forward", 1), ("reset_subtasks", 0))}
        for key, value in flags.items():
            if value not in (0, 1):  # True and False are 1 and 0
                raise invalid(key, expected="0 or 1")
        due = due_from_object(args["due"], today, tz=em.timezone) if args.get("due") is not None else None
        em.complete_occurrence(
            task_id, due, forward=bool(flags["is_forward"]), reset_subtasks=bool(flags["reset_subtasks"])
        )
    elif kind == "item_uncomplete":
        em.uncomplete_task(task_id)
    elif kind == "item_delete":
        em.delete_task(task_id)
    else:
        raise invalid("type", explanation=f"the emulator does not know the command {kind!r}")
    return {}


def _status(error: ApiError) -> Json:
    if error.tag == "NOT_FOUND" and error.error == "Task not found":
        return error.body(http_code=400, tag="ITEM_NOT_FOUND")  # a terminal command error in Sync
    return error.body()


ALREADY_PROCESSED = {
    "error": "Command already processed",
    "error_code": 37,
    "error_extra": {},
    "error_tag": "ALREADY_PROCESSED",
    "http_code": 400,
}


def run_commands(em: Emulator, commands: list[Json]) -> tuple[dict[str, Any], dict[str, str]]:
    """Apply commands in order; (sync_status, temp_id_mapping). Uuids that ran are not run again;
    a refused one is tried again (a plan limit, a missing task may have changed since)."""
    statuses: dict[str, Any] = {}
    mapping: dict[str, str] = {}  # also this request's temp ids: they live as long as it does
    for command in commands:
        uuid = command["uuid"]
        status: str | dict[str, Any]
        with em.lock:
            if uuid in em.commands:
                status, created = ALREADY_PROCESSED, em.commands[uuid]
            else:  # only what ran is remembered: a refused command may be sent again and succeed
                try:
                    created = _apply(em, command, mapping)
                    status = "ok"
                    em.commands[uuid] = created
                except ApiError as error:
                    status, created = _status(error), {}
        statuses[uuid] = clone(status)
        mapping.update(created)
    return statuses, mapping


def _read(em: Emulator, since: int | None, wanted: set[str]) -> Json:
    """The requested arrays: every active object when `since` is None, else what changed after
    it; the account's own records (a caller holds the lock, and copies or renders them under it)."""
    out: Json = {}

    def pick(kind: str, table: dict[str, Json], active: Any) -> list[Json]:
        if since is None:
            return [row for row in table.values() if active(row)]
        return [table[key] for key in em.changed_since(kind, since) if key in table]

    if "items" in wanted:
        out["items"] = pick(
            "items",
            em.tasks,
            lambda t: not (t["checked"] or t["is_deleted"] or em.projects[t["project_id"]]["is_archived"]),
        )
    if "projects" in wanted:
        out["projects"] = pick(
            "projects", em.projects, lambda p: not p["is_deleted"] and not p["is_archived"]
        )
    if "labels" in wanted:
        out["labels"] = [label_sync(lb) for lb in pick("labels", em.labels, lambda lb: not lb["is_deleted"])]
    if "user" in wanted:
        done = [t for t in em.tasks.values() if t["checked"] and not t["is_deleted"]]
        today = [t for t in done if t["completed_at"][:10] == em.today().isoformat()]
        out["user"] = user_record(em.user, em.inbox_id, len(done), len(today))
    if "collaborators" in wanted:
        sharing = {state["user_id"] for state in em.collaborator_states.values()}
        out["collaborators"] = pick("collaborators", em.collaborators, lambda c: c["id"] in sharing)
        states = {f"{p}:{u}": state for (p, u), state in em.collaborator_states.items()}
        out["collaborator_states"] = pick("collaborator_states", states, lambda s: True)
    return out


def handle_sync(em: Emulator, content_type: str, body: bytes, parsed: Parsed | None = None) -> Json:
    """The whole exchange; calls `em.after_commands` between applying commands and reading.
    `parsed` is the body's `parse_request`, when the caller has it (the /sync route reads the
    token before counting the request against the sync limits): some 60 kB of commands are not
    decoded twice."""
    return answer_sync(em, content_type, body, parsed, clone)


def answer_sync(
    em: Emulator, content_type: str, body: bytes, parsed: Parsed | None, respond: Callable[[Json], _T]
) -> _T:
    """`handle_sync`, whose answer, holding the account's own records, is given to `respond`
    under the lock: the /sync route renders it there (`JSONResponse`), so the records read (the
    hundred tasks a batch of creates made) are written once, not copied first."""
    token, types, commands = parse_request(content_type, body) if parsed is None else parsed
    full = token in (None, "*")
    since = None if full or token is None else em.token_version(token)
    if not full and types and em.full_sync_next:  # the server's choice: everything, said so
        em.full_sync_next, full, since = False, True, None
    statuses, mapping = run_commands(em, commands) if commands is not None else ({}, {})
    if commands is not None and em.after_commands is not None:
        em.after_commands()
    with em.lock:
        answer: Json = {"sync_token": em.issue_token(), "full_sync": full}
        if full:
            answer["full_sync_date_utc"] = timestamp(em.clock())
        answer.update(_read(em, since, _wanted(types)))
        if commands is not None:
            answer["sync_status"] = statuses
            answer["temp_id_mapping"] = mapping
        return respond(answer)
