"""Storing deliveries for the request handlers: one thread, many deliveries to a commit.

A delivery is acknowledged only once it is committed to the inbox. Handing each one to a thread
pool to commit on its own costs a thread switch per request, and with the interpreter lock held
by the event loop that switch waits: measured, it halved the deliveries a receiver could answer
(about 1,200 a second against 2,500 stored on the event loop itself). Storing on the event loop
is no answer either, since a slow database would stall every connection, `/healthz` included.
So requests queue their deliveries here; one thread takes all that are waiting, stores them in
one transaction (group commit, as databases do with their own log) and answers each request's
future. A duplicate within one batch is found by the database as it is across batches.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import structlog

from bridge.errors import StateError
from bridge.state import Store, reopen

__all__ = ["Intake"]

log = structlog.get_logger("bridge.serve")

MOST = 500  # deliveries in one transaction at most


@dataclass(slots=True)
class _Delivery:
    connector: str
    delivery_id: str
    body: bytes
    stored: Future[bool] = field(default_factory=Future)


class Intake:
    """Stores deliveries in the inbox from its own thread, started on the first one.

    `on_stored(connector, new)` is called for each delivery once committed (metrics, waking
    the worker); `put` returns a future that is True when the delivery was new, False for a
    duplicate, or raises StateError when the database could not store it.
    """

    def __init__(self, url: str, on_stored: Callable[[Sequence[tuple[str, bool]]], None]) -> None:
        self.url = url
        self.on_stored = on_stored
        self._queue: queue.SimpleQueue[_Delivery | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._started = threading.Lock()

    def put(self, connector: str, delivery_id: str, body: bytes) -> Future[bool]:
        delivery = _Delivery(connector, delivery_id, body)
        if self._thread is None:
            with self._started:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="bridge-intake", daemon=True)
                    self._thread.start()
        self._queue.put(delivery)
        return delivery.stored

    def close(self, timeout: float = 10.0) -> None:
        """Store what was queued, then stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        store: Store | None = None
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
                closing = False
                while len(batch) < MOST:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        closing = True
                        break
                    batch.append(more)
                store = self._store(batch, store)
                if closing:
                    return
        finally:
            if store is not None:
                store.close()

    def _store(self, batch: list[_Delivery], store: Store | None) -> Store | None:
        """Commit `batch` and answer each delivery's future; the connection to use next."""
        items = [(d.connector, d.delivery_id, d.body) for d in batch]
        try:
            try:
                store = store or Store.open(self.url)
                new = store.receive_many(items)
            except StateError:  # the connection may have dropped (database restarted): one new try
                store = reopen(store, self.url)
                new = store.receive_many(items)
        except StateError as exc:
            for delivery in batch:
                delivery.stored.set_exception(exc)
            return None
        except Exception as exc:  # a bug: the requests are answered 500, the thread lives on
            log.exception("storing deliveries failed", deliveries=len(batch))
            for delivery in batch:
                delivery.stored.set_exception(exc)
            return store
        for delivery, fresh in zip(batch, new, strict=True):
            delivery.stored.set_result(fresh)
        self.on_stored([(d.connector, fresh) for d, fresh in zip(batch, new, strict=True)])
        return store
