"""The test-facing plumbing of the emulated account: the lock, fault injection and bookkeeping.

Kept apart from the account's data (`state.Emulator` inherits it) so that what a test turns —
`latency`, `rate_limit`/`rate_window`, the sync limits, `webhook_disorder`, `fail_next`,
`after_commands`, `request_log`, the OAuth app's `client_id`, `redirect_uri` and `deny_access` —
reads in one place, with the change counter, sync tokens, pagination cursors and remembered Sync
command uuids that make incremental sync and idempotent retries behave as the reference (§4, §6,
§7) describes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import secrets
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from bridge.testing import rate_limited
from bridge.webhook_sender import Disorder
from connectors.todoist.emulator.errors import invalid
from connectors.todoist.emulator.tokens import AccessTokens

__all__ = ["Knobs"]


class Knobs:
    """One `threading.RLock` (`lock`) for the whole account, and everything tests adjust or read."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.latency: float = 0.0
        """Seconds slept before each answer."""
        self.rate_limit: int | None = None
        """Requests allowed per `rate_window` seconds; beyond it 429 with `Retry-After`."""
        self.rate_window: float = 900.0
        self.full_sync_limit: int | None = 100
        """Full syncs (`sync_token` `*`) allowed per `sync_window`, Todoist's figure ("Request
        limits"); beyond it 429 `LIMITS_REACHED`. None: unlimited."""
        self.partial_sync_limit: int | None = 1000
        """Other /sync requests (incremental reads, batches of commands) per `sync_window`."""
        self.sync_window: float = 900.0
        self.request_log: list[tuple[str, str]] = []
        """(method, path) of every request received, refused ones included."""
        self.after_commands: Callable[[], None] | None = None
        """Called once a /sync request's commands are applied, before its answer is sent."""
        self.client_secret: str | None = None
        """The app secret webhook bodies are signed with (`sign`)."""
        self.client_id: str = "emulator-client-id"
        """The app's client id, the only one the OAuth endpoints accept."""
        self.redirect_uri: str | None = "http://localhost:8766/callback"
        """The app's registered OAuth redirect URL (`bridge auth`'s default); a `redirect_uri`
        query parameter of /oauth/authorize must equal it. None: not registered (authorize: 400)."""
        self.deny_access: bool = False
        """The person refuses on the consent page: authorize redirects with `error=access_denied`."""
        self.oauth_codes: dict[str, bool] = {}
        """Authorisation codes issued -> whether one was exchanged already (codes are single-use)."""
        self.access_tokens = AccessTokens()
        """OAuth access tokens issued; the API accepts them besides the app's own token."""
        self.webhook_disorder: Disorder | None = None
        """Off (None) by default, for deterministic tests; a `Disorder` makes webhook deliveries
        arrive out of order or not at all, as Todoist warns they may."""
        self.on_event: Callable[[dict[str, Any]], None] | None = None
        """Called with each webhook event as it is recorded, under `lock`; `create_app(...,
        webhook_url=...)` sets it to queue the delivery, so it must never block."""
        self.version = 0
        """The change counter: bumped by every change, read through sync tokens."""
        self.commands: dict[str, dict[str, str]] = {}
        """Executed Sync command uuid -> the temp_id_mapping it produced. Only commands that ran
        (sync_status "ok") are kept, one small dict each: the collector never looks into them."""
        self.max_projects: int | None = None
        """The plan's limit of active projects besides the Inbox; None: no limit (`free_plan()`)."""
        self.max_active_tasks: int | None = None
        """The plan's limit of active tasks per project; None: no limit (`free_plan()`)."""
        self._changed: dict[str, dict[str, int]] = {}
        """Per kind, id -> the version of its last change, kept in order of that version: a read
        since a token walks back from the newest change only as far as the token."""
        self._tokens: dict[str, int] = {}
        self.full_sync_next = False
        self._cursors: dict[str, tuple[str, int]] = {}
        self._failures: list[list[Any]] = []
        self._hits: deque[float] = deque()
        self._full_syncs: deque[float] = deque()
        self._partial_syncs: deque[float] = deque()

    def fail_next(self, status: int, count: int = 1, path_prefix: str = "") -> None:
        """Answer the next `count` requests whose path starts with `path_prefix` with `status`.

        The prefix may be the full path (`/api/v1/sync`) or the part after `/api/v1` (`/sync`).
        """
        with self.lock:
            self._failures.append([status, count, path_prefix])

    def take_failure(self, path: str) -> int | None:
        """The injected status for this request, if one is pending (used by the app)."""
        with self.lock:
            short = path.removeprefix("/api/v1")
            for failure in self._failures:
                if path.startswith(failure[2]) or short.startswith(failure[2]):
                    failure[1] -= 1
                    if failure[1] <= 0:
                        self._failures.remove(failure)
                    return int(failure[0])
            return None

    def admit(self) -> int | None:
        """Count a request against `rate_limit` per `rate_window`; seconds to wait when refused."""
        with self.lock:
            return rate_limited(self._hits, self.rate_limit, self.rate_window)

    def admit_sync(self, *, full: bool) -> int | None:
        """Count a /sync request against its own limit, full or partial; seconds to wait when refused."""
        with self.lock:
            if full:
                return rate_limited(self._full_syncs, self.full_sync_limit, self.sync_window)
            return rate_limited(self._partial_syncs, self.partial_sync_limit, self.sync_window)

    def sign(self, body: bytes) -> str:
        """`X-Todoist-Hmac-SHA256` for a webhook body: base64 HMAC-SHA256 keyed by the client secret."""
        if self.client_secret is None:
            raise RuntimeError("no client_secret configured (create_app(..., client_secret=...))")
        digest = hmac.new(self.client_secret.encode(), body, hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")

    # -- change tracking, tokens, cursors --------------------------------------------------------

    def _bump(self, kind: str, object_id: str) -> None:
        self.version += 1
        changed = self._changed.setdefault(kind, {})
        changed.pop(object_id, None)  # re-inserted last: the dict stays in version order
        changed[object_id] = self.version

    def changed_since(self, kind: str, version: int) -> list[str]:
        """Ids of `kind` ("items", "projects", …) changed after `version`, oldest change first."""
        with self.lock:
            changed = self._changed.get(kind, {})
            hits = list(itertools.takewhile(lambda key: changed[key] > version, reversed(changed)))
            return hits[::-1]

    def issue_token(self) -> str:
        """A new opaque sync token standing for the account as it is now."""
        with self.lock:
            token = secrets.token_urlsafe(45)
            self._tokens[token] = self.version
            return token

    def free_plan(self) -> None:
        """Enforce the free plan's limits: 5 projects, 300 active tasks per project."""
        with self.lock:
            self.max_projects, self.max_active_tasks = 5, 300

    def answer_full_sync(self) -> None:
        """Answer the next incremental sync with everything (`full_sync: true`), as Todoist may."""
        with self.lock:
            self.full_sync_next = True

    def forget_sync_tokens(self) -> None:
        """Refuse every sync token issued so far, as Todoist may after a long absence: the client
        must start again with a full sync."""
        with self.lock:
            self._tokens.clear()

    def token_version(self, token: str) -> int:
        """The change counter a sync token stands for; 400 for a token this account never issued."""
        with self.lock:
            if token not in self._tokens:
                raise invalid("sync_token", explanation="unknown sync token")
            return self._tokens[token]

    def remember_cursor(self, scope: str, offset: int) -> str:
        """An opaque `<a>.<b>` cursor for the page after `offset` of the listing `scope`."""
        with self.lock:
            cursor = f"{secrets.token_urlsafe(12)}.{secrets.token_urlsafe(6)}"
            self._cursors[cursor] = (scope, offset)
            return cursor

    def cursor_offset(self, cursor: str, scope: str) -> int:
        """Where a cursor continues; 400 if unknown or issued for other parameters."""
        with self.lock:
            found = self._cursors.get(cursor)
            if found is None or found[0] != scope:
                raise invalid("cursor")
            return found[1]
