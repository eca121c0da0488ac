"""What the project lets the bridge set: its issue type, found in the project, and the fields on
its create and edit screens. Pure: the connector fetches, this module decides.

Issue types belong to projects: a team-managed project has its own "Task" (its own id), and a
translated site names it otherwise, so a create naming the type is refused. The type is looked up
in the project once and sent by id. Screens decide which fields a create or an edit may name; a
field not on them refuses the whole request, so the bridge sends only fields on the screen and
says which note fields cannot be carried. The learned metadata lives in the connector's cursor.
"""

from __future__ import annotations

from typing import Any

from bridge.errors import ConfigError

__all__ = [
    "NOTE_FIELDS",
    "Meta",
    "check_essentials",
    "defaults",
    "dropped",
    "learn_fields",
    "missing_required",
    "pick_type",
    "screen_refusal",
    "subtask_type",
    "trim",
]

Meta = dict[str, Any]
"""The cursor's `meta`: `project`, `wanted` (JIRA_ISSUE_TYPE), `type` ({id, name}), `create`
({field id: {name, required, default}}), and `edit` (field ids) once an edit needed it."""

NOTE_FIELDS = {
    "duedate": "due dates",
    "priority": "priorities",
    "assignee": "owners",
    "description": "links back to the note",
}
"""The fields the bridge fills from a note that a screen may leave out, and what is lost then."""
_BRIDGE_SETS = {"project", "issuetype", "summary", "labels", *NOTE_FIELDS}
_ALWAYS_SENT = {"project", "issuetype"}  # on every create; some answers do not list them
_ESSENTIAL = {"summary": "Summary", "labels": "Labels"}  # without them the bridge cannot work


def pick_type(types: list[dict[str, Any]], wanted: str, project: str) -> dict[str, str]:
    """The project's issue type named `wanted` (exactly, then ignoring case) or with that id;
    a `ConfigError` listing the project's types when there is none."""
    usable = [t for t in types if not t.get("subtask") and t.get("id") is not None]
    for match in (
        lambda t: t.get("name") == wanted,
        lambda t: str(t.get("name", "")).casefold() == wanted.casefold(),
        lambda t: str(t.get("id")) == wanted,
    ):
        found = [t for t in usable if match(t)]
        if len(found) == 1:
            return {"id": str(found[0]["id"]), "name": str(found[0].get("name") or wanted)}
    names = ", ".join(f"{t.get('name')} (id {t.get('id')})" for t in usable) or "none"
    raise ConfigError(
        f"JIRA_ISSUE_TYPE {wanted!r} is not an issue type of project {project}; its types are: {names}"
    )


def subtask_type(types: list[dict[str, Any]]) -> dict[str, str] | None:
    """The project's sub-task type (`subtask: true`), the first if it has several; None if none."""
    for kind in types:
        if kind.get("subtask") and kind.get("id") is not None:
            return {"id": str(kind["id"]), "name": str(kind.get("name") or "Sub-task")}
    return None


def learn_fields(listed: list[dict[str, Any]] | dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A create screen's fields (createmeta's list, or the older createmeta's object) by id."""
    items = list(listed.values()) if isinstance(listed, dict) else listed
    fields: dict[str, dict[str, Any]] = {}
    for item in items:
        field_id = item.get("fieldId") or item.get("key")
        if isinstance(field_id, str):
            fields[field_id] = {
                "name": str(item.get("name") or field_id),
                "required": bool(item.get("required")),
                "default": bool(item.get("hasDefaultValue")),
            }
    return fields


def check_essentials(meta: Meta) -> None:
    """The create screen must show the summary and the labels the bridge finds its issues by."""
    absent = [name for field_id, name in _ESSENTIAL.items() if field_id not in meta["create"]]
    if absent:
        raise ConfigError(
            f"the create screen of {meta['type']['name']} issues in project {meta['project']} has no"
            f" {' or '.join(absent)} field, which the bridge needs (it finds its issues by their"
            " labels): add it to the screen, or set JIRA_ISSUE_TYPE to a type whose screen has it"
        )


def defaults(meta: Meta, given: dict[str, Any]) -> dict[str, Any]:
    """JIRA_FIELDS by field id: each key a field id or name on the create screen."""
    found: dict[str, Any] = {}
    screen: dict[str, dict[str, Any]] = meta["create"]
    for key, value in given.items():
        field_id = key if key in screen else None
        if field_id is None:
            named = [f for f, about in screen.items() if about["name"].casefold() == key.casefold()]
            field_id = named[0] if len(named) == 1 else None
        if field_id is None:
            shown = ", ".join(f"{about['name']} ({f})" for f, about in screen.items())
            raise ConfigError(
                f"JIRA_FIELDS: {key!r} is not a field of the create screen of {meta['type']['name']}"
                f" issues in project {meta['project']}; the fields there are: {shown}"
            )
        found[field_id] = value
    return found


def missing_required(meta: Meta, given: dict[str, Any]) -> list[str]:
    """Required fields without a default that the bridge does not fill: `Name (id)` each."""
    screen: dict[str, dict[str, Any]] = meta["create"]
    return [
        f"{about['name']} ({field_id})"
        for field_id, about in screen.items()
        if about["required"] and not about["default"] and field_id not in _BRIDGE_SETS | set(given)
    ]


def trim(body: dict[str, Any], settable: set[str] | None) -> tuple[dict[str, Any], set[str]]:
    """`body` (create fields, or an edit's `{"fields", "update"}`) without the fields not on the
    screen; and the ids of those left out. `settable` None: nothing known, nothing left out."""
    if settable is None:
        return body, set()
    settable = settable | _ALWAYS_SENT
    left_out: set[str] = set()
    kept: dict[str, Any] = {}
    for key, value in body.items():
        if key in ("fields", "update") and isinstance(value, dict):
            part = {k: v for k, v in value.items() if k in settable}
            left_out |= set(value) - settable
            if part:
                kept[key] = part
        elif key in settable:
            kept[key] = value
        else:
            left_out.add(key)
    return kept, left_out


def dropped(left_out: set[str]) -> list[str]:
    """What the notes lose when `left_out` fields are not sent."""
    return [NOTE_FIELDS[f] for f in sorted(left_out) if f in NOTE_FIELDS]


def screen_refusal(why: str) -> bool:
    """Whether Jira's reason says the screens or the type changed since they were learned."""
    return "cannot be set" in why or "issuetype" in why or "issue type" in why or " is required" in why
