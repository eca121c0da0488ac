"""Calls to Todoist's API v1 over one injected httpx client, with its errors mapped to the bridge's.

The SDK (todoist-api-python 4) has no Sync API, which is the only batched, idempotent and
incremental way to write and read tasks; so the connector posts sync commands itself here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import httpx

from bridge.errors import AuthError, ConnectorError, RateLimitedError, RemoteReadError

__all__ = ["API_ORIGIN", "COMPLETED_PATH", "SYNC_PATH", "TodoistClient", "is_idempotent"]

log = logging.getLogger(__name__)

API_ORIGIN = "https://api.todoist.com"
SYNC_PATH = "/api/v1/sync"
COMPLETED_PATH = "/api/v1/tasks/completed/by_completion_date"


def is_idempotent(request: httpx.Request) -> bool:
    """Safe to send twice: reads, and sync requests (every command carries a uuid Todoist de-duplicates)."""
    return request.method == "GET" or request.url.path.endswith(SYNC_PATH)


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        return f"{body.get('error', '')} ({body.get('error_tag', '')})".strip()
    return str(body)[:200]


class TodoistClient:
    def __init__(self, http: httpx.Client, token: str) -> None:
        self.http = http
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
        form: dict[str, str] = {}
        if sync_token is not None:
            form["sync_token"] = sync_token
        if resource_types:
            form["resource_types"] = json.dumps(list(resource_types))
        if commands:
            form["commands"] = json.dumps(list(commands), ensure_ascii=False)
        url = API_ORIGIN + SYNC_PATH
        failure = RemoteReadError if reading else ConnectorError
        try:
            response = self.http.post(url, data=form, headers=self.headers)
        except httpx.HTTPError as exc:
            raise failure("todoist", f"no answer: {exc}", method="POST", url=SYNC_PATH) from exc
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
            raise failure("todoist", message, method="POST", url=SYNC_PATH)
        data = response.json()
        if not isinstance(data, dict):
            raise failure("todoist", "unexpected answer (not a JSON object)", method="POST", url=SYNC_PATH)
        return data

    def completed(self, project_id: str, since: str, until: str) -> list[dict[str, Any]]:
        """Tasks of a project completed in [since, until) (RFC 3339), every page of them.

        A sync returns active tasks only, so this is where a task completed while the bridge
        was not looking can still be found."""
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {"project_id": project_id, "since": since, "until": until, "limit": "200"}
        while True:
            try:
                response = self.http.get(API_ORIGIN + COMPLETED_PATH, params=params, headers=self.headers)
            except httpx.HTTPError as exc:
                raise RemoteReadError(
                    "todoist", f"no answer: {exc}", method="GET", url=COMPLETED_PATH
                ) from exc
            if response.is_error:
                message = f"HTTP {response.status_code}: {_error_text(response)}"
                raise RemoteReadError("todoist", message, method="GET", url=COMPLETED_PATH)
            data = response.json()
            items = data.get("items") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise RemoteReadError(
                    "todoist", "unexpected answer (no items list)", method="GET", url=COMPLETED_PATH
                )
            found.extend(i for i in items if isinstance(i, dict))
            cursor = data.get("next_cursor")
            if not cursor:
                return found
            params["cursor"] = str(cursor)
