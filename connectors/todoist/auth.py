"""`bridge auth todoist`: Todoist's OAuth flow, ending with an access token in `.env`.

Todoist sends webhooks only for users who authorised an app through OAuth, so `bridge serve`
needs such a token rather than a personal one. The official SDK builds the authorize URL and
exchanges the code; pointing both at `TODOIST_OAUTH_URL` (an emulator in tests) is done by
rewriting the URL prefix and, below the SDK, the origin (`bridge.transport`), as for the API.
"""

from __future__ import annotations

import os
import secrets
import stat
import webbrowser
from pathlib import Path
from typing import cast, get_args

import httpx
from pydantic_settings import SettingsConfigDict
from todoist_api_python._core.endpoints import OAUTH_URL
from todoist_api_python.authentication import Scope, get_auth_token, get_authentication_url

from bridge.config import load_settings
from bridge.connector import AuthOptions
from bridge.errors import AuthError, ConfigError, ConnectorError
from bridge.oauth import CallbackServer, store_env_value
from bridge.transport import make_http_client
from connectors.todoist.settings import TodoistSettings

__all__ = ["DEFAULT_SCOPES", "authorize", "authorize_url", "exchange_code"]

DEFAULT_SCOPES: tuple[Scope, ...] = ("data:read_write", "data:delete")  # delete: TODOIST_CANCELLED=delete
CONSOLE = "https://app.todoist.com/app/settings/integrations/app-management"


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


def exchange_code(settings: TodoistSettings, client_id: str, client_secret: str, code: str) -> str:
    """The access token for `code`, through the SDK; AuthError when Todoist refuses the code."""
    oauth = httpx.URL(OAUTH_URL)
    origin = f"{oauth.scheme}://{oauth.netloc.decode()}"
    base = settings.oauth_url.removesuffix(oauth.path.rstrip("/"))
    answers: list[httpx.Response] = []
    with make_http_client(base_url=base, origin=origin, timeout=30.0) as http:
        http.event_hooks["response"] = [answers.append]
        try:
            return get_auth_token(client_id, client_secret, code, client=http).access_token
        except httpx.HTTPStatusError as exc:
            raise _refused(exc.response) from exc
        except httpx.HTTPError as exc:
            raise ConnectorError("todoist", f"no answer from the token endpoint: {exc}") from exc
        except Exception as exc:  # the SDK's parsing of the answer, see below
            # SDK 4.0.0's AuthResult requires a `state` field that Todoist's answer
            # ({access_token, token_type}) does not have (Doist/todoist-api-python#110).
            return _token_in(answers, exc)


def _token_in(answers: list[httpx.Response], problem: Exception) -> str:
    try:
        token = answers[-1].json()["access_token"]
    except (IndexError, ValueError, KeyError, TypeError):
        token = None
    if not isinstance(token, str) or not token:
        # the name only: the SDK's message quotes the whole answer
        why = type(problem).__name__
        raise ConnectorError("todoist", f"unexpected answer from the token endpoint ({why})") from problem
    return token


def _refused(response: httpx.Response) -> ConnectorError:
    """AuthError (exit 2) when the code or the app's credentials were refused; else a failure."""
    try:
        error = str(response.json().get("error", ""))
    except (ValueError, AttributeError):
        error = ""
    why = f"{response.status_code} {error}".strip()
    if response.status_code >= 500 or response.status_code == 429:
        return ConnectorError("todoist", f"the token endpoint failed ({why}): try again later")
    if error == "bad_authorization_code":
        hint = "the code is unknown or was already used: run `bridge auth todoist` again"
    else:
        hint = "check TODOIST_CLIENT_ID and TODOIST_CLIENT_SECRET"
    return AuthError("todoist", f"the authorisation code was refused ({why}): {hint}")


def authorize(options: AuthOptions) -> str:
    """Run the whole flow; return the line saying where the token went. Never prints a secret."""
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
    token = exchange_code(settings, settings.client_id, settings.client_secret.get_secret_value(), code)
    written = store_env_value(options.env_file, "TODOIST_API_TOKEN", token)
    if stat.S_IMODE(written.stat().st_mode) & 0o077:
        say(f"note: {written} is readable by other users; `chmod 600 {written}` keeps the token private")
    if "TODOIST_API_TOKEN" in os.environ:
        say("note: TODOIST_API_TOKEN is also set in the environment, which wins over the .env file")
    return f"Stored TODOIST_API_TOKEN (the OAuth access token) in {written}"
