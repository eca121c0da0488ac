"""Read-only look-ups the `jira` library offers beyond what the connector calls: a project's
statuses per issue type, users who may browse an issue or project, and the
listing and deletion of issue entity properties.

Shapes follow the OpenAPI document (`IssueTypeDetails`, `IssueTypeWithStatus`, `User`,
`PropertyKeys`): `GET /project/{key}/statuses` gives each of the project's types with the workflow's
statuses; `GET /user/viewissue/search` is the user search (Cloud `query`, Server `username`)
narrowed to an issue or project that must exist — every user may browse every project here, the
emulator has no permission schemes. Kept in a module of its own so the core routes stay as the
connector needs them.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.jira.emulator.errors import not_found
from connectors.jira.emulator.records import status_json, user_json
from connectors.jira.emulator.wire import emulator, integer, view

__all__ = ["ROUTES"]


async def project_statuses(request: Request) -> Response:
    """`[{self, id, name, subtask, statuses: [...]}]`: one workflow serves every type here."""
    em, key, shown = emulator(request), request.path_params["key"], view(request)
    project = em.find_project(key)
    if project is None:
        raise not_found(f"No project could be found with key '{key}'.")
    statuses = [status_json(shown, s) for s in em.workflow.statuses]
    return JSONResponse([
        {"self": f"{shown.api}/issuetype/{t.id}", "id": t.id, "name": t.name, "subtask": t.subtask,
         "statuses": statuses}
        for t in project.issue_types
    ])  # fmt: skip


async def users_who_may_browse(request: Request) -> Response:
    """Users matching `query` (Cloud) or `username` (Server) who may see `issueKey`/`projectKey`."""
    em, query = emulator(request), request.query_params
    issue_key, project_key = query.get("issueKey"), query.get("projectKey")
    if issue_key:
        em.get_issue(issue_key)  # 404 for an unknown issue
    if project_key and em.find_project(project_key) is None:
        raise not_found(f"No project could be found with key '{project_key}'.")
    text = query.get("query" if em.cloud else "username") or ""
    found = em.search_users(text) if text else [u for u in em.users if u.active]
    start = max(integer(query.get("startAt"), "startAt", 0), 0)
    size = max(integer(query.get("maxResults"), "maxResults", 50), 0)
    shown = view(request)
    return JSONResponse([user_json(shown, u) for u in found[start : start + size]])


async def property_keys(request: Request) -> Response:
    """`{"keys": [{"self", "key"}]}` for the issue's entity properties."""
    issue = emulator(request).get_issue(request.path_params["key"])
    api = view(request).api
    keys = [{"self": f"{api}/issue/{issue.id}/properties/{name}", "key": name} for name in issue.properties]
    return JSONResponse({"keys": keys})


async def delete_property(request: Request) -> Response:
    em, name = emulator(request), request.path_params["name"]
    issue = em.get_issue(request.path_params["key"])
    if not em.delete_property(issue.id, name):
        raise not_found(f"The property with key '{name}' does not exist.")
    return Response(status_code=204)


ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/project/{key}/statuses", project_statuses, ["GET"]),
    ("/user/viewissue/search", users_who_may_browse, ["GET"]),
    ("/issue/{key}/properties", property_keys, ["GET"]),
    ("/issue/{key}/properties/{name}", delete_property, ["DELETE"]),
]
"""(path under /rest/api/{2,3,latest}, endpoint, methods)."""
