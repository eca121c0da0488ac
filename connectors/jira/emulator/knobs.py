"""The test-facing plumbing of the emulated Jira site: the lock, fault injection and bookkeeping.

Kept apart from the site's data (`state.JiraEmulator` inherits it) so that what a test turns —
`latency`, `rate_limit`/`rate_window`, `fail_next`, `after_bulk_create`, `search_lag`,
`webhook_disorder`, `request_log` — reads in one place, with the webhook signing (reference §6) beside it.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.testing import rate_limited
from bridge.webhook_sender import Disorder

__all__ = ["Knobs"]

_API_PREFIXES = ("/rest/api/2", "/rest/api/3", "/rest/api/latest")


@dataclass(slots=True)
class _Failure:
    status: int
    count: int
    path_prefix: str
    retry_after: int | None
    method: str | None = None


class Knobs:
    """One `threading.RLock` (`lock`) for the whole site, and everything tests adjust or read."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.latency: float = 0.0
        """Seconds slept before each answer."""
        self.rate_limit: int | None = None
        """Requests allowed per `rate_window` seconds; beyond it 429 with `Retry-After`."""
        self.rate_window: float = 10.0
        self.request_log: list[tuple[str, str]] = []
        """(method, path) of every request received, refused ones included."""
        self.after_bulk_create: Callable[[list[str]], None] | None = None
        """Called with the created keys once a bulk create is applied, before it is answered;
        if it raises, the client gets a 500 although the issues exist (a crash after the write)."""
        self.create_validator: Callable[[dict[str, Any]], str | None] | None = None
        """The create transition's workflow validator: given a create's checked changes, the
        message Jira refuses it with (in `errorMessages`, no field named), or None to let it pass."""
        self.search_lag: float = 0.0
        """Seconds before a write becomes visible to search (Cloud search is eventually consistent):
        a Cloud site starts with `site.CLOUD_SEARCH_LAG`, a Server site with none."""
        self.search_lag_searches: int = 0
        """Searches that still miss a write after it happened; both lags must have passed."""
        self.max_results: int | None = None
        """Largest search page served; None keeps the API's own cap (100, 5000 for ids, 1000 DC)."""
        self.sessions: set[str] = set()
        """`JSESSIONID` values of cookie logins (`POST /rest/auth/1/session`, Server mode)."""
        self.logins = 0
        self.failed_logins = 0
        self.webhook_disorder: Disorder | None = None
        """Off (None) by default; a `Disorder` makes webhook deliveries late, so that later ones
        overtake them (Jira retries and delivers concurrently), or lost (`drop`)."""
        self.secret: str | None = None
        """The webhook secret `sign` keys X-Hub-Signature with."""
        self.on_event: Callable[[dict[str, Any]], None] | None = None
        """Called with each webhook event as it is recorded, under `lock`; `create_app(...,
        webhook_url=...)` sets it to queue the delivery, so it must never block."""
        self._failures: list[_Failure] = []
        self._hits: deque[float] = deque()

    def fail_next(
        self,
        status: int,
        count: int = 1,
        path_prefix: str = "",
        *,
        retry_after: int | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next `count` requests whose path starts with `path_prefix` (and whose
        method is `method`, when given) with `status`.

        The prefix may be the full path (`/rest/api/2/issue/bulk`) or the part after the API
        version (`/issue/bulk`). 429 carries `Retry-After: 1` unless `retry_after` says otherwise;
        give a 503 a `retry_after` to make the `jira` library retry it (reference §4).
        """
        with self.lock:
            self._failures.append(
                _Failure(status, count, path_prefix, retry_after, method.upper() if method else None)
            )

    def take_failure(self, path: str, method: str = "GET") -> tuple[int, int | None] | None:
        """The injected (status, retry_after) for this request, if one is pending (used by the app)."""
        with self.lock:
            short = path
            for prefix in _API_PREFIXES:
                if path.startswith(prefix + "/"):
                    short = path.removeprefix(prefix)
            for failure in self._failures:
                if failure.method is not None and failure.method != method.upper():
                    continue
                if path.startswith(failure.path_prefix) or short.startswith(failure.path_prefix):
                    failure.count -= 1
                    if failure.count <= 0:
                        self._failures.remove(failure)
                    return failure.status, failure.retry_after
            return None

    def admit(self) -> int | None:
        """Count a request against `rate_limit` per `rate_window`; seconds to wait when refused."""
        with self.lock:
            return rate_limited(self._hits, self.rate_limit, self.rate_window)

    def sign(self, body: bytes) -> str:
        """`X-Hub-Signature` for a webhook body: `sha256=` + hex HMAC-SHA256 keyed by the secret."""
        if self.secret is None:
            raise RuntimeError("no webhook secret configured (create_app(..., secret=...))")
        return "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
