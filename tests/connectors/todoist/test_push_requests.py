"""A whole push sends the same requests as the client before it: its bodies (form-escaped JSON),
its URL (a parsed one now, text before) and its headers, byte for byte.

The push is run once against the emulator, each request and answer recorded; the client before
(the form escapes found byte by byte, the URL given as text) is then run on the same ops with the
recorded answers replayed, and must ask for exactly what was recorded."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import httpx
import pytest

from bridge.connector import Fields, Op, OpKind
from bridge.model import Priority, StatusType
from bridge.transport import SchemeTransport, make_http_client
from connectors.todoist import client
from connectors.todoist.client import API_ORIGIN
from connectors.todoist.connector import TodoistConnector
from connectors.todoist.settings import TodoistSettings
from tests.connectors.todoist.test_forms import _old_escaped

_ODD = ['"', "\\", "\n", "\x00", "\x1f", "\u2028", "😀", "é", "%", "%25", "+", " ", "&="]
_ODD += ["[x]", "{}", ":", ",", "~"]  # what a write's JSON and its form escape

Request = tuple[str, str, list[tuple[bytes, bytes]], bytes]


def _odd(rng: random.Random, words: str) -> str:
    return "".join(rng.choice(_ODD) + word for word in words.split())


def _ops(count: int) -> list[Op]:
    rng = random.Random(7)  # noqa: S311 (the same ops every run)
    priorities = [None, *Priority]
    return [
        Op(
            OpKind.CREATE,
            f"{n:016x}",
            f"00000000-0000-4000-8000-{n:012d}",
            Fields(
                _odd(rng, f"Share role {n} descriptions"),
                rng.choice([StatusType.TODO, StatusType.IN_PROGRESS, StatusType.PROPOSED]),
                due=f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}" if n % 3 else None,
                priority=rng.choice(priorities),
                labels=tuple(rng.sample(["task", "work", _odd(rng, "odd tag")], rng.randint(0, 3))),
                note_title=_odd(rng, f"Note {n // 10}"),
                path=f"notes/{_odd(rng, 'folder')}/Note {n // 10}.md",
                vault=_odd(rng, "My Vault"),
            ),
        )
        for n in range(count)
    ]


class _Recording(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[Request, httpx.Response]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        asked = (request.method, str(request.url), request.headers.raw, request.read())
        self.seen.append(
            (asked, httpx.Response(response.status_code, headers=response.headers, content=response.content))
        )
        return response

    def close(self) -> None:
        self.inner.close()


class _Replay(httpx.BaseTransport):
    def __init__(self, seen: list[tuple[Request, httpx.Response]]) -> None:
        self.left: Iterator[tuple[Request, httpx.Response]] = iter(seen)
        self.asked: list[Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.append((request.method, str(request.url), request.headers.raw, request.read()))
        _, answer = next(self.left)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def _push(url: str, token: str, ops: list[Op], transport: httpx.BaseTransport) -> tuple[object, ...]:
    settings = TodoistSettings(api_token=token, base_url=url, project="Bridge")
    http = make_http_client(base_url=url, origin=API_ORIGIN, transport=transport, safe=client.is_idempotent)
    connector = TodoistConnector(settings, http=http)
    try:
        cursor = connector.pull(None).cursor
        pushed = connector.push(ops)
    finally:
        connector.close()
    return cursor, pushed.results, pushed.cursor


def test_a_push_sends_the_requests_the_client_before_sent(
    emulator_url: str, todoist_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = _ops(1_500)
    recording = _Recording(SchemeTransport())
    new = _push(emulator_url, todoist_token, ops, recording)
    assert len(recording.seen) == 2 + 1_501 // 100  # the read, the writes
    assert all(result.ok for result in new[1])  # type: ignore[attr-defined]

    old: Callable[[str], bytes] = _old_escaped
    monkeypatch.setattr(client, "_escaped", old)
    monkeypatch.setattr(client, "_URLS", {})  # the URL given as text, as it was
    replay = _Replay(recording.seen)
    assert _push(emulator_url, todoist_token, ops, replay) == new
    assert replay.asked == [asked for asked, _ in recording.seen]
