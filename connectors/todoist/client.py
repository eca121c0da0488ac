"""Calls to Todoist's API v1 over one injected httpx client, with its errors mapped to the bridge's.

The SDK (todoist-api-python 4) has no Sync API, which is the only batched, idempotent and
incremental way to write and read tasks; so the connector posts sync commands itself here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import httpx

from bridge import json_text
from bridge.errors import AuthError, ConnectorError, RateLimitedError, RemoteReadError
from bridge.transport import json_kind, no_answer, not_json

if TYPE_CHECKING:
    from bridge.oauth import Renewer

__all__ = [
    "API_ORIGIN",
    "COMPLETED_PATH",
    "SYNC_PATH",
    "StaleSyncToken",
    "TodoistClient",
    "commands_json",
    "form_encoded",
    "is_idempotent",
]

log = logging.getLogger(__name__)

API_ORIGIN = "https://api.todoist.com"
SYNC_PATH = "/api/v1/sync"
COMPLETED_PATH = "/api/v1/tasks/completed/by_completion_date"


# Form encoding as `urllib.parse.urlencode` does it (`quote_plus`: letters, digits and `_.-~` kept,
# a space as `+`, every other UTF-8 byte as `%XX`). `urlencode` makes a Python call a byte, and a
# `str.translate` over the text a dictionary look-up a character; a write's JSON holds a dozen
# distinct bytes to escape, so each is replaced throughout in one `bytes.replace` (about twice as
# fast as `str.replace` on the same text): `%` first (every escape holds one), the space last (its
# `+` is escaped too). The bytes to escape are found by deleting the kept ones (`bytes.translate`).
_KEPT = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_KEPT_BYTES = bytes(sorted(_KEPT))
_FORM = {b: chr(b) if b in _KEPT else "+" if b == 0x20 else f"%{b:02X}" for b in range(256)}
_ESCAPE = {b: (bytes((b,)), _FORM[b].encode("ascii")) for b in range(256) if b not in _KEPT}
_PERCENT, _SPACE = ord("%"), ord(" ")


def form_encoded(fields: Mapping[str, str | bytes]) -> bytes:
    """`application/x-www-form-urlencoded` bytes of the fields, exactly as `urlencode` writes them."""
    return b"&".join(b"%s=%s" % (_escaped(key), _escaped(value)) for key, value in fields.items())


def _quoted(text: str) -> str:
    """One field's text as `quote_plus(text, safe="")` writes it."""
    return _escaped(text).decode("ascii")


# JSON's own punctuation, in nearly every write's text: looked for by `in` (a `memchr` each) rather
# than counted into the set byte by byte, which took as long as all the replacements.
_PUNCTUATION = b' ",:[]{}'


def _escaped(text: str | bytes) -> bytes:
    quoted = text.encode("utf-8") if isinstance(text, str) else text
    rest = quoted.translate(None, _KEPT_BYTES)
    escaped = set(rest.translate(None, _PUNCTUATION))
    escaped.update(byte for byte in _PUNCTUATION if byte in rest)
    if _PERCENT in escaped:
        escaped.discard(_PERCENT)
        quoted = quoted.replace(b"%", b"%25")
    space = _SPACE in escaped
    escaped.discard(_SPACE)
    for byte in escaped:
        quoted = quoted.replace(*_ESCAPE[byte])
    return quoted.replace(b" ", b"+") if space else quoted


def commands_json(commands: Sequence[dict[str, Any]]) -> bytes:
    """The `commands` field of a sync request: the commands as a JSON array, UTF-8, as compact as
    Todoist's own SDK writes them, by orjson where it writes what `json` writes (`json_text`)."""
    return json_text.dumps(list(commands))


class StaleSyncToken(RemoteReadError):
    """Todoist no longer knows the stored sync token: read everything again."""


def _refused_argument(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    extra = body.get("error_extra") if isinstance(body, dict) else None
    argument = extra.get("argument") if isinstance(extra, dict) else None
    return argument if isinstance(argument, str) else None


def is_idempotent(request: httpx.Request) -> bool:
    """Safe to send twice: reads, and sync requests (every command carries a uuid Todoist de-duplicates)."""
    return request.method == "GET" or request.url.path.endswith(SYNC_PATH)


def _error_text(response: httpx.Response) -> str:
    """The reason Todoist gives, on one line: a proxy's HTML error page is named, not printed."""
    try:
        body = response.json()
    except ValueError:
        kind = (response.headers.get("Content-Type") or "").split(";")[0].strip()
        if "html" in kind:
            return f"{response.reason_phrase} ({kind})"
        return " ".join(response.text.split())[:200] or response.reason_phrase
    if isinstance(body, dict):
        return f"{body.get('error', '')} ({body.get('error_tag', '')})".strip()
    return str(body)[:200]


def _answer(response: httpx.Response, failure: type[ConnectorError], method: str, path: str) -> Any:
    """The decoded body of a success answer; `failure` when it is not JSON (an HTML page)."""
    try:
        return json_text.loads(response.content)
    except ValueError:
        message = not_json(response.headers.get("Content-Type"))
        raise failure("todoist", message, method=method, url=path) from None


_FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}
_ITEM_TYPES = {"content": str, "description": str, "labels": list, "updated_at": str, "completed_at": str}


def _entry_problem(where: str, entry: Any, *, item: bool) -> str | None:
    """What the connector would trip on in an entry (a task, project or person) of an answer."""
    if not isinstance(entry, dict):
        return f"{where} is {json_kind(entry)}, not an object"
    if "id" not in entry or isinstance(entry["id"], bool | dict | list) or entry["id"] is None:
        return f"{where} has no id"
    for key, kind in _ITEM_TYPES.items() if item else ():
        value = entry.get(key)
        if value is not None and not isinstance(value, kind):
            return f"{where}.{key} is {json_kind(value)}"
    return None


_IDS = (str, int)


def _plainly_fine(entries: list[Any], *, item: bool) -> bool:
    """True when `_entry_problem` finds nothing in any entry, told by exact types in one loop (a
    write's answer lists its 100 tasks): anything less plain is left to `_entry_problem`."""
    for entry in entries:
        if type(entry) is not dict or type(entry.get("id")) not in _IDS:
            return False
        if item:
            content, description, labels = entry.get("content"), entry.get("description"), entry.get("labels")
            updated, completed = entry.get("updated_at"), entry.get("completed_at")
            if (
                (content is not None and type(content) is not str)
                or (description is not None and type(description) is not str)
                or (labels is not None and type(labels) is not list)
                or (updated is not None and type(updated) is not str)
                or (completed is not None and type(completed) is not str)
            ):
                return False
    return True


_WRITE_KEYS = ("sync_status", "temp_id_mapping")  # what a write's answer says of its commands


def _sync_problem(data: Any) -> str | None:
    """What the connector would trip on in a `/sync` answer, or None: checked here once, so that
    a proxy's or an API change's surprise is one clear error instead of a crash deeper down."""
    if not isinstance(data, dict):
        return f"{json_kind(data)}, not a JSON object"
    for key in ("items", "projects", "collaborators"):
        entries = data.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            return f"{key} is {json_kind(entries)}, not an array"
        if _plainly_fine(entries, item=key == "items"):
            continue
        for index, entry in enumerate(entries):
            problem = _entry_problem(f"{key}[{index}]", entry, item=key == "items")
            if problem is not None:
                return problem
    for key in ("user", "sync_status", "temp_id_mapping"):
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            return f"{key} is {json_kind(value)}, not an object"
    token = data.get("sync_token")
    if token is not None and not isinstance(token, str):
        return f"sync_token is {json_kind(token)}, not a string"
    return None


# httpx parses a URL given as text on every request, a tenth of its own work a write outside the
# connection; one given parsed it takes as it is (the same URL, the same request)
_URLS = {path: httpx.URL(API_ORIGIN + path) for path in (SYNC_PATH, COMPLETED_PATH)}


class TodoistClient:
    def __init__(self, http: httpx.Client, token: str, renewer: Renewer | None = None) -> None:
        """`renewer`: an OAuth grant's session, asked for a fresh token; None for a personal token."""
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}
        self.renewer = renewer

    def _send(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One request. An OAuth token is renewed first when it is about to expire, and once after
        a 401 (Todoist checks the token before anything else, so the request was not carried out):
        a second 401 is an AuthError saying to authorise again. A personal token is sent as is."""
        if self.renewer is not None:
            self._use(self.renewer.current())
        extra = headers or {}
        url = _URLS.get(path) or API_ORIGIN + path
        response = self.http.request(method, url, headers={**self.headers, **extra}, **kwargs)
        if response.status_code != 401 or self.renewer is None:
            return response
        response.close()
        self._use(self.renewer.renew(self.headers["Authorization"].removeprefix("Bearer ")))
        response = self.http.request(method, url, headers={**self.headers, **extra}, **kwargs)
        if response.status_code == 401:
            raise AuthError(
                "todoist",
                f"the OAuth token was refused even after renewing it ({_error_text(response)}):"
                " run `bridge auth todoist` again",
                method=method,
                url=path,
            )
        return response

    def _use(self, token: str) -> None:
        self.headers = {"Authorization": f"Bearer {token}"}

    def sync(
        self,
        sync_token: str | None,
        resource_types: Sequence[str] = (),
        commands: Sequence[dict[str, Any]] = (),
        *,
        reading: bool = True,
    ) -> dict[str, Any]:
        """One POST /sync, form-encoded as documented; read failures raise RemoteReadError."""
        form: dict[str, str | bytes] = {}
        if sync_token is not None:
            form["sync_token"] = sync_token
        if resource_types:
            form["resource_types"] = json.dumps(list(resource_types))
        if commands:
            form["commands"] = commands_json(commands)
        failure = RemoteReadError if reading else ConnectorError
        try:
            response = self._send("POST", SYNC_PATH, headers=_FORM_TYPE, content=form_encoded(form))
        except httpx.HTTPError as exc:
            raise failure("todoist", no_answer(exc), method="POST", url=SYNC_PATH) from exc
        if response.status_code in (401, 403):
            raise AuthError(
                "todoist",
                f"the token was refused ({response.status_code} {_error_text(response)});"
                " check TODOIST_API_TOKEN",
                method="POST",
                url=SYNC_PATH,
            )
        if response.status_code == 429:
            raise RateLimitedError(
                "todoist", "still rate limited after retries", method="POST", url=SYNC_PATH
            )
        if response.is_error:
            message = f"HTTP {response.status_code}: {_error_text(response)}"
            if response.status_code == 400 and _refused_argument(response) == "sync_token":
                raise StaleSyncToken("todoist", message, method="POST", url=SYNC_PATH)
            raise failure("todoist", message, method="POST", url=SYNC_PATH)
        data = _answer(response, failure, "POST", SYNC_PATH)
        problem = _sync_problem(data)
        if problem is not None and not reading and isinstance(data, dict):
            # the commands ran: what they did is kept, and a read part that cannot be used is
            # dropped (with its token, so the next read still sees what it held)
            ran = {key: data[key] for key in _WRITE_KEYS if key in data}
            if _sync_problem(ran) is None:
                log.warning("Todoist answered a write with a read that cannot be used (%s)", problem)
                return ran
        if problem is not None:
            raise failure("todoist", f"unexpected answer: {problem}", method="POST", url=SYNC_PATH)
        return cast(dict[str, Any], data)

    def completed(self, project_id: str, since: str, until: str) -> list[dict[str, Any]]:
        """Tasks of a project completed in [since, until) (RFC 3339), every page of them.

        A sync returns active tasks only, so this is where a task completed while the bridge
        was not looking can still be found."""
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {"project_id": project_id, "since": since, "until": until, "limit": "200"}
        while True:
            try:
                response = self._send("GET", COMPLETED_PATH, params=params)
            except httpx.HTTPError as exc:
                raise RemoteReadError("todoist", no_answer(exc), method="GET", url=COMPLETED_PATH) from exc
            if response.is_error:
                message = f"HTTP {response.status_code}: {_error_text(response)}"
                raise RemoteReadError("todoist", message, method="GET", url=COMPLETED_PATH)
            data = _answer(response, RemoteReadError, "GET", COMPLETED_PATH)
            items = data.get("items") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise RemoteReadError(
                    "todoist", "unexpected answer (no items list)", method="GET", url=COMPLETED_PATH
                )
            tasks = [i for i in items if isinstance(i, dict)]
            problems = (_entry_problem(f"items[{n}]", task, item=True) for n, task in enumerate(tasks))
            problem = next((p for p in problems if p is not None), None)
            if problem is not None:
                raise RemoteReadError(
                    "todoist", f"unexpected answer: {problem}", method="GET", url=COMPLETED_PATH
                )
            found.extend(tasks)
            cursor = data.get("next_cursor")
            if not cursor:
                return found
            params["cursor"] = str(cursor)
