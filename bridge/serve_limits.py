"""Limits that keep `bridge serve` alive in the open: what uvicorn lacks, and the start-up using it.

uvicorn closes idle keep-alive connections but never a connection that is slow to send its
request: a few hundred clients dribbling header bytes hold as many descriptors for ever, and at
the systemd default of 1,024 the accept loop stops and `/healthz` with it. So here:

- `protocol_class`: uvicorn's h11 protocol with a request-head deadline (armed when a connection
  opens and after each response, cancelled when a head is complete) and a cap on open
  connections that closes the oldest connection still waiting for its head, or still sending
  its body, to make room, so a new client, such as a health check, is always served;
- `RequestGuard`: ASGI middleware with a deadline for the whole body (408), a bound on requests
  in progress (503; `/healthz` is always answered), and quiet handling of clients that go away
  mid-body (Starlette raises `ClientDisconnect`, which uvicorn would log as a 3 KB traceback);
- `LogLimiter`: at most N warnings per cause per minute, then one line counting the rest, for
  structlog's lines and the standard library's (uvicorn, asyncio), so no client can fill a disk.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import resource
import socket
import sys
import threading
import time
import weakref
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
import structlog
import uvicorn
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from bridge.config import BridgeSettings

__all__ = [
    "LogLimiter",
    "RequestGuard",
    "ServeLimits",
    "configure_logging",
    "prepare",
    "protocol_class",
    "run",
]

log = structlog.get_logger("bridge.serve")

DESCRIPTOR_RESERVE = 64  # descriptors kept free of connections: the database, notes, the listener
ACCEPT_BATCH = 128  # connections asyncio accepts in one loop turn
LOG_INTERVAL = 60.0  # seconds of the log limiter's window
Cause = tuple[str | None, ...]  # where a log line comes from: its sink, logger, message, exception
ALWAYS_ANSWERED = frozenset({"/healthz"})  # cheap, and what tells a monitor the process is alive


@dataclass(frozen=True)
class ServeLimits:
    """The `BRIDGE_SERVE_*` settings, with the connection cap fitted to the descriptor limit."""

    max_connections: int = 1000
    limit_concurrency: int = 100
    backlog: int = 2048
    timeout_keep_alive: int = 5
    header_timeout: float = 10.0
    body_timeout: float = 20.0
    log_lines: int = 20

    @classmethod
    def from_settings(cls, settings: BridgeSettings) -> ServeLimits:
        return cls(
            max_connections=fit_to_descriptors(settings.serve_max_connections),
            limit_concurrency=settings.serve_limit_concurrency,
            backlog=settings.serve_backlog,
            timeout_keep_alive=settings.serve_timeout_keep_alive,
            header_timeout=settings.serve_header_timeout,
            body_timeout=settings.serve_body_timeout,
            log_lines=settings.serve_log_lines,
        )


def fit_to_descriptors(wanted: int) -> int:
    """`wanted`, lowered so that counted connections never exhaust the descriptors.

    asyncio accepts up to ACCEPT_BATCH connections in a loop turn, and a connection is counted
    (and may close another) only a turn or two later; so twice that is kept free for those, and
    DESCRIPTOR_RESERVE more for the database and the notes. A worker that cannot open a note is
    worse than a client turned away.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - 2 * ACCEPT_BATCH - DESCRIPTOR_RESERVE))


# -- the protocol -----------------------------------------------------------------------------------


class _Pool:
    """One server's connections that may be closed to make room: oldest first."""

    def __init__(self) -> None:
        self.waiting: dict[LimitedH11Protocol, None] = {}  # waiting for a request head
        self.opening: weakref.WeakSet[LimitedH11Protocol] = weakref.WeakSet()  # accepted, not yet made


_pools: weakref.WeakKeyDictionary[ServerState, _Pool] = weakref.WeakKeyDictionary()


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head deadline and a cap on open connections."""

    header_timeout: ClassVar[float] = 10.0
    max_connections: ClassVar[int] = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool = _pools.setdefault(self.server_state, _Pool())
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_since = 0.0  # loop time the current request's head was complete
        # Counted here, as soon as asyncio has accepted the socket, rather than in connection_made
        # a loop turn later: meanwhile asyncio may accept another backlog's worth of sockets.
        self._refused = len(self.connections) + len(self._pool.opening) >= self.max_connections and (
            not self._make_room()
        )
        self._pool.opening.add(self)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._pool.opening.discard(self)
        super().connection_made(transport)
        if self._refused:
            log.warning("connection refused: too many open connections", limit=self.max_connections)
            self.connections.discard(self)
            self.transport.close()
            return
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_done()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a new request head was parsed
            self._head_done()
            self._body_since = self.loop.time()

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():
            self._await_head()  # the next request's head, pipelined or not, has the same deadline
        super().on_response_complete()

    def _await_head(self) -> None:
        self._head_done()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)
        self._pool.waiting[self] = None

    def _head_done(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._pool.waiting.pop(self, None)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        self._pool.waiting.pop(self, None)
        if not self.transport.is_closing():
            log.warning("connection closed: request head not complete in time", timeout_s=self.header_timeout)
            self.transport.close()

    def _make_room(self) -> bool:
        """Close the connection that waited longest for its head, else the oldest slow body."""
        victim = next(iter(self._pool.waiting), None)
        if victim is None:
            sending = [
                c
                for c in self.connections
                if isinstance(c, LimitedH11Protocol)
                and c.conn.their_state is h11.SEND_BODY
                and not (c.cycle and c.cycle.response_started)
            ]
            victim = min(sending, key=lambda c: c._body_since, default=None)
        if victim is None:
            return False
        victim._head_done()
        self.connections.discard(victim)  # counted out now; its descriptor is closed next turn
        victim.transport.close()
        log.warning("connection closed to make room: too many open connections", limit=self.max_connections)
        return True


def protocol_class(limits: ServeLimits) -> type[LimitedH11Protocol]:
    """The protocol class to pass to uvicorn as `http=`, bound to these limits."""
    return type(
        "BridgeH11Protocol",
        (LimitedH11Protocol,),
        {"header_timeout": limits.header_timeout, "max_connections": limits.max_connections},
    )


# -- the middleware ---------------------------------------------------------------------------------


class RequestGuard:
    """Bounds a request's body in time and the requests in progress; a vanished client is quiet."""

    def __init__(self, app: ASGIApp, *, body_timeout: float, limit_concurrency: int) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self.limit_concurrency = limit_concurrency
        self.active = 0  # one event loop: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.active >= self.limit_concurrency and scope["path"] not in ALWAYS_ANSWERED:
            log.warning("request refused: too many in progress", limit=self.limit_concurrency)
            await _answer(send, 503, "too many requests in progress; retry later", retry_after=True)
            return
        self.active += 1
        try:
            await self._guarded(scope, receive, send)
        finally:
            self.active -= 1

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        body_read = timed_out = gone = started = False

        async def limited_receive() -> Message:
            nonlocal body_read, timed_out, gone
            if timed_out:
                return {"type": "http.disconnect"}
            if body_read:
                return await receive()  # e.g. waiting for a disconnect: no deadline
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                timed_out = True
                return {"type": "http.disconnect"}
            if message["type"] == "http.request" and not message.get("more_body", False):
                body_read = True
            elif message["type"] == "http.disconnect":
                gone = True
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if timed_out or gone:
                return  # the answer is the 408 below, or nobody is listening
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except ClientDisconnect:
            if not (timed_out or gone):
                raise
        if timed_out and not started:
            log.warning("request closed: body not received in time", timeout_s=self.body_timeout)
            await _answer(send, 408, f"request body not received within {self.body_timeout:g} s", close=True)
        elif gone and not started:
            log.warning("client disconnected before its request body was read")


async def _answer(
    send: Send, status: int, error: str, *, close: bool = False, retry_after: bool = False
) -> None:
    body = json.dumps({"error": error}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    if retry_after:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# -- the log limiter --------------------------------------------------------------------------------


class LogLimiter:
    """At most `lines` lines per cause per `interval` seconds; the rest are counted, and the count
    is reported once the cause's window has passed (at the next line logged, of any cause)."""

    def __init__(
        self, lines: int, interval: float = LOG_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.lines = lines
        self.interval = interval
        self.clock = clock
        self._causes: dict[Cause, list[float]] = {}  # cause -> [window start, lines, suppressed]
        self._swept = clock()
        self._lock = threading.Lock()

    def admit(self, cause: Cause) -> tuple[bool, list[tuple[Cause, int]]]:
        """Whether a line of `cause` may be written, and the (cause, count) of windows now over."""
        with self._lock:
            now = self.clock()
            due: list[tuple[Cause, int]] = []
            if now - self._swept >= self.interval:
                self._swept = now
                for old, (start, _, suppressed) in list(self._causes.items()):
                    if now - start >= self.interval:
                        del self._causes[old]
                        if suppressed:
                            due.append((old, int(suppressed)))
            entry = self._causes.get(cause)
            if entry is None or now - entry[0] >= self.interval:
                if entry is not None and entry[2]:
                    due.append((cause, int(entry[2])))
                entry = self._causes[cause] = [now, 0, 0]
            if entry[1] < self.lines:
                entry[1] += 1
                return True, due
            entry[2] += 1
            return False, due

    def processor(self, _: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        """structlog processor: warnings and errors are limited per `event` text."""
        if event.pop("_unlimited", False) or method not in ("warning", "error", "critical", "exception"):
            return event
        allowed, due = self.admit(("structlog", str(event.get("event"))))
        self._report(due)
        if not allowed:
            raise structlog.DropEvent
        return event

    def filter(self, record: logging.LogRecord) -> bool:
        """logging filter: warnings and errors are limited per logger, message and exception type."""
        if getattr(record, "unlimited", False) or record.levelno < logging.WARNING:
            return True
        kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        allowed, due = self.admit(("logging", record.name, str(record.msg), kind))
        self._report(due)
        return allowed

    def _report(self, due: list[tuple[Cause, int]]) -> None:
        for cause, count in due:
            window = f"{self.interval:g} s"
            if cause[0] == "structlog":
                log.warning(
                    "log lines suppressed", like=cause[1], suppressed=count, window=window, _unlimited=True
                )
            else:
                logging.getLogger(cause[1]).warning(
                    "suppressed %d similar lines in %s: %s",
                    count,
                    window,
                    cause[2],
                    extra={"unlimited": True},
                )


class _JsonFormatter(logging.Formatter):
    """The standard library's records (uvicorn, asyncio) as JSON lines, like the bridge's own."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "event": record.getMessage(),
            "logger": record.name,
            "level": record.levelname.lower(),
            "timestamp": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat().replace("+00:00", "Z"),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


def configure_logging(limits: ServeLimits) -> LogLimiter:
    """JSON lines on stderr for structlog and the standard library, both through one limiter."""
    limiter = LogLimiter(limits.log_lines)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            limiter.processor,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        # One write per line (print() writes the line and its newline apart): the server and its
        # worker process share stderr, and unbuffered (PYTHONUNBUFFERED, common in containers)
        # their lines would otherwise interleave into unreadable JSON.
        logger_factory=structlog.WriteLoggerFactory(sys.stderr),
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter())
    handler.addFilter(limiter.filter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    return limiter


def prepare(settings: BridgeSettings) -> ServeLimits:
    """The limits, with logging set up (JSON lines, limited per cause) before anything logs."""
    limits = ServeLimits.from_settings(settings)
    configure_logging(limits)
    if limits.max_connections < settings.serve_max_connections:
        log.warning(
            "open connections capped by the descriptor limit (raise it to allow more)",
            wanted=settings.serve_max_connections,
            limit=limits.max_connections,
            descriptors=resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        )
    return limits


class _Server(uvicorn.Server):
    """uvicorn's server with the kernel's queue of pending connections set apart from the batch.

    uvicorn hands one `backlog` to asyncio, which uses it both for listen() and as the number of
    connections accepted in a loop turn. The turn's batch must stay small (the descriptors are
    fitted to it), but the kernel's queue must not: when it is full, Linux drops a new client's
    SYN and the client waits a whole second to send it again, so a slowloris churning through the
    connection cap would make a health check miss its second. Queued connections hold no
    descriptor of ours.
    """

    def __init__(self, config: uvicorn.Config, queue: int) -> None:
        super().__init__(config)
        self.queue = queue

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        for sock in sockets or ():
            sock.listen(self.queue)  # after asyncio's own listen(), which used the batch


def run(app: ASGIApp, limits: ServeLimits, *, host: str, port: int) -> None:
    """Serve `app` under uvicorn within `limits`, until SIGINT or SIGTERM."""
    config = uvicorn.Config(
        RequestGuard(app, body_timeout=limits.body_timeout, limit_concurrency=limits.limit_concurrency),
        host=host,
        port=port,
        http=protocol_class(limits),
        ws="none",
        lifespan="on",
        log_config=None,
        log_level="warning",
        access_log=False,
        backlog=min(limits.backlog, ACCEPT_BATCH),
        timeout_keep_alive=limits.timeout_keep_alive,
        timeout_graceful_shutdown=30,
    )
    _Server(config, limits.backlog).run(sockets=[config.bind_socket()])
