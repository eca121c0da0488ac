"""The note's view of a task in Todoist's terms, and back. Pure: no HTTP here.

Todoist's priority is inverted (4 is the app's p1); statuses without a Todoist state become
labels; the link back to the note and the bridge's marker live in the description.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from bridge.connector import Fields, RemoteStatus, RemoteTask
from bridge.model import Priority, StatusType

__all__ = [
    "PRIORITY",
    "STATUS_LABELS",
    "add_args",
    "advance_command",
    "description",
    "due_string",
    "labels",
    "merged_labels",
    "obsidian_url",
    "remote_task",
    "update_args",
]

PRIORITY = {Priority.HIGHEST: 4, Priority.HIGH: 3, Priority.MEDIUM: 2, Priority.LOW: 1, Priority.LOWEST: 1}
STATUS_LABELS = {
    StatusType.PROPOSED: "proposed",
    StatusType.IN_PROGRESS: "in-progress",
    StatusType.CANCELLED: "cancelled",
}
_MARKER = "task-bridge key: "
_MARKER_RE = re.compile(re.escape(_MARKER) + r"([0-9a-f]{16})\b")


@functools.lru_cache(maxsize=1024)  # the tasks of one note share it
def obsidian_url(vault: str, path: str) -> str:
    return f"obsidian://open?vault={quote(vault, safe='')}&file={quote(path, safe='')}"


def description(fields: Fields, ref: str) -> str:
    """The note's title linked back to it, and the marker that lets a rerun find a task it created."""
    title = fields.note_title.replace("[", "(").replace("]", ")")
    return f"From [{title}]({obsidian_url(fields.vault, fields.path)})\n\n{_MARKER}{ref}"


def due_string(rule: str) -> str | None:
    """`connectors.todoist.recurrence.due_string`, imported for the first rule it is asked for: a
    run that sends no recurring task does not import the rule reader (dateutil, its patterns)."""
    from connectors.todoist.recurrence import due_string as words

    return words(rule)


def labels(fields: Fields) -> list[str]:
    status = STATUS_LABELS.get(fields.status)
    return list(dict.fromkeys([*fields.labels, *([status] if status else [])]))


def _due(fields: Fields) -> dict[str, str] | None:
    """The note's due date, as a recurring due string when it has a rule Todoist can say (the
    only way to make a Todoist task recur), starting on the note's date so the two agree."""
    words = due_string(fields.recurrence) if fields.recurrence else None
    if words is not None:
        return {"string": f"{words} starting {fields.due}" if fields.due else words}
    return {"date": fields.due} if fields.due else None


def advance_command(remote_id: str, fields: Fields, uuid: str) -> dict[str, Any]:
    """One occurrence completed in the note: `item_update_date_complete` moves the task to the
    note's next due date and counts a completion, keeping the rule's string (the reference's
    "Complete a recurring task"); without a date the note gives, Todoist's own `item_close`,
    which moves a recurring task on by its own rule."""
    if fields.due is None:
        return {"type": "item_close", "uuid": uuid, "args": {"id": remote_id}}
    words = due_string(fields.recurrence) if fields.recurrence else None
    due = {"date": fields.due, **({"string": words} if words else {})}
    args = {"id": remote_id, "due": due, "is_forward": 1}
    return {"type": "item_update_date_complete", "uuid": uuid, "args": args}


def add_args(
    fields: Fields, ref: str, project_id: str, assignee: str | None, parent_id: str | None = None
) -> dict[str, Any]:
    """`item_add`'s arguments; a sub-task's `parent_id` places it under its parent's task."""
    args: dict[str, Any] = {
        "content": fields.title,
        "description": description(fields, ref),
        "project_id": project_id,
        "labels": labels(fields),
        "priority": PRIORITY.get(fields.priority, 1) if fields.priority else 1,
    }
    due = _due(fields)  # a rule without a date recurs from today, as Todoist reads it
    if due is not None:
        args["due"] = due
    if assignee:
        args["responsible_uid"] = assignee
    if parent_id:
        args["parent_id"] = parent_id
    return args


def merged_labels(fields: Fields, before: Fields | None, remote: list[str] | None) -> list[str]:
    """Labels after a note change: those added in Todoist stay; the bridge's own follow the note."""
    ours = labels(fields)
    old = labels(before) if before is not None else []
    current = remote if remote is not None else old
    return list(dict.fromkeys([*(x for x in current if x not in old and x not in ours), *ours]))


def update_args(
    remote_id: str,
    fields: Fields,
    ref: str,
    changed: tuple[str, ...],
    assignee: str | None,
    *,
    before: Fields | None = None,
    remote_labels: list[str] | None = None,
) -> dict[str, Any]:
    """Only what changed in the note, so an edit made in Todoist to another field survives."""
    args: dict[str, Any] = {"id": remote_id}
    if "title" in changed:
        args["content"] = fields.title
    if "due" in changed or "recurrence" in changed:
        args["due"] = _due(fields)  # None clears it
    if "priority" in changed:
        args["priority"] = PRIORITY.get(fields.priority, 1) if fields.priority else 1
    if "labels" in changed or "status" in changed:
        args["labels"] = merged_labels(fields, before, remote_labels)
    if "owner" in changed:
        args["responsible_uid"] = assignee
    if "note_title" in changed or "path" in changed:
        args["description"] = description(fields, ref)
    return args


def item_state(item: Mapping[str, Any]) -> tuple[RemoteStatus, bool, str | None, tuple[str, ...], int | None]:
    """An item's status, whether it recurs, its time in the tracker, its labels and its completed
    count: what `remote_task` reads besides the marker, title and date, and all that a write's echo
    needs (`echoes.py` reads one an item created). A recurring task whose occurrence was completed
    stays open (unchecked, its due moved on, `completed_count` up)."""
    due = item.get("due")
    recurring = isinstance(due, dict) and bool(due.get("is_recurring"))
    if item.get("checked") or (item.get("completed_at") and not recurring):
        status = RemoteStatus.DONE  # completed, then deleted (or archived with its project): done
    elif item.get("is_deleted"):
        status = RemoteStatus.DELETED
    else:
        status = RemoteStatus.OPEN
    updated = item.get("updated_at") or item.get("completed_at") or item.get("added_at")
    count = item.get("completed_count")
    labels = tuple(map(str, item.get("labels") or ()))
    return status, recurring, updated, labels, count if isinstance(count, int) else None


def remote_task(item: dict[str, Any]) -> RemoteTask:
    """A Sync API item (or webhook `event_data`) as the core sees it (see `item_state`)."""
    status, _recurring, updated, labels, completions = item_state(item)
    due = item.get("due") if isinstance(item.get("due"), dict) else None
    found = _MARKER_RE.search(item.get("description") or "")
    return RemoteTask(
        remote_id=str(item["id"]),
        status=status,
        updated=updated,
        ref=found.group(1) if found else None,
        title=str(item.get("content", "")),
        labels=labels,
        due=str(due["date"])[:10] if due and isinstance(due.get("date"), str) else None,
        completions=completions,
    )
