"""Todoist's OAuth endpoints, emulated: `GET /oauth/authorize` and `POST /oauth/access_token`.

A test cannot click a consent page, so authorize consents at once (or refuses, with the account's
`deny_access`) and redirects (302) to the app's registered redirect URL (`redirect_uri` on the
account) with `code` and `state`, as Todoist does after the person's click. What is wrong with the
request itself is said the same way, as `?error=...&state=...` on that redirect (Todoist's guide:
`invalid_scope`, `unsupported_response_type`, `access_denied`; a missing `state` is OAuth 2's
`invalid_request`). An unknown client id, an app without a redirect URL or a `redirect_uri`
parameter other than the registered one is answered 400 with `{"error": ...}` and no redirect
(RFC 6749 §4.1.2.1: the redirect could not be trusted); their words `invalid_client_id`,
`no_redirect_uri` and `redirect_uri_mismatch` are placeholders, as the guide names none.

Tokens expire as the guide's "Refreshing access tokens" describes (`AccessTokens`): an access
token lives `lifetime` seconds (3600; None models a legacy app: 10 years, no refresh token) and
is then answered 401 by the API; a refresh token is rotated on use, a used one is honoured again
within 60 s with the same access token and no refresh token, and a used one shown later is a
replay: `invalid_grant`, and every token of the grant is revoked. Tests move the clock with
`pass_time` or `expire_all` (`tokens.py`) rather than sleeping. Codes are single-use (`oauth_codes`).
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from connectors.todoist.emulator.render import JSONAnswer

if TYPE_CHECKING:
    from connectors.todoist.emulator.state import Emulator

__all__ = ["SCOPES", "access_token", "authorize"]

SCOPES = frozenset(
    ("task:add", "data:read", "data:read_write", "data:delete", "project:delete", "backups:read")
)


def _refuse(error: str) -> JSONAnswer:
    return JSONAnswer({"error": error}, 400)


def _authorize_error(em: Emulator, query: Any) -> str | None:
    """What the redirect reports instead of a code, checked in the order the guide lists them."""
    if query.get("response_type", "code") != "code":
        return "unsupported_response_type"
    scopes = query.get("scope", "").split(",")
    if not all(scope in SCOPES for scope in scopes):
        return "invalid_scope"
    if not query.get("state"):
        return "invalid_request"
    return "access_denied" if em.deny_access else None


async def authorize(request: Request) -> Response:
    em: Emulator = request.app.state.emulator
    query = request.query_params
    with em.lock:
        if query.get("client_id") != em.client_id:
            return _refuse("invalid_client_id")
        target = em.redirect_uri
        if not target:
            return _refuse("no_redirect_uri")
        if query.get("redirect_uri", target) != target:
            return _refuse("redirect_uri_mismatch")
        params: dict[str, str] = {}
        error = _authorize_error(em, query)
        if error is not None:
            params["error"] = error
        else:
            params["code"] = secrets.token_hex(20)
            em.oauth_codes[params["code"]] = False
            em.access_tokens.code_scopes[params["code"]] = query["scope"]
    if query.get("state"):
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
    if not isinstance(body, dict):
        body = {}
    names = ("client_id", "client_secret", "code", "grant_type", "refresh_token", "scope")
    fields = {key: str(body.get(key, "")) for key in names}
    grant_type = fields["grant_type"] or "authorization_code"
    with em.lock:
        secret = em.client_secret or ""
        known = (
            fields["client_id"] == em.client_id
            and bool(secret)
            and hmac.compare_digest(fields["client_secret"].encode(), secret.encode())
        )
        if grant_type == "refresh_token":
            if not known:
                return _refuse("invalid_client")
            answer = em.access_tokens.use_refresh(fields["refresh_token"], fields["scope"])
            return _refuse(answer) if isinstance(answer, str) else JSONAnswer(answer)
        if grant_type != "authorization_code":
            return _refuse("unsupported_grant_type")
        if not known:
            return _refuse("incorrect_application_credentials")
        if em.oauth_codes.get(fields["code"]) is not False:
            return _refuse("bad_authorization_code")
        em.oauth_codes[fields["code"]] = True
        issued = em.access_tokens
        return JSONAnswer(issued.grant(issued.code_scopes.pop(fields["code"], "data:read_write")))
