"""Connection failures bounded in time, below the `jira` library.

The library resends a request after any `requests.ConnectionError`, waiting 20 s, then 40 s, …:
an unreachable site took about 85 s of warnings before a run could say so. This adapter retries
a failed connection itself within `Patience` (BRIDGE_HTTP_RETRIES, BRIDGE_HTTP_DEADLINE) and then
raises `UnreachableError`, which is no `ConnectionError`, so the library passes it straight up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from bridge.transport import ERRNO, Patience

__all__ = ["BoundedAdapter", "UnreachableError"]

log = logging.getLogger(__name__)


class UnreachableError(requests.RequestException):
    """No answer from the site within the bounds; the message names the host, never a header."""


def _why(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    found = ERRNO.search(str(exc))
    return found.group(0) if found else "connection failed"


def _before_sending(exc: requests.RequestException) -> bool:
    """Whether the failure came before the request went out: no connection, or no address."""
    text = str(exc)
    return isinstance(exc, requests.ConnectTimeout) or "new connection" in text or "resolve" in text


class BoundedAdapter(HTTPAdapter):
    """Sends like requests' own adapter; a connection that fails is tried again within `patience`.
    A request whose connection broke after it was sent is tried again only when it is a GET."""

    def __init__(self, patience: Patience, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__()
        self.patience = patience
        self.sleep = sleep

    def send(  # type: ignore[override]  # requests' signature, with its keywords passed through
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            elapsed = time.monotonic() - started
            kwargs["timeout"] = self._timeout(kwargs.get("timeout"), elapsed)
            try:
                return super().send(request, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                sent = not _before_sending(exc)
                delay = self.patience.wait(attempt, time.monotonic() - started)
                if delay is None or (sent and request.method != "GET"):
                    host = urlsplit(request.url or "").netloc or "the site"
                    tried = f"{attempt} attempt{'s' if attempt > 1 else ''}"
                    raise UnreachableError(f"no answer from {host}: {_why(exc)} ({tried})") from None
                path = (request.path_url or "").split("?")[0]
                log.info("Jira: %s %s: %s, retrying in %.1f s", request.method, path, _why(exc), delay)
                self.sleep(delay)

    def _timeout(self, given: Any, elapsed: float) -> Any:
        """The caller's (connect, read) timeouts, both cut to what the deadline leaves: a site that
        accepts the connection and never answers otherwise holds the run all of JIRA_TIMEOUT."""
        connect = self.patience.connect_timeout(elapsed)
        left = self.patience.left(elapsed)
        if isinstance(given, Mapping):  # pragma: no cover - requests passes a number or a pair
            return given
        first, second = given if isinstance(given, tuple) else (given, given)
        return (min(first or connect, connect), min(second or left, left))
