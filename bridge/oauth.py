"""The tracker-neutral half of an OAuth sign-in from a terminal: a one-shot redirect listener, `.env`.

A command-line tool has no web server of its own, so `bridge auth` listens on 127.0.0.1 for the
one redirect the provider sends the browser back with, checks its `state` (so a redirect forged by
another page cannot plant someone else's code) and answers the browser with a short page saying
what happened. The token then goes into the `.env` file the settings read, touching no other byte.
"""

from __future__ import annotations

import hmac
import html
import re
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from bridge.atomic import replace_file
from bridge.errors import AuthError, ConfigError, ConnectorError

__all__ = ["CallbackServer", "store_env_value"]

_SAFE_VALUE = re.compile(r"[A-Za-z0-9._~+/=:-]+")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, path: str, state: str) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.callback_path = path
        self.state = state
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.outcome: tuple[str, str] | None = None  # ("code", code) or (problem, message)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # a browser's idle speculative connection must not hold a thread for ever

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != self.server.callback_path:
            self._page(404, "Not found", "This is not the sign-in callback.")
            return
        with self.server.lock:
            if self.server.outcome is not None:
                self._page(409, "Already answered", "This sign-in has already been answered.")
                return
            outcome = _judge(parse_qs(url.query), self.server.state)
            self.server.outcome = outcome
        ok = outcome[0] == "code"
        text = "Authorised: return to the terminal; you may close this tab." if ok else outcome[1]
        try:
            self._page(200 if ok else 400, "Authorised" if ok else "Not authorised", text)
        finally:  # a browser that hung up early must not leave `wait` waiting
            self.server.done.set()

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
    """Listens on 127.0.0.1:`port` (0: any free port) for one redirect to `path`; a context manager.

    `wait()` returns the code of the first redirect that arrives, or raises for the connector
    `name`: AuthError for a wrong or missing `state`, ConnectorError when access was denied, no
    code came, or nothing arrived in time. Other paths (a browser's favicon) are answered 404.
    """

    def __init__(self, name: str, state: str, *, port: int = 0, path: str = "/callback") -> None:
        self.name = name
        try:
            self._server = _Server(port, path, state)
        except OSError as exc:
            raise ConfigError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}): choose --port") from exc
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="oauth-callback", daemon=True
        )
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self._server.callback_path}"

    def wait(self, timeout: float) -> str:
        if not self._server.done.wait(timeout):
            raise ConnectorError(self.name, f"no redirect arrived within {timeout:g} s: nothing stored")
        assert self._server.outcome is not None  # noqa: S101 - set before `done`
        kind, value = self._server.outcome
        if kind == "code":
            return value
        error = AuthError if kind == "state" else ConnectorError
        raise error(self.name, value[0].lower() + value[1:].removesuffix("."))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> CallbackServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def store_env_value(path: Path, name: str, value: str) -> Path:
    """Set `name=value` in the dotenv file `path`: every assignment of `name` is rewritten in place,
    else one line is appended; all other bytes stay as they were. A new file gets mode 0600, an
    existing one keeps its mode; the file is replaced atomically. Returns the file written.
    """
    if not _SAFE_VALUE.fullmatch(value):
        raise ConfigError(f"refusing to write an unusual {name} value to {path}")
    target = path.resolve()  # a symlinked .env: write where it points
    try:
        old = target.read_bytes()
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        old, mode = b"", 0o600
    line = f"{name}={value}".encode()
    assignment = re.compile(
        rb"^([ \t]*(?:export[ \t]+)?)" + re.escape(name.encode()) + rb"[ \t]*=.*?(\r?)$", re.M
    )
    new, count = assignment.subn(lambda m: m.group(1) + line + m.group(2), old)
    if count == 0:
        newline = b"\r\n" if b"\r\n" in old else b"\n"
        new = old + (newline if old and not old.endswith(b"\n") else b"") + line + newline
    try:
        replace_file(target, new, mode=mode)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return target
