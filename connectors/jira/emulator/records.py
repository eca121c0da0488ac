"""The site's objects (users, priorities, projects, issues …) and their JSON shapes on the wire.

One module owns every response shape so that REST v2 and v3, Cloud and Server, search results and
webhook events render an object the same way (reference §2; OpenAPI `IssueBean`, `User`,
`Priority`, `StatusDetails`, `Project`, `Resolution`). `self` links are built from a `View` — the
origin the request reached and its API version — because the `jira` library PUTs to and reloads
from an issue's `self` (reference §2). Ids are strings except statusCategory.id; timestamps look
like `2025-03-04T10:15:30.123+0000`.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.jira.emulator.adf import text_to_adf
from connectors.jira.emulator.workflow import CATEGORIES, Transition, WorkflowStatus

__all__ = [
    "CLASSIC_SCREEN",
    "FIELDS",
    "NOT_NAVIGABLE",
    "CustomField",
    "History",
    "Issue",
    "IssueLink",
    "IssueType",
    "Json",
    "LinkEnd",
    "LinkType",
    "Priority",
    "Project",
    "Resolution",
    "Screen",
    "User",
    "View",
    "category_json",
    "field_list",
    "field_meta_json",
    "field_name",
    "field_schema",
    "issue_json",
    "issuetype_json",
    "link_type_json",
    "linked_issue_json",
    "priority_json",
    "project_json",
    "resolution_json",
    "status_json",
    "timestamp",
    "transition_json",
    "user_json",
]

Json = dict[str, Any]
ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"

# field id -> (name, clause names, schema type, orderable); the order issue `fields` render in.
FIELDS: dict[str, tuple[str, tuple[str, ...], str, bool]] = {
    "summary": ("Summary", ("summary",), "string", True),
    "description": ("Description", ("description",), "string", True),
    "labels": ("Labels", ("labels",), "array", True),
    "duedate": ("Due date", ("due", "duedate"), "date", True),
    "priority": ("Priority", ("priority",), "priority", True),
    "assignee": ("Assignee", ("assignee",), "user", True),
    "reporter": ("Reporter", ("reporter",), "user", True),
    "creator": ("Creator", ("creator",), "user", False),
    "status": ("Status", ("status",), "status", False),
    "resolution": ("Resolution", ("resolution",), "resolution", True),
    "resolutiondate": ("Resolved", ("resolved", "resolutiondate"), "datetime", False),
    "created": ("Created", ("created", "createdDate"), "datetime", False),
    "updated": ("Updated", ("updated", "updatedDate"), "datetime", False),
    "statuscategorychangedate": (
        "Status Category Changed",
        ("statusCategoryChangedDate",),
        "datetime",
        False,
    ),
    "issuetype": ("Issue Type", ("issuetype", "type"), "issuetype", True),
    "project": ("Project", ("project",), "project", False),
    "parent": ("Parent", ("parent",), "issuelink", True),
    "comment": ("Comment", ("comment",), "comments-page", True),
    "issuelinks": ("Linked Issues", (), "array", True),
}
NOT_NAVIGABLE = frozenset({"comment"})
"""Fields `*navigable` (a search's default) leaves out; `*all` and a field's own name include them."""


@dataclass(frozen=True, slots=True)
class View:
    """How a response is rendered: the origin the client reached, the REST version, the mode."""

    origin: str
    version: str = "2"
    cloud: bool = True

    @property
    def api(self) -> str:
        """The REST root self links hang from, e.g. `http://127.0.0.1:8080/rest/api/2`."""
        return f"{self.origin}/rest/api/{self.version}"


@dataclass(frozen=True, slots=True)
class User:
    """A person: Cloud knows them by `account_id`, Server/Data Center by `name` (and `key`)."""

    account_id: str
    name: str
    key: str
    email: str
    display_name: str
    active: bool = True
    time_zone: str = "UTC"
    email_visible: bool = True
    """Cloud hides an e-mail address its owner keeps private (the default there): no `emailAddress`."""


@dataclass(frozen=True, slots=True)
class Priority:
    id: str
    name: str
    color: str
    description: str


@dataclass(frozen=True, slots=True)
class Resolution:
    id: str
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class IssueType:
    """A site-wide type (`project_id` None) or one a team-managed project owns (its own id)."""

    id: str
    name: str
    description: str
    avatar_id: int
    project_id: str | None = None
    subtask: bool = False
    """A sub-task type: its issues are created under a parent issue (`fields.parent`)."""


@dataclass(frozen=True, slots=True)
class CustomField:
    """A site's custom field (`customfield_NNNNN`); `kind` is its schema type (string, number …)."""

    id: str
    name: str
    kind: str = "string"


@dataclass(frozen=True, slots=True)
class Screen:
    """The fields a project's create and edit screens show for one issue type (what a request may
    set), and the ones the field configuration makes required on create, beyond Jira's own."""

    create: tuple[str, ...]
    edit: tuple[str, ...]
    required: tuple[str, ...] = ()


CLASSIC_SCREEN = Screen(
    create=("project", "issuetype", "summary", "description", "labels", "duedate", "priority",
            "assignee", "reporter"),
    edit=("summary", "description", "labels", "duedate", "priority", "assignee", "reporter", "issuetype"),
)  # fmt: skip
"""A classic project's default screens: every system field the emulator knows."""


@dataclass(frozen=True, slots=True)
class Project:
    """A project; `team_managed` ones own their issue types; `screens` by issue type id (a type
    without an entry gets `CLASSIC_SCREEN`)."""

    id: str
    key: str
    name: str
    lead: User
    issue_types: tuple[IssueType, ...]
    team_managed: bool = False
    screens: tuple[tuple[str, Screen], ...] = ()

    def screen(self, type_id: str) -> Screen:
        """The screens of this project for the issue type `type_id`."""
        return next((s for t, s in self.screens if t == type_id), CLASSIC_SCREEN)


@dataclass(frozen=True, slots=True)
class LinkType:
    """An issue link type: how a link reads from its source (`outward`) and its destination (`inward`)."""

    id: str
    name: str
    inward: str
    outward: str


@dataclass(frozen=True, slots=True)
class LinkEnd:
    """One issue's end of a link: `outward` when this issue is the link's source (the POST's
    `inwardIssue`), so that it reads "<outward words> <other>"; `other` is the far issue's id."""

    id: str
    type: LinkType
    outward: bool
    other: str


@dataclass(frozen=True, slots=True)
class IssueLink:
    """A link from `source` (the POST's `inwardIssue`) to `destination` (its `outwardIssue`), by issue id."""

    id: str
    type: LinkType
    source: str
    destination: str


@dataclass(frozen=True, slots=True)
class History:
    """One changelog entry: who changed what, when (items as in webhook changelogs, reference §6)."""

    id: str
    author: User
    created: str
    items: tuple[Json, ...]


@dataclass(slots=True)
class Issue:
    """An issue as stored; `snapshot()` is the copy the search index and events keep."""

    id: str
    key: str
    project: Project
    issuetype: IssueType
    summary: str
    reporter: User
    status: WorkflowStatus
    priority: Priority | None
    created: str
    updated: str
    statuscategorychangedate: str
    description: str | None = None
    labels: list[str] = field(default_factory=list)
    duedate: str | None = None
    assignee: User | None = None
    resolution: Resolution | None = None
    resolutiondate: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    history: list[History] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    """Custom field values by field id (`customfield_10010`)."""
    links: list[LinkEnd] = field(default_factory=list)
    """This issue's ends of its issue links, oldest first."""
    parent: Issue | None = None
    """The issue a sub-task belongs to."""

    def snapshot(self) -> Issue:
        """A copy that later edits of this issue do not change."""
        return dataclasses.replace(
            self,
            labels=list(self.labels),
            properties=dict(self.properties),
            history=list(self.history),
            custom=dict(self.custom),
            links=list(self.links),
        )


def timestamp(moment: datetime) -> str:
    """Jira's timestamp spelling: milliseconds and an offset without a colon, in UTC."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _avatars(view: View, kind: str, avatar_id: int) -> Json:
    url = f"{view.origin}/secure/{kind}avatar?avatarId={avatar_id}&size="
    return {f"{n}x{n}": f"{url}{n}" for n in (48, 24, 16, 32)}


def user_json(view: View, user: User) -> Json:
    """A user: Cloud has `accountId`/`accountType` and no name; Server has `name` and `key`."""
    if view.cloud:
        body: Json = {
            "self": f"{view.api}/user?accountId={user.account_id}",
            "accountId": user.account_id,
            "accountType": "atlassian",
        }
    else:
        body = {"self": f"{view.api}/user?username={user.name}", "name": user.name, "key": user.key}
    if user.email_visible or not view.cloud:
        body["emailAddress"] = user.email
    body.update(
        avatarUrls=_avatars(view, "user", 10122),
        displayName=user.display_name,
        active=user.active,
        timeZone=user.time_zone,
    )
    return body


def priority_json(view: View, priority: Priority) -> Json:
    return {
        "self": f"{view.api}/priority/{priority.id}",
        "statusColor": priority.color,
        "description": priority.description,
        "iconUrl": f"{view.origin}/images/icons/priorities/{priority.name.lower()}.svg",
        "name": priority.name,
        "id": priority.id,
    }


def resolution_json(view: View, resolution: Resolution) -> Json:
    return {
        "self": f"{view.api}/resolution/{resolution.id}",
        "id": resolution.id,
        "description": resolution.description,
        "name": resolution.name,
    }


def category_json(view: View, key: str) -> Json:
    """A status category: `new` 2 blue-gray, `indeterminate` 4 yellow, `done` 3 green (reference §2)."""
    number, color, name = CATEGORIES[key]
    return {
        "self": f"{view.api}/statuscategory/{number}",
        "id": number,
        "key": key,
        "colorName": color,
        "name": name,
    }


def status_json(view: View, status: WorkflowStatus) -> Json:
    return {
        "self": f"{view.api}/status/{status.id}",
        "description": "",
        "iconUrl": f"{view.origin}/",
        "name": status.name,
        "id": status.id,
        "statusCategory": category_json(view, status.category),
    }


def issuetype_json(view: View, issuetype: IssueType) -> Json:
    """An issue type; a team-managed project's own carries `entityId` and its `scope`."""
    body: Json = {
        "self": f"{view.api}/issuetype/{issuetype.id}",
        "id": issuetype.id,
        "description": issuetype.description,
        "iconUrl": f"{view.api}/universal_avatar/view/type/issuetype/avatar/{issuetype.avatar_id}",
        "name": issuetype.name,
        "subtask": issuetype.subtask,
        "avatarId": issuetype.avatar_id,
        "hierarchyLevel": -1 if issuetype.subtask else 0,
    }
    if issuetype.project_id is not None:
        body["entityId"] = str(uuid.uuid5(uuid.NAMESPACE_OID, f"issuetype:{issuetype.id}"))
        body["scope"] = {"type": "PROJECT", "project": {"id": issuetype.project_id}}
    return body


def link_type_json(view: View, kind: LinkType) -> Json:
    """An issue link type (`GET /issueLinkType`, and inside every link)."""
    return {
        "id": kind.id,
        "name": kind.name,
        "inward": kind.inward,
        "outward": kind.outward,
        "self": f"{view.api}/issueLinkType/{kind.id}",
    }


def linked_issue_json(view: View, issue: Issue) -> Json:
    """The far issue of a link, as links show it: a few fields only (`LinkedIssue`)."""
    fields: Json = {"summary": issue.summary, "status": status_json(view, issue.status)}
    if issue.priority is not None:
        fields["priority"] = priority_json(view, issue.priority)
    fields["issuetype"] = issuetype_json(view, issue.issuetype)
    return {"id": issue.id, "key": issue.key, "self": f"{view.api}/issue/{issue.id}", "fields": fields}


def _links_json(view: View, issue: Issue, linked: Mapping[str, Issue]) -> list[Json]:
    """The `issuelinks` field: each link with the far issue under `outwardIssue` when this issue
    is the source, else under `inwardIssue` (links to an issue not in `linked` are left out)."""
    rendered = []
    for end in issue.links:
        other = linked.get(end.other)
        if other is None:
            continue
        rendered.append({
            "id": end.id,
            "self": f"{view.api}/issueLink/{end.id}",
            "type": link_type_json(view, end.type),
            "outwardIssue" if end.outward else "inwardIssue": linked_issue_json(view, other),
        })  # fmt: skip
    return rendered


def project_json(view: View, project: Project, *, full: bool = False, expand: Collection[str] = ()) -> Json:
    """The list form (`GET /project`, an issue's `project`) or, with `full`, `GET /project/{key}`;
    `expand` adds `projectKeys` (and, to the list form, `description`, `lead`, `issueTypes`)."""
    body: Json = {
        "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
        "self": f"{view.api}/project/{project.id}",
        "id": project.id,
        "key": project.key,
        "name": project.name,
        "avatarUrls": _avatars(view, "project", 10400),
        "projectTypeKey": "software",
        "simplified": project.team_managed,
        "style": "next-gen" if project.team_managed else "classic",
        "isPrivate": False,
        "properties": {},
    }
    if full:
        body.update(
            description="",
            lead=user_json(view, project.lead),
            components=[],
            issueTypes=[issuetype_json(view, t) for t in project.issue_types],
            assigneeType="UNASSIGNED",
            versions=[],
            roles={},
        )
    if "description" in expand:
        body.setdefault("description", "")
    if "lead" in expand:
        body.setdefault("lead", user_json(view, project.lead))
    if "issueTypes" in expand:
        body.setdefault("issueTypes", [issuetype_json(view, t) for t in project.issue_types])
    if "projectKeys" in expand:
        body["projectKeys"] = [project.key]
    return body


def transition_json(
    view: View,
    move: Transition,
    target: WorkflowStatus,
    *,
    resolutions: Sequence[Resolution] = (),
    fields: bool = False,
) -> Json:
    """An entry of `GET …/transitions` (OpenAPI `IssueTransition`); with `fields`
    (`expand=transitions.fields`) the screen's fields as `FieldMetadata`, `{}` without a screen."""
    body: Json = {
        "id": move.id,
        "name": move.name,
        "to": status_json(view, target),
        "hasScreen": move.has_screen,
        "isGlobal": move.is_global,
        "isInitial": False,
        "isAvailable": True,
        "isConditional": False,
    }
    if fields:
        body["fields"] = {
            name: _screen_field(view, name, name in move.required, resolutions) for name in move.screen
        }
    return body


def _screen_field(view: View, name: str, required: bool, resolutions: Sequence[Resolution]) -> Json:
    label, _, kind, _ = FIELDS.get(name, (name.capitalize(), (name,), "string", False))
    meta: Json = {
        "required": required,
        "schema": {"type": kind, "system": name},
        "name": label,
        "key": name,
        "operations": ["set"] if name != "comment" else ["add"],
    }
    if name == "resolution":
        meta["allowedValues"] = [resolution_json(view, r) for r in resolutions]
    return meta


def _field_values(view: View, issue: Issue, linked: Mapping[str, Issue]) -> Json:
    description: Any = issue.description
    if description is not None and view.version == "3":
        description = text_to_adf(description)
    return {
        "summary": issue.summary,
        "description": description,
        "labels": list(issue.labels),
        "duedate": issue.duedate,
        "priority": priority_json(view, issue.priority) if issue.priority else None,
        "assignee": user_json(view, issue.assignee) if issue.assignee else None,
        "reporter": user_json(view, issue.reporter),
        "creator": user_json(view, issue.reporter),
        "status": status_json(view, issue.status),
        "resolution": resolution_json(view, issue.resolution) if issue.resolution else None,
        "resolutiondate": issue.resolutiondate,
        "created": issue.created,
        "updated": issue.updated,
        "statuscategorychangedate": issue.statuscategorychangedate,
        "issuetype": issuetype_json(view, issue.issuetype),
        "project": {
            key: value
            for key, value in project_json(view, issue.project).items()
            if key in ("self", "id", "key", "name", "projectTypeKey", "simplified", "avatarUrls")
        },
        "comment": _comments(view, issue),
        "issuelinks": _links_json(view, issue, linked),
        **({"parent": _parent_json(view, issue.parent)} if issue.parent is not None else {}),
    }


def _parent_json(view: View, parent: Issue) -> Json:
    """A sub-task's `parent`: the parent issue's id, key and a few of its fields."""
    return {
        "id": parent.id,
        "key": parent.key,
        "self": f"{view.api}/issue/{parent.id}",
        "fields": {
            "summary": parent.summary,
            "status": status_json(view, parent.status),
            "priority": priority_json(view, parent.priority) if parent.priority else None,
            "issuetype": issuetype_json(view, parent.issuetype),
        },
    }


def _comments(view: View, issue: Issue) -> Json:
    """The `comment` field: an empty page, since the emulator keeps no comments (Cloud adds `self`)."""
    page: Json = {"comments": []}
    if view.cloud:
        page["self"] = f"{view.api}/issue/{issue.id}/comment"
    page.update(maxResults=0, total=0, startAt=0)
    return page


def _history_json(view: View, entry: History) -> Json:
    return {
        "id": entry.id,
        "author": user_json(view, entry.author),
        "created": entry.created,
        "items": [dict(item) for item in entry.items],
    }


def issue_json(
    view: View,
    issue: Issue,
    fields: Collection[str] | None = None,
    *,
    expand: Collection[str] = (),
    properties: Collection[str] = (),
    custom_fields: Mapping[str, CustomField] | None = None,
    editmeta: Json | None = None,
    linked: Mapping[str, Issue] | None = None,
) -> Json:
    """An issue (`GET /issue/{key}`, search results, webhook bodies); `fields` None means all.

    `expand` may ask for `changelog`, and for `names`/`schema` (of the fields rendered, with the
    site's `custom_fields`) and `editmeta` (given by the caller, who knows the screens). `linked`
    holds the issues its links lead to, by id (without it, `issuelinks` is empty).
    """
    known = custom_fields or {}
    values = _field_values(view, issue, linked or {})
    values.update({k: v for k, v in issue.custom.items() if k in known})
    body: Json = {
        "expand": ISSUE_EXPAND,
        "id": issue.id,
        "self": f"{view.api}/issue/{issue.id}",
        "key": issue.key,
        "fields": {k: v for k, v in values.items() if fields is None or k in fields},
    }
    if "names" in expand:
        body["names"] = {k: field_name(k, known.get(k)) for k in body["fields"]}
    if "schema" in expand:
        body["schema"] = {k: field_schema(k, known.get(k)) for k in body["fields"]}
    if "editmeta" in expand:
        body["editmeta"] = editmeta if editmeta is not None else {"fields": {}}
    if "changelog" in expand:
        histories = [_history_json(view, entry) for entry in issue.history]
        body["changelog"] = {
            "startAt": 0,
            "maxResults": len(histories),
            "total": len(histories),
            "histories": histories,
        }
    if properties:
        body["properties"] = {
            k: v for k, v in issue.properties.items() if "*all" in properties or k in properties
        }
    return body


def field_name(field_id: str, custom: CustomField | None = None) -> str:
    """A field's display name: the custom field's own, or the system field's."""
    if custom is not None:
        return custom.name
    return FIELDS[field_id][0] if field_id in FIELDS else field_id


def field_schema(field_id: str, custom: CustomField | None = None) -> Json:
    """A field's `schema` (`JsonTypeBean`): `system` for Jira's fields, `custom` for the others."""
    if custom is not None:
        plugin = "float" if custom.kind == "number" else "textfield"
        number = int(custom.id.rsplit("_", 1)[-1]) if custom.id.rsplit("_", 1)[-1].isdigit() else 0
        return {
            "type": custom.kind,
            "custom": f"com.atlassian.jira.plugin.system.customfieldtypes:{plugin}",
            "customId": number,
        }
    kind = FIELDS[field_id][2] if field_id in FIELDS else "string"
    schema: Json = {"type": kind, "system": field_id}
    if kind == "array":
        schema["items"] = "issuelinks" if field_id == "issuelinks" else "string"
    return schema


def field_meta_json(
    field_id: str,
    custom: CustomField | None,
    *,
    required: bool,
    has_default: bool = False,
    allowed: list[Json] | None = None,
    create: bool = False,
) -> Json:
    """One field of createmeta or editmeta (OpenAPI `FieldMetadata`; createmeta adds `fieldId`)."""
    body: Json = {
        "required": required,
        "schema": field_schema(field_id, custom),
        "name": field_name(field_id, custom),
        "key": field_id,
        "hasDefaultValue": has_default,
        "operations": ["add", "set", "remove"] if field_id == "labels" else ["set"],
    }
    if create:
        body = {"fieldId": field_id, **body}
    if allowed is not None:
        body["allowedValues"] = allowed
    return body


def field_list(custom: Collection[CustomField] = ()) -> list[Json]:
    """`GET /field`: the system fields the emulator knows, with the `clauseNames` JQL uses, and
    the site's custom fields."""
    rows: list[Json] = [
        {
            "id": "issuekey",
            "key": "issuekey",
            "name": "Key",
            "custom": False,
            "orderable": False,
            "navigable": True,
            "searchable": False,
            "clauseNames": ["id", "issue", "issuekey", "key"],
        }
    ]
    for field_id, (name, clauses, _, orderable) in FIELDS.items():
        schema = field_schema(field_id)
        rows.append(
            {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": False,
                "orderable": orderable,
                "navigable": field_id not in NOT_NAVIGABLE,
                "searchable": True,
                "clauseNames": list(clauses),
                "schema": schema,
            }
        )
    for extra in custom:
        number = extra.id.rsplit("_", 1)[-1]
        rows.append(
            {
                "id": extra.id,
                "key": extra.id,
                "name": extra.name,
                "custom": True,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [f"cf[{number}]", extra.name],
                "schema": field_schema(extra.id, extra),
            }
        )
    return rows
