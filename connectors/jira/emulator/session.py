"""`/rest/auth/1/session`: the session resource the `jira` library reads and logs in with.

`GET` answers who the credentials are (`JIRA(..., validate=True)` asks it first; both
deployments serve it). `POST` with `{"username", "password"}` is Server/Data Center's cookie
login (`JIRA(auth=(user, password))`): it answers the `JSESSIONID` session and sets the cookie,
which the gate then accepts in place of the credentials; `DELETE` ends it. Jira Cloud no longer
offers cookie login, so there a `POST` is refused. The emulator has no passwords: the site's
user logs in with the personal access token as the password (its own choice, so that one
secret stays the only one it accepts).
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.jira.emulator.errors import JiraError
from connectors.jira.emulator.wire import emulator, origin, read_json

__all__ = ["COOKIE", "PATH", "ROUTES"]

PATH = "/rest/auth/1/session"
COOKIE = "JSESSIONID"


def _session_json(request: Request) -> dict[str, Any]:
    em = emulator(request)
    me = em.me
    base = origin(request)
    who = f"accountId={me.account_id}" if em.cloud else f"username={me.name}"
    with em.lock:
        count = em.logins
    return {
        "self": f"{base}/rest/api/latest/user?{who}",
        "name": me.account_id if em.cloud else me.name,
        "loginInfo": {"failedLoginCount": 0, "loginCount": count, "previousLoginTime": None},
    }


async def current(request: Request) -> Response:
    return JSONResponse(_session_json(request))


async def log_in(request: Request) -> Response:
    em = emulator(request)
    if em.cloud:
        raise JiraError(403, ["Cookie-based login is not available on Jira Cloud: use an API token."])
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("username"), str):
        raise JiraError(400, ["Expected a JSON object with username and password."])
    password = request.app.state.login
    if body["username"] != em.me.name or password is None or body.get("password") != password:
        with em.lock:
            em.failed_logins += 1
        raise JiraError(401, ["Login failed"])
    value = secrets.token_hex(16)
    with em.lock:
        em.sessions.add(value)
        em.logins += 1
    info = _session_json(request)["loginInfo"]
    answer = JSONResponse({"session": {"name": COOKIE, "value": value}, "loginInfo": info})
    answer.set_cookie(COOKIE, value, httponly=True, path="/")
    return answer


async def log_out(request: Request) -> Response:
    em = emulator(request)
    with em.lock:
        em.sessions.discard(request.cookies.get(COOKIE, ""))
    answer = Response(status_code=204)
    answer.delete_cookie(COOKIE, path="/")
    return answer


ROUTES: list[tuple[str, Any, list[str]]] = [
    ("", current, ["GET"]),
    ("", log_in, ["POST"]),
    ("", log_out, ["DELETE"]),
]
