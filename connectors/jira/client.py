"""The `jira` library, held the way the connector needs it: counted, timed out, and its traps avoided.

- The library picks its search endpoint from `serverInfo.deploymentType` (Cloud: `search/jql`
  paged by `nextPageToken`; Server: `search` paged by `startAt`). That answer is remembered in
  the cursor, so a no-op sync does not ask for it again.
- It does not split bulk creates: at most 50 go in one request here, and partial failures come
  back per element.
- Edits and deletes go through the library's own session as one PUT or DELETE each, because
  `Issue.update` reloads the issue after every edit (a second request for nothing).
- Its errors become the bridge's: 401/403 an `AuthError` (exit 2), a failed read a `RemoteReadError`.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast

import requests
from jira import JIRA, JIRAError

from bridge.errors import AuthError, ConnectorError, GoneError, RemoteReadError
from connectors.jira.settings import JiraSettings

__all__ = ["BULK", "JiraClient", "describe"]

log = logging.getLogger(__name__)

BULK = 50  # Jira's limit of issues per bulk create
PAGE = 100  # issues per search page when fields are asked for


def describe(exc: Exception) -> str:
    """A one-line reason from a library error, without the request dump it carries."""
    if isinstance(exc, JIRAError):
        text = (exc.text or "").strip() or "no details"
        return f"HTTP {exc.status_code}: {text}" if exc.status_code else text
    return str(exc) or type(exc).__name__


class JiraClient:
    """One `JIRA` instance; `requests` counts every HTTP request it sent, retries included."""

    def __init__(self, settings: JiraSettings, *, deployment: str | None = None) -> None:
        self.settings = settings
        self.requests = 0
        self.server_time: datetime | None = None
        """The `Date` of the last response: Jira's clock, which `updated` and JQL dates use."""
        auth: dict[str, Any] = (
            {"token_auth": settings.pat.get_secret_value()}
            if settings.pat is not None
            else {
                "basic_auth": (
                    settings.email or "",
                    settings.api_token.get_secret_value() if settings.api_token else "",
                )
            }
        )
        try:
            self.jira = JIRA(
                options={
                    "server": settings.url,
                    "rest_api_version": settings.api_version,
                    "check_update": False,
                },
                get_server_info=False,
                validate=False,
                max_retries=settings.max_retries,
                timeout=settings.timeout,
                **auth,
            )
        except (JIRAError, requests.RequestException) as exc:  # pragma: no cover - no request is made
            raise self._error(exc, reading=True) from exc
        self.jira._session.hooks["response"].append(self._seen)
        self.deployment = deployment
        if deployment is not None:
            self.jira.deploymentType = deployment

    def _seen(self, response: requests.Response, *_: Any, **__: Any) -> None:
        self.requests += 1
        date = response.headers.get("Date")
        if date:
            with contextlib.suppress(TypeError, ValueError):
                self.server_time = parsedate_to_datetime(date)

    @property
    def cloud(self) -> bool:
        return self.deployment == "Cloud"

    def _error(self, exc: Exception, *, reading: bool, what: str = "") -> ConnectorError:
        status = exc.status_code if isinstance(exc, JIRAError) else None
        where = f" ({what})" if what else ""
        if status in (401, 403):
            style = "JIRA_PAT" if self.settings.pat is not None else "JIRA_EMAIL and JIRA_API_TOKEN"
            return AuthError(
                "jira", f"{self.settings.url} refused the credentials in {style} (HTTP {status}){where}"
            )
        if reading:
            return RemoteReadError("jira", f"{describe(exc)}{where}")
        if status == 404:  # every write names one issue: it was deleted, or we may no longer see it
            return GoneError("jira", f"{describe(exc)}{where}")
        # no answer, or a server error: the write may have been carried out all the same
        uncertain = status is None or status >= 500
        return ConnectorError("jira", f"{describe(exc)}{where}", uncertain=uncertain)

    def read(self, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the library for a read; any failure stops the run (never mistaken for "nothing")."""
        try:
            return call(*args, **kwargs)
        except (JIRAError, requests.RequestException, ValueError, KeyError) as exc:
            raise self._error(exc, reading=True, what=what) from exc

    def write(self, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the library for a write; a refusal is a `ConnectorError` for this op alone."""
        try:
            return call(*args, **kwargs)
        except (JIRAError, requests.RequestException, ValueError, KeyError) as exc:
            raise self._error(exc, reading=False, what=what) from exc

    # -- reads ------------------------------------------------------------------------------------

    def connect(self) -> dict[str, Any]:
        """serverInfo: which deployment this is, hence which search endpoint the library uses."""
        info = cast(dict[str, Any], self.read("serverInfo", self.jira.server_info))
        self.deployment = str(info.get("deploymentType") or "Server")
        self.jira.deploymentType = self.deployment
        return info

    def myself(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.read("myself", self.jira.myself))

    def find_users(self, text: str) -> list[dict[str, Any]]:
        """Users matching `text` (Cloud: display name or e-mail prefix; Server: also the user name)."""
        if self.cloud:
            found = self.read("user search", self.jira.search_users, query=text, maxResults=20)
        else:
            found = self.read("user search", self.jira.search_users, user=text, maxResults=20)
        return [cast(dict[str, Any], user.raw) for user in found]

    def search(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Every issue matching `jql`, page by page the way this deployment pages."""
        if self.deployment is None:
            self.connect()
        if self.cloud:
            token: str | None = None
            while True:
                page = self.read(
                    "search",
                    self.jira.enhanced_search_issues,
                    jql,
                    nextPageToken=token,
                    maxResults=PAGE,
                    fields=list(fields),
                    json_result=True,
                    use_post=True,
                )
                yield from page.get("issues", [])
                token = page.get("nextPageToken")
                if not token or page.get("isLast"):
                    return
        start = 0
        while True:
            page = self.read(
                "search",
                self.jira.search_issues,
                jql,
                startAt=start,
                maxResults=PAGE,
                fields=list(fields),
                json_result=True,
                use_post=True,
            )
            issues = page.get("issues", [])
            yield from issues
            start += len(issues)
            if not issues or start >= int(page.get("total", 0)):
                return

    def transitions(self, issue_id: str) -> list[dict[str, Any]]:
        found = self.write(f"transitions of {issue_id}", self.jira.transitions, issue_id)
        return cast(list[dict[str, Any]], found)

    # -- writes -----------------------------------------------------------------------------------

    def bulk_create(self, elements: list[dict[str, Any]]) -> list[tuple[str | None, str | None]]:
        """Create up to `BULK` issues: (id, None) or (None, why) per element, in order."""
        if len(elements) > BULK:
            raise ValueError(f"at most {BULK} issues per bulk create")
        session = self.jira._session
        retries, session.max_retries = session.max_retries, 0
        try:  # the library would resend a POST after a dropped connection: a second set of issues
            created = self.write("bulk create", self.jira.create_issues, elements, prefetch=False)
        finally:
            session.max_retries = retries
        results: list[tuple[str | None, str | None]] = []
        for item in created:
            if item.get("status") == "Success" and item.get("issue") is not None:
                results.append((str(item["issue"].id), None))
            else:
                error = item.get("error") or {}
                why = (
                    "; ".join(f"{k}: {v}" for k, v in error.items())
                    if isinstance(error, dict)
                    else str(error)
                )
                results.append((None, why or "refused"))
        return results

    def edit(self, issue_id: str, body: dict[str, Any]) -> None:
        url = self.jira._get_url(f"issue/{issue_id}")
        self.write(f"edit {issue_id}", self.jira._session.put, url, data=json.dumps(body))

    def transition(self, issue_id: str, transition_id: str, fields: dict[str, Any] | None = None) -> None:
        self.write(
            f"transition {issue_id}", self.jira.transition_issue, issue_id, transition_id, fields=fields
        )

    def delete(self, issue_id: str) -> None:
        url = self.jira._get_url(f"issue/{issue_id}")
        self.write(f"delete {issue_id}", self.jira._session.delete, url)

    def close(self) -> None:
        self.jira._session.close()
