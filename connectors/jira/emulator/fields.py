"""Reading the `fields` and `update` of create, edit and transition requests into checked changes.

Jira validates every field of a request and answers 400 with all the problems at once, keyed by
field (reference §5). The wordings for a missing summary, the issue-type error and the
"not on the appropriate screen" refusal appear in the spec and the `jira` library's own autofix
code; the rest follow the same pattern and are placeholders. REST v3 takes descriptions as ADF,
v2 as strings (reference §2). The result maps field ids to resolved values (`User`, `Priority` …)
that `state.JiraEmulator` applies.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from connectors.jira.emulator.adf import adf_to_text, is_adf
from connectors.jira.emulator.errors import JiraError, bad_request, field_errors
from connectors.jira.emulator.records import (
    CLASSIC_SCREEN,
    CustomField,
    IssueType,
    Json,
    Project,
    User,
    field_name,
)
from connectors.jira.emulator.site import Site

__all__ = ["EDITABLE", "cannot_set", "check_object", "read_changes"]

EDITABLE = ("summary", "description", "labels", "duedate", "priority", "assignee", "reporter", "issuetype")
_REQUIRED = ("project", "issuetype", "summary")  # Jira's own, on every create screen


class _Invalid(Exception):
    """One field's problem; collected into a single 400."""


def cannot_set(field_id: str) -> str:
    """Jira's refusal of a field that is unknown or not on the screen."""
    return f"Field '{field_id}' cannot be set. It is not on the appropriate screen, or unknown."


def _summary(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid("You must specify a summary of the issue.")
    if "\n" in value or "\r" in value:
        raise _Invalid("The summary is invalid because it contains newline characters.")
    if len(value) > 255:
        raise _Invalid("Summary must be less than 255 characters.")
    return value


def _description(value: Any, version: str) -> str | None:
    if value is None:
        return None
    if version == "3":
        if not is_adf(value):
            raise _Invalid(
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            )
        value = adf_to_text(value)
    elif not isinstance(value, str):
        raise _Invalid("Operation value must be a string")
    return value or None


def _label(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _Invalid("Label must be a non-empty string.")
    if any(ch.isspace() for ch in value):
        raise _Invalid(f"The label '{value}' contains spaces which is invalid.")
    if len(value) > 255:
        raise _Invalid("The label must not exceed 255 characters.")
    return value


def _labels(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _Invalid("data was not an array")
    return sorted({_label(item) for item in value})


def _duedate(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise _Invalid(f"Error parsing date string: {value}")


def _ref(value: Any, *keys: str) -> str | None:
    """The first of `keys` present in a `{"id": …}`-style reference, as a string."""
    if isinstance(value, dict):
        for key in keys:
            if isinstance(value.get(key), str | int):
                return str(value[key])
    return None


def _user(site: Site, value: Any, *, required: bool, project: Project | None) -> User | None:
    """A reporter, or an assignee: `-1` is "Automatic" (the project's default assignee, reference
    §2), and only a user with the Assignable User permission in the project may be assigned."""
    wanted = None if value is None else (
        _ref(value, "accountId", "id") if site.cloud else _ref(value, "name", "key")
    )  # fmt: skip
    if required and (value is None or wanted == "-1"):
        raise _Invalid("Reporter is required.")
    if value is None:
        return None
    if wanted == "-1":
        return site.default_assignees.get(project.key) if project is not None else None
    user = site.find_user(wanted) if wanted is not None else None
    if user is None:
        shown = wanted or _ref(value, "name", "accountId", "key", "id") or ""
        raise _Invalid(f"User '{shown}' does not exist.")
    if not required and project is not None and not site.may_assign(user, project):
        raise _Invalid(f"User '{wanted}' cannot be assigned issues.")
    return user


def _value(site: Site, field_id: str, value: Any, version: str, project: Project | None) -> Any:
    if field_id == "summary":
        return _summary(value)
    if field_id == "description":
        return _description(value, version)
    if field_id == "labels":
        return _labels(value)
    if field_id == "duedate":
        return _duedate(value)
    if field_id == "priority":
        wanted = _ref(value, "id", "name")
        if wanted is None:
            raise _Invalid("Specify the Priority (id or name) in the string format")
        priority = site.find_priority(wanted)
        if priority is None:
            raise _Invalid("The priority selected is invalid.")
        return priority
    if field_id in ("assignee", "reporter"):
        return _user(site, value, required=field_id == "reporter", project=project)
    if field_id == "project":
        found = site.find_project(_ref(value, "id", "key") or "")
        if found is None:
            raise _Invalid("Specify a valid project ID or key")
        return found
    custom = site.custom_fields.get(field_id)
    if custom is not None:
        return _custom(custom, value)
    return _issuetype(site, value, project)


def _custom(field: CustomField, value: Any) -> Any:
    """A custom field's value: text for a text field, a number for a number field."""
    if value is None:
        return None
    if field.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid(f"Operation value must be a number for field '{field.name}'.")
    elif field.kind == "string" and not isinstance(value, str):
        raise _Invalid(f"Operation value must be a string for field '{field.name}'.")
    return value


def _issuetype(site: Site, value: Any, project: Project | None) -> IssueType:
    """By id, or by name among the site's shared types (a team-managed project's own types have
    no site-wide name, and a translated site knows only its own names): wordings as reported."""
    types = project.issue_types if project is not None else ()
    if isinstance(value, dict) and isinstance(value.get("id"), str | int):
        wanted = str(value["id"])
        if all(t.id != wanted for t in site.issue_types):
            raise _Invalid("valid issue type is required")
        found = next((t for t in types if t.id == wanted), None)
        if found is None:
            raise _Invalid("The issue type selected is invalid.")
        return found
    name = _ref(value, "name")
    shared = [t for t in site.issue_types if t.project_id is None and t.name == name]
    found = next((t for t in types if shared and t.id == shared[0].id), None)
    if found is None:
        raise _Invalid("issue type is required")
    return found


def _operations(field_id: str, ops: Any, current: list[str]) -> Any:
    """Apply `update` operations (`set`, and `add`/`remove` for labels) to the current value."""
    if not isinstance(ops, list):
        raise _Invalid("data was not an array")
    value: Any = list(current) if field_id == "labels" else None
    for op in ops:
        if not isinstance(op, dict) or len(op) != 1:
            raise _Invalid("Each operation must be an object with one of set, add or remove.")
        verb, operand = next(iter(op.items()))
        if verb == "set":
            value = operand
        elif verb in ("add", "remove") and field_id == "labels":
            label = _label(operand)
            value = [*value, label] if verb == "add" else [item for item in value if item != label]
        else:
            raise _Invalid(f"Field '{field_id}' does not support operation '{verb}'")
    return value


def read_changes(
    site: Site,
    fields: Any,
    update: Any = None,
    *,
    version: str,
    creating: bool,
    labels: list[str] | None = None,
    project: Project | None = None,
    issuetype: IssueType | None = None,
    allowed: tuple[str, ...] | None = None,
) -> Json:
    """Checked changes from a request's `fields` and `update`; one 400 naming every bad field.

    `labels` is the issue's current list (for `update` add/remove), `project` and `issuetype` the
    issue's (on edit: whose edit screen applies). The create or edit screen of the project and
    issue type decides what may be set; `allowed` overrides it (transition screens, assignment).
    A create must also give every field the screen requires.
    """
    if fields is None:
        fields = {}
    if update is None:
        update = {}
    if not isinstance(fields, dict) or not isinstance(update, dict):
        raise bad_request("Can not deserialize the request: fields and update must be objects.")
    raw: Json = {}
    errors: dict[str, str] = {}
    for field_id, value in fields.items():
        raw[field_id] = value
    for field_id, ops in update.items():
        if field_id in fields:
            errors[field_id] = f"Field '{field_id}' cannot be set in both 'fields' and 'update'."
            continue
        try:
            raw[field_id] = _operations(field_id, ops, labels or [])
        except _Invalid as exc:
            errors[field_id] = str(exc)
    if creating:
        for field_id in _REQUIRED:
            raw.setdefault(field_id, None)
    changes: Json = {}
    if creating and "project" in raw and allowed is None:
        try:
            project = changes["project"] = _value(site, "project", raw.pop("project"), version, None)
        except _Invalid as exc:
            errors["project"] = str(exc)
            raw.pop("issuetype", None)  # cannot be judged without a project
    if creating and "issuetype" in raw and allowed is None:
        try:
            issuetype = changes["issuetype"] = _issuetype(site, raw.pop("issuetype"), project)
        except _Invalid as exc:
            errors["issuetype"] = str(exc)
    settable: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    if allowed is not None:
        settable = allowed
    elif project is not None and issuetype is not None:
        current = site.find_project(project.id) or project  # screens may have changed since
        screen = current.screen(issuetype.id)
        settable = screen.create if creating else screen.edit
        required = screen.required if creating else ()
    else:  # no project or type to judge by (already refused): check the values all the same
        settable = CLASSIC_SCREEN.create if creating else EDITABLE
    for field_id, value in raw.items():
        if field_id in errors:
            continue
        if field_id not in settable:
            errors[field_id] = cannot_set(field_id)
            continue
        try:
            changes[field_id] = _value(site, field_id, value, version, project)
        except _Invalid as exc:
            errors[field_id] = str(exc)
    for field_id in required:
        if field_id not in errors and changes.get(field_id) in (None, "", []):
            errors[field_id] = f"{field_name(field_id, site.custom_fields.get(field_id))} is required."
    if errors:
        raise field_errors(errors)
    return changes


def check_object(body: Any) -> Json:
    """The request body as an object, or Jira's 400 for anything else."""
    if not isinstance(body, dict):
        raise JiraError(400, ["Can not deserialize the request body: a JSON object is expected."])
    return body
