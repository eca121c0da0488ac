"""`bridge serve`: the webhook receiver. The one part open to the internet, so it trusts nothing.

A delivery is checked against the tracker's signature over the raw bytes, parsed, and stored in
the state database's inbox, committed, before the tracker hears 200; only then is it applied, by
one worker (a process of its own under `bridge serve`, so applying and answering run on separate
cores; a thread in tests), through the same planner and write-back as `bridge sync` (`bridge.inbox`).
So a crash never loses an acknowledged delivery (the worker picks the inbox up again at start),
a retried delivery is stored once, and a webhook can only ever change lines of tasks the bridge
already linked: paths come from the vault and the state, never from the payload.
"""

from __future__ import annotations

import asyncio
import ctypes
import datetime as dt
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import Future
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import structlog
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bridge import registry, status_page
from bridge.config import BridgeSettings
from bridge.connector import Webhooks
from bridge.errors import BridgeError, LockHeldError, StateError
from bridge.inbox import NoteMemo, Outcome, apply_events, warm
from bridge.intake import Intake
from bridge.metrics import CONTENT_TYPE, LATENCY_BUCKETS, Metrics, Settled, seconds_since
from bridge.state import Store, reopen
from bridge.state_rows import InboxEvent

__all__ = ["Receiver", "create_app"]

log = structlog.get_logger("bridge.serve")

MAX_BODY = 1 << 20  # trackers send a few kilobytes; anything near this is not a delivery
READY_WAIT = 10.0  # seconds a start waits for the worker to have read the notes ahead
# The worker yields the CPU to the server when both want it: answering promptly is what a tracker
# waits for (and gives up on), while a worker that falls behind takes larger batches, writing
# each note once for more deliveries, and catches up.
WORKER_NICENESS = 5
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
PRUNE_EVERY = 3600.0  # seconds between prunes of the inbox
BATCH_MIN, BATCH_MAX = 100, 1000
# deliveries a worker claims at once, as the queue asks


def next_batch(limit: int, settled: int) -> int:
    """The next claim's size: doubled while batches come back full (a backlog: fewer, larger
    batches write each note once for many deliveries), back to the minimum once one is not."""
    return min(BATCH_MAX, limit * 2) if settled >= limit else BATCH_MIN


T = TypeVar("T")


class Receiver:
    """The inbox and its worker. `receive` runs on request threads, `work` on its own thread."""

    def __init__(self, settings: BridgeSettings, root: Path, *, max_body: int = MAX_BODY) -> None:
        self.settings = settings
        self.root = root
        self.url = settings.state_url_for(root)
        self.max_body = max_body
        self.worker = f"{os.uname().nodename}:{os.getpid()}:{id(self):x}"  # the process's pid once started
        self._store = Store.open(self.url)
        self._store_lock = threading.Lock()
        self.intake = Intake(self.url, self._stored)
        self._parsers: dict[str, Webhooks] = {}
        self._wake: Any = threading.Event()  # or multiprocessing's Events, with the worker a process
        self._stop: Any = threading.Event()
        self.ready: Any = threading.Event()  # set once the worker has read the notes ahead
        self._thread: threading.Thread | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self.metrics = Metrics(self._inbox_counts, self._settled)
        self._notes = NoteMemo()  # notes the worker parsed, reused while their bytes are the same

    def parser(self, name: str) -> Webhooks:
        """The connector's delivery checker, built once; BridgeError when unknown or unconfigured."""
        found = self._parsers.get(name)
        if found is None:
            found = self._parsers[name] = registry.load(name).webhooks()
        return found

    def load_parsers(self) -> list[str]:
        """Build every installed connector's delivery checker now, not on its first delivery (an
        import that would hold up the requests behind it); the names of those configured."""
        usable = []
        for name in sorted(registry.available()):
            try:
                self.parser(name)
                usable.append(name)
            except BridgeError:
                continue  # not configured for webhooks: said when a delivery names it
        return usable

    def receive(self, name: str, delivery_id: str, body: bytes) -> Future[bool]:
        """Store a delivery (see `bridge.intake`): True once committed as new, False for a
        duplicate; StateError when the database could not store it."""
        return self.intake.put(name, delivery_id, body)

    def _stored(self, deliveries: Sequence[tuple[str, bool]]) -> None:
        for name, new in deliveries:
            self.metrics.on_receive(name, new)
        if any(new for _, new in deliveries):
            self._wake.set()

    def read(self, query: Callable[[Store], T]) -> T:
        """Run a read of the state on the request side's connection (the status page, a scrape),
        replaced once when it dropped; StateError while the database is away."""
        with self._store_lock:
            try:
                return query(self._store)
            except StateError:
                self._store = reopen(self._store, self.url)
                return query(self._store)

    def _inbox_counts(self) -> Mapping[str, int] | None:
        """Deliveries per inbox state for a scrape; None when the database cannot say."""
        try:
            return self.read(Store.inbox_counts)
        except StateError as exc:
            log.warning("metrics: state database unavailable", error=str(exc))
            return None

    def _settled(self) -> Settled | None:
        """What this receiver's worker settled, for a scrape; None when the database cannot say."""
        try:
            return self.read(lambda store: store.settled_by(self.worker, LATENCY_BUCKETS))
        except StateError as exc:
            log.warning("metrics: state database unavailable", error=str(exc))
            return None

    # -- the worker -------------------------------------------------------------------------------

    def start(self, *, process: bool = False) -> None:
        """Start the worker: a thread, or with `process` a process of its own (spawned, so it
        shares no interpreter lock with request handling). Either coordinates with other workers
        only through the state database and the writer lock."""
        if not process:
            self._thread = threading.Thread(target=self._run, name="bridge-inbox", daemon=True)
            self._thread.start()
            return
        context = multiprocessing.get_context("spawn")
        self._wake, self._stop, self.ready = context.Event(), context.Event(), context.Event()
        token = f"{id(self):x}"
        self._process = context.Process(
            target=_work_in_process,
            args=(self.settings, self.root, token, self._wake, self._stop, self.ready, os.getpid()),
            name="bridge-inbox",
            daemon=True,
        )
        self._process.start()
        self.worker = f"{os.uname().nodename}:{self._process.pid}:{token}"
        # Until the worker has imported and connected (about a second), deliveries would only
        # queue: the server starts answering once it is ready, or has failed (then it is logged).
        deadline = time.monotonic() + 30.0
        while not self.ready.wait(0.1) and self._process.is_alive() and time.monotonic() < deadline:
            pass
        if not self.ready.is_set():
            log.error("inbox worker process did not start", exitcode=self._process.exitcode)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the deliveries in hand, then stop; what is left stays in the inbox for next start."""
        self.intake.close()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._process is not None:
            self._process.join(timeout)
            if self._process.is_alive():  # stuck past the grace period: its claims are taken back
                log.warning("inbox worker did not stop in time; terminated", seconds=timeout)
                self._process.terminate()
                self._process.join(5.0)
        try:
            waiting: Mapping[str, int] = self.read(Store.inbox_counts)
        except StateError as exc:
            log.warning("stopped; the inbox could not be counted", error=str(exc))
            return
        finally:
            with self._store_lock:
                self._store.close()
        log.info("stopped", new=waiting.get("new", 0), claimed=waiting.get("claimed", 0))

    def _run(self, parent: int | None = None) -> None:
        store = Store.open(self.url)
        pruned_at = 0.0
        limit = BATCH_MIN
        try:
            try:
                self.warm(store)
            finally:
                self.ready.set()
            while not self._stop.is_set() and (parent is None or os.getppid() == parent):
                try:
                    if time.monotonic() - pruned_at > PRUNE_EVERY:
                        pruned_at = time.monotonic()
                        self.prune(store)
                    settled = self.work(store, limit=limit)
                    limit = next_batch(limit, settled)
                    if not settled:  # nothing waits: sleep until a delivery is stored
                        self._wake.clear()
                        if not store.waiting():
                            self._wake.wait(1.0)
                except LockHeldError:
                    time.sleep(0.1)  # a sync, or another receiver, is writing the notes
                except Exception:  # the worker must outlive one bad batch, or a dropped database
                    log.exception("inbox worker failed; retrying")
                    time.sleep(1.0)
                    try:
                        store = reopen(store, self.url)
                    except StateError:
                        log.warning("state database unavailable; retrying", state=store.where)
        finally:
            store.close()

    def warm(self, store: Store) -> None:
        """Load the connectors' delivery checkers and parse the linked notes, so the first burst
        after a start is applied as fast as later ones (the server answers once this is done)."""
        started = time.monotonic()
        try:
            notes = warm(self.settings, self.root, store, self.load_parsers(), self._notes)
        except Exception:  # only a head start: the batches read what they need anyway
            log.warning("inbox worker: notes not read ahead", exc_info=True)
            return
        log.info("inbox worker ready", notes=notes, seconds=round(time.monotonic() - started, 3))

    def prune(self, store: Store) -> int:
        """Drop applied deliveries older than BRIDGE_INBOX_KEEP_DAYS (at start, then hourly)."""
        removed = store.prune_inbox(dt.timedelta(days=self.settings.inbox_keep_days))
        if removed:
            log.info("inbox pruned", removed=removed, keep_days=self.settings.inbox_keep_days)
        return removed

    def work(self, store: Store, *, limit: int = BATCH_MIN) -> int:
        """Apply what the inbox holds; returns how many deliveries were settled.

        Deliveries are claimed only once the notes' writer lock is held, so a claim never waits
        on a sync, and receivers sharing one database take turns instead of racing on a note.
        The lock is waited for a second at a time, so a stop request is seen promptly.
        """
        if not store.waiting():
            return 0
        with store.writer_lock(wait=1.0):
            events = store.claim(self.worker, limit=limit)
            if not events:
                return 0
            parsers: dict[str, Webhooks] = {}
            for name in {e.connector for e in events}:
                try:
                    parsers[name] = self.parser(name)
                except BridgeError as exc:
                    log.warning("webhook connector unusable", connector=name, error=str(exc))
            outcomes = self._apply(store, events, parsers)
            unreadable = [o for o in outcomes if o.result.startswith("invalid")]
            for outcome in unreadable:  # the same bytes read the same way next time: kept, not retried
                reason = outcome.result.removeprefix("invalid: ")
                store.set_aside(outcome.event.id, reason, attempts=outcome.event.attempts + 1)
                outcome.result = "set aside"
            now = dt.datetime.now(dt.UTC)
            taken = {o.event.id: seconds_since(o.event.received_at, now) for o in outcomes}
            store.settle(
                ((o.event.id, o.result) for o in outcomes if o.result != "set aside"),
                seconds={k: v for k, v in taken.items() if v is not None},
            )
        for outcome in outcomes:
            event = outcome.event
            log.info(
                "delivery",
                connector=event.connector,
                delivery_id=event.delivery_id,
                task_keys=outcome.keys,
                outcome=outcome.result,
                lines=outcome.lines,
                latency_ms=_since(event.received_at, now),
            )
        return len(events)

    def _apply(self, store: Store, events: list[InboxEvent], parsers: dict[str, Webhooks]) -> list[Outcome]:
        """Apply a batch so that no delivery holds up the others: when the batch raises, each of
        its deliveries is applied on its own, and one that still raises is tried again later
        (`Store.defer`), then set aside. One that failed before is always applied on its own.
        A database or lock error is no delivery's fault: it is raised, to the worker's loop."""
        fresh = [e for e in events if not e.attempts]
        alone = [e for e in events if e.attempts]
        outcomes: list[Outcome] = []
        if len(fresh) > 1:
            try:
                outcomes = apply_events(self.settings, self.root, store, fresh, parsers, memo=self._notes)
            except (StateError, LockHeldError):
                raise
            except Exception:  # one of them, or several: find out which by applying each
                log.warning("inbox batch failed; applying its deliveries one by one", deliveries=len(fresh))
                alone = fresh + alone
        else:
            alone = fresh + alone
        for event in alone:
            try:
                outcomes += apply_events(self.settings, self.root, store, [event], parsers, memo=self._notes)
            except (StateError, LockHeldError):
                raise
            except Exception as exc:  # a bug this delivery's content runs into
                reason = f"{type(exc).__name__}: {exc}"[:500]
                aside = store.defer(
                    event.id,
                    reason,
                    max_attempts=self.settings.inbox_attempts,
                    backoff=self.settings.inbox_backoff,
                )
                log.warning(
                    "delivery set aside" if aside else "delivery failed; will try again",
                    connector=event.connector,
                    delivery_id=event.delivery_id,
                    inbox_id=event.id,
                    attempt=event.attempts + 1,
                    reason=reason,
                    exc_info=True,
                )
        return outcomes


def _work_in_process(
    settings: BridgeSettings, root: Path, token: str, wake: Any, stop: Any, ready: Any, parent: int
) -> None:
    """The worker process: the same loop as the thread, logging as `bridge serve` does. Signals
    meant for the server (Ctrl-C reaches the whole process group) are left to it: it sets `stop`,
    and the batch in hand is finished first. The loop also ends when the server is gone."""
    from bridge.serve_limits import ServeLimits, configure_logging

    _die_with_parent(parent)
    os.nice(WORKER_NICENESS)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    configure_logging(ServeLimits.from_settings(settings))
    receiver = Receiver(settings, root)
    receiver.worker = f"{os.uname().nodename}:{os.getpid()}:{token}"
    receiver._wake, receiver._stop, receiver.ready = wake, stop, ready
    try:
        receiver._run(parent)
    finally:
        receiver._store.close()


def _die_with_parent(parent: int) -> None:
    """Killed (SIGKILL) the moment the server is, on Linux, exactly as the worker thread would be:
    a worker outliving its server would keep applying deliveries while a restarted server's own
    worker starts, and its claims would look held by a live process."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            log.debug("cannot ask to die with the server", exc_info=True)
    if os.getppid() != parent:  # gone before that took effect
        os._exit(1)


def _since(received_at: str, now: dt.datetime) -> float | None:
    """Milliseconds from a delivery's arrival (on whichever receiver stored it) to now."""
    try:
        then = dt.datetime.fromisoformat(received_at)
    except ValueError:
        return None
    return round((now - then).total_seconds() * 1000, 1)


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None once it passes `limit` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(
    settings: BridgeSettings, root: Path, *, max_body: int = MAX_BODY, worker_process: bool = False
) -> Starlette:
    """The receiver as an ASGI app: `POST /webhooks/<connector>`, `GET /healthz`, `GET /metrics`
    (Prometheus) and `GET /` (a read-only status page). With `worker_process` (`bridge serve`)
    the inbox worker runs in a process of its own, else in a thread of this one."""
    receiver = Receiver(settings, root, max_body=max_body)
    installed = frozenset(registry.available())  # entry points are read once, not per delivery
    receiver.metrics.track(sorted(installed))

    async def webhook(request: Request) -> Response:
        name = request.path_params["connector"]
        if name not in installed:
            return _error(404, f"no connector named {name!r}")
        try:
            parser = receiver.parser(name)
        except BridgeError as exc:
            log.warning("webhook refused: receiver not configured", connector=name, error=str(exc))
            return _error(503, f"{name} webhooks are not configured on this receiver")
        body = await _read_body(request, receiver.max_body)
        if body is None:
            return _error(413, f"body larger than {receiver.max_body} bytes")
        if not parser.verify(request.headers, body):
            log.warning("webhook refused: bad signature", connector=name, client=_client(request))
            return _error(401, "signature missing or wrong")
        try:
            changes = parser.changes(body)
        except ValueError as exc:
            log.warning("webhook refused: not a delivery the bridge reads", connector=name, error=str(exc))
            return _error(400, f"not a {name} webhook delivery: {exc}")
        delivery = parser.delivery_id(request.headers, body)
        try:
            new = await asyncio.wrap_future(receiver.receive(name, delivery, body))
        except StateError as exc:  # not stored, so not acknowledged: the tracker sends it again
            log.warning("delivery not stored: state database unavailable", connector=name, error=str(exc))
            return _error(503, "state database unavailable; retry later")
        if not new:
            log.info("delivery", connector=name, delivery_id=delivery, outcome="duplicate")
        return JSONResponse({"status": "accepted" if new else "duplicate", "changes": len(changes)})

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})

    async def metrics(_: Request) -> Response:
        body = await run_in_threadpool(receiver.metrics.render)  # reads the inbox
        return Response(body, headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"})

    async def status(_: Request) -> Response:
        try:
            snapshot = await run_in_threadpool(receiver.read, status_page.read_snapshot)
        except StateError as exc:
            log.warning("status page: state database unavailable", error=str(exc))
            return _error(503, "state database unavailable; retry later")
        return HTMLResponse(status_page.render(snapshot), headers=status_page.HEADERS)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        receiver.start(process=worker_process)  # deliveries a crash left in the inbox are applied first
        if worker_process:
            await run_in_threadpool(receiver.load_parsers)  # the worker loads its own
        # Deliveries are taken once the worker has read the notes ahead (bounded: a huge vault
        # starts answering anyway, and the rest is read as deliveries need it).
        await run_in_threadpool(receiver.ready.wait, READY_WAIT)
        try:
            yield
        finally:
            await run_in_threadpool(receiver.stop)

    app = Starlette(
        routes=[
            Route("/webhooks/{connector}", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/", status, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.receiver = receiver
    return app


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None
