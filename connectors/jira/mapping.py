"""The note's view of a task in Jira's terms, and back. Pure: no HTTP here.

Statuses map by status *category* (`new`, `indeterminate`, `done`), never by name: names are
per-workflow and localised. The bridge's labels (`task-bridge` on every issue it made, and
`bridge-<key>` naming the task) are what a rerun searches for; everything else a person adds
in Jira is left alone because label changes are sent as add/remove verbs, not a new list.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

from bridge.connector import Fields, RemoteStatus, RemoteTask
from bridge.model import StatusType

__all__ = [
    "BRIDGE_LABEL",
    "Category",
    "category_for",
    "create_fields",
    "description",
    "edit_body",
    "label_for",
    "labels",
    "obsidian_url",
    "parse_time",
    "remote_task",
]

Category = Literal["new", "indeterminate", "done"]

BRIDGE_LABEL = "task-bridge"
_REF_LABEL = re.compile(r"^bridge-([0-9a-f]{16})$")
_STATUS_LABELS = {StatusType.PROPOSED: "proposed"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def label_for(ref: str) -> str:
    """The label that finds the issue made for the task group `ref`."""
    return f"bridge-{ref}"


def category_for(status: StatusType) -> Category:
    if status in (StatusType.DONE, StatusType.CANCELLED):
        return "done"
    if status is StatusType.IN_PROGRESS:
        return "indeterminate"
    return "new"


def obsidian_url(vault: str, path: str) -> str:
    return f"obsidian://open?vault={quote(vault, safe='')}&file={quote(path, safe='')}"


def description(fields: Fields, version: str) -> str | dict[str, Any]:
    """The note's title and a link back: plain text on REST v2, an ADF document on v3."""
    url = obsidian_url(fields.vault, fields.path)
    title = fields.note_title or fields.path
    if version == "2":
        return f"From the note “{title}”: {url}"
    link = [{"type": "link", "attrs": {"href": url}}]
    paragraph = [
        {"type": "text", "text": "From the note “"},
        {"type": "text", "text": title, "marks": link},
        {"type": "text", "text": "”: "},
        {"type": "text", "text": url, "marks": link},
    ]
    return {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": paragraph}]}


def labels(fields: Fields, ref: str) -> list[str]:
    """The note's tags (Jira labels cannot hold spaces), a status label, and the bridge's two."""
    status = _STATUS_LABELS.get(fields.status)
    tags = [re.sub(r"\s+", "-", tag) for tag in fields.labels if tag.strip()]
    return list(dict.fromkeys([*tags, *([status] if status else []), BRIDGE_LABEL, label_for(ref)]))


def _priority(fields: Fields, names: dict[str, str]) -> dict[str, str] | None:
    """The Jira priority by name; a line without one gets `names["none"]`, else Jira's default."""
    name = names.get(fields.priority.value if fields.priority else "none")
    return {"name": name} if name else None


def create_fields(
    fields: Fields,
    ref: str,
    *,
    project: str,
    issue_type: str,
    priorities: dict[str, str],
    assignee: dict[str, str] | None,
    version: str,
    issue_type_id: str | None = None,
) -> dict[str, Any]:
    """The `fields` of one element of a bulk create; the type by id when it is known (a name is
    ambiguous across projects and translated on some sites)."""
    body: dict[str, Any] = {
        "project": {"key": project},
        "issuetype": {"id": issue_type_id} if issue_type_id else {"name": issue_type},
        "summary": fields.title,
        "description": description(fields, version),
        "labels": labels(fields, ref),
    }
    if fields.due:
        body["duedate"] = fields.due
    priority = _priority(fields, priorities)
    if priority:
        body["priority"] = priority
    if assignee:
        body["assignee"] = assignee
    return body


def edit_body(
    fields: Fields,
    ref: str,
    changed: tuple[str, ...],
    before: Fields | None,
    *,
    priorities: dict[str, str],
    assignee: dict[str, str] | None,
    version: str,
) -> dict[str, Any]:
    """A PUT body with only what changed in the note, so edits made in Jira to the rest survive."""
    values: dict[str, Any] = {}
    if "title" in changed:
        values["summary"] = fields.title
    if "due" in changed:
        values["duedate"] = fields.due
    if "priority" in changed and (priority := _priority(fields, priorities)) is not None:
        values["priority"] = priority
    if "owner" in changed:
        values["assignee"] = assignee
    if "note_title" in changed or "path" in changed:
        values["description"] = description(fields, version)
    body: dict[str, Any] = {"fields": values} if values else {}
    if "labels" in changed or "status" in changed:
        new, old = labels(fields, ref), labels(before, ref) if before is not None else []
        verbs = [{"add": x} for x in new if x not in old] + [{"remove": x} for x in old if x not in new]
        if verbs:
            body["update"] = {"labels": verbs}
    return body


def parse_time(value: str | None) -> datetime | None:
    """Jira's `2025-03-04T10:15:30.123+0000` as an aware datetime."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None


def remote_task(issue: dict[str, Any]) -> RemoteTask:
    """A searched issue (or a webhook's `issue`) as the core sees it."""
    data = issue.get("fields") or {}
    status = data.get("status") or {}
    category = (status.get("statusCategory") or {}).get("key")
    held = [str(x) for x in data.get("labels") or ()]
    ref = next((m.group(1) for m in map(_REF_LABEL.match, held) if m), None)
    when = parse_time(data.get("updated"))
    due = data.get("duedate")
    return RemoteTask(
        remote_id=str(issue["id"]),
        status=RemoteStatus.DONE if category == "done" else RemoteStatus.OPEN,
        updated=when.astimezone(UTC).isoformat() if when else None,
        ref=ref,
        title=str(data.get("summary") or ""),
        labels=tuple(held),
        due=due if isinstance(due, str) and _DAY.match(due) else None,
    )
