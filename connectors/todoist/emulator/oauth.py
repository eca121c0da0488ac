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
`pass_time` or `expire_all` rather than sleeping. Codes are single-use (`oauth_codes`).
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

if TYPE_CHECKING:
    from connectors.todoist.emulator.state import Emulator

__all__ = [
    "GRACE",
    "LEGACY_LIFETIME",
    "LIFETIME",
    "SCOPES",
    "AccessTokens",
    "access_token",
    "authorize",
    "tokens",
]

SCOPES = frozenset(
    ("task:add", "data:read", "data:read_write", "data:delete", "project:delete", "backups:read")
)
LIFETIME = 3600
LEGACY_LIFETIME = 315_360_000  # what Todoist answers for tokens that do not expire
GRACE = 60.0  # seconds a used refresh token is still honoured (a network retry, not a replay)


@dataclass
class _Refresh:
    scope: str
    used_at: float | None = None
    replacement: str | None = None  # the access token its use issued


class AccessTokens(set[str]):
    """The OAuth access tokens issued, as `Knobs.access_tokens`: `in` says no once one has expired
    (the API's token check then answers 401); with the refresh tokens and the emulated clock."""

    def __init__(self, issued: Iterable[str] = ()) -> None:
        super().__init__(issued)
        self.lifetime: int | None = LIFETIME
        """Seconds an access token lives; None: a legacy app's long-lived tokens, no refresh token."""
        self.skew = 0.0
        self.expires: dict[str, float] = {}
        self.refresh: dict[str, _Refresh] = {}
        self.code_scopes: dict[str, str] = {}
        self.on_refresh: Callable[[], None] | None = None
        """Called once a refresh has rotated the tokens, before the answer is sent (a test can
        kill the client there: Todoist has spent the old refresh token, the client never hears)."""

    def now(self) -> float:
        return time.time() + self.skew

    def pass_time(self, seconds: float) -> None:
        """Let `seconds` pass for tokens: access tokens expire, used refresh tokens leave the grace."""
        self.skew += seconds

    def expire_all(self) -> None:
        """Every access token issued so far expires now; refresh tokens stay good."""
        now = self.now()
        for token in self:
            self.expires[token] = min(self.expires.get(token, now), now)

    def __contains__(self, token: object) -> bool:
        if not super().__contains__(token):
            return False
        end = self.expires.get(token) if isinstance(token, str) else None
        return end is None or self.now() < end

    def grant(self, scope: str) -> dict[str, Any]:
        """A new access token (and refresh token, unless legacy): the token endpoint's answer."""
        token = secrets.token_hex(20)
        lifetime = self.lifetime if self.lifetime is not None else LEGACY_LIFETIME
        self.add(token)
        self.expires[token] = self.now() + lifetime
        answer: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
        if self.lifetime is not None:
            answer["refresh_token"] = secrets.token_hex(20)
            self.refresh[answer["refresh_token"]] = _Refresh(scope)
        answer["scope"] = scope
        return answer

    def use_refresh(self, token: str, scope: str) -> dict[str, Any] | str:
        """The answer to a refresh with `token`, or the error word (`invalid_grant`, `invalid_scope`)."""
        entry, now = self.refresh.get(token), self.now()
        if entry is None:
            return "invalid_grant"
        if entry.used_at is not None:
            replacement = entry.replacement
            if now - entry.used_at <= GRACE and replacement is not None and replacement in self:
                left = max(0, int(self.expires[replacement] - now))
                return {
                    "access_token": replacement,
                    "token_type": "Bearer",
                    "expires_in": left,
                    "scope": entry.scope,
                }
            self.revoke_all()  # a replay: Todoist revokes every token of the grant
            return "invalid_grant"
        if scope and not set(scope.split(",")) <= set(entry.scope.split(",")):
            return "invalid_scope"
        answer = self.grant(scope or entry.scope)
        entry.used_at, entry.replacement = now, answer["access_token"]
        if self.on_refresh is not None:
            self.on_refresh()
        return answer

    def revoke_all(self) -> None:
        self.clear()
        self.expires.clear()
        self.refresh.clear()


def tokens(em: Emulator) -> AccessTokens:
    """The account's `access_tokens` as `AccessTokens`, converted on first use (tokens already in
    the plain set stay, without expiry): what tests turn to expire tokens or move the clock."""
    with em.lock:
        if not isinstance(em.access_tokens, AccessTokens):
            em.access_tokens = AccessTokens(em.access_tokens)
        return em.access_tokens


def _refuse(error: str) -> JSONResponse:
    return JSONResponse({"error": error}, 400)


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
            tokens(em).code_scopes[params["code"]] = query["scope"]
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
            answer = tokens(em).use_refresh(fields["refresh_token"], fields["scope"])
            return _refuse(answer) if isinstance(answer, str) else JSONResponse(answer)
        if grant_type != "authorization_code":
            return _refuse("unsupported_grant_type")
        if not known:
            return _refuse("incorrect_application_credentials")
        if em.oauth_codes.get(fields["code"]) is not False:
            return _refuse("bad_authorization_code")
        em.oauth_codes[fields["code"]] = True
        issued = tokens(em)
        return JSONResponse(issued.grant(issued.code_scopes.pop(fields["code"], "data:read_write")))
