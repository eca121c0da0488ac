"""TLS set up for the first https request only (`SchemeTransport`), with the same bytes on the wire.

Before, every client built httpx's default transport, whose TLS context loads the certificate
store, even when every request went to an http:// base URL (an emulator). These tests check that
what is sent and answered is unchanged, that an http run builds no verifying context from the
store, and that an https request gets httpx's default transport as before.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.transport import SchemeTransport, make_http_client

ORIGIN = "https://api.todoist.com"


@contextmanager
def recording_server() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback HTTP/1.1 server that keeps each request's raw bytes and answers with a digest of
    them; one request a connection (`Connection: close`), so every request is read whole."""
    seen: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")[1:]
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            while len(body) < length:
                body += conn.recv(65536)
            seen.append(head + b"\r\n\r\n" + body)
            reply = b'{"got": %d}' % len(seen[-1])
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Echo: %d\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), len(reply), reply)
            )

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            answer(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join(5)
        listener.close()


_TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
_VALUE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30).map(str.strip)
REQUESTS = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
        "path": st.lists(_TOKEN, max_size=4).map(lambda parts: "/" + "/".join(parts)),
        "params": st.dictionaries(_TOKEN, _VALUE, max_size=3),
        "headers": st.dictionaries(_TOKEN.map(lambda t: "x-" + t), _VALUE, max_size=3),
        "body": st.binary(max_size=300),
    }
)


def _exchange(client: httpx.Client, request: dict[str, Any], seen: list[bytes]) -> tuple[Any, ...]:
    content = request["body"] if request["method"] != "GET" else None
    response = client.request(
        request["method"],
        ORIGIN + request["path"],  # redirected to the server, as to an emulator
        params=request["params"],
        headers=request["headers"],
        content=content,
    )
    return response.status_code, response.headers.multi_items(), response.content, seen[-1]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[bytes]]]:
    with recording_server() as served:
        yield served


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=REQUESTS)
def test_the_wire_and_the_answer_are_those_of_httpx_default_transport(
    request: dict[str, Any], server: tuple[str, list[bytes]]
) -> None:
    url, seen = server
    with make_http_client(base_url=url, origin=ORIGIN, transport=httpx.HTTPTransport()) as before:
        old = _exchange(before, request, seen)
    with make_http_client(base_url=url, origin=ORIGIN) as after:
        new = _exchange(after, request, seen)
    assert new == old


def test_a_plain_http_run_loads_no_certificates(
    monkeypatch: pytest.MonkeyPatch, server: tuple[str, list[bytes]]
) -> None:
    url, seen = server
    made: list[object] = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: made.append(a) or real(*a, **k))
    before = len(seen)
    with make_http_client(base_url=url, origin=ORIGIN) as client:
        for _ in range(3):
            assert client.get(f"{ORIGIN}/api/v1/sync").status_code == 200
    assert len(seen) == before + 3
    assert made == []


class _Recorded(httpx.BaseTransport):
    """Stands for `httpx.HTTPTransport`: keeps how it was made, answers 204, counts closes."""

    made: ClassVar[list[_Recorded]] = []

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.requests: list[str] = []
        self.closed = 0
        _Recorded.made.append(self)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        return httpx.Response(204)

    def close(self) -> None:
        self.closed += 1


def test_https_gets_httpx_default_transport_and_plain_http_one_that_trusts_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _Recorded.made = []
    monkeypatch.setattr(httpx, "HTTPTransport", _Recorded)
    transport = SchemeTransport()
    with httpx.Client(transport=transport) as client:
        assert _Recorded.made == []  # nothing is made before a request needs it
        client.get("https://secure.test/a")
        client.get("http://plain.test/b")
        client.get("https://secure.test/c")
        client.get("http://plain.test/d")
    secure, plain = _Recorded.made
    assert secure.options == {}  # httpx's defaults: its TLS settings, as before
    assert secure.requests == ["https://secure.test/a", "https://secure.test/c"]
    assert plain.requests == ["http://plain.test/b", "http://plain.test/d"]
    context = plain.options["verify"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0  # it could verify no server, were it ever used
    assert (secure.closed, plain.closed) == (1, 1)


def test_a_scheme_first_asked_for_by_two_threads_gets_one_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    _Recorded.made = []
    monkeypatch.setattr(httpx, "HTTPTransport", _Recorded)
    transport = SchemeTransport()
    start = threading.Barrier(8)

    def send() -> None:
        start.wait()
        transport.handle_request(httpx.Request("GET", "https://secure.test/x"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(_Recorded.made) == 1
    assert len(_Recorded.made[0].requests) == 8
