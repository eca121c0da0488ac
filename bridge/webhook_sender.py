"""Deliver webhooks from an emulator to a receiver over HTTP, the way the trackers do.

Why this exists: the emulators record every change as the webhook body the tracker would send
(`events`), but the loop tracker change → `bridge serve` → note only runs when those bodies are
actually POSTed, signed, to a URL. Both emulators need the same thing, so it lives here once:

- one background thread per emulator app drains a FIFO queue, so deliveries arrive in the order
  the changes happened and the emulator's request handling — which emits while holding the
  site's lock — only enqueues and never waits on (or deadlocks against) the receiver;
- the body is serialised once by the caller and the signature computed over exactly those bytes;
- a failed attempt (connection error or a retryable status) is retried with a doubling back-off,
  resending the same bytes and the same delivery id, as Todoist (`X-Todoist-Delivery-ID`) and
  Jira (`X-Atlassian-Webhook-Identifier`, plus `X-Atlassian-Webhook-Retry: n`) do;
- every attempt is recorded in `attempts`, and `flush()` lets a test wait for the queue to drain;
- a `Disorder` (off unless a caller sets one up) loses some deliveries and holds others back so
  that later ones overtake them, as the vendors warn deliveries may come out of order or not at
  all: what a receiver must survive, with the next sync as the safety net.

The vendors retry over minutes; the default back-off here is fractions of a second so that a
local loop or a test sees the retries at once.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.datastructures import State

__all__ = ["Attempt", "Disorder", "SwapHookState", "WebhookSender", "retry_like_jira"]

log = logging.getLogger(__name__)

_RETRYABLE = frozenset((408, 409, 425, 429))


def retry_like_jira(status: int) -> bool:
    """Whether a status is worth another attempt: 408, 409, 425, 429 and 5xx (Jira Cloud's policy)."""
    return status in _RETRYABLE or 500 <= status <= 599


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST of one delivery: its id, which try (1-based), and the status code or the error."""

    delivery_id: str
    number: int
    status: int | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Delivery:
    delivery_id: str
    body: bytes
    headers: dict[str, str]
    hold: float = 0.0


@dataclass
class Disorder:
    """Deliveries as a real vendor makes them: each is lost with probability `drop`, else held
    back up to `delay` seconds (uniformly), so that later ones may arrive before it.

    `fate(delivery_id)` decides for one delivery (None: lost); the choices come from a
    `random.Random(seed)`, so a seeded run loses the same deliveries. `decided` lists every id
    asked about, in order, and `lost` those lost, for a test to see what happened.
    """

    drop: float = 0.0
    delay: float = 0.0
    seed: int | None = None
    decided: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0.0 <= self.drop <= 1.0 or self.delay < 0:
            raise ValueError("drop must be a probability and delay a number of seconds >= 0")
        self._random = random.Random(self.seed)  # noqa: S311 - test chaos, not cryptography
        self._lock = threading.Lock()

    def fate(self, delivery_id: str) -> float | None:
        """Seconds to hold this delivery back, or None when it is lost."""
        with self._lock:
            self.decided.append(delivery_id)
            if self._random.random() < self.drop:
                self.lost.append(delivery_id)
                return None
            return self._random.uniform(0.0, self.delay)


class WebhookSender:
    """POSTs queued webhook bodies to `url` from one background thread, in order, with retries.

    `success(status)` says which answers end a delivery (default: any 2xx; Todoist wants exactly
    200), `retry(status)` which failures are tried again (default: `retry_like_jira`); connection
    errors and timeouts are always retried. At most `max_attempts` tries per delivery, waiting
    `backoff` seconds before the second and twice as long before each later one. With
    `retry_header` set, tries after the first carry it with the retry count (1, 2, …). A delivery
    that runs out of tries is logged and dropped; the next one follows.

    The thread starts with the first `send`; `close()` stops it (what is still queued is dropped,
    so `flush()` first when it matters) and later sends are ignored.
    """

    def __init__(
        self,
        url: str,
        *,
        max_attempts: int = 4,
        backoff: float = 0.2,
        timeout: float = 5.0,
        retry_header: str | None = None,
        success: Callable[[int], bool] | None = None,
        retry: Callable[[int], bool] | None = None,
        name: str = "webhook-sender",
    ) -> None:
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"the webhook URL must be an http(s) URL, not {url!r}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.url = url
        self.max_attempts = max_attempts
        self.backoff = backoff
        """Seconds before the first retry; doubles for each later one (tests may lower it)."""
        self.timeout = timeout
        self.retry_header = retry_header
        self.success: Callable[[int], bool] = success or (lambda status: 200 <= status <= 299)
        self.retry: Callable[[int], bool] = retry or retry_like_jira
        self.attempts: list[Attempt] = []
        """Every attempt made so far, oldest first (appended by the sender thread)."""
        self.name = name
        self._queue: queue.SimpleQueue[_Delivery | None] = queue.SimpleQueue()
        self._idle = threading.Condition()
        self._pending = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send(self, delivery_id: str, body: bytes, headers: Mapping[str, str], *, hold: float = 0.0) -> None:
        """Queue `body` (sent byte for byte) with `headers`; returns at once. Ignored after `close()`.

        With `hold` > 0 the delivery waits that many seconds first, without holding up the ones
        queued after it (see `Disorder`); `flush()` waits for it too.
        """
        with self._idle:
            if self._stop.is_set():
                log.debug("webhook %s not sent: the sender is closed", delivery_id)
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._pending += 1
            self._queue.put(_Delivery(delivery_id, body, dict(headers), hold))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery is done (delivered or given up); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread (an attempt in flight may finish); what is still queued is dropped."""
        with self._idle:
            self._stop.set()
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the thread --------------------------------------------------------------------------------

    def _next(
        self, held: list[tuple[float, int, _Delivery]], order: itertools.count[int]
    ) -> _Delivery | None:
        """The next delivery to send: a held one whose time has come, else the next queued one
        that is not to be held (those join `held`); None when `close()` asks the thread to stop."""
        while True:
            now = time.monotonic()
            if held and held[0][0] <= now:
                return heapq.heappop(held)[2]
            try:
                delivery = self._queue.get(timeout=held[0][0] - now if held else None)
            except queue.Empty:
                continue
            if delivery is None or delivery.hold <= 0:
                return delivery
            heapq.heappush(held, (time.monotonic() + delivery.hold, next(order), delivery))

    def _run(self) -> None:
        held: list[tuple[float, int, _Delivery]] = []  # (when due, arrival, delivery): a heap
        order = itertools.count()
        with httpx.Client(timeout=self.timeout) as client:
            while True:
                delivery = self._next(held, order)
                if delivery is None or self._stop.is_set():
                    break
                try:
                    self._deliver(client, delivery)
                except Exception:  # the thread must outlive any one delivery
                    log.exception("webhook %s: delivery failed", delivery.delivery_id)
                finally:
                    with self._idle:
                        self._pending -= 1
                        self._idle.notify_all()
        with self._idle:  # whatever close() left queued is dropped: nobody waits for it
            self._pending = 0
            self._idle.notify_all()

    def _deliver(self, client: httpx.Client, delivery: _Delivery) -> None:
        delay = self.backoff
        for number in range(1, self.max_attempts + 1):
            headers = dict(delivery.headers)
            if number > 1 and self.retry_header is not None:
                headers[self.retry_header] = str(number - 1)
            try:
                response = client.post(self.url, content=delivery.body, headers=headers)
            except httpx.HTTPError as exc:
                self.attempts.append(
                    Attempt(delivery.delivery_id, number, None, f"{type(exc).__name__}: {exc}")
                )
                again = True
            else:
                self.attempts.append(Attempt(delivery.delivery_id, number, response.status_code))
                if self.success(response.status_code):
                    return
                again = self.retry(response.status_code)
            if not again or number == self.max_attempts or self._stop.wait(delay):
                break
            delay *= 2
        log.warning("webhook %s to %s given up after %d attempt(s)", delivery.delivery_id, self.url, number)


class SwapHookState(State):
    """An `app.state` that calls `hook(old, new)` whenever its `watched` attribute is assigned.

    The emulator apps keep their site in `app.state.emulator`, and tests swap in a fresh site to
    reset it. With this state the app re-attaches its webhook sender to the new site (and detaches
    the old one) on that assignment, so a swapped-in site keeps delivering.
    """

    def __init__(self, watched: str, hook: Callable[[Any, Any], None]) -> None:
        super().__init__()
        object.__setattr__(self, "_watched", watched)
        object.__setattr__(self, "_hook", hook)

    def __setattr__(self, key: Any, value: Any) -> None:
        if key == self._watched:
            self._hook(self._state.get(key), value)
        super().__setattr__(key, value)

    def __setitem__(self, key: str, value: Any) -> None:
        self.__setattr__(key, value)
