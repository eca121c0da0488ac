"""How results look: one JSON document for programs, a rich table for people, diagnostics on stderr."""

from __future__ import annotations

import codecs
import json
import os
import sys
from collections.abc import Iterable, Sequence
from functools import partial
from json.encoder import encode_basestring as json_string  # the C encoder's, as `_compact` uses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.model import Diagnostic, Priority, Source, StatusType, Task
from bridge.wording import counted

if TYPE_CHECKING:  # rich is imported when a person is shown something: JSON output never needs it
    from rich.console import Console

    from bridge.tables import Cell, Column

__all__ = [
    "MIN_TASK_WIDTH",
    "json_or_null",
    "json_string",
    "json_strings",
    "never_synced",
    "print_diagnostics",
    "print_inbox",
    "print_json",
    "print_report",
    "print_status",
    "print_tasks_table",
    "task_json",
    "tasks_json_parts",
    "write_json_bytes",
    "write_json_chunks",
]


MIN_TASK_WIDTH = 32  # a task's text is never squeezed narrower than this in a table


# Enum members' `.value` is a slow descriptor; these plain lookups give the same strings.
_STATUS_VALUE = {s: s.value for s in StatusType}
_PRIORITY_VALUE: dict[Priority | None, str | None] = {None: None, **{p: p.value for p in Priority}}


def task_json(task: Task, group: str | None, connector: str | None = None) -> dict[str, Any]:
    """A task as `bridge tasks --json` prints it (the design's contract fields first).

    `connector` is where `bridge sync` would send it (BRIDGE_ROUTES or BRIDGE_CONNECTOR), or None.
    """
    source = task.source
    return {
        "key": task.key,
        "status": task.status,
        "description": task.description,
        "owner": task.owner,
        "due": task.due,
        "priority": _PRIORITY_VALUE[task.priority],
        "tags": list(task.tags),
        "path": source.path,
        "line": source.line,
        "group": group,
        "status_type": _STATUS_VALUE[task.status_type],
        "scheduled": task.scheduled,
        "start": task.start,
        "created": task.created,
        "done": task.done,
        "cancelled": task.cancelled,
        "recurrence": task.recurrence,
        "id": task.id,
        "depends_on": list(task.depends_on),
        "on_completion": task.on_completion,
        "parent": task.parent,  # the key of the task line this one is indented under
        "connector": connector,
    }


_compact = json.JSONEncoder(ensure_ascii=False).encode  # what `print_json` writes when piped


# Compact JSON holds a `"` outside strings only (inside one it is `\"`), so this run, which holds
# some, occurs only where it is: at the group of an item (`task_json` puts "status_type" after it).
_GROUP = ', "group": null, "status_type": '


def json_or_null(value: str | None) -> str:
    """A text's JSON as the C encoder writes it, or null; TypeError for any other value."""
    return "null" if value is None else json_string(value)


def json_strings(values: Iterable[str]) -> str:
    """A sequence of texts as a JSON array; TypeError when it holds anything but texts."""
    return "[" + ", ".join(map(json_string, values)) + "]"


# `task_json`'s compact text filled in field by field, a NUL for the group: the encoder's dict of
# 22 items a task was a third of what a worker spent on a cold note besides parsing it.
_ITEM_KEYS = (
    "key", "status", "description", "owner", "due", "priority", "tags", "path", "line", "group",
    "status_type", "scheduled", "start", "created", "done", "cancelled", "recurrence", "id",
    "depends_on", "on_completion", "parent", "connector",
)  # fmt: skip
_SAMPLE = Task("", "", StatusType.TODO, "", Source("", 1, 0, 0), "")
if tuple(task_json(_SAMPLE, None)) != _ITEM_KEYS:  # pragma: no cover - `_item` writes them in this order
    raise RuntimeError("bridge.output: task_json's keys changed; update _item")
_ITEM_VALUES = {"line": "%d", "group": "\0", "connector": "null"}  # the others: "%s"
_ITEM = "{" + ", ".join(f"{json_string(k)}: {_ITEM_VALUES.get(k, '%s')}" for k in _ITEM_KEYS) + "}"


def _item(t: Task) -> str:
    """`_compact(task_json(t, None))` with a NUL for the group; TypeError or KeyError for a value
    the encoder would write otherwise (or refuse): `tests/bridge/test_output_items.py` compares."""
    source = t.source
    line = source.line
    if type(line) is not int:  # `%d` writes a bool, a float, an int's subclass otherwise
        raise TypeError(line)
    # `json_or_null` and `json_strings` written out: most of these are None or empty, and a call
    # each cost a listing's workers more than writing the rest of the item.
    owner, due, priority, tags = t.owner, t.due, _PRIORITY_VALUE[t.priority], t.tags
    scheduled, start, created, done = t.scheduled, t.start, t.created, t.done
    cancelled, recurrence, task_id, depends_on = t.cancelled, t.recurrence, t.id, t.depends_on
    on_completion, parent = t.on_completion, t.parent
    return _ITEM % (
        json_string(t.key),
        json_string(t.status),
        json_string(t.description),
        "null" if owner is None else json_string(owner),
        "null" if due is None else json_string(due),
        "null" if priority is None else json_string(priority),
        "[" + ", ".join(map(json_string, tags)) + "]",
        json_string(source.path),
        line,
        json_string(_STATUS_VALUE[t.status_type]),
        "null" if scheduled is None else json_string(scheduled),
        "null" if start is None else json_string(start),
        "null" if created is None else json_string(created),
        "null" if done is None else json_string(done),
        "null" if cancelled is None else json_string(cancelled),
        "null" if recurrence is None else json_string(recurrence),
        "null" if task_id is None else json_string(task_id),
        "[" + ", ".join(map(json_string, depends_on)) + "]",
        "null" if on_completion is None else json_string(on_completion),
        "null" if parent is None else json_string(parent),
    )


def tasks_json_parts(tasks: Sequence[Task]) -> str:
    """The compact JSON items of tasks with no group and no connector, joined by ", " as in a
    list, with a NUL (compact JSON escapes control characters, so holds none) in place of each
    group value: filled in, it is what `print_json` writes between `[` and `]` of `task_json`
    items, so a listing can keep a note's text and fill in only the groups."""
    try:
        return ", ".join(map(_item, tasks))
    except (TypeError, KeyError):  # a value of another type: the encoder's way (or its error)
        text = _compact([task_json(task, None) for task in tasks])[1:-1]
        return text.replace(_GROUP, ', "group": \0, "status_type": ')


def write_json_chunks(chunks: Iterable[str], *, every: int = 256) -> None:
    """A JSON array of compact items given as strings of one or more items joined by ", ": the
    bytes `print_json` writes when piped, written every `every` strings, never whole."""
    write = sys.stdout.write
    pending = ["["]
    for at, chunk in enumerate(chunks):
        pending += (", ", chunk) if at else (chunk,)
        if len(pending) >= every:
            write("".join(pending))
            pending = []
    pending.append("]\n")
    write("".join(pending))


def write_json_bytes(chunks: Iterable[bytes], *, every: int = 256) -> None:
    """`write_json_chunks` of chunks in UTF-8, handed to stdout's byte stream as they are when
    stdout writes UTF-8 (encoding the text again costs more than joining it); decoded and written
    as text otherwise, so the bytes written are the same either way. Compact JSON holds no line
    break, so a stream that translates them has only the last one to translate."""
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None or not _writes_utf8(stream):
        write_json_chunks((chunk.decode("utf-8") for chunk in chunks), every=every)
        return
    stream.flush()  # whatever the text layer holds goes first
    write = buffer.write
    pending = [b"["]
    for at, chunk in enumerate(chunks):
        pending += (b", ", chunk) if at else (chunk,)
        if len(pending) >= every:
            write(b"".join(pending))
            pending = []
    pending.append(b"]")
    write(b"".join(pending))
    stream.write("\n")  # through the text layer: its newline translation, its line buffering


def _writes_utf8(stream: Any) -> bool:
    """Whether text written to `stream` reaches its byte stream as UTF-8 (not UTF-8 with a BOM)."""
    try:
        return codecs.lookup(stream.encoding).name == "utf-8"
    except (LookupError, TypeError, AttributeError):
        return False


def print_json(document: Any) -> None:
    """Indented for a person at a terminal; compact for programs, where the C encoder is 3x faster."""
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=indent) + "\n")  # one write


def _shown_path(root: Path, rel: str) -> str:
    """The note's path as the user can open it: relative to the working folder when inside it."""
    full = root / rel
    shown = os.path.relpath(full)
    return full.as_posix() if shown.startswith("..") else Path(shown).as_posix()


def print_diagnostics(root: Path, diagnostics: Iterable[Diagnostic]) -> None:
    for d in diagnostics:
        where = _shown_path(root, d.path) + (f":{d.line}" if d.line is not None else "")
        print(f"{where}: {d.message}", file=sys.stderr)


def _task_columns(connector: bool) -> tuple[Column, ...]:
    """The task table's columns (`bridge.tables` is imported for a table alone: a sync or JSON
    output never draws one)."""
    from bridge.tables import Column

    columns = (
        Column("Line", justify="right"),
        Column(""),
        Column("Task", main=True, least=MIN_TASK_WIDTH),
        Column("Owner", drop=5),
        Column("Due", drop=6),
        Column("Priority", drop=4),
        Column("Tags", drop=1),
        Column("Group", drop=2),
    )
    return columns + ((Column("Connector", drop=3),) if connector else ())


_TASK_TSV = ("path", "line", "status", "task", "owner", "due", "priority", "tags", "group")


def print_tasks_table(
    tasks: Sequence[Task],
    groups: Sequence[str | None],
    connectors: Sequence[str | None] | None = None,
    console: Console | None = None,
) -> None:
    """One table per note at a terminal, whose task text stays readable at any width (Tags,
    Group, Connector, Priority, Owner and Due leave first, in that order); tab-separated rows
    under a header line when piped.

    `connectors` (where each task is routed) adds a column; None when no routing is configured.
    """
    from rich.console import Console
    from rich.text import Text

    from bridge.tables import table, write_tsv

    console = console or Console()
    where = connectors if connectors is not None else [None] * len(tasks)
    rows = list(zip(tasks, groups, where, strict=True))
    if not console.is_terminal:
        header = _TASK_TSV + (("connector",) if connectors is not None else ())
        write_tsv(console, header, [_task_fields(*row)[: len(header)] for row in rows])
        return
    columns = _task_columns(connectors is not None)
    by_note: dict[str, list[list[Cell]]] = {}
    for task, group, connector in rows:
        cells: list[Cell] = [
            str(task.source.line),
            f"[{task.status}]",
            task.description,
            task.owner or "",
            task.due or "",
            task.priority.value if task.priority else "",
            Text(" ".join(f"#{t}" for t in task.tags), style="dim"),
            (group or "")[:7],
        ]
        if connectors is not None:
            cells.append(connector or Text("none", style="dim"))
        by_note.setdefault(task.source.path, []).append(cells)
    for path, cells_of_note in by_note.items():
        console.print(table(columns, cells_of_note, console.width, title=path, expand=True))
    distinct = len({g or t.key for t, g in zip(tasks, groups, strict=True)})
    console.print(
        f"{counted(len(tasks), 'task')} in {counted(distinct, 'group')} from {counted(len(by_note), 'note')}",
        highlight=False,
    )


def _task_fields(task: Task, group: str | None, connector: str | None) -> list[str]:
    """A task as one tab-separated row: whole values (the full group key), nothing cut."""
    return [
        task.source.path,
        str(task.source.line),
        task.status,
        task.description,
        task.owner or "",
        task.due or "",
        task.priority.value if task.priority else "",
        " ".join(f"#{t}" for t in task.tags),
        group or "",
        connector or "",
    ]


def _counts(report: dict[str, Any]) -> str:
    """The counts that are not zero, in words: `1 created, 2 note lines written, 1 conflict`."""
    words = {
        "notes_written": lambda n: f"{counted(n, 'note line')} written",
        "conflicts": lambda n: counted(n, "conflict"),
        "held": lambda n: f"{n:,} held back",
    }
    return ", ".join(
        words[k](report[k]) if k in words else f"{report[k]:,} {k}" for k in _COUNTS if report.get(k)
    )


_COUNTS = (
    "created",
    "updated",
    "closed",
    "reopened",
    "deleted",
    "notes_written",
    "conflicts",
    "failed",
    "held",
)


def print_report(report: dict[str, Any], console: Console | None = None, *, target: str = "") -> None:
    """A sync's outcome for a person: the counts that are not zero, where new tasks go, each
    planned change (dry run), then notices and errors; piped, no line is wrapped.

    `target` names where new tasks go (`Report.target`), which `--json` leaves out."""
    from rich.console import Console

    console = console or Console()
    say = partial(console.print, highlight=False, markup=False, soft_wrap=not console.is_terminal)
    prefix = "[dry run] would have: " if report.get("dry_run") else ""
    linked, requests = report.get("linked", 0), report.get("requests", 0)
    say(
        f"{prefix}{report['connector']}: {_counts(report) or 'nothing to do'}"
        f" ({linked:,} linked, {counted(requests, 'request')})"
    )
    if target and (report.get("dry_run") or report.get("created")):
        verb = "go" if report.get("dry_run") else "went"
        say(f"  new tasks {verb} to {target}")
    for line in report.get("plan", []):
        say(f"  {line}")
    for notice in _grouped(report.get("notices", [])):
        say(f"  {notice}", style="dim")
    for error in report.get("errors", []):
        say(f"  {error}", style="red")


def _grouped(notices: list[str]) -> list[str]:
    """Notices for a person: many places with the same thing to say (a project deleted with its
    hundreds of tasks) make one line with a count; `--json` keeps every one."""
    by_tail: dict[str, list[str]] = {}
    for notice in notices:
        where, _, tail = notice.rpartition(": ")
        by_tail.setdefault(tail if where else notice, []).append(where)
    lines: list[str] = []
    for tail, places in by_tail.items():
        if len(places) >= _GROUPED and all(places):
            lines.append(f"{counted(len(places), 'place')} ({places[0]}, …): {tail}")
        else:
            lines.extend(f"{where}: {tail}" if where else tail for where in places)
    return lines


_GROUPED = 3


_STATUS = (
    ("Connector", "connector"),
    ("Linked lines", "links"),
    ("Open", "open"),
    ("Done", "done"),
    ("Deleted", "deleted"),
    ("Last sync", "last_sync"),
    ("Conflicts", "conflicts"),
    ("Failed", "failed"),
)


def never_synced() -> str:
    """What `status` says of a new state, naming the program as the user ran it."""
    from bridge.exits import prog

    return (
        "never synced: this state has no links and no runs yet. See the plan with"
        f" `{prog()} sync --dry-run`, then run `{prog()} sync`."
    )


def print_status(status: dict[str, Any], console: Console | None = None) -> None:
    """Links and last runs per connector, with whole timestamps: a table when it fits, else one
    block per connector; tab-separated rows when piped (the other lines then go to stderr)."""
    from rich.console import Console

    from bridge.tables import write_tsv

    console = console or Console()
    aside = console if console.is_terminal else Console(stderr=True)
    rows = [
        [name, *(_shown(row[key]) for _, key in _STATUS[1:])] for name, row in status["connectors"].items()
    ]
    aside.print(f"state: {status['state']}", highlight=False, markup=False, soft_wrap=True)
    if not console.is_terminal:
        write_tsv(console, [key for _, key in _STATUS], rows)
    elif rows:
        _status_rows(console, rows)
    if not rows:
        aside.print(never_synced(), highlight=False, markup=False, soft_wrap=True)
    inbox = status.get("inbox") or {}
    if inbox:
        waiting = inbox.get("new", 0) + inbox.get("claimed", 0)
        line = f"webhook inbox: {waiting:,} waiting, {inbox.get('done', 0):,} applied"
        if inbox.get("set_aside"):
            line += f", {inbox['set_aside']:,} set aside (could not be applied: see `bridge inbox`)"
        aside.print(line, highlight=False, markup=False, soft_wrap=True)


def _shown(value: object) -> str:
    return "never" if value is None else str(value)


def _status_rows(console: Console, rows: list[list[str]]) -> None:
    """A table if every column fits whole; else `name: value` lines under each connector, since
    a cut timestamp (`2026-12-…`) is worse than a taller answer."""
    from bridge.tables import Column, fits, table

    columns = [
        Column(name, justify="left" if i in (0, 5) else "right") for i, (name, _) in enumerate(_STATUS)
    ]
    if fits(columns, rows, console.width):
        console.print(table(columns, rows, console.width))
        return
    wide = max(len(name) for name, _ in _STATUS[1:])
    for row in rows:
        console.print(row[0], style="bold", highlight=False, markup=False)
        for (name, _), value in zip(_STATUS[1:], row[1:], strict=True):
            console.print(f"  {name + ':':<{wide + 1}} {value}", highlight=False, markup=False)


def print_inbox(items: Sequence[dict[str, Any]], console: Console | None = None) -> None:
    """`bridge inbox`: the deliveries not applied yet, and for each why (a table for people;
    tab-separated rows when piped)."""
    from rich.console import Console

    from bridge.tables import Column, table, write_tsv

    console = console or Console()
    rows = []
    for item in items:
        state = str(item["state"]).replace("_", " ")
        if item["state"] == "new" and item.get("next_attempt"):
            state = f"retry after {item['next_attempt']}"
        rows.append(
            [
                str(item["id"]),
                str(item["connector"]),
                str(item["received_at"]),
                state,
                str(item["attempts"]),
                str(item["reason"] or ""),
            ]
        )
    if not console.is_terminal:
        write_tsv(console, ["id", "connector", "received", "state", "attempts", "reason"], rows)
        return
    if not items:
        console.print("webhook inbox: nothing set aside or waiting", highlight=False)
        return
    columns = (
        Column("Id", justify="right"),
        Column("Connector", drop=2),
        Column("Received"),
        Column("State"),
        Column("Attempts", drop=1, justify="right"),
        Column("Reason", main=True, least=24),
    )
    console.print(table(columns, rows, console.width))
