"""Serve an ASGI app on a loopback port in a background thread, for tests that need real HTTP.

The official SDKs and the connectors talk HTTP through httpx; an in-process mock would skip the
bytes on the wire (headers, encodings, status lines) and could not be reached by a child process
(e.g. the `bridge` CLI started by a test). So the emulators run under uvicorn on 127.0.0.1, on a
port the OS picks, in a daemon thread that the context manager starts, waits for and stops.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from starlette.types import ASGIApp

__all__ = ["rate_limited", "serve_in_thread"]


@contextmanager
def serve_in_thread(app: ASGIApp, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Run `app` under uvicorn on a free 127.0.0.1 port; yield its base URL "http://127.0.0.1:<port>".

    Signal handlers are left alone (uvicorn installs none outside the main thread), lifespan is
    off, and the server is shut down — connections closed, thread joined — when the block exits.
    """
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", log_level="warning", access_log=False, ws="none",
        loop="asyncio", timeout_graceful_shutdown=5,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        # Port 0 lets the OS pick. Binding a socket ourselves and passing it in was tried: its
        # connections lacked TCP_NODELAY and every answer waited ~40 ms for a delayed ACK.
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def rate_limited(hits: deque[float], limit: int | None, window: float) -> int | None:
    """A sliding-window rate limit for emulators: records this request in `hits`, or returns the
    whole seconds to wait (the `Retry-After` value) when `limit` requests already fell in `window`.

    Callers hold their own lock; `hits` holds monotonic times and is trimmed here.
    """
    if limit is None:
        return None
    now = time.monotonic()
    while hits and now - hits[0] >= window:
        hits.popleft()
    if len(hits) >= limit:
        return max(1, math.ceil(window - (now - hits[0])))
    hits.append(now)
    return None
