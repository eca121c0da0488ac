"""HTTP plumbing every connector shares: a vendor host redirected to an emulator, retries, counting.

The official SDKs hard-code the vendor's URL; a transport that rewrites the origin is how they
are pointed at `TODOIST_BASE_URL` (an emulator on 127.0.0.1) without being modified. Retries
live here, below the SDKs, because neither SDK honours `Retry-After`.
"""

from __future__ import annotations

import email.utils
import logging
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from bridge.config import BridgeSettings

__all__ = [
    "ERRNO",
    "UNSENDABLE",
    "BaseURLTransport",
    "Patience",
    "RetryTransport",
    "SchemeTransport",
    "is_json_type",
    "json_kind",
    "make_http_client",
    "no_answer",
    "not_json",
    "retry_after_seconds",
]

log = logging.getLogger(__name__)


def is_json_type(content_type: str | None) -> bool:
    """Whether a `Content-Type` announces JSON (`application/json`, `…+json`, with or without charset)."""
    return "json" in (content_type or "").split(";")[0].lower()


def not_json(content_type: str | None) -> str:
    """What to say of a success answer that is no JSON: a login page, a proxy's or captive portal's page."""
    kind = (content_type or "").split(";")[0].strip() or "no Content-Type"
    return f"the tracker answered with something that is not JSON ({kind})"


def json_kind(value: Any) -> str:
    """A decoded JSON value's kind, for saying what an answer of the wrong shape held instead."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


@dataclass(frozen=True, slots=True)
class Patience:
    """How long a tracker that does not answer is waited for: `retries` more attempts, none begun
    after `deadline` seconds from the first (BRIDGE_HTTP_RETRIES, BRIDGE_HTTP_DEADLINE). Without a
    deadline an unreachable host took minutes of back-off before a cron run could say so."""

    retries: int = 4
    deadline: float = 15.0
    connect: float = 10.0  # seconds for one connection attempt, less when the deadline is nearer
    backoff: float = 0.5  # first wait, doubled for each retry

    @classmethod
    def of(cls, settings: BridgeSettings) -> Patience:
        return cls(retries=settings.http_retries, deadline=settings.http_deadline)

    def connect_timeout(self, elapsed: float) -> float:
        return min(self.connect, self.left(elapsed))

    def left(self, elapsed: float) -> float:
        """Seconds before the deadline: the most any one wait (connect, read, write, pool) may take,
        or a tracker that accepts the connection and never answers holds the run a full read timeout."""
        return max(0.1, self.deadline - elapsed)

    def timeouts(self, given: Mapping[str, float | None], elapsed: float) -> dict[str, float]:
        """httpx's per-request timeouts, each cut to what the deadline leaves (none means no limit)."""
        cut = {}
        for key in ("connect", "read", "write", "pool"):
            limit = self.connect_timeout(elapsed) if key == "connect" else self.left(elapsed)
            value = given.get(key)
            cut[key] = limit if value is None else min(value, limit)
        return cut

    def wait(self, attempt: int, elapsed: float, hint: float | None = None) -> float | None:
        """Seconds to wait before retry number `attempt`, or None: give up (retries spent, or the
        deadline would pass before the retry could start)."""
        if attempt > self.retries:
            return None
        delay = hint if hint is not None else self.backoff * 2 ** (attempt - 1)
        return None if elapsed + delay >= self.deadline else delay


ERRNO = re.compile(r"\[Errno -?\d+\] [\w ,'-]+")  # an OS error's own words: they hold no header
UNSENDABLE = "the request could not be sent (a malformed header: check the credential settings)"


def no_answer(exc: httpx.HTTPError) -> str:
    """Why a request got no answer, in words that cannot hold a header: an HTTP library's own
    message may quote a header value whole (a token with a newline is an "illegal header value")."""
    if isinstance(exc, httpx.LocalProtocolError):
        return UNSENDABLE
    try:
        host = exc.request.url.netloc.decode("ascii", "replace").rpartition("@")[2]
    except RuntimeError:  # an error raised without its request
        host = ""
    where = f"no answer from {host}" if host else "no answer"
    if isinstance(exc, httpx.TimeoutException):
        return f"{where}: timed out"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).strip()
        return f"{where}: {text}" if ERRNO.fullmatch(text) else f"{where}: cannot connect"
    return f"{where} ({type(exc).__name__})"


class SchemeTransport(httpx.BaseTransport):
    """httpx's own transport, made for the first request of each scheme, so that TLS is set up only
    when an https URL is requested.

    Building httpx's default transport loads its certificate store, tens of milliseconds, which a
    run against an http:// base URL (an emulator, a local proxy) never uses. An https request gets
    `httpx.HTTPTransport()` with its defaults, made once, as before; it costs the same, only later.
    A plain http request gets a transport whose TLS context trusts no certificate: it never starts
    TLS, and could not verify a server if it did.
    """

    def __init__(self) -> None:
        self._made: dict[bool, httpx.HTTPTransport] = {}
        self._lock = threading.Lock()

    def _for(self, plain: bool) -> httpx.HTTPTransport:
        with self._lock:
            made = self._made.get(plain)
            if made is None:
                made = (
                    httpx.HTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
                    if plain
                    else httpx.HTTPTransport()
                )
                self._made[plain] = made
            return made

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._for(request.url.scheme == "http").handle_request(request)

    def close(self) -> None:
        with self._lock:
            made, self._made = list(self._made.values()), {}
        for transport in made:
            transport.close()


class BaseURLTransport(httpx.BaseTransport):
    """Sends requests addressed to `origin` to `base_url` instead; other hosts pass unchanged."""

    def __init__(self, base_url: str, origin: str, inner: httpx.BaseTransport | None = None) -> None:
        self.base = httpx.URL(base_url.rstrip("/"))
        self.origin = httpx.URL(origin)
        self.inner = inner or SchemeTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.host == self.origin.host and url.scheme == self.origin.scheme:
            request.url = url.copy_with(
                scheme=self.base.scheme,
                host=self.base.host,
                port=self.base.port,
                raw_path=self.base.raw_path.rstrip(b"/") + url.raw_path,
            )
            request.headers["Host"] = request.url.netloc.decode("ascii")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def retry_after_seconds(response: httpx.Response, now: Callable[[], datetime] | None = None) -> float | None:
    """The server's wish in seconds: the `Retry-After` header (seconds or an HTTP date), else None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = (now or (lambda: datetime.now(UTC)))()
    return max(0.0, (when - current).total_seconds())


class RetryTransport(httpx.BaseTransport):
    """Retries 429 always (the request was not processed) and 5xx or network errors when `safe`.

    `safe(request)` says whether repeating a request cannot apply it twice: reads, and writes the
    vendor de-duplicates (Todoist sync commands carry a uuid). Backoff doubles from
    `patience.backoff` seconds, and a `Retry-After` from the server wins, capped at `max_wait`.
    A request that got no answer is not retried past `patience.deadline`; one that could not even
    be sent (a malformed header) is not retried at all.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        patience: Patience | None = None,
        max_wait: float = 60.0,
        safe: Callable[[httpx.Request], bool] = lambda r: r.method in ("GET", "HEAD"),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.patience = patience or Patience()
        self.max_wait = max_wait
        self.safe = safe
        self.sleep = sleep
        self.clock = clock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # a body read once can be sent again
        started = self.clock()
        timeouts = dict(request.extensions.get("timeout") or {})
        attempt = 0
        while True:
            attempt += 1
            elapsed = self.clock() - started
            request.extensions["timeout"] = self.patience.timeouts(timeouts, elapsed)
            try:
                response = self.inner.handle_request(request)
            except (httpx.LocalProtocolError, httpx.UnsupportedProtocol):
                raise  # nothing went out: sending it again would fail the same way
            except httpx.TransportError as exc:
                delay = self.patience.wait(attempt, self.clock() - started)
                if delay is None or not self.safe(request):
                    raise
                log.info(
                    "%s %s: %s, retrying in %.1f s", request.method, request.url.path, no_answer(exc), delay
                )
                self.sleep(delay)
                continue
            status = response.status_code
            retryable = status == 429 or (status >= 500 and self.safe(request))
            if not retryable or attempt > self.patience.retries:
                return response
            response.read()
            response.close()
            hint = retry_after_seconds(response)
            delay = min(
                self.max_wait, hint if hint is not None else self.patience.backoff * 2 ** (attempt - 1)
            )
            self._wait(delay, request, str(status))

    def _wait(self, delay: float, request: httpx.Request, why: str) -> None:
        log.warning("%s %s: %s, retrying in %.1f s", request.method, request.url.path, why, delay)
        self.sleep(delay)

    def close(self) -> None:
        self.inner.close()


def make_http_client(
    *,
    base_url: str | None = None,
    origin: str | None = None,
    transport: httpx.BaseTransport | None = None,
    safe: Callable[[httpx.Request], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_request: Callable[[httpx.Request], None] | None = None,
    timeout: float = 60.0,
    patience: Patience | None = None,
) -> httpx.Client:
    """One client for a connector: the SDK and the connector's own calls share it (and its count).

    `on_request` sees every request that goes on the wire, retries included.
    """
    inner = transport or SchemeTransport()
    if base_url is not None and origin is not None and base_url.rstrip("/") != origin.rstrip("/"):
        inner = BaseURLTransport(base_url, origin, inner)
    if on_request is not None:
        inner = _Counting(inner, on_request)
    retry = RetryTransport(inner, sleep=sleep, patience=patience)
    if safe is not None:
        retry.safe = safe
    connect = min(timeout, (patience or Patience()).connect)
    return httpx.Client(transport=retry, timeout=httpx.Timeout(timeout, connect=connect))


class _Counting(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, on_request: Callable[[httpx.Request], None]) -> None:
        self.inner = inner
        self.on_request = on_request

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.on_request(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
