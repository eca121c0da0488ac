"""Issue links: the site's link types (`GET /issueLinkType`, `/issueLinkType/{id}`) and links
between issues (`POST /issueLink`, `GET`/`DELETE /issueLink/{id}`); an issue shows its own in
the `issuelinks` field.

Shapes follow the Jira Cloud REST documentation (`IssueLinkTypes`, `IssueLinkType`,
`LinkIssueRequestJsonBean`, `IssueLink`): a link is made with
`{"type": {"name"}, "inwardIssue": {"key"}, "outwardIssue": {"key"}}` (ids in place of names and
keys also do) and answered 201 with an empty body. The issue sent as `inwardIssue` is the link's
source: it reads "<outward words> <the other>", and its `issuelinks` entry names the other under
`outwardIssue`. An unknown type or issue is 404 with the wording Atlassian's own REST client tests
expect ("No issue link type with name 'X' found.", "Issue Does Not Exist"); the 400 of a body
without them and the 404 of an unknown link id are worded here (unverified).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.jira.emulator.errors import JiraError, bad_request, not_found
from connectors.jira.emulator.fields import check_object
from connectors.jira.emulator.records import LinkType, View, link_type_json, linked_issue_json
from connectors.jira.emulator.state import JiraEmulator
from connectors.jira.emulator.wire import emulator, read_json, view

__all__ = ["ROUTES"]


async def link_types(request: Request) -> Response:
    shown = view(request)
    return JSONResponse({"issueLinkTypes": [link_type_json(shown, t) for t in emulator(request).link_types]})


async def link_type(request: Request) -> Response:
    wanted = request.path_params["id"]
    found = emulator(request).find_link_type(type_id=wanted)
    if found is None:
        raise not_found(f"No issue link type with id '{wanted}' found.")
    return JSONResponse(link_type_json(view(request), found))


def _issue_ref(body: dict[str, Any], side: str) -> str:
    ref = body.get(side)
    value = (ref.get("key") or ref.get("id")) if isinstance(ref, dict) else None
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value):
        raise bad_request(f"The {side} of the link must be given, by key or id.")
    return str(value)


def _requested_type(em: JiraEmulator, body: dict[str, Any]) -> LinkType:
    wanted = body.get("type")
    name = wanted.get("name") if isinstance(wanted, dict) else None
    type_id = wanted.get("id") if isinstance(wanted, dict) else None
    if isinstance(name, str) and name:
        found = em.find_link_type(name=name)
        if found is None:
            raise not_found(f"No issue link type with name '{name}' found.")
        return found
    if isinstance(type_id, str | int) and not isinstance(type_id, bool):
        found = em.find_link_type(type_id=str(type_id))
        if found is None:
            raise not_found(f"No issue link type with id '{type_id}' found.")
        return found
    raise bad_request("The link type must be given, by name or id.")


async def create_link(request: Request) -> Response:
    """Link `inwardIssue` (the source) to `outwardIssue`; a `comment` is accepted and not kept
    (the emulator keeps no comments). The issues are looked up before the type."""
    em = emulator(request)
    body = check_object(await read_json(request))
    source, destination = _issue_ref(body, "inwardIssue"), _issue_ref(body, "outwardIssue")
    if em.find_key(source) is None or em.find_key(destination) is None:
        raise JiraError(404, ["Issue Does Not Exist"])
    em.link(_requested_type(em, body), source, destination)
    return Response(status_code=201)


def _link_json(em: JiraEmulator, shown: View, link_id: str) -> dict[str, Any]:
    made = em.get_link(link_id)
    return {
        "id": made.id,
        "self": f"{shown.api}/issueLink/{made.id}",
        "type": link_type_json(shown, made.type),
        "inwardIssue": linked_issue_json(shown, em.get_issue(made.source)),
        "outwardIssue": linked_issue_json(shown, em.get_issue(made.destination)),
    }


async def get_link(request: Request) -> Response:
    em = emulator(request)
    return JSONResponse(_link_json(em, view(request), request.path_params["id"]))


async def delete_link(request: Request) -> Response:
    emulator(request).unlink(request.path_params["id"])
    return Response(status_code=204)


ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/issueLinkType", link_types, ["GET"]),
    ("/issueLinkType/{id}", link_type, ["GET"]),
    ("/issueLink", create_link, ["POST"]),
    ("/issueLink/{id}", get_link, ["GET"]),
    ("/issueLink/{id}", delete_link, ["DELETE"]),
]
"""(path under /rest/api/{2,3,latest}, endpoint, methods)."""
