"""A webhook receiver for the emulators' deliveries: records each POST and answers from a script.

It runs under `serve_in_thread` like the emulators, so deliveries cross real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.testing import serve_in_thread


@dataclass(frozen=True)
class Received:
    """One request as it arrived: headers (lower-case names) and the raw body bytes."""

    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """POST `url` is recorded in `requests`; answers are popped from `script` (200 once empty)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[int] = []
        self.on_request: Callable[[Received], Awaitable[None]] | None = None
        """Awaited before answering, e.g. to read back from the emulator as a real receiver does."""
        self.url = ""
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/hooks", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        received = Received(dict(request.headers), await request.body())
        if self.on_request is not None:
            await self.on_request(received)
        with self._lock:
            self.requests.append(received)
            status = self.script.pop(0) if self.script else 200
        return Response(status_code=status)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A fresh receiver on its own port; `receiver.url` is where to deliver."""
    found = Receiver()
    with serve_in_thread(found.app) as base:
        found.url = f"{base}/hooks"
        yield found


class Tracker:
    """A stand-in tracker on 127.0.0.1 that answers from a script: by path, else by default.

    `answers` maps a path ending (e.g. "/serverInfo") to (Content-Type, body); every request is
    logged in `seen` as (method, path). Status 200 throughout: these are answers that succeed
    on the wire and are wrong in what they hold.
    """

    def __init__(self) -> None:
        self.answers: dict[str, tuple[str, bytes | str]] = {}
        self.default: tuple[str, bytes | str] = ("application/json", "{}")
        self.queue: list[tuple[str, bytes | str]] = []
        """Answers used once each, in order, before the others."""
        self.seen: list[tuple[str, str]] = []
        self.url = ""
        self.app = Starlette(
            routes=[Route("/{path:path}", self._answer, methods=["GET", "POST", "PUT", "DELETE"])]
        )

    async def _answer(self, request: Request) -> Response:
        self.seen.append((request.method, request.url.path))
        if self.queue:
            kind, body = self.queue.pop(0)
        else:
            found = [end for end in self.answers if request.url.path.endswith(end)]
            kind, body = self.answers[max(found, key=len)] if found else self.default
        return Response(body, status_code=200, media_type=kind)


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    """A fresh scripted tracker on its own port; `tracker.url` is its base URL."""
    found = Tracker()
    with serve_in_thread(found.app) as base:
        found.url = base
        yield found


@pytest.fixture
def silent_url() -> Iterator[str]:
    """`http://127.0.0.1:PORT` of a real listener that accepts every connection and never answers:
    a tracker behind a hung proxy, which only the deadline can give up on."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()
