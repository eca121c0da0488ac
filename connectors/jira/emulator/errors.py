"""Jira's error body, as one exception every layer of the emulator raises and the app renders.

Jira answers failures with an `ErrorCollection`: `{"errorMessages": [...], "errors": {field: msg}}`
(reference §5, OpenAPI `ErrorCollection`). Wordings taken from the reference: the 410 of the removed
search (CHANGE-2046, quoted in full by the reports the reference cites), "You must specify a summary
of the issue." and the bulk error shape. Wordings the reference marks unverified or does not give
(401, 429, 404 texts, an unknown transition, over-long bulk requests) follow what Jira is widely
reported to send; they are placeholders for the shape, which is what clients parse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

__all__ = [
    "JiraError",
    "bad_request",
    "field_errors",
    "issue_not_found",
    "not_found",
    "rate_limited",
    "search_removed",
    "status_error",
    "unauthorized",
]

UNAUTHORIZED = "You are not authenticated. Authentication required to perform this operation."
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
SEARCH_REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
RATE_LIMITED = "Rate limit exceeded."


class JiraError(Exception):
    """A refusal: HTTP `status` plus an ErrorCollection; `headers` go on the response too."""

    def __init__(
        self,
        status: int,
        messages: Sequence[str] = (),
        errors: Mapping[str, str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__("; ".join([*messages, *(errors or {}).values()]) or str(status))
        self.status = status
        self.messages = list(messages)
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON error object on the wire."""
        return {"errorMessages": list(self.messages), "errors": dict(self.errors)}


def bad_request(message: str) -> JiraError:
    """400 with one error message."""
    return JiraError(400, [message])


def field_errors(errors: Mapping[str, str]) -> JiraError:
    """400 naming the fields at fault, e.g. `{"summary": "You must specify a summary of the issue."}`."""
    return JiraError(400, [], errors)


def unauthorized() -> JiraError:
    """401 for missing or wrong credentials (body wording unverified, reference §3)."""
    return JiraError(401, [UNAUTHORIZED])


def issue_not_found() -> JiraError:
    """404 for an unknown or deleted issue id or key."""
    return JiraError(404, [ISSUE_NOT_FOUND])


def not_found(message: str) -> JiraError:
    """404 with a message naming what is missing."""
    return JiraError(404, [message])


def search_removed() -> JiraError:
    """410 Gone for `/rest/api/{2,3,latest}/search` on Cloud (reference §0.1)."""
    return JiraError(410, [SEARCH_REMOVED])


def rate_limited(retry_after: int) -> JiraError:
    """429 with `Retry-After` in whole seconds and the burst-limit reason (reference §4)."""
    headers = {"Retry-After": str(retry_after), "RateLimit-Reason": "jira-burst-based"}
    return JiraError(429, [RATE_LIMITED], headers=headers)


def status_error(status: int, retry_after: int | None = None) -> JiraError:
    """The refusal for an injected status (`fail_next`): Jira's body with the HTTP reason phrase."""
    if status == 401:
        return unauthorized()
    if status == 429:
        return rate_limited(retry_after or 1)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JiraError(status, [phrase], headers=headers)
