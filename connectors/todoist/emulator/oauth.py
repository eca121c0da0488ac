"""Todoist's OAuth endpoints, emulated: `GET /oauth/authorize` and `POST /oauth/access_token`.

A test cannot click a consent page, so authorize consents at once (or refuses, with the account's
`deny_access`) and redirects (302) to the app's redirect URL with `code` and `state`, as Todoist
does after the person's click. The redirect URL is the `redirect_uri` query parameter when given,
else the app's registered one (`redirect_uri` on the account). Codes are single-use; the access
tokens issued are accepted by the API (`access_tokens`). Error bodies are `{"error": ...}` as in
Todoist's authorization guide: `access_denied`, `invalid_scope`, `bad_authorization_code` and
`incorrect_application_credentials` are its words; `invalid_client_id` and `no_redirect_uri`
(an app without a registered redirect URL) are placeholders, as the guide names neither.
"""

from __future__ import annotations

import hmac
import json
import secrets
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from connectors.todoist.emulator.state import Emulator

__all__ = ["SCOPES", "access_token", "authorize"]

SCOPES = frozenset(
    ("task:add", "data:read", "data:read_write", "data:delete", "project:delete", "backups:read")
)


def _refuse(error: str) -> JSONResponse:
    return JSONResponse({"error": error}, 400)


async def authorize(request: Request) -> Response:
    em: Emulator = request.app.state.emulator
    query = request.query_params
    scopes = query.get("scope", "").split(",")
    with em.lock:
        if query.get("client_id") != em.client_id:
            return _refuse("invalid_client_id")
        if not all(scope in SCOPES for scope in scopes):
            return _refuse("invalid_scope")
        target = query.get("redirect_uri") or em.redirect_uri
        if not target:
            return _refuse("no_redirect_uri")
        params: dict[str, str] = {}
        if em.deny_access:
            params["error"] = "access_denied"
        else:
            params["code"] = secrets.token_hex(20)
            em.oauth_codes[params["code"]] = False
    if "state" in query:
        params["state"] = query["state"]
    return RedirectResponse(f"{target}{'&' if '?' in target else '?'}{urlencode(params)}", 302)


async def access_token(request: Request) -> Response:
    """The SDK posts JSON; a form body (what Todoist's guide shows with curl) is read as well."""
    em: Emulator = request.app.state.emulator
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.lstrip().startswith(b"{") else dict(parse_qsl(raw.decode()))
    except (ValueError, UnicodeDecodeError):
        body = {}
    fields = {key: str(body.get(key, "")) for key in ("client_id", "client_secret", "code")}
    with em.lock:
        secret = em.client_secret or ""
        if (
            fields["client_id"] != em.client_id
            or not secret
            or not hmac.compare_digest(fields["client_secret"].encode(), secret.encode())
        ):
            return _refuse("incorrect_application_credentials")
        if em.oauth_codes.get(fields["code"]) is not False:
            return _refuse("bad_authorization_code")
        em.oauth_codes[fields["code"]] = True
        token = secrets.token_hex(20)
        em.access_tokens.add(token)
    return JSONResponse({"access_token": token, "token_type": "Bearer"})
