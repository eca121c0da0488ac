"""The HTTP face of the emulated account: Todoist API v1 paths, status codes and error bodies.

Served over real HTTP (see `bridge.testing.serve_in_thread`) so the unmodified official SDK and the
connector talk to it exactly as to api.todoist.com. Every request passes one gate first — logged in
`request_log`, delayed by `latency`, failed by `fail_next`, refused without the exact bearer token
(401 `UNAUTHORIZED` with its `WWW-Authenticate` challenge), refused beyond `rate_limit` (429 with
`Retry-After`) — then the route; /sync also counts against its own limits, full syncs apart from
partial ones (`full_sync_limit`, `partial_sync_limit`: Todoist's 100 and 1000 per 15 minutes).
Paths, parameters and bodies follow reference §3-5 and the OpenAPI document; notable choices:
close/reopen/delete answer 204 with no body (what the SDK's own tests mock), `GET /tasks/{id}`
answers active tasks only (the docs' "single active (non-completed) task"), and the
completed-tasks listing omits `next_cursor` on its last page (its schema says "Omitted when there
is no next page") while every other listing sends null. Given a `webhook_url`, the app also POSTs
each recorded event there, signed (reference §8), in order unless `webhook_disorder` says otherwise.
`/oauth/authorize` and `/oauth/access_token` (see `oauth`) need no bearer token; the access tokens
they issue are accepted like the app's own.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bridge.webhook_sender import SwapHookState, WebhookSender
from connectors.todoist.emulator import oauth
from connectors.todoist.emulator.errors import (
    ApiError,
    invalid,
    not_found,
    status_error,
    too_many_requests,
    unauthorized,
)
from connectors.todoist.emulator.fields import rest_task_changes
from connectors.todoist.emulator.records import clone, label_rest, parse_instant, user_record
from connectors.todoist.emulator.recurring import add_months
from connectors.todoist.emulator.render import JSONAnswer, loads
from connectors.todoist.emulator.state import Emulator
from connectors.todoist.emulator.sync import answer_sync, parse_request

__all__ = ["create_app"]

Json = dict[str, Any]
_CURSOR = re.compile(r"^[0-9a-zA-Z_-]+\.[0-9a-zA-Z_-]+$")
_MAX_LIMIT = 200


class _Gate:
    """Log, delay, inject failures, check the token, count against the rate limit — in that order."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        em: Emulator = scope["app"].state.emulator
        with em.lock:
            em.request_log.append((scope["method"], scope["path"]))
        if em.latency > 0:
            await asyncio.sleep(em.latency)
        refusal: ApiError | None = None
        injected = em.take_failure(scope["path"])
        if injected is not None:
            refusal = status_error(injected)
        elif not scope["path"].startswith("/oauth/") and not self._accepts(
            em, Headers(scope=scope).get("authorization")
        ):
            refusal = unauthorized()
        else:
            wait = em.admit()
            refusal = too_many_requests(wait) if wait is not None else None
        if refusal is None:
            await self.app(scope, receive, send)
            return
        await JSONAnswer(refusal.body(), refusal.status, headers=refusal.headers())(scope, receive, send)

    def _accepts(self, em: Emulator, authorization: str | None) -> bool:
        """The app's own token, or an access token the account issued through OAuth."""
        if authorization == self.expected:
            return True
        token = (authorization or "").removeprefix("Bearer ")
        with em.lock:
            return authorization != token and token in em.access_tokens


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)  # noqa: S101 - registered for ApiError only
    return JSONAnswer(exc.body(), exc.status, headers=exc.headers())


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    error = (
        ApiError(404, "Not found", "NOT_FOUND", 478)
        if exc.status_code == 404
        else status_error(exc.status_code)
    )
    return JSONAnswer(error.body(), exc.status_code, headers=exc.headers)


def _em(request: Request) -> Emulator:
    em: Emulator = request.app.state.emulator
    return em


def _timezone(em: Emulator) -> str:
    """The user's time zone: fixed due times take it, and every due string is rendered in it."""
    with em.lock:
        return str(em.user["timezone"])


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return loads(raw)
    except ValueError:
        raise invalid("body", explanation="not valid JSON") from None


async def _object(request: Request) -> Json:
    body = await _body(request)
    if not isinstance(body, dict):
        raise invalid("body", expected="a JSON object")
    return body


def _page(
    request: Request, rows: list[Json], *, key: str = "results", null_at_end: bool = True
) -> JSONAnswer:
    """One page of `rows`: `limit` (default 50, max 200) and an opaque cursor bound to the parameters."""
    em, query = _em(request), request.query_params
    raw = query.get("limit")
    try:
        limit = 50 if raw is None else int(raw)
    except ValueError:
        raise invalid("limit", expected="Input should be a valid integer") from None
    if limit < 1:
        raise invalid("limit", expected="Input should be greater than 0")
    if limit > _MAX_LIMIT:
        raise invalid("limit", expected="Input should be less than or equal to 200")
    scope = (
        request.url.path + "?" + "&".join(sorted(f"{k}={v}" for k, v in query.multi_items() if k != "cursor"))
    )
    cursor = query.get("cursor")
    offset = 0
    if cursor is not None:
        if not _CURSOR.match(cursor):
            raise invalid("cursor")
        offset = em.cursor_offset(cursor, scope)
    more = offset + limit < len(rows)
    body: Json = {key: clone(rows[offset : offset + limit])}
    if more or null_at_end:
        body["next_cursor"] = em.remember_cursor(scope, offset + limit) if more else None
    return JSONAnswer(body)


def _matching(rows: list[Json], request: Request, keys: tuple[str, ...]) -> list[Json]:
    for key in keys:
        value = request.query_params.get(key)
        if value:
            rows = [row for row in rows if row[key] == value]
    return rows


async def list_tasks(request: Request) -> Response:
    em, query = _em(request), request.query_params
    with em.lock:
        rows = [
            t
            for t in em.tasks.values()
            if not (t["checked"] or t["is_deleted"] or em.projects[t["project_id"]]["is_archived"])
        ]
        rows = _matching(rows, request, ("project_id", "section_id", "parent_id"))
        if query.get("label"):
            rows = [t for t in rows if query["label"] in t["labels"]]
        if query.get("ids"):
            wanted = {part.strip() for part in query["ids"].split(",") if part.strip()}
            rows = [t for t in rows if t["id"] in wanted]
        return _page(request, rows)


async def add_task(request: Request) -> Response:
    em = _em(request)
    changes = rest_task_changes(await _body(request), em.today(), creating=True, tz=_timezone(em))
    return JSONAnswer(em.create_task(changes))


async def get_task(request: Request) -> Response:
    """One active task: "Returns a single active (non-completed) task by ID", so a completed or
    deleted one is 404 `NOT_FOUND` like an unknown id (Sync or the completed listing read those)."""
    task = _em(request).get_task(request.path_params["task_id"])
    if task["checked"]:
        raise not_found("Task")
    return JSONAnswer(task)


async def update_task(request: Request) -> Response:
    em = _em(request)
    changes = rest_task_changes(await _body(request), em.today(), creating=False, tz=_timezone(em))
    return JSONAnswer(em.edit_task(request.path_params["task_id"], changes))


async def close_task(request: Request) -> Response:
    _em(request).close_task(request.path_params["task_id"])
    return Response(status_code=204)


async def reopen_task(request: Request) -> Response:
    _em(request).uncomplete_task(request.path_params["task_id"])
    return Response(status_code=204)


async def move_task(request: Request) -> Response:
    body = await _object(request)
    where = {key: body.get(key) for key in ("project_id", "section_id", "parent_id")}
    if any(value is not None and not isinstance(value, str) for value in where.values()):
        raise invalid("project_id", expected="id strings")
    return JSONAnswer(_em(request).move_task(request.path_params["task_id"], **where))


async def delete_task(request: Request) -> Response:
    _em(request).delete_task(request.path_params["task_id"])
    return Response(status_code=204)


async def completed_by_completion_date(request: Request) -> Response:
    em, query = _em(request), request.query_params
    for name in ("since", "until"):
        if not query.get(name):
            raise invalid(name, explanation=f"{name} is required")
    since, until = parse_instant(query["since"], "since"), parse_instant(query["until"], "until")
    if until < since:
        raise invalid("until", explanation="until is before since")
    if until > add_months(since, 3):
        raise invalid("until", explanation="since and until must be at most 3 months apart")
    with em.lock:
        rows = [
            t
            for t in em.tasks.values()
            if t["checked"] and not t["is_deleted"] and since <= parse_instant(t["completed_at"], "") <= until
        ]
        rows = _matching(rows, request, ("project_id", "section_id", "parent_id"))
        rows.sort(key=lambda t: str(t["completed_at"]), reverse=True)
        return _page(request, rows, key="items", null_at_end=False)


async def list_projects(request: Request) -> Response:
    em = _em(request)
    with em.lock:
        return _page(
            request, [p for p in em.projects.values() if not p["is_deleted"] and not p["is_archived"]]
        )


async def add_project(request: Request) -> Response:
    body = await _object(request)
    if "name" not in body:
        raise invalid("name", explanation="name is required")
    parent = body.get("parent_id")
    if parent is not None and not isinstance(parent, str):
        raise invalid("parent_id", expected="a project id")
    defaults = {"color": "charcoal", "description": "", "is_favorite": False, "view_style": "list"}
    extra = {key: default if body.get(key) is None else body[key] for key, default in defaults.items()}
    return JSONAnswer(_em(request).create_project(body["name"], parent_id=parent, **extra))


async def get_project(request: Request) -> Response:
    return JSONAnswer(_em(request).get_project(request.path_params["project_id"]))


async def archive_project(request: Request) -> Response:
    return JSONAnswer(_em(request).archive_project(request.path_params["project_id"]))


async def unarchive_project(request: Request) -> Response:
    return JSONAnswer(_em(request).unarchive_project(request.path_params["project_id"]))


async def delete_project(request: Request) -> Response:
    _em(request).delete_project(request.path_params["project_id"])
    return Response(status_code=204)


async def list_collaborators(request: Request) -> Response:
    em = _em(request)
    with em.lock:
        project_id = em.get_project(request.path_params["project_id"])["id"]
        users = [em.collaborators[uid] for (pid, uid) in em.collaborator_states if pid == project_id]
        return _page(request, [{"id": u["id"], "name": u["full_name"], "email": u["email"]} for u in users])


async def list_labels(request: Request) -> Response:
    em = _em(request)
    with em.lock:
        return _page(request, [label_rest(lb) for lb in em.labels.values() if not lb["is_deleted"]])


async def add_label(request: Request) -> Response:
    body = await _object(request)
    if "name" not in body:
        raise invalid("name", explanation="name is required")
    order = body.get("item_order", body.get("order"))  # the SDK says item_order, the spec order
    color = body.get("color") or "charcoal"
    label = _em(request).create_label(body["name"], color=color, item_order=order,
                                      is_favorite=bool(body.get("is_favorite", False)))  # fmt: skip
    return JSONAnswer(label_rest(label))


async def get_user(request: Request) -> Response:
    em = _em(request)
    with em.lock:
        done = [t for t in em.tasks.values() if t["checked"] and not t["is_deleted"]]
        today = sum(1 for t in done if t["completed_at"][:10] == em.today().isoformat())
        return JSONAnswer(user_record(em.user, em.inbox_id, len(done), today))


async def sync(request: Request) -> Response:
    """Counted against the full or the partial sync limit (a batch of commands is one request)."""
    em, body = _em(request), await request.body()
    content_type = request.headers.get("content-type", "")
    parsed = parse_request(content_type, body)
    token, types, _ = parsed
    wait = em.admit_sync(full=bool(types) and token in (None, "*"))
    if wait is not None:
        raise too_many_requests(wait)
    return answer_sync(em, content_type, body, parsed, JSONAnswer)


def _deliver(sender: WebhookSender, site: Emulator, event: Json) -> None:
    """Queue one event as Todoist sends it (reference §8): JSON body, signed, fresh delivery id;
    with `site.webhook_disorder` set, perhaps late (overtaken by later ones) or never."""
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    delivery_id = str(uuid.uuid4())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Todoist-Webhooks",
        "X-Todoist-Hmac-SHA256": site.sign(body),
        "X-Todoist-Delivery-ID": delivery_id,
    }
    disorder = site.webhook_disorder
    hold = disorder.fate(delivery_id) if disorder is not None else 0.0
    if hold is not None:
        sender.send(delivery_id, body, headers, hold=hold)


def _webhooks(app: Starlette, webhook_url: str, client_secret: str) -> None:
    """Give `app` a sender (`app.state.webhooks`) fed by whichever account `app.state.emulator` is.

    Todoist wants exactly 200 and retries anything else at most 3 times with the same delivery id
    (after 15 minutes; here after `sender.backoff` seconds, doubling). A swapped-in account without
    a client secret of its own takes the app's, since Todoist signs every webhook with it.
    """
    sender = WebhookSender(
        webhook_url, max_attempts=4, success=lambda status: status == 200, retry=lambda status: True,
        name="todoist-webhooks",
    )  # fmt: skip

    def attach(old: Emulator | None, new: Emulator) -> None:
        if old is not None and old is not new:
            with old.lock:
                old.on_event = None
        with new.lock:
            if new.client_secret is None:
                new.client_secret = client_secret
            new.on_event = functools.partial(_deliver, sender, new)

    app.state = SwapHookState("emulator", attach)
    app.state.webhooks = sender


def create_app(
    token: str,
    *,
    emulator: Emulator | None = None,
    client_secret: str | None = None,
    webhook_url: str | None = None,
    client_id: str | None = None,
    redirect_uri: str | None = None,
) -> Starlette:
    """A Starlette app serving one account (`app.state.emulator`) to callers bearing `token`.

    `client_secret` is what `Emulator.sign` keys webhook signatures with. With `webhook_url`,
    every event the account records (REST, /sync or the person helpers) is POSTed there, signed,
    from a background thread: `app.state.webhooks` is that `bridge.webhook_sender.WebhookSender`
    (`flush()`, `attempts`, `close()`), else None; a client secret is then required (ValueError).
    Swap `app.state.emulator` for a fresh `Emulator()` to reset the account without restarting;
    the new account is the one whose events are delivered from then on.
    `client_id`, `client_secret` and `redirect_uri` describe the OAuth app (`emulator.oauth`);
    unset, the account's defaults stand (see `Knobs`).
    """
    em = emulator if emulator is not None else Emulator()
    if client_secret is not None:
        em.client_secret = client_secret
    if client_id is not None:
        em.client_id = client_id
    if redirect_uri is not None:
        em.redirect_uri = redirect_uri
    secret = em.client_secret
    if webhook_url is not None and secret is None:
        raise ValueError("Todoist signs every webhook with the app's client secret: give client_secret")
    v1 = "/api/v1"
    routes = [
        Route(f"{v1}/tasks", list_tasks, methods=["GET"]),
        Route(f"{v1}/tasks", add_task, methods=["POST"]),
        Route(f"{v1}/tasks/completed/by_completion_date", completed_by_completion_date, methods=["GET"]),
        Route(f"{v1}/tasks/{{task_id}}", get_task, methods=["GET"]),
        Route(f"{v1}/tasks/{{task_id}}", update_task, methods=["POST"]),
        Route(f"{v1}/tasks/{{task_id}}", delete_task, methods=["DELETE"]),
        Route(f"{v1}/tasks/{{task_id}}/close", close_task, methods=["POST"]),
        Route(f"{v1}/tasks/{{task_id}}/reopen", reopen_task, methods=["POST"]),
        Route(f"{v1}/tasks/{{task_id}}/move", move_task, methods=["POST"]),
        Route(f"{v1}/projects", list_projects, methods=["GET"]),
        Route(f"{v1}/projects", add_project, methods=["POST"]),
        Route(f"{v1}/projects/{{project_id}}", get_project, methods=["GET"]),
        Route(f"{v1}/projects/{{project_id}}", delete_project, methods=["DELETE"]),
        Route(f"{v1}/projects/{{project_id}}/archive", archive_project, methods=["POST"]),
        Route(f"{v1}/projects/{{project_id}}/unarchive", unarchive_project, methods=["POST"]),
        Route(f"{v1}/projects/{{project_id}}/collaborators", list_collaborators, methods=["GET"]),
        Route(f"{v1}/labels", list_labels, methods=["GET"]),
        Route(f"{v1}/labels", add_label, methods=["POST"]),
        Route(f"{v1}/user", get_user, methods=["GET"]),
        Route(f"{v1}/sync", sync, methods=["POST"]),
        Route("/oauth/authorize", oauth.authorize, methods=["GET"]),
        Route("/oauth/access_token", oauth.access_token, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_Gate, token=token)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
    app.state.webhooks = None
    if webhook_url is not None and secret is not None:
        _webhooks(app, webhook_url, secret)
    app.state.emulator = em
    return app
