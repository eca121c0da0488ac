"""A plan in words, one line per change, as `bridge sync --dry-run` shows it.

Each change names the task by its text and shows old → new values; a note write shows the
line as it reads now. Keys and field names alone told people nothing they could check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bridge.connector import Fields, Op, OpKind
from bridge.model import Priority, StatusType
from bridge.plan_model import Conflict, NoteEdit, Plan

__all__ = ["NoteLines", "describe_conflict", "describe_edit", "describe_op", "describe_plan", "file_lines"]

_NONE = "none"


def _quoted(text: str) -> str:
    """In quotes as the note has it: repr() would spell the invisible U+F8FF of mojibake as `\\uf8ff`."""
    return f"'{text}'"


def _status(status: StatusType) -> str:
    return status.value.lower().replace("_", " ")


def _value(name: str, fields: Fields) -> str:
    if name == "labels":
        return " ".join(f"#{label}" for label in fields.labels) or _NONE
    if name == "status":
        return _status(fields.status)
    value = getattr(fields, name)
    if isinstance(value, Priority):
        return value.value
    if name == "owner" and value:
        return f"@{value}"
    if name in ("title", "note_title") and value is not None:
        return _quoted(value)
    return str(value) if value else _NONE


_NAMES = {"note_title": "note", "path": "moved", "labels": "tags"}


def _change(name: str, before: Fields, after: Fields) -> str:
    return f"{_NAMES.get(name, name)} {_value(name, before)} → {_value(name, after)}"


def _summary(fields: Fields) -> str:
    """What a new task is created with, besides its title."""
    parts = [f"{name} {_value(name, fields)}" for name in ("due", "priority") if getattr(fields, name)]
    parts += [_value("owner", fields)] if fields.owner else []
    parts += [_value("labels", fields)] if fields.labels else []
    return ", ".join(parts)


def describe_op(op: Op) -> str:
    """`update 'Send the agenda' due 2026-11-20 → 2026-11-27 [notes/a.md]`."""
    fields, where = op.fields, f" [{op.fields.path}]" if op.fields.path else ""
    if op.kind is OpKind.CREATE:
        details = _summary(fields)
        return f"create {_quoted(fields.title)}{' (' + details + ')' if details else ''}{where}"
    if op.kind is OpKind.UPDATE and op.before is not None and op.before.title:
        names = [n for n in op.changed if not (n == "note_title" and "path" in op.changed)]
        changes = ", ".join(_change(name, op.before, fields) for name in names)
        return f"update {_quoted(op.before.title)} {changes}{where}"
    if op.kind is OpKind.UPDATE:
        return f"update {_quoted(fields.title)} ({', '.join(op.changed)}){where}"
    return f"{op.kind.value} {_quoted(fields.title)}{where}"


NoteLines = Callable[[str, int], str | None]
"""The text of a note's line (path, 1-based number) as it reads now, or None when unknown."""


def describe_edit(edit: NoteEdit, lines: NoteLines) -> str:
    """`notes/a.md:12 '- [ ] Send the agenda' becomes done`."""
    text = lines(edit.path, edit.line) if edit.line else None
    where = f"{edit.path}:{edit.line}" if edit.line else edit.path
    shown = _quoted(text) if text is not None else f"task {edit.key[:7]}"
    added = ""
    if edit.recur is not None:
        added = (
            "; its next occurrence added"
            if edit.recur.count == 1
            else f"; {edit.recur.count} occurrences recorded"
        )
    return f"{where} {shown} becomes {_status(edit.target)}{added}"


def describe_conflict(conflict: Conflict, title: str | None) -> str:
    """Both sides changed the status differently; says which side the policy let win."""
    name = _quoted(title) if title else conflict.remote_id
    return (
        f"conflict {name}: {conflict.note} in the note, {conflict.tracker} in the tracker;"
        f" the {conflict.winner} wins"
    )


def describe_plan(plan: Plan, lines: NoteLines) -> list[str]:
    """Every change of `plan` in words: tracker changes, then note writes, then conflicts."""
    titles = {step.ref: step.after.fields.title for step in plan.steps}
    return [
        *(describe_op(op) for op in plan.ops),
        *(describe_edit(edit, lines) for edit in plan.edits),
        *(describe_conflict(c, titles.get(c.ref)) for c in plan.conflicts),
    ]


def file_lines(root: Path) -> NoteLines:
    """Note lines read from the vault on first use, one read per note; stripped of indentation."""
    cache: dict[str, list[str] | None] = {}

    def line(path: str, number: int) -> str | None:
        if path not in cache:
            try:
                cache[path] = (root / path).read_bytes().decode("utf-8", "replace").split("\n")
            except OSError:
                cache[path] = None
        text = cache[path]
        return text[number - 1].strip() if text is not None and 0 < number <= len(text) else None

    return line
