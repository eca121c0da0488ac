"""The Todoist error body, as one exception every layer of the emulator raises and the app renders.

Todoist answers every failure with `{"error", "error_code", "error_tag", "http_code", "error_extra"}`
(reference §5). Only three tag/code pairs are documented: `INVALID_ARGUMENT_VALUE`/20 (400),
`NOT_FOUND`/478 (404) and `LIMITS_REACHED`/35 (429); Sync's "Invalid temporary id" is code 15 and a
Sync command's missing task is tagged `ITEM_NOT_FOUND` with `http_code` 400; a plan limit is
`MAX_ITEMS_LIMIT_REACHED` (or `MAX_PROJECTS_LIMIT_REACHED`) with `http_code` 403 inside
`sync_status` (their error_codes here, 48 and 49, are placeholders). A refused token is
`UNAUTHORIZED`/477 (401) with retry backoff metadata and an RFC 6750 `WWW-Authenticate` challenge
(the Authorization guide's "Detecting an expired access token"). Anything else the emulator has to
say (injected 5xx) uses the HTTP reason phrase as `error`, its upper-snake form as `error_tag` and
the status as `error_code`: placeholders, not observed values.
"""

from __future__ import annotations

import secrets
from http import HTTPStatus
from typing import Any

__all__ = [
    "UNAUTHORIZED_HEADERS",
    "ApiError",
    "invalid",
    "not_found",
    "status_error",
    "too_many_requests",
    "unauthorized",
]

UNAUTHORIZED_HEADERS = {
    "WWW-Authenticate": 'Bearer error="invalid_token", error_description="Unauthorized", '
    'resource_metadata="https://api.todoist.com/.well-known/oauth-protected-resource"',
    "Retry-After": "3",
}
"""The headers of Todoist's 401, verbatim from the guide's example: the challenge names the
protected-resource metadata (RFC 9728); `Retry-After` is backoff metadata, not a reason to resend
the same token."""


class ApiError(Exception):
    """A refusal with the Todoist error body; `body()` is what goes on the wire."""

    def __init__(self, status: int, error: str, tag: str | None, code: int, **extra: Any) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.tag = tag
        self.code = code
        self.extra = {key: value for key, value in extra.items() if value is not None}

    def headers(self) -> dict[str, str] | None:
        """The headers that go with the body: the 401 challenge, or `Retry-After` when waiting helps."""
        if self.status == 401:
            return dict(UNAUTHORIZED_HEADERS)
        if "retry_after" in self.extra:
            return {"Retry-After": str(self.extra["retry_after"])}
        return None

    def body(self, *, http_code: int | None = None, tag: str | None = None) -> dict[str, Any]:
        """The JSON error object; `event_id` is fresh each time, as the server's is."""
        body: dict[str, Any] = {"error": self.error, "error_code": self.code}
        if tag or self.tag:
            body["error_tag"] = tag or self.tag
        body["http_code"] = http_code if http_code is not None else self.status
        body["error_extra"] = {**self.extra, "event_id": secrets.token_hex(16)}
        return body


def invalid(argument: str, explanation: str | None = None, expected: str | None = None) -> ApiError:
    """400 `INVALID_ARGUMENT_VALUE` naming the argument, as the pagination guide shows."""
    return ApiError(
        400,
        "Invalid argument value",
        "INVALID_ARGUMENT_VALUE",
        20,
        argument=argument,
        explanation=explanation,
        expected=expected,
    )


def not_found(what: str = "Task") -> ApiError:
    """404 `NOT_FOUND` 478, e.g. "Task not found"."""
    return ApiError(404, f"{what} not found", "NOT_FOUND", 478)


def too_many_requests(retry_after: int) -> ApiError:
    """429 `LIMITS_REACHED` 35 with the wait in `error_extra.retry_after` (seconds)."""
    return ApiError(
        429,
        "Too many requests. Limits reached. Try again later",
        "LIMITS_REACHED",
        35,
        retry_after=retry_after,
    )


def unauthorized() -> ApiError:
    """401 `UNAUTHORIZED` 477 for a missing, wrong or expired bearer token; send it with
    `UNAUTHORIZED_HEADERS`, whose `Retry-After` the body's `retry_after` repeats."""
    return ApiError(401, "Unauthorized", "UNAUTHORIZED", 477, retry_after=3)


def status_error(status: int) -> ApiError:
    """The error body for an arbitrary status, used when a test injects a failure."""
    if status == 400:
        return ApiError(400, "Invalid argument value", "INVALID_ARGUMENT_VALUE", 20)
    if status == 404:
        return not_found("Resource")
    if status == 429:
        return too_many_requests(1)
    if status == 401:
        return unauthorized()
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return ApiError(status, phrase, phrase.upper().replace(" ", "_").replace("-", "_"), status)
