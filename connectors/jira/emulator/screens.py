"""What the create and edit screens let a client set: issue types and field metadata.

- `GET /issuetype` lists every issue type of the site, a team-managed project's own included
  (with its `scope`); `GET /issuetype/{id}` one of them.
- `GET /issue/createmeta/{project}/issuetypes` lists the types a project creates, and
  `…/issuetypes/{id}` the fields of that type's create screen: Cloud pages them as `issueTypes` and
  `fields` (`startAt`, `maxResults`, `total`), Server/Data Center 8.4+ as `values` with `isLast`
  (what the `jira` library's `project_issue_types`/`createmeta_issuetypes` read).
- `GET /issue/createmeta?projectKeys=…&expand=projects.issuetypes.fields`, the older form Cloud
  still answers (Data Center 9 removed it; the library refuses to call it there).
- `GET /issue/{key}/editmeta`: the fields of the issue's edit screen, `{"fields": {id: meta}}`.

A field is required when Jira requires it (project, issue type, summary; reporter, which has a
default) or the screen's field configuration does; priority has the site's default.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.jira.emulator.errors import JiraError, not_found
from connectors.jira.emulator.records import (
    Issue,
    IssueType,
    Json,
    Project,
    View,
    field_meta_json,
    issuetype_json,
    priority_json,
    project_json,
)
from connectors.jira.emulator.state import JiraEmulator
from connectors.jira.emulator.wire import emulator, integer, listing, view

__all__ = ["ROUTES", "create_fields", "editmeta"]

_ALWAYS_REQUIRED = ("project", "issuetype", "summary", "reporter")
_DEFAULTED = ("reporter", "priority")


def _allowed(em: JiraEmulator, shown: View, field_id: str, project: Project) -> list[Json] | None:
    if field_id == "priority":
        return [priority_json(shown, p) for p in em.priorities]
    if field_id == "issuetype":
        return [issuetype_json(shown, t) for t in project.issue_types]
    if field_id == "project":
        return [project_json(shown, project)]
    return None


def create_fields(em: JiraEmulator, shown: View, project: Project, kind: IssueType) -> list[Json]:
    """The create screen of `project` for `kind`, one `FieldMetadata` (with `fieldId`) a field."""
    screen = project.screen(kind.id)
    return [
        field_meta_json(
            field_id,
            em.custom_fields.get(field_id),
            required=field_id in _ALWAYS_REQUIRED or field_id in screen.required,
            has_default=field_id in _DEFAULTED,
            allowed=_allowed(em, shown, field_id, project),
            create=True,
        )
        for field_id in screen.create
    ]


def editmeta(em: JiraEmulator, shown: View, issue: Issue) -> Json:
    """`{"fields": {id: FieldMetadata}}` for the edit screen of the issue's project and type."""
    project = em.find_project(issue.project.id) or issue.project
    screen = project.screen(issue.issuetype.id)
    return {
        "fields": {
            field_id: field_meta_json(
                field_id,
                em.custom_fields.get(field_id),
                required=field_id in ("summary", "issuetype", "reporter"),
                allowed=_allowed(em, shown, field_id, project),
            )
            for field_id in screen.edit
        }
    }


def _project(em: JiraEmulator, key: str) -> Project:
    found = em.find_project(key)
    if found is None:
        raise not_found(f"No project could be found with key '{key}'.")
    return found


def _page(em: JiraEmulator, request: Request, items: list[Json], cloud_key: str) -> Json:
    start = max(integer(request.query_params.get("startAt"), "startAt", 0), 0)
    size = min(max(integer(request.query_params.get("maxResults"), "maxResults", 50), 1), 200)
    page = items[start : start + size]
    body: Json = {"maxResults": size, "startAt": start, "total": len(items)}
    if em.cloud:
        body[cloud_key] = page
    else:
        body.update(isLast=start + size >= len(items), values=page)
    return body


async def issue_types(request: Request) -> Response:
    shown = view(request)
    return JSONResponse([issuetype_json(shown, t) for t in emulator(request).issue_types])


async def issue_type(request: Request) -> Response:
    wanted = request.path_params["id"]
    found = next((t for t in emulator(request).issue_types if t.id == wanted), None)
    if found is None:
        raise not_found(f"The issue type with id '{wanted}' does not exist.")
    return JSONResponse(issuetype_json(view(request), found))


async def createmeta_types(request: Request) -> Response:
    em, shown = emulator(request), view(request)
    project = _project(em, request.path_params["key"])
    types = [issuetype_json(shown, t) for t in project.issue_types]
    return JSONResponse(_page(em, request, types, "issueTypes"))


async def createmeta_fields(request: Request) -> Response:
    em, shown = emulator(request), view(request)
    project = _project(em, request.path_params["key"])
    wanted = request.path_params["type"]
    kind = next((t for t in project.issue_types if t.id == wanted), None)
    if kind is None:
        raise JiraError(400, [f"The issue type with id '{wanted}' does not exist in project {project.key}."])
    return JSONResponse(_page(em, request, create_fields(em, shown, project, kind), "fields"))


async def createmeta(request: Request) -> Response:
    """The older createmeta, filtered by project keys/ids and issue type ids/names."""
    em, shown, query = emulator(request), view(request), request.query_params
    keys = {k.upper() for k in listing(query.getlist("projectKeys"))}
    ids = set(listing(query.getlist("projectIds")))
    type_ids = set(listing(query.getlist("issuetypeIds")))
    type_names = set(listing(query.getlist("issuetypeNames")))
    with_fields = "projects.issuetypes.fields" in listing(query.getlist("expand"))
    projects: list[Json] = []
    for project in em.projects:
        if (keys or ids) and project.key not in keys and project.id not in ids:
            continue
        types: list[Json] = []
        for kind in project.issue_types:
            if (type_ids or type_names) and kind.id not in type_ids and kind.name not in type_names:
                continue
            body: Any = issuetype_json(shown, kind)
            if with_fields:
                body["fields"] = {f["fieldId"]: f for f in create_fields(em, shown, project, kind)}
            types.append(body)
        listed = project_json(shown, project)
        brief = {k: listed[k] for k in ("self", "id", "key", "name", "avatarUrls")}
        projects.append({**brief, "issuetypes": types})
    return JSONResponse({"expand": "projects", "projects": projects})


async def issue_editmeta(request: Request) -> Response:
    em, shown = emulator(request), view(request)
    return JSONResponse(editmeta(em, shown, em.get_issue(request.path_params["key"])))


ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/issuetype", issue_types, ["GET"]),
    ("/issuetype/{id}", issue_type, ["GET"]),
    ("/issue/createmeta", createmeta, ["GET"]),
    ("/issue/createmeta/{key}/issuetypes", createmeta_types, ["GET"]),
    ("/issue/createmeta/{key}/issuetypes/{type}", createmeta_fields, ["GET"]),
    ("/issue/{key}/editmeta", issue_editmeta, ["GET"]),
]
"""(path under /rest/api/{2,3,latest}, endpoint, methods)."""
