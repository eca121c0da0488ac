"""The tracker-neutral half of OAuth from a terminal: a one-shot redirect listener, the stored grant.

A command-line tool has no web server of its own, so `bridge auth` listens on the loopback
interface for the one redirect the provider sends the browser back with, checks its `state` (so a
redirect forged by another page cannot plant someone else's code) and answers the browser with a
short page saying what happened. The redirect URI it names is `http://localhost:PORT/callback`,
the loopback form providers document for development (Todoist among them); as `localhost` may
resolve to ::1 or 127.0.0.1, it listens on both when both exist.

The grant a token answer gives (an access token that expires, the refresh token that renews it)
is kept by `GrantFile`; `RenewableToken` carries a way to renew it to the code that sends it.
"""

from __future__ import annotations

import contextlib
import hmac
import html
import json
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from bridge.atomic import replace_file
from bridge.errors import AuthError, ConfigError, ConnectorError
from bridge.lock import take_flock

__all__ = ["CallbackServer", "Grant", "GrantFile", "Renewer"]


class _Sign:
    """What the listeners share: the expected `state` and the first redirect's outcome."""

    def __init__(self, path: str, state: str) -> None:
        self.callback_path = path
        self.state = state
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.outcome: tuple[str, str] | None = None  # ("code", code) or (problem, message)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, sign: _Sign) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)
        self.sign = sign


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # a browser's idle speculative connection must not hold a thread for ever

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        sign = self.server.sign
        if url.path != sign.callback_path:
            self._page(404, "Not found", "This is not the sign-in callback.")
            return
        with sign.lock:
            if sign.outcome is not None:
                self._page(409, "Already answered", "This sign-in has already been answered.")
                return
            outcome = _judge(parse_qs(url.query), sign.state)
            sign.outcome = outcome
        ok = outcome[0] == "code"
        text = "Authorised: return to the terminal; you may close this tab." if ok else outcome[1]
        try:
            self._page(200 if ok else 400, "Authorised" if ok else "Not authorised", text)
        finally:  # a browser that hung up early must not leave `wait` waiting
            sign.done.set()

    def _page(self, status: int, title: str, text: str) -> None:
        body = (
            f"<!doctype html><meta charset=utf-8><title>bridge: {html.escape(title)}</title>"
            f"<p>{html.escape(text)}</p>\n"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the query carries the authorisation code."""


def _judge(query: dict[str, list[str]], expected: str) -> tuple[str, str]:
    """("code", code) for a genuine redirect; otherwise the problem and a sentence for the person."""
    state = query.get("state", [""])[0]
    if not hmac.compare_digest(state.encode(), expected.encode()):
        return (
            "state",
            "The sign-in's state does not match this run (a forged or stale link): nothing stored.",
        )
    error = query.get("error", [""])[0]
    if error:
        return "denied", f"Access was not granted ({error}): nothing stored."
    code = query.get("code", [""])[0]
    if not code:
        return "no-code", "The redirect carried no authorisation code: nothing stored."
    return "code", code


class CallbackServer:
    """Listens on the loopback interface, port `port` (0: any free one), for one redirect to `path`;
    a context manager. 127.0.0.1 must be free; ::1 is served too when the machine has IPv6.

    `wait()` returns the code of the first redirect that arrives, or raises for the connector
    `name`: AuthError for a wrong or missing `state`, ConnectorError when access was denied, no
    code came, or nothing arrived in time. Other paths (a browser's favicon) are answered 404.
    """

    def __init__(self, name: str, state: str, *, port: int = 0, path: str = "/callback") -> None:
        self.name = name
        self._sign = _Sign(path, state)
        try:
            self._servers = [_Server("127.0.0.1", port, self._sign)]
        except OSError as exc:
            raise ConfigError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}): choose --port") from exc
        # the same port on ::1, so that `localhost` works whichever address it resolves to; without
        # IPv6 on this machine, browsers reach 127.0.0.1
        with contextlib.suppress(OSError):
            self._servers.append(_Server("::1", self.port, self._sign))
        self._threads = [
            threading.Thread(target=s.serve_forever, args=(0.1,), name="oauth-callback", daemon=True)
            for s in self._servers
        ]
        for thread in self._threads:
            thread.start()

    @property
    def port(self) -> int:
        return int(self._servers[0].server_address[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://localhost:{self.port}{self._sign.callback_path}"

    def wait(self, timeout: float) -> str:
        if not self._sign.done.wait(timeout):
            raise ConnectorError(self.name, f"no redirect arrived within {timeout:g} s: nothing stored")
        assert self._sign.outcome is not None  # noqa: S101 - set before `done`
        kind, value = self._sign.outcome
        if kind == "code":
            return value
        error = AuthError if kind == "state" else ConnectorError
        raise error(self.name, value[0].lower() + value[1:].removesuffix("."))

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> CallbackServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# -- the grant ------------------------------------------------------------------------------------


_TOKEN: dict[str, type] = {"access_token": str, "refresh_token": str, "scope": str}


@dataclass(frozen=True)
class Grant:
    """A token answer (RFC 6749 §5.1) as stored: its `expires_in` made a moment (`expires_at`, seconds
    since the epoch) so that a later run knows how long the access token has left."""

    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None  # None: the answer gave no lifetime
    lifetime: float | None = None  # the `expires_in` given, to keep refreshing in proportion
    scope: str = ""

    @classmethod
    def from_answer(cls, answer: Any, now: float) -> Grant:
        """The grant a token answer gives; ValueError naming what is missing or of the wrong kind."""
        problem = _problem(answer, {**_TOKEN, "expires_in": float})
        if problem is not None:
            raise ValueError(problem)
        life = None if answer.get("expires_in") is None else float(answer["expires_in"])
        expires_at = None if life is None else now + life
        refresh, scope = answer.get("refresh_token") or None, answer.get("scope") or ""
        return cls(answer["access_token"], refresh, expires_at, life, scope)

    @classmethod
    def from_stored(cls, data: Any) -> Grant:
        """The grant `GrantFile` wrote; ValueError naming what is missing or of the wrong kind."""
        kinds = {**_TOKEN, "expires_at": float, "lifetime": float}
        problem = _problem(data, kinds)
        if problem is not None:
            raise ValueError(problem)
        return cls(**{key: data[key] for key in kinds if data.get(key) is not None})

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def due(self, now: float, margin: float) -> bool:
        """Time to refresh: within `margin` seconds of the expiry, or half the lifetime when that is
        shorter, so that a short-lived token is not refreshed before every request."""
        if self.expires_at is None:
            return False
        if self.lifetime is not None:
            margin = min(margin, self.lifetime / 2)
        return now >= self.expires_at - margin


def _problem(data: Any, kinds: dict[str, type]) -> str | None:
    """What is wrong with a grant's JSON object: `access_token` is required, the rest optional."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if not data.get("access_token"):
        return "no access_token"
    for key, kind in kinds.items():
        value = data.get(key)
        number = kind is float and isinstance(value, int | float) and not isinstance(value, bool)
        if value is not None and not number and not isinstance(value, kind):
            return f"{key} is not a {'number' if kind is float else 'string'}"
    return None


class Renewer(Protocol):
    """What a client asks for the token to send."""

    def current(self) -> str:
        """A token with time left: refreshed first when its expiry is near."""
        ...

    def renew(self, refused: str) -> str:
        """Another token, as `refused` was answered 401; AuthError when there is none to be had."""
        ...

    def flush(self) -> None:
        """Keep what must outlive the run (a renewed grant not stored yet)."""
        ...


class GrantFile:
    """A grant in a JSON file of its own, readable by the user only (0600, in a 0700 folder).

    Every save replaces the file atomically (`bridge.atomic`: temporary file, fsync, rename, fsync
    of the folder), so the file holds the grant before a refresh or the one after it, never a mix
    or a torn file. `locked()` is an advisory lock beside it: processes of the same user (a cron
    sync and `bridge serve`) refresh one at a time and each re-reads the file first.
    """

    def __init__(self, path: Path) -> None:
        self.path = path.expanduser()

    def load(self) -> Grant | None:
        """The stored grant; None when there is no file; ConfigError when it cannot be used."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot be read ({exc.strerror or exc})") from exc
        try:
            return Grant.from_stored(json.loads(raw))
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError among them
            raise ConfigError(f"{self.path}: not a stored OAuth grant ({exc})") from exc

    def save(self, grant: Grant) -> None:
        """Store `grant` durably before anything uses it; ConfigError when it cannot be written."""
        target = self.path.resolve()
        data = json.dumps(asdict(grant), indent=2).encode() + b"\n"
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            replace_file(target, data, mode=0o600)
        except OSError as exc:
            raise ConfigError(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    @contextlib.contextmanager
    def locked(self, wait: float = 60.0) -> Iterator[None]:
        """Hold the lock file `<name>.lock` for the block, waiting up to `wait` seconds for it."""
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            lock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(f"cannot open the lock file {lock}: {exc.strerror or exc}") from exc
        try:
            if not take_flock(fd, wait):
                raise ConfigError(f"{lock} stayed locked for {wait:g} s: try again")
            yield
        finally:
            os.close(fd)
