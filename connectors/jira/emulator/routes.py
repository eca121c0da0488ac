"""The REST endpoints other than search: server info, fields, people, projects, priorities,
resolutions, statuses, and issues (create, bulk create, get, edit, delete, assign, transitions,
entity properties).

Paths, status codes and bodies follow reference §1.2 and §2 and the OpenAPI document: creates
answer 201 with `{id, key, self}`; edits, assignments and transitions 204 with no body; bulk create
takes at most 50 issues, reports each failure with its 0-based `failedElementNumber` and answers
400 only when every element failed. REST v3 reads and writes descriptions as ADF.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.jira.emulator import screens
from connectors.jira.emulator.errors import JiraError, bad_request, field_errors, not_found
from connectors.jira.emulator.fields import cannot_set, check_object, read_changes
from connectors.jira.emulator.records import (
    FIELDS,
    Issue,
    IssueType,
    Json,
    Project,
    View,
    category_json,
    field_list,
    issue_json,
    priority_json,
    project_json,
    resolution_json,
    status_json,
    transition_json,
    user_json,
)
from connectors.jira.emulator.state import JiraEmulator
from connectors.jira.emulator.wire import emulator, field_selection, integer, listing, origin, read_json, view
from connectors.jira.emulator.workflow import CATEGORIES

__all__ = ["ROUTES"]

_MAX_BULK = 50


async def server_info(request: Request) -> Response:
    em = emulator(request)
    cloud = em.cloud
    return JSONResponse({
        "baseUrl": origin(request),
        "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.2",
        "versionNumbers": [1001, 0, 0] if cloud else [9, 12, 2],
        "deploymentType": "Cloud" if cloud else "Server",
        "buildNumber": 100289 if cloud else 9120002,
        "buildDate": "2025-10-01T00:00:00.000+0000",
        "serverTime": em.now(),
        "scmInfo": "0d6a7f3c4e9b8a1f2c3d4e5f60718293a4b5c6d7",
        "serverTitle": "Jira",
    })  # fmt: skip


async def fields(request: Request) -> Response:
    return JSONResponse(field_list(list(emulator(request).custom_fields.values())))


async def myself(request: Request) -> Response:
    em = emulator(request)
    return JSONResponse(user_json(view(request), em.me))


async def projects(request: Request) -> Response:
    em, shown = emulator(request), view(request)
    expand = listing(request.query_params.getlist("expand"))
    return JSONResponse([project_json(shown, p, expand=expand) for p in em.projects])


async def project(request: Request) -> Response:
    em, key = emulator(request), request.path_params["key"]
    found = em.find_project(key)
    if found is None:
        raise not_found(f"No project could be found with key '{key}'.")
    expand = listing(request.query_params.getlist("expand"))
    return JSONResponse(project_json(view(request), found, full=True, expand=expand))


async def priorities(request: Request) -> Response:
    shown = view(request)
    return JSONResponse([priority_json(shown, p) for p in emulator(request).priorities])


async def priority(request: Request) -> Response:
    found = next((p for p in emulator(request).priorities if p.id == request.path_params["id"]), None)
    if found is None:
        raise not_found(f"Cannot find priority with id {request.path_params['id']}.")
    return JSONResponse(priority_json(view(request), found))


async def resolutions(request: Request) -> Response:
    shown = view(request)
    return JSONResponse([resolution_json(shown, r) for r in emulator(request).resolutions])


async def resolution(request: Request) -> Response:
    found = next((r for r in emulator(request).resolutions if r.id == request.path_params["id"]), None)
    if found is None:
        raise not_found(f"The resolution with ID '{request.path_params['id']}' does not exist.")
    return JSONResponse(resolution_json(view(request), found))


async def statuses(request: Request) -> Response:
    shown = view(request)
    return JSONResponse([status_json(shown, s) for s in emulator(request).workflow.statuses])


async def status(request: Request) -> Response:
    found = emulator(request).workflow.status(request.path_params["id"])
    if found is None:
        raise not_found(f"The status with ID or name '{request.path_params['id']}' does not exist.")
    return JSONResponse(status_json(view(request), found))


async def categories(request: Request) -> Response:
    return JSONResponse([category_json(view(request), key) for key in CATEGORIES])


async def category(request: Request) -> Response:
    wanted = request.path_params["id"]
    key = next((k for k, (n, _, _) in CATEGORIES.items() if wanted in (k, str(n))), None)
    if key is None:
        raise not_found(f"The status category with ID or key '{wanted}' does not exist.")
    return JSONResponse(category_json(view(request), key))


async def user(request: Request) -> Response:
    em, query = emulator(request), request.query_params
    wanted = query.get("accountId") if em.cloud else (query.get("username") or query.get("key"))
    found = em.find_user(wanted) if wanted else None
    if found is None:
        raise not_found(f"The user '{wanted or ''}' does not exist.")
    return JSONResponse(user_json(view(request), found))


async def user_search(request: Request) -> Response:
    """Cloud: `query` (prefix of display name or email) or an exact `accountId`, not both;
    Server: `username` (prefix of name, display name or email). A bare JSON array."""
    em, query = emulator(request), request.query_params
    if em.cloud:
        text, account = query.get("query"), query.get("accountId")
        if bool(text) == bool(account):
            raise bad_request("One of 'query' or 'accountId' (but not both) must be specified.")
        found = em.search_users(text) if text else [u for u in em.users if u.account_id == account]
    else:
        text = query.get("username")
        if not text:
            raise bad_request("The username query parameter was not provided")
        found = em.search_users(text)
    start = integer(query.get("startAt"), "startAt", 0)
    size = integer(query.get("maxResults"), "maxResults", 50)
    shown = view(request)
    return JSONResponse([user_json(shown, u) for u in found[max(start, 0) : max(start, 0) + max(size, 0)]])


async def assignable_search(request: Request) -> Response:
    """Users who may be assigned issues in `project` (key or id) or in `issueKey`'s project:
    Cloud matches `query` (or an exact `accountId`), Server `username`; all members without one."""
    em, query = emulator(request), request.query_params
    key, issue_key = query.get("project"), query.get("issueKey") or query.get("issueId")
    if issue_key:
        project = em.get_issue(issue_key).project
    elif key:
        found = em.find_project(key)
        if found is None:
            raise not_found(f"No project could be found with key '{key}'.")
        project = found
    else:
        raise bad_request("A project key or an issue key must be provided.")
    account = query.get("accountId") if em.cloud else None
    text = query.get("query") if em.cloud else query.get("username")
    members = em.assignable_users(project, None if account else text)
    if account:
        members = [u for u in members if u.account_id == account]
    start = max(integer(query.get("startAt"), "startAt", 0), 0)
    size = max(integer(query.get("maxResults"), "maxResults", 50), 0)
    shown = view(request)
    return JSONResponse([user_json(shown, u) for u in members[start : start + size]])


async def assignable_multi_project_search(request: Request) -> Response:
    """Users who may be assigned issues in every project of `projectKeys` (comma-separated keys).
    Server matches `username` and pages the matches (no further than the first 100); Cloud
    matches `query` (or an exact `accountId`), takes the page of users first and then keeps those
    who may be assigned, so a page may hold fewer than `maxResults`."""
    em, query = emulator(request), request.query_params
    keys = [k.strip() for k in (query.get("projectKeys") or "").split(",") if k.strip()]
    if not keys:
        raise bad_request("At least one project key must be provided.")
    projects = []
    for key in keys:
        found = em.find_project(key)
        if found is None:
            raise not_found(f"No project could be found with key '{key}'.")
        projects.append(found)
    start = max(integer(query.get("startAt"), "startAt", 0), 0)
    size = max(integer(query.get("maxResults"), "maxResults", 50), 0)
    shown = view(request)
    if em.cloud:
        text, account = query.get("query"), query.get("accountId")
        if account:
            candidates = [u for u in em.users if u.account_id == account]
        else:
            candidates = em.search_users(text) if text else [u for u in em.users if u.active]
        page = candidates[start : start + size]
        kept = [u for u in page if all(em.may_assign(u, p) for p in projects)]
        return JSONResponse([user_json(shown, u) for u in kept])
    text = query.get("username")
    matched = em.assignable_users(projects[0], text)
    members = [u for u in matched if all(em.may_assign(u, p) for p in projects)]
    return JSONResponse([user_json(shown, u) for u in members[start : min(start + size, 100)]])


def _created(shown: View, key: str, issue_id: str) -> Json:
    return {"id": issue_id, "key": key, "self": f"{shown.api}/issue/{issue_id}"}


def _requested_transition(em: JiraEmulator, body: Json, status_id: str) -> str | None:
    """The id of a `transition` given with a create or edit, checked against the workflow first."""
    move = body.get("transition")
    if move is None:
        return None
    move_id = move.get("id") if isinstance(move, dict) else None
    if not isinstance(move_id, str | int) or isinstance(move_id, bool):
        raise bad_request("Missing 'transition' identifier")
    if all(t.id != str(move_id) for t in em.workflow.available(status_id)):
        raise JiraError(400, [f"Transition id '{move_id}' is not valid for this issue."])
    return str(move_id)


_NO_PARENT = "Issue type is a sub-task but parent issue key or id not specified."
_NOT_SUBTASK = "Issue type is not a sub-task but parent issue key or id specified."
_BAD_PARENT = "Given parent work item does not belong to appropriate hierarchy."


def _without_parent(body: Json) -> tuple[Json, Any]:
    """The request without `fields.parent` (no screen shows it: the issue type decides), and it."""
    fields = body.get("fields")
    if not isinstance(fields, dict) or "parent" not in fields:
        return body, None
    rest = dict(fields)
    return {**body, "fields": rest}, rest.pop("parent")


def _parent(em: JiraEmulator, given: Any, issuetype: IssueType, project: Project) -> Issue | None:
    """The parent a sub-task names (`{"key": …}` or `{"id": …}`): an issue of the same project
    that is no sub-task itself. A sub-task needs one; another type may not have one (the emulator
    has no epics). The wordings are placeholders in Jira's pattern."""
    if given is None:
        if issuetype.subtask:
            raise field_errors({"parentId": _NO_PARENT})
        return None
    if not issuetype.subtask:
        raise field_errors({"parentId": _NOT_SUBTASK})
    ref = given.get("key") or given.get("id") if isinstance(given, dict) else None
    parent = em.find_key(str(ref)) if isinstance(ref, str | int) else None
    if parent is None:
        raise field_errors({"parent": "Could not find issue by id or key."})
    if parent.issuetype.subtask or parent.project.id != project.id:
        raise field_errors({"parent": _BAD_PARENT})
    return parent


def _create_one(em: JiraEmulator, shown: View, element: Any) -> Json:
    body, parent = _without_parent(check_object(element))
    changes = read_changes(em, body.get("fields"), body.get("update"), version=shown.version, creating=True)
    changes["parent"] = _parent(em, parent, changes["issuetype"], changes["project"])
    validator = em.create_validator
    refusal = validator(changes) if validator is not None else None
    if refusal is not None:  # a workflow validator of the create: a message, no field named
        raise JiraError(400, [refusal])
    move = _requested_transition(em, body, em.workflow.initial.id)
    issue = em.create_issue(changes)
    if move is not None:
        em.transition(issue.id, move)
    for prop in body.get("properties") or []:
        if isinstance(prop, dict) and isinstance(prop.get("key"), str):
            em.set_property(issue.id, prop["key"], prop.get("value"))
    return _created(shown, issue.key, issue.id)


async def create_issue(request: Request) -> Response:
    em, shown = emulator(request), view(request)
    return JSONResponse(_create_one(em, shown, await read_json(request)), 201)


async def bulk_create(request: Request) -> Response:
    """Create up to 50 issues; 201 if any succeeded, 400 if all failed (reference §0.2)."""
    em, shown = emulator(request), view(request)
    updates = check_object(await read_json(request)).get("issueUpdates")
    if not isinstance(updates, list) or not updates:
        raise bad_request("The request must contain a non-empty 'issueUpdates' list.")
    if len(updates) > _MAX_BULK:
        raise bad_request(f"The number of issues to create exceeds the maximum of {_MAX_BULK} per request.")
    issues: list[Json] = []
    errors: list[Json] = []
    for number, element in enumerate(updates):
        try:
            issues.append(_create_one(em, shown, element))
        except JiraError as exc:
            errors.append({"status": exc.status, "elementErrors": exc.body(), "failedElementNumber": number})
    hook = em.after_bulk_create
    if hook is not None:
        try:
            hook([created["key"] for created in issues])
        except Exception:  # any failure of the hook is the "crash after the write"
            return JSONResponse(JiraError(500, ["Internal server error"]).body(), 500)
    return JSONResponse({"issues": issues, "errors": errors}, 201 if issues else 400)


async def get_issue(request: Request) -> Response:
    em, query = emulator(request), request.query_params
    issue = em.get_issue(request.path_params["key"])
    expand = listing(query.getlist("expand"))
    shown = view(request)
    body = issue_json(
        shown,
        issue,
        field_selection(listing(query.getlist("fields"))),
        expand=expand,
        properties=listing(query.getlist("properties")),
        custom_fields=em.custom_fields,
        editmeta=screens.editmeta(em, shown, issue) if "editmeta" in expand else None,
        linked=em.linked(issue),
    )
    if "transitions" in expand or "transitions.fields" in expand:
        body["transitions"] = _transitions_json(em, shown, issue.id, expand, None)
    return JSONResponse(body)


async def edit_issue(request: Request) -> Response:
    em, shown = emulator(request), view(request)
    issue = em.get_issue(request.path_params["key"])
    body = await read_json(request)
    if body is None:
        raise bad_request("The request body is missing.")
    body, parent = _without_parent(check_object(body))
    changes = read_changes(
        em, body.get("fields"), body.get("update"), version=shown.version, creating=False,
        labels=issue.labels, project=issue.project, issuetype=issue.issuetype,
    )  # fmt: skip
    if parent is not None:  # a sub-task moves to another parent; no issue becomes a sub-task here
        changes["parent"] = _parent(em, parent, issue.issuetype, issue.project)
    move = _requested_transition(em, body, issue.status.id)
    edited = em.edit_issue(issue.id, changes)
    if move is not None:
        edited = em.transition(issue.id, move)
    if request.query_params.get("returnIssue", "").lower() == "true":
        return JSONResponse(issue_json(shown, edited, linked=em.linked(edited)))
    return Response(status_code=204)


async def delete_issue(request: Request) -> Response:
    emulator(request).delete_issue(request.path_params["key"])
    return Response(status_code=204)


async def assign(request: Request) -> Response:
    """`{"accountId": id|null}` on Cloud, `{"name": name|null}` on Server; null unassigns, `-1`
    assigns the project's default assignee, a user without the Assignable User permission is 400."""
    em = emulator(request)
    issue = em.get_issue(request.path_params["key"])
    body = check_object(await read_json(request))
    ident = body.get("accountId" if em.cloud else "name")
    changes = {"assignee": None} if ident is None else read_changes(
        em, {"assignee": body}, version="2", creating=False, allowed=("assignee",), project=issue.project
    )  # fmt: skip
    em.edit_issue(issue.id, changes)
    return Response(status_code=204)


def _transitions_json(
    em: JiraEmulator, shown: View, key: str, expand: list[str], wanted: str | None
) -> list[Json]:
    """The issue's offered transitions; `transitions.fields` adds each one's screen fields."""
    fields = "transitions.fields" in expand
    return [
        transition_json(shown, t, to, resolutions=em.resolutions, fields=fields)
        for t, to in em.transitions(key)
        if wanted in (None, t.id)
    ]


async def get_transitions(request: Request) -> Response:
    em, shown = emulator(request), view(request)
    expand = listing(request.query_params.getlist("expand"))
    offered = _transitions_json(
        em, shown, request.path_params["key"], expand, request.query_params.get("transitionId")
    )
    return JSONResponse({"expand": "transitions", "transitions": offered})


async def do_transition(request: Request) -> Response:
    """Only transitions the workflow offers from the current status. `fields` may carry only what
    the transition's screen has (`resolution` is applied), and must carry what it requires;
    `update` may add a comment (ignored). Validators and post-functions run in `em.transition`."""
    em = emulator(request)
    issue = em.get_issue(request.path_params["key"])
    body = check_object(await read_json(request))
    if body.get("transition") is None:
        raise bad_request("Missing 'transition' identifier")
    move_id = _requested_transition(em, body, issue.status.id)
    move = next(t for t, _ in em.transitions(issue.id) if t.id == move_id)
    given = check_object(body.get("fields") or {})
    errors = {name: cannot_set(name) for name in given if name not in move.screen}
    updates = check_object(body.get("update") or {})
    errors.update({name: cannot_set(name) for name in updates if name not in (*move.screen, "comment")})
    chosen = None
    if "resolution" in given and "resolution" in move.screen:
        wanted = given["resolution"]
        ref = wanted.get("name") or wanted.get("id") if isinstance(wanted, dict) else None
        chosen = em.find_resolution(str(ref)) if ref else None
        if chosen is None:
            errors["resolution"] = "The resolution selected is invalid."
    if errors:
        raise field_errors(errors)
    missing = [name for name in move.required if given.get(name) in (None, "", [], {})]
    if missing:  # the wording of a real site's answer, in errorMessages with no key
        raise JiraError(400, [f"Field {FIELDS.get(n, (n,))[0]} is required." for n in missing])
    em.transition(issue.id, str(move_id), resolution=chosen)
    return Response(status_code=204)


async def get_property(request: Request) -> Response:
    issue = emulator(request).get_issue(request.path_params["key"])
    name = request.path_params["name"]
    if name not in issue.properties:
        raise not_found(f"The property with key '{name}' does not exist.")
    return JSONResponse({"key": name, "value": issue.properties[name]})


async def put_property(request: Request) -> Response:
    em = emulator(request)
    issue = em.get_issue(request.path_params["key"])
    created = em.set_property(issue.id, request.path_params["name"], await read_json(request))
    return Response(status_code=201 if created else 200)


ROUTES: list[tuple[str, Any, list[str]]] = [
    *screens.ROUTES,  # first: `/issue/createmeta` is not an issue key
    ("/serverInfo", server_info, ["GET"]),
    ("/field", fields, ["GET"]),
    ("/myself", myself, ["GET"]),
    ("/project", projects, ["GET"]),
    ("/project/{key}", project, ["GET"]),
    ("/priority", priorities, ["GET"]),
    ("/priority/{id}", priority, ["GET"]),
    ("/resolution", resolutions, ["GET"]),
    ("/resolution/{id}", resolution, ["GET"]),
    ("/status", statuses, ["GET"]),
    ("/status/{id}", status, ["GET"]),
    ("/statuscategory", categories, ["GET"]),
    ("/statuscategory/{id}", category, ["GET"]),
    ("/user", user, ["GET"]),
    ("/user/search", user_search, ["GET"]),
    ("/user/assignable/search", assignable_search, ["GET"]),
    ("/user/assignable/multiProjectSearch", assignable_multi_project_search, ["GET"]),
    ("/issue", create_issue, ["POST"]),
    ("/issue/bulk", bulk_create, ["POST"]),
    ("/issue/{key}", get_issue, ["GET"]),
    ("/issue/{key}", edit_issue, ["PUT"]),
    ("/issue/{key}", delete_issue, ["DELETE"]),
    ("/issue/{key}/assignee", assign, ["PUT"]),
    ("/issue/{key}/transitions", get_transitions, ["GET"]),
    ("/issue/{key}/transitions", do_transition, ["POST"]),
    ("/issue/{key}/properties/{name}", get_property, ["GET"]),
    ("/issue/{key}/properties/{name}", put_property, ["PUT"]),
]
"""(path under /rest/api/{2,3,latest}, endpoint, methods)."""
