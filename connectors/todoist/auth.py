"""`bridge auth todoist`, Todoist's OAuth flow, and the refreshing of the grant it stores.

Todoist sends webhooks only for users who authorised an app through OAuth; its access tokens
expire after an hour, renewed with a refresh token that is rotated on every use. The flow stores
the whole grant (`bridge.oauth.GrantFile`); `OAuthSession` keeps it fresh for `bridge sync` when
no personal token is set. The official SDK builds the authorize URL and exchanges the code;
pointing both at `TODOIST_OAUTH_URL` (an emulator in tests) is done by rewriting the URL prefix
and, below the SDK, the origin (`bridge.transport`), as for the API.
"""

from __future__ import annotations

import logging
import secrets
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import cast, get_args

import httpx
from pydantic_settings import SettingsConfigDict
from todoist_api_python._core.endpoints import OAUTH_URL
from todoist_api_python.authentication import Scope, get_auth_token, get_authentication_url

from bridge.config import load_settings
from bridge.connector_commands import AuthOptions
from bridge.errors import AuthError, ConfigError, ConnectorError
from bridge.exits import prog
from bridge.oauth import CallbackServer, Grant, GrantFile
from bridge.transport import make_http_client
from connectors.todoist.settings import TodoistSettings

__all__ = [
    "DEFAULT_SCOPES",
    "REFRESH_MARGIN",
    "OAuthSession",
    "authorize",
    "authorize_url",
    "exchange_code",
    "refresh_grant",
]

log = logging.getLogger(__name__)

DEFAULT_SCOPES: tuple[Scope, ...] = ("data:read_write", "data:delete")  # delete: TODOIST_CANCELLED=delete
CONSOLE = "https://app.todoist.com/app/settings/integrations/app-management"
REFRESH_MARGIN = 300.0  # seconds before the expiry at which the access token is renewed
AGAIN = "run `bridge auth todoist` again"


def _settings(env_file: Path) -> TodoistSettings:
    """The settings as `bridge` will read them later: from the environment and this `.env` file."""

    class FromFile(TodoistSettings):
        model_config = SettingsConfigDict(**{**TodoistSettings.model_config, "env_file": env_file})

    return load_settings(FromFile)


def _scopes(wanted: tuple[str, ...]) -> list[Scope]:
    known = get_args(Scope)
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise ConfigError(f"unknown Todoist scope {', '.join(unknown)} (known: {', '.join(known)})")
    return [cast("Scope", s) for s in wanted] or list(DEFAULT_SCOPES)


def authorize_url(settings: TodoistSettings, client_id: str, scopes: list[Scope], state: str) -> str:
    """The SDK's authorize URL, moved from todoist.com/oauth to `TODOIST_OAUTH_URL`."""
    url = get_authentication_url(client_id, scopes, state)
    return settings.oauth_url + url.removeprefix(OAUTH_URL)


def exchange_code(settings: TodoistSettings, client_id: str, client_secret: str, code: str) -> Grant:
    """The grant for `code`, through the SDK; AuthError when Todoist refuses the code."""
    oauth = httpx.URL(OAUTH_URL)
    origin = f"{oauth.scheme}://{oauth.netloc.decode()}"
    base = settings.oauth_url.removesuffix(oauth.path.rstrip("/"))
    answers: list[httpx.Response] = []
    now = time.time()
    with make_http_client(base_url=base, origin=origin, timeout=30.0) as http:
        http.event_hooks["response"] = [answers.append]
        try:
            get_auth_token(client_id, client_secret, code, client=http)
            problem: Exception | None = None
        except httpx.HTTPStatusError as exc:
            raise _refused(exc.response) from exc
        except httpx.HTTPError as exc:
            raise ConnectorError("todoist", f"no answer from the token endpoint: {exc}") from exc
        except Exception as exc:  # the SDK's parsing of the answer: read below instead
            # SDK 4.0.0's AuthResult requires a `state` field that Todoist's answer does not
            # have (Doist/todoist-api-python#110); and it keeps only the access token anyway.
            problem = exc
        return _grant_in(answers[-1] if answers else None, now, problem)


def _grant_in(response: httpx.Response | None, now: float, problem: Exception | None = None) -> Grant:
    try:
        return Grant.from_answer(response.json() if response is not None else None, now)
    except ValueError as exc:  # the reason only: never the answer, which holds the tokens
        raise ConnectorError("todoist", f"unexpected answer from the token endpoint ({exc})") from (
            problem or exc
        )


def _error_of(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", ""))
    except (ValueError, AttributeError):
        return ""


def _refused(response: httpx.Response) -> ConnectorError:
    """AuthError (exit 2) when the code or the app's credentials were refused; else a failure."""
    error = _error_of(response)
    why = f"{response.status_code} {error}".strip()
    if response.status_code >= 500 or response.status_code == 429:
        return ConnectorError("todoist", f"the token endpoint failed ({why}): try again later")
    if error == "bad_authorization_code":
        hint = f"the code is unknown or was already used: {AGAIN}"
    else:
        hint = "check TODOIST_CLIENT_ID and TODOIST_CLIENT_SECRET"
    return AuthError("todoist", f"the authorisation code was refused ({why}): {hint}")


def refresh_grant(settings: TodoistSettings, refresh_token: str, now: float) -> Grant:
    """A new grant for `refresh_token`, which Todoist then no longer accepts (it rotates them).

    Sent once, never retried after a failure that may have reached Todoist: the answer to a
    retry would lack the new refresh token (Todoist's 60-second grace window)."""
    if not settings.client_id or settings.client_secret is None:
        raise ConfigError("TODOIST_CLIENT_ID and TODOIST_CLIENT_SECRET are needed to refresh the OAuth token")
    form = {
        "client_id": settings.client_id,
        "client_secret": settings.client_secret.get_secret_value(),
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }
    with make_http_client(timeout=30.0) as http:
        try:
            response = http.post(f"{settings.oauth_url}/access_token", data=form)
        except httpx.HTTPError as exc:
            raise ConnectorError("todoist", f"no answer from the token endpoint: {exc}") from exc
    if response.is_error:
        error = _error_of(response)
        why = f"{response.status_code} {error}".strip()
        if response.status_code >= 500 or response.status_code == 429:
            raise ConnectorError("todoist", f"the token endpoint failed ({why}): try again later")
        if error in ("invalid_client", "incorrect_application_credentials"):
            hint = "check TODOIST_CLIENT_ID and TODOIST_CLIENT_SECRET"
        else:  # invalid_grant: used already, revoked or expired
            hint = AGAIN
        raise AuthError("todoist", f"Todoist refused to refresh the OAuth token ({why}): {hint}")
    return _grant_in(response, now)


class OAuthSession:
    """The stored grant `bridge sync` uses when TODOIST_API_TOKEN is not set.

    The access token is renewed `REFRESH_MARGIN` seconds before it expires and after a 401. A
    refresh holds the grant file's lock and re-reads the file first (another process may have
    refreshed already: its grant is used, and the used refresh token is not sent again, which
    Todoist would take for a replay and revoke the grant). The new grant is stored before its
    access token is used; when it cannot be stored, this process goes on with it from memory and
    stores it at its next refresh.
    """

    def __init__(self, settings: TodoistSettings, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.file = GrantFile(settings.oauth_file)
        self.clock = clock
        grant = self.file.load()
        if grant is None:
            raise ConfigError(f"no OAuth grant in {self.file.path}: run `{prog()} auth todoist`")
        self.grant = grant
        self._unsaved = False  # the grant in memory is newer than the file's

    def current(self) -> str:
        if self.grant.due(self.clock(), REFRESH_MARGIN):
            try:
                self._refresh(self.grant.access_token, refused=False)
            except ConfigError as exc:  # the grant's file or lock, or the app's credentials
                if self.grant.expired(self.clock()):
                    raise AuthError("todoist", f"cannot renew the OAuth token: {exc}") from exc
                log.warning("could not renew the Todoist OAuth token ahead of its expiry (%s)", exc)
        return self.grant.access_token

    def renew(self, refused: str) -> str:
        try:
            self._refresh(refused, refused=True)
        except ConfigError as exc:  # a failed request, not a bad setting: the push goes on
            raise AuthError("todoist", f"cannot renew the OAuth token: {exc}") from exc
        return self.grant.access_token

    def flush(self) -> None:
        """Store a renewed grant whose storing failed, as the run ends: the next run needs its
        refresh token (the one in the file was spent)."""
        if self._unsaved:
            self._store(self.grant)

    def _refresh(self, stale: str, *, refused: bool) -> None:
        with self.file.locked():
            now = self.clock()
            stored = self.grant if self._unsaved else (self.file.load() or self.grant)
            self.grant = stored
            if stored.access_token != stale and not stored.due(now, REFRESH_MARGIN):
                return  # another process refreshed meanwhile
            must = refused or stored.expired(now)
            if stored.refresh_token is None:
                if must:
                    raise AuthError("todoist", f"the OAuth token expired, with no refresh token: {AGAIN}")
                return
            try:
                new = refresh_grant(self.settings, stored.refresh_token, now)
            except AuthError:
                raise
            except ConnectorError as exc:
                if must:
                    raise
                log.warning("could not renew the Todoist OAuth token ahead of its expiry (%s)", exc)
                return
            self.grant, self._unsaved = new, True
            if new.refresh_token is None:
                log.warning("Todoist gave no new refresh token: when this OAuth token expires, %s", AGAIN)
            self._store(new)

    def _store(self, grant: Grant) -> None:
        try:
            self.file.save(grant)
        except ConfigError as exc:
            log.error(  # noqa: TRY400 - the reason is in the message; a traceback adds nothing
                "the renewed Todoist OAuth grant could not be stored (%s): this run goes on with it and"
                " stores it when it renews it again; if the run ends first, %s",
                exc,
                AGAIN,
            )
        else:
            self._unsaved = False


def authorize(options: AuthOptions) -> str:
    """Run the whole flow; return the line saying where the grant went. Never prints a secret."""
    settings = _settings(options.env_file)
    if not settings.client_id:
        raise ConfigError(f"TODOIST_CLIENT_ID is not set: your app's client id, from {CONSOLE}")
    if settings.client_secret is None:
        raise ConfigError(f"TODOIST_CLIENT_SECRET is not set: your app's client secret, from {CONSOLE}")
    scopes = _scopes(options.scopes)
    state = secrets.token_urlsafe(32)
    say = options.echo
    with CallbackServer("todoist", state, port=options.port) as callback:
        url = authorize_url(settings, settings.client_id, scopes, state)
        say(f"Redirect URI: {callback.redirect_uri}")
        say(f"  (your app's OAuth redirect URL must be exactly this: set it at {CONSOLE})")
        say("Open this address to let the bridge use your Todoist account:")
        say(f"  {url}")
        if options.open_browser and not webbrowser.open(url):
            say("  (no browser could be opened: copy the address into one)")
        say(f"Waiting up to {options.timeout:g} s for Todoist to send the browser back…")
        code = callback.wait(options.timeout)
    grant = exchange_code(settings, settings.client_id, settings.client_secret.get_secret_value(), code)
    store = GrantFile(settings.oauth_file)
    with store.locked():  # a sync refreshing the previous grant finishes first
        store.save(grant)
    if settings.api_token is not None:
        say(
            "note: TODOIST_API_TOKEN is set, so `bridge sync` keeps using it and not this grant"
            " (webhooks need only the grant); unset it to sync with the grant"
        )
    return f"Stored the OAuth grant (access and refresh token, readable by you only) in {store.path}"
