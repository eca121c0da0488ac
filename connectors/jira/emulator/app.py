"""The HTTP face of the emulated Jira site: REST v2, v3 and `latest` paths, auth and the gate.

Served over real HTTP (see `bridge.testing.serve_in_thread`) so the unmodified `jira` library and
the connector talk to it exactly as to a Jira site. Every request passes one gate first — logged
in `request_log`, delayed by `latency`, failed by `fail_next`, refused without the exact
credentials (401: Cloud takes HTTP Basic `email:api_token`, Server/Data Center `Bearer <PAT>`
or the `JSESSIONID` cookie of a cookie login (`session`), reference §3), refused beyond
`rate_limit` (429 with `Retry-After`) — then the route. Server mode has no REST v3 (Data Center
never had it) and no `/search/jql`. Given a `webhook_url`, the app also
POSTs each recorded event there as an admin webhook would (reference §6).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hmac
import json
import uuid
from http.cookies import SimpleCookie
from typing import Literal

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bridge.webhook_sender import SwapHookState, WebhookSender
from connectors.jira.emulator import links, lookups, routes, search, session
from connectors.jira.emulator.errors import JiraError, rate_limited, status_error, unauthorized
from connectors.jira.emulator.records import Json
from connectors.jira.emulator.state import JiraEmulator

__all__ = ["create_app"]


class _Gate:
    """Log, delay, inject failures, check the credentials, count against the rate limit."""

    def __init__(self, app: ASGIApp, authorization: str) -> None:
        self.app = app
        self.scheme, _, self.credential = authorization.partition(" ")

    def _authorised(self, header: str | None) -> bool:
        scheme, _, credential = (header or "").partition(" ")
        return scheme.lower() == self.scheme.lower() and hmac.compare_digest(
            credential.strip().encode(), self.credential.encode()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        em: JiraEmulator = scope["app"].state.emulator
        headers = Headers(scope=scope)
        with em.lock:
            em.request_log.append((scope["method"], scope["path"]))
            em.base_url = f"{scope.get('scheme', 'http')}://{headers.get('host', '127.0.0.1')}"
        if em.latency > 0:
            await asyncio.sleep(em.latency)
        refusal: JiraError | None = None
        injected = em.take_failure(scope["path"], scope["method"])
        if injected is not None:
            refusal = status_error(*injected)
        elif not (
            self._authorised(headers.get("authorization"))
            or _logged_in(em, headers)
            or (scope["path"] == session.PATH and scope["method"] == "POST")  # the login itself
        ):
            refusal = unauthorized()
        else:
            wait = em.admit()
            refusal = rate_limited(wait) if wait is not None else None
        if refusal is None:
            await self.app(scope, receive, send)
            return
        await JSONResponse(refusal.body(), refusal.status, headers=refusal.headers)(scope, receive, send)


def _logged_in(em: JiraEmulator, headers: Headers) -> bool:
    """A cookie login's session (Server mode), sent back in its `JSESSIONID` cookie."""
    cookies = SimpleCookie(headers.get("cookie", ""))
    morsel = cookies.get(session.COOKIE)
    with em.lock:
        return morsel is not None and morsel.value in em.sessions


async def _jira_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JiraError)  # noqa: S101 - registered for JiraError only
    return JSONResponse(exc.body(), exc.status, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    error = JiraError(exc.status_code, [f"null for uri: {request.url}"]) if exc.status_code == 404 else None
    error = error or status_error(exc.status_code)
    return JSONResponse(error.body(), exc.status_code, headers=exc.headers)


def _deliver(sender: WebhookSender, site: JiraEmulator, event: Json) -> None:
    """Queue one event as a Jira admin webhook sends it (reference §6): JSON body, a fresh
    identifier kept across retries, `Flow: Primary`, and `X-Hub-Signature` only with a secret;
    with `site.webhook_disorder` set, perhaps late (overtaken by later ones) or never."""
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    identifier = str(uuid.uuid4())
    headers = {
        "Content-Type": "application/json",
        "X-Atlassian-Webhook-Identifier": identifier,
        "X-Atlassian-Webhook-Flow": "Primary",
    }
    if site.secret is not None:
        headers["X-Hub-Signature"] = site.sign(body)
    disorder = site.webhook_disorder
    hold = disorder.fate(identifier) if disorder is not None else 0.0
    if hold is None:
        return  # lost: given up after its retries, as a receiver down too long sees it
    sender.send(identifier, body, headers, hold=hold)


def _webhooks(app: Starlette, webhook_url: str, secret: str | None) -> None:
    """Give `app` a sender (`app.state.webhooks`) fed by whichever site `app.state.emulator` is.

    Retried as Jira Cloud does — on 408, 409, 425, 429, 5xx or no connection — with
    `X-Atlassian-Webhook-Retry: n` from the second try. A swapped-in site without a secret of its
    own takes the app's (the secret belongs to the webhook's registration, not to the site).
    """
    sender = WebhookSender(
        webhook_url, max_attempts=4, retry_header="X-Atlassian-Webhook-Retry", name="jira-webhooks"
    )

    def attach(old: JiraEmulator | None, new: JiraEmulator) -> None:
        if old is not None and old is not new:
            with old.lock:
                old.on_event = None
        with new.lock:
            if new.secret is None:
                new.secret = secret
            new.on_event = functools.partial(_deliver, sender, new)

    app.state = SwapHookState("emulator", attach)
    app.state.webhooks = sender


def create_app(
    *,
    mode: Literal["cloud", "server"] = "cloud",
    email: str | None = None,
    token: str | None = None,
    pat: str | None = None,
    emulator: JiraEmulator | None = None,
    secret: str | None = None,
    webhook_url: str | None = None,
) -> Starlette:
    """A Starlette app serving one Jira site (`app.state.emulator`) to exactly one credential.

    Cloud: HTTP Basic with `email` and API `token`; Server/Data Center: `Authorization: Bearer
    <pat>`. The site's user is `email` (default `bridge@example.com`). `secret` keys the
    webhook signatures of `JiraEmulator.sign`. With `webhook_url`, every event the site records
    (REST or the person helpers) is POSTed there from a background thread, signed when there is a
    secret: `app.state.webhooks` is that `bridge.webhook_sender.WebhookSender` (`flush()`,
    `attempts`, `close()`), else None. Swap `app.state.emulator` for a fresh
    `JiraEmulator(mode=...)` of the same mode to reset the site without restarting the server;
    the new site is the one whose events are delivered from then on.
    """
    if mode == "cloud":
        if not email or not token:
            raise ValueError("Cloud mode needs the account email and an API token")
        authorization = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode("ascii")
        login = None
    elif mode == "server":
        if not pat:
            raise ValueError("Server mode needs a personal access token (pat)")
        authorization = f"Bearer {pat}"
        login = pat
    else:
        raise ValueError(f"mode must be 'cloud' or 'server', not {mode!r}")
    em = emulator if emulator is not None else JiraEmulator(mode=mode, email=email or "bridge@example.com")
    if em.mode != mode:
        raise ValueError(f"the emulator is in {em.mode} mode, the app in {mode} mode")
    if secret is not None:
        em.secret = secret
    versions = ("2", "3", "latest") if mode == "cloud" else ("2", "latest")
    table = [*routes.ROUTES, *search.ROUTES, *lookups.ROUTES, *links.ROUTES]
    app = Starlette(
        routes=[
            Route(f"/rest/api/{version}{path}", endpoint, methods=methods)
            for version in versions
            for path, endpoint, methods in table
        ]
        + [
            Route(f"/rest/auth/{version}/session{path}", endpoint, methods=methods)
            for version in ("1", "latest")
            for path, endpoint, methods in session.ROUTES
        ],
        middleware=[Middleware(_Gate, authorization=authorization)],
        exception_handlers={JiraError: _jira_error, HTTPException: _http_error},
    )
    app.state.webhooks = None
    if webhook_url is not None:
        _webhooks(app, webhook_url, em.secret)
    app.state.login = login  # the password a cookie login takes: the PAT (Server mode only)
    app.state.emulator = em
    return app
