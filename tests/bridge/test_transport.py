"""Retries below the SDKs: 429 always, 5xx only where repeating cannot apply a write twice."""

from __future__ import annotations

import httpx
import pytest

from bridge.transport import (
    BaseURLTransport,
    Patience,
    RetryTransport,
    make_http_client,
    no_answer,
    retry_after_seconds,
)


def scripted(*responses: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return httpx.MockTransport(handler), seen


def test_429_is_retried_after_the_servers_retry_after():
    transport, seen = scripted(
        httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json={})
    )
    waits: list[float] = []
    with httpx.Client(transport=RetryTransport(transport, sleep=waits.append)) as client:
        assert client.post("https://x.test/a", content=b"body").status_code == 200
    assert waits == [3.0]
    assert [r.content for r in seen] == [b"body", b"body"]


def test_5xx_on_an_unsafe_write_is_not_retried():
    transport, seen = scripted(httpx.Response(500), httpx.Response(200))
    with httpx.Client(transport=RetryTransport(transport, sleep=lambda s: None)) as client:
        assert client.post("https://x.test/tasks").status_code == 500
    assert len(seen) == 1


def test_5xx_on_a_read_backs_off_exponentially_then_gives_up():
    transport, seen = scripted(*[httpx.Response(503)] * 5)
    waits: list[float] = []
    with httpx.Client(
        transport=RetryTransport(transport, sleep=waits.append, patience=Patience(backoff=0.5))
    ) as client:
        assert client.get("https://x.test/a").status_code == 503
    assert waits == [0.5, 1.0, 2.0, 4.0]
    assert len(seen) == 5


@pytest.mark.parametrize(
    ("header", "seconds"), [("7", 7.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None)]
)
def test_retry_after_accepts_seconds_and_http_dates(header, seconds):
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": header})) == seconds


def test_vendor_origin_is_sent_to_the_base_url_and_every_request_counted():
    transport, seen = scripted(httpx.Response(200), httpx.Response(200))
    counted: list[str] = []
    client = make_http_client(
        base_url="http://127.0.0.1:9999/prefix",
        origin="https://api.todoist.com",
        transport=transport,
        on_request=lambda r: counted.append(str(r.url)),
    )
    with client:
        client.get("https://api.todoist.com/api/v1/tasks?limit=5")
        client.get("https://elsewhere.test/x")
    assert str(seen[0].url) == "http://127.0.0.1:9999/prefix/api/v1/tasks?limit=5"
    assert seen[0].headers["Host"] == "127.0.0.1:9999"
    assert str(seen[1].url) == "https://elsewhere.test/x"
    assert len(counted) == 2


def test_base_url_equal_to_origin_is_left_alone():
    transport, seen = scripted(httpx.Response(200))
    with make_http_client(
        base_url="https://api.todoist.com", origin="https://api.todoist.com", transport=transport
    ) as c:
        c.get("https://api.todoist.com/api/v1/tasks")
    assert str(seen[0].url) == "https://api.todoist.com/api/v1/tasks"
    assert not isinstance(transport, BaseURLTransport)


def test_a_host_that_never_answers_is_given_up_on_by_the_deadline():
    """Each attempt waits its connect timeout, cut to what the deadline leaves; no retry starts past it."""
    now = [0.0]
    tries: list[float] = []

    def blackhole(request: httpx.Request) -> httpx.Response:
        connect = request.extensions["timeout"]["connect"]
        tries.append(connect)
        now[0] += connect
        raise httpx.ConnectTimeout("timed out", request=request)

    def sleep(seconds: float) -> None:
        now[0] += seconds

    retry = RetryTransport(httpx.MockTransport(blackhole), sleep=sleep, clock=lambda: now[0])
    timeout = httpx.Timeout(60, connect=10)
    with httpx.Client(transport=retry, timeout=timeout) as client, pytest.raises(httpx.ConnectTimeout):
        client.get("https://x.test/a")
    assert now[0] <= Patience().deadline
    assert tries == [10.0, 4.5]


def test_a_request_that_cannot_be_sent_is_not_retried():
    sent: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        raise httpx.LocalProtocolError("Illegal header value b'Bearer secret '")

    retry = RetryTransport(httpx.MockTransport(refuse), sleep=lambda _: None)
    with httpx.Client(transport=retry) as client, pytest.raises(httpx.LocalProtocolError) as caught:
        client.get("https://x.test/a")
    assert len(sent) == 1
    assert "secret" not in no_answer(caught.value)


def test_no_answer_names_the_host_and_the_reason():
    request = httpx.Request("GET", "http://127.0.0.1:9/a")
    assert no_answer(httpx.ConnectError("[Errno 111] Connection refused", request=request)) == (
        "no answer from 127.0.0.1:9: [Errno 111] Connection refused"
    )
    assert no_answer(httpx.ReadTimeout("x", request=request)) == "no answer from 127.0.0.1:9: timed out"


def test_every_timeout_is_cut_to_what_the_deadline_leaves():
    patience = Patience(deadline=15.0)
    given = {"connect": 10.0, "read": 60.0, "write": None, "pool": 1.0}
    assert patience.timeouts(given, elapsed=12.0) == {"connect": 3.0, "read": 3.0, "write": 3.0, "pool": 1.0}
