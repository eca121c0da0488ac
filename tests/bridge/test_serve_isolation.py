"""One delivery that cannot be applied never holds up the others: retried, set aside, replayed.

Over real HTTP on 127.0.0.1: deliveries signed as Todoist signs them, the receiver under uvicorn,
`bridge inbox` and `bridge status` run as a user runs them (a child process on the same state).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import bridge.serve
from bridge.config import BridgeSettings
from bridge.migrations import MIGRATIONS
from bridge.serve import Receiver, create_app
from bridge.state import SET_ASIDE, Store
from bridge.testing import serve_in_thread
from connectors.todoist.emulator import Emulator
from tests.bridge import test_serve
from tests.bridge.test_serve import post, sign, wait_for
from tests.cli import run_bridge

tracker, synced = test_serve.tracker, test_serve.synced  # the fixtures: a vault synced with the emulator

BUG = "'int' object has no attribute 'replace'"  # what a numeric updated_at made the worker raise


def rows(vault: Path) -> dict[str, tuple[str, str | None, int, str | None]]:
    """Each delivery id's (state, outcome, attempts, reason), straight from the inbox table."""
    store = Store.open(BridgeSettings(vault=vault).state_url_for(vault))
    try:
        found = store.db.execute("SELECT delivery_id, state, outcome, attempts, error FROM inbox").rows
    finally:
        store.close()
    return {str(r[0]): (str(r[1]), r[2], int(r[3]), r[4]) for r in found}


def completions(emulator: Emulator, count: int) -> list[bytes]:
    """Signed-ready bodies of `count` completions of distinct linked tasks, as Todoist sends them."""
    bodies = []
    for task in list(emulator.tasks.values())[:count]:
        emulator.complete(task["id"])
        bodies.append(json.dumps(emulator.events[-1]).encode())
    return bodies


def inbox_listing(vault: Path) -> list[dict[str, Any]]:
    result = run_bridge("inbox", "--json", "--vault", str(vault))
    assert result.returncode == 0, result.stderr
    listed: list[dict[str, Any]] = json.loads(result.stdout)
    return listed


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_INBOX_BACKOFF", "0.05")
    monkeypatch.setenv("BRIDGE_INBOX_ATTEMPTS", "3")


def test_a_poison_delivery_is_set_aside_listed_and_replayed_after_a_fix(
    vault, synced, quick_retries, monkeypatch
):
    real = bridge.serve.apply_events
    fixed = False

    def buggy(*args: Any, **kwargs: Any) -> Any:  # a bug that one delivery's content runs into
        if not fixed and any(e.delivery_id == "poison" for e in args[3]):
            raise AttributeError(BUG)
        return real(*args, **kwargs)

    monkeypatch.setattr(bridge.serve, "apply_events", buggy)
    app = create_app(BridgeSettings(vault=vault), vault)
    receiver: Receiver = app.state.receiver
    poison, *good = completions(synced, 6)
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        # all six stored before the worker starts, so they are claimed as one batch, poison first
        for n, body in enumerate([poison, *good]):
            delivery = "poison" if n == 0 else f"good-{n}"
            headers = {"X-Todoist-Hmac-SHA256": sign(body), "X-Todoist-Delivery-ID": delivery}
            assert post(client, body, **headers).status_code == 200
        assert {state for state, *_ in rows(vault).values()} == {"new"}
        started = time.monotonic()
        receiver.start()
        try:
            names = [f"good-{n}" for n in range(1, 6)]
            assert wait_for(lambda: all(rows(vault)[d][:2] == ("done", "applied") for d in names), 2.0)
            applied_after = time.monotonic() - started
            assert applied_after < 2.0
            assert wait_for(lambda: rows(vault)["poison"][0] == SET_ASIDE, 10.0)
            assert rows(vault)["poison"][2:] == (3, f"AttributeError: {BUG}")  # BRIDGE_INBOX_ATTEMPTS

            [listed] = inbox_listing(vault)
            assert listed["delivery_id"] == "poison"
            assert (listed["connector"], listed["state"], listed["attempts"]) == ("todoist", SET_ASIDE, 3)
            assert listed["reason"] == f"AttributeError: {BUG}"
            assert listed["received_at"]
            status = run_bridge("status", "--json", "--vault", str(vault))
            assert json.loads(status.stdout)["inbox"] == {"done": 5, SET_ASIDE: 1}
            table = run_bridge("inbox", "--vault", str(vault)).stdout
            assert "AttributeError" in table
            assert "set aside" in table
            piped = run_bridge("status", "--vault", str(vault))  # rows on stdout, the rest on stderr
            assert "1 set aside" in piped.stderr
            assert "bridge inbox" in piped.stderr

            time.sleep(0.3)  # set aside means no more attempts
            assert rows(vault)["poison"][:3] == (SET_ASIDE, None, 3)

            fixed = True  # the fix (a new release); the delivery is put back by hand
            retried = run_bridge("inbox", "retry", str(listed["id"]), "--vault", str(vault))
            assert retried.returncode == 0, retried.stderr
            assert wait_for(lambda: rows(vault)["poison"][:2] == ("done", "applied"), 5.0)
            assert inbox_listing(vault) == []
            again = run_bridge("inbox", "retry", str(listed["id"]), "--vault", str(vault))
            assert again.returncode == 2
            assert f"no delivery set aside with inbox id {listed['id']}" in again.stderr
        finally:
            receiver.stop()
    print(
        f"5 good deliveries behind the poison applied {applied_after * 1000:.0f} ms after the worker started"
    )


def test_a_delivery_an_older_release_stored_and_this_one_cannot_read_is_set_aside(
    vault, synced, quick_retries
):
    """The issue's poison: a signed completion whose updated_at is a number. Refused at the edge
    now (400, naming the field); one an older receiver stored is set aside, not retried forever."""
    settings = BridgeSettings(vault=vault)
    poison, *good = completions(synced, 6)
    event = json.loads(poison)
    event["event_data"]["updated_at"] = 1767225600
    poison = json.dumps(event).encode()
    older = Receiver(settings, vault)  # stores without reading, as a receiver before validation did
    assert older.receive("todoist", "stored-before-upgrade", poison).result(10)
    app = create_app(settings, vault)
    receiver: Receiver = app.state.receiver
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        refused = post(client, poison, **{"X-Todoist-Hmac-SHA256": sign(poison)})
        assert refused.status_code == 400
        assert "event_data.updated_at: Input should be a valid string (got number)" in refused.json()["error"]
        receiver.start()
        try:
            for n, body in enumerate(good):
                headers = {"X-Todoist-Hmac-SHA256": sign(body), "X-Todoist-Delivery-ID": f"good-{n}"}
                assert post(client, body, **headers).status_code == 200
            names = [f"good-{n}" for n in range(5)]
            assert wait_for(lambda: all(rows(vault)[d][:2] == ("done", "applied") for d in names), 2.0)
            state, _, attempts, reason = rows(vault)["stored-before-upgrade"]
            assert (state, attempts) == (SET_ASIDE, 1)  # the same bytes read the same way: not retried
            assert reason == "event_data.updated_at: Input should be a valid string (got number)"
            [listed] = inbox_listing(vault)
            assert listed["delivery_id"] == "stored-before-upgrade"
            retried = run_bridge("inbox", "retry", str(listed["id"]), "--vault", str(vault))
            assert retried.returncode == 0, retried.stderr
            assert wait_for(
                lambda: rows(vault)["stored-before-upgrade"][2] == 1 and inbox_listing(vault), 5.0
            )
            assert rows(vault)["stored-before-upgrade"][0] == SET_ASIDE  # replayed, and still unreadable
        finally:
            receiver.stop()


def test_a_failed_delivery_waits_out_its_back_off_then_is_set_aside(state_url):
    store = Store.open(state_url)
    worker = f"{os.uname().nodename}:{os.getpid()}:t"
    store.receive("todoist", "bad", b'{"n": 0}')
    store.receive("todoist", "good", b'{"n": 1}')
    bad, good = store.claim(worker)
    assert store.defer(bad.id, "boom", max_attempts=2, backoff=0.3) is False
    store.settle([(good.id, "applied")])
    assert store.waiting() is False  # its back-off is not over
    assert store.claim(worker) == []
    time.sleep(0.35)
    assert store.waiting() is True
    [again] = store.claim(worker)
    assert again.attempts == 1
    assert store.defer(again.id, "boom twice", max_attempts=2, backoff=0.3) is True
    time.sleep(0.35)
    assert store.claim(worker) == []
    assert store.waiting() is False
    listed = [(i.delivery_id, i.state, i.attempts, i.error) for i in store.inbox_items()]
    assert listed == [("bad", SET_ASIDE, 2, "boom twice")]
    store.prune_inbox(dt.timedelta(0))
    assert store.inbox_counts() == {SET_ASIDE: 1}  # kept until someone looks at it
    assert store.retry(bad.id) is True
    assert store.retry(bad.id) is False
    assert store.retry(good.id) is False  # only a set-aside delivery is put back
    [back] = store.claim(worker)
    assert (back.delivery_id, back.attempts) == ("bad", 0)
    store.close()


def test_an_inbox_of_the_previous_schema_gains_attempts_and_keeps_its_deliveries(tmp_path):
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:  # what the release before this one wrote: migrations 1 to 3
        db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
        for step in MIGRATIONS[:3]:
            for statement in step.statements:
                db.execute(statement.replace("{serial}", "INTEGER PRIMARY KEY"))
            db.execute("INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01')", (step.version, step.name))
        db.execute(
            "INSERT INTO inbox (connector, delivery_id, digest, body, received_at, state)"
            " VALUES ('todoist', 'd1', 'x', '{}', '2026-01-01T00:00:00+00:00', 'new')"
        )
    store = Store.open(f"sqlite:///{path}")
    [event] = store.claim("host:1:a")
    assert (event.delivery_id, event.attempts) == ("d1", 0)
    store.close()
