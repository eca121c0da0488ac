"""Issue search, as each deployment serves it (reference §0.1 and §2).

Cloud: `GET|POST /rest/api/{2,3}/search/jql`, paged by an opaque `nextPageToken` (no `startAt`, no
`total`; the last page has `isLast: true` and no token), `fields` defaulting to `id` only, bounded
JQL required, and `reconcileIssues` for read-after-write; the old `/search` answers 410 Gone.
Server/Data Center: `GET|POST /rest/api/2/search` with `startAt`/`maxResults`/`total`. Both see the
search index, which lags behind writes when the emulator's `search_lag` knobs are set.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.jira.emulator import jql, screens
from connectors.jira.emulator.errors import JiraError, bad_request, not_found, search_removed
from connectors.jira.emulator.fields import check_object
from connectors.jira.emulator.records import Issue, Json, View, field_name, field_schema, issue_json
from connectors.jira.emulator.state import JiraEmulator
from connectors.jira.emulator.wire import emulator, field_selection, integer, listing, read_json, view

__all__ = ["ROUTES"]

_CLOUD_CAP, _CLOUD_ID_CAP, _SERVER_CAP = 100, 5000, 1000
_MAX_URL = 8192
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."


async def _parameters(request: Request) -> dict[str, Any]:
    """The search parameters from the query string (GET) or the JSON body (POST), one shape.

    A GET whose request target is over `_MAX_URL` bytes is refused, as the servers in front of
    Jira refuse it (Tomcat's default `maxHttpHeaderSize` is 8 KB): a long JQL must be POSTed."""
    if request.method == "POST":
        body = await read_json(request)
        return check_object(body if body is not None else {})
    target = len(request.scope["raw_path"]) + 1 + len(request.scope["query_string"])
    if target > _MAX_URL:
        raise JiraError(414, ["URI Too Long"])
    query = request.query_params
    found: dict[str, Any] = {key: query.get(key) for key in query}
    for key in ("fields", "expand", "properties", "reconcileIssues"):
        found[key] = query.getlist(key)
    return found


def _render(
    em: JiraEmulator, shown: View, issue: Issue, selected: set[str] | None, expand: list[str], minimal: bool
) -> Json:
    if minimal:
        return {"id": issue.id}
    meta = screens.editmeta(em, shown, issue) if "editmeta" in expand else None
    rendered = issue_json(shown, issue, selected, custom_fields=em.custom_fields, editmeta=meta,
                          expand=[e for e in expand if e not in ("names", "schema")],
                          linked=em.linked(issue))  # fmt: skip
    return rendered


def _described(em: JiraEmulator, body: Json, expand: list[str]) -> Json:
    """`names` and `schema` of the fields the page shows, at the top of the answer, when asked."""
    shown = {k for issue in body["issues"] for k in issue.get("fields", {})}
    if "names" in expand:
        body["names"] = {k: field_name(k, em.custom_fields.get(k)) for k in sorted(shown)}
    if "schema" in expand:
        body["schema"] = {k: field_schema(k, em.custom_fields.get(k)) for k in sorted(shown)}
    return body


async def search_jql(request: Request) -> Response:
    """Cloud's enhanced search; on Server this path does not exist."""
    em = emulator(request)
    if not em.cloud:
        raise not_found(f"null for uri: {request.url}")
    params = await _parameters(request)
    text = params.get("jql") or ""
    query = jql.parse(text, em)
    if not query.bounded:
        raise bad_request(UNBOUNDED)
    requested = listing(params.get("fields"))
    minimal = set(requested) <= {"id"}
    cap = em.max_results or (_CLOUD_ID_CAP if set(requested) <= {"id", "key"} else _CLOUD_CAP)
    limit = min(max(integer(params.get("maxResults"), "maxResults", 50), 1), cap)
    offset = 0
    token = params.get("nextPageToken")
    if token:
        with em.lock:
            remembered = em.page_tokens.get(str(token))
        if remembered is None or remembered[0] != text:
            raise bad_request("The provided next page token is invalid or expired.")
        offset = remembered[1]
    reconcile = [str(i) for i in listing(params.get("reconcileIssues"))]
    found = query.run(em.searchable(reconcile), em)
    shown, expand = view(request), listing(params.get("expand"))
    selected = field_selection(requested, default="id")
    page = found[offset : offset + limit]
    body: Json = {"issues": [_render(em, shown, i, selected, expand, minimal) for i in page]}
    if offset + limit < len(found):
        token = secrets.token_urlsafe(24)
        with em.lock:
            em.page_tokens[token] = (text, offset + limit)
        body.update(nextPageToken=token, isLast=False)
    else:
        body["isLast"] = True
    return JSONResponse(_described(em, body, expand))


async def search(request: Request) -> Response:
    """Server/Data Center search by `startAt`; Cloud removed it (410 with the migration note)."""
    em = emulator(request)
    if em.cloud:
        raise search_removed()
    params = await _parameters(request)
    query = jql.parse(params.get("jql") or "", em)
    start = max(integer(params.get("startAt"), "startAt", 0), 0)
    limit = min(max(integer(params.get("maxResults"), "maxResults", 50), 0), em.max_results or _SERVER_CAP)
    found = query.run(em.searchable(), em)
    shown, expand = view(request), listing(params.get("expand"))
    selected = field_selection(listing(params.get("fields")), default="*navigable")
    return JSONResponse(_described(em, {
        "expand": "schema,names",
        "startAt": start,
        "maxResults": limit,
        "total": len(found),
        "issues": [_render(em, shown, i, selected, expand, False) for i in found[start : start + limit]],
    }, expand))  # fmt: skip


ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/search/jql", search_jql, ["GET", "POST"]),
    ("/search", search, ["GET", "POST"]),
]
"""(path under /rest/api/{2,3,latest}, endpoint, methods)."""
