"""The webhook receiver over real HTTP on 127.0.0.1: signatures, the durable inbox, the apply path."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.config import BridgeSettings
from bridge.serve import Receiver, create_app
from bridge.state import Store
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from connectors.todoist.emulator import Emulator
from connectors.todoist.emulator import create_app as todoist_app
from tests.conftest import EXAMPLE_NOTE, dates_since, local_today

TOKEN = "serve-test-token"
SECRET = "serve-test-secret"


@pytest.fixture
def tracker() -> Iterator[tuple[Emulator, str]]:
    app = todoist_app(TOKEN, client_secret=SECRET)
    with serve_in_thread(app) as url:
        yield app.state.emulator, url


@pytest.fixture
def synced(vault: Path, tracker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Emulator:
    """The example vault after a first sync with the Todoist emulator."""
    emulator, url = tracker
    for name, value in {
        "TODOIST_API_TOKEN": TOKEN,
        "TODOIST_BASE_URL": url,
        "TODOIST_CLIENT_SECRET": SECRET,
        "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
    }.items():
        monkeypatch.setenv(name, value)
    assert run_sync(BridgeSettings(vault=vault), connector_name="todoist").report.created == 6
    return emulator


@pytest.fixture
def receiver(vault: Path, synced: Emulator) -> Iterator[tuple[Receiver, httpx.Client]]:
    app = create_app(BridgeSettings(vault=vault), vault)
    receiver: Receiver = app.state.receiver
    receiver.start()
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield receiver, client
    receiver.stop()


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def post(client: httpx.Client, body: bytes, **headers: str) -> httpx.Response:
    sent = {"Content-Type": "application/json", "X-Todoist-Delivery-ID": f"d-{time.monotonic_ns()}"}
    return client.post("/webhooks/todoist", content=body, headers={**sent, **headers})


def task_of(emulator: Emulator, text: str) -> dict[str, Any]:
    return next(t for t in emulator.tasks.values() if text in t["content"])


def ticked(vault: Path) -> list[str]:
    lines = (vault / EXAMPLE_NOTE).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.startswith("- [x]")]


def wait_for(check: Any, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return bool(check())


def inbox(vault: Path) -> dict[str, int]:
    store = Store.open(BridgeSettings(vault=vault).state_url_for(vault))
    try:
        return store.inbox_counts()
    finally:
        store.close()


def test_a_signed_completion_reaches_the_note_within_two_seconds(vault, synced, receiver):
    _, client = receiver
    start = local_today()
    task = task_of(synced, "Initiate the official candidate process")
    synced.complete(task["id"])
    body = json.dumps(synced.events[-1]).encode()
    answer = post(client, body, **{"X-Todoist-Hmac-SHA256": sign(body)})
    assert answer.status_code == 200
    assert answer.json()["status"] == "accepted"
    assert wait_for(lambda: len(ticked(vault)) == 2)
    # in the line's own spelling
    stamps = tuple(f"✅ {day}".encode().decode("mac_roman") for day in dates_since(start))
    assert all(line.endswith(stamps) for line in ticked(vault))
    assert wait_for(lambda: inbox(vault) == {"done": 1})


def test_the_same_delivery_twice_is_stored_and_applied_once(vault, synced, receiver):
    _, client = receiver
    synced.complete(task_of(synced, "Define the interview loop")["id"])
    body = json.dumps(synced.events[-1]).encode()
    headers = {"X-Todoist-Hmac-SHA256": sign(body), "X-Todoist-Delivery-ID": "one-delivery"}
    first, second = post(client, body, **headers), post(client, body, **headers)
    assert (first.json()["status"], second.json()["status"]) == ("accepted", "duplicate")
    resent = post(client, body, **{**headers, "X-Todoist-Delivery-ID": "another-id"})
    assert resent.json()["status"] == "duplicate"  # the same event under a new id
    assert wait_for(lambda: len(ticked(vault)) == 1)
    assert wait_for(lambda: inbox(vault) == {"done": 1})


@pytest.mark.parametrize(
    "signature",
    [None, "", "not-base64", sign(b"other body"), sign(b"{}", secret="wrong-secret")],
    ids=["missing", "empty", "garbage", "other-body", "wrong-secret"],
)
def test_a_bad_signature_is_refused_and_nothing_stored(vault, synced, receiver, signature):
    _, client = receiver
    synced.complete(task_of(synced, "Define the interview loop")["id"])
    body = json.dumps(synced.events[-1]).encode()
    headers = {} if signature is None else {"X-Todoist-Hmac-SHA256": signature}
    assert post(client, body, **headers).status_code == 401
    time.sleep(0.2)
    assert inbox(vault) == {}
    assert ticked(vault) == []


def test_a_re_encoded_body_no_longer_matches_its_signature(vault, synced, receiver):
    _, client = receiver
    synced.complete(task_of(synced, "Define the interview loop")["id"])
    original = json.dumps(synced.events[-1]).encode()
    re_encoded = json.dumps(json.loads(original), indent=1, ensure_ascii=False).encode()
    assert post(client, re_encoded, **{"X-Todoist-Hmac-SHA256": sign(original)}).status_code == 401
    assert inbox(vault) == {}


def test_malformed_and_oversized_bodies(vault, synced, receiver):
    receiver_obj, client = receiver
    for body in (b"{not json", b"[1, 2]", b'{"event_name": 7}'):
        assert post(client, body, **{"X-Todoist-Hmac-SHA256": sign(body)}).status_code == 400
    big = b'{"event_name": "item:added", "pad": "' + b"x" * receiver_obj.max_body + b'"}'
    assert post(client, big, **{"X-Todoist-Hmac-SHA256": sign(big)}).status_code == 413
    assert client.post("/webhooks/nosuch", content=b"{}").status_code == 404
    assert client.get("/healthz").json()["status"] == "ok"
    assert inbox(vault) == {}


def test_an_unknown_task_is_acknowledged_and_changes_nothing(vault, synced, receiver, tmp_path):
    _, client = receiver
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.suffix == ".md"}
    event = json.loads(json.dumps(synced.events[0]))
    event["event_name"] = "item:completed"
    event["event_data"].update(id="999999", checked=True, completed_at="2026-01-01T00:00:00Z")
    # a payload cannot steer the receiver to a path: none is ever taken from it
    event["event_data"]["description"] = "From [x](obsidian://open?vault=..&file=..%2F..%2Fetc%2Fpasswd)"
    body = json.dumps(event).encode()
    assert post(client, body, **{"X-Todoist-Hmac-SHA256": sign(body)}).status_code == 200
    assert wait_for(lambda: inbox(vault) == {"done": 1})
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.suffix == ".md"}
    assert after == before


def test_an_out_of_order_delivery_is_set_aside_by_its_timestamp(vault, synced, receiver):
    _, client = receiver
    task = task_of(synced, "Define the interview loop")
    synced.complete(task["id"])
    completed = json.dumps(synced.events[-1]).encode()
    synced.reopen(task["id"])
    reopened = json.dumps(synced.events[-1]).encode()
    assert post(client, reopened, **{"X-Todoist-Hmac-SHA256": sign(reopened)}).status_code == 200
    assert wait_for(lambda: inbox(vault) == {"done": 1})
    assert ticked(vault) == []
    # the completion arrives late; a sync in between saw the reopen, so it is older than the base
    assert run_sync(BridgeSettings(vault=vault), connector_name="todoist").report.failed == 0
    assert post(client, completed, **{"X-Todoist-Hmac-SHA256": sign(completed)}).status_code == 200
    assert wait_for(lambda: inbox(vault) == {"done": 2})
    assert ticked(vault) == []


def test_deliveries_acknowledged_before_a_crash_are_applied_at_the_next_start(vault, synced):
    settings = BridgeSettings(vault=vault)
    crashed = Receiver(settings, vault)  # its worker never ran: as if killed right after the 200
    synced.complete(task_of(synced, "Initiate the official candidate process")["id"])
    body = json.dumps(synced.events[-1]).encode()
    assert crashed.receive("todoist", "before-crash", body).result(10)
    assert ticked(vault) == []
    app = create_app(settings, vault)
    restarted: Receiver = app.state.receiver
    restarted.start()
    try:
        assert wait_for(lambda: len(ticked(vault)) == 2)
    finally:
        restarted.stop()
    assert inbox(vault) == {"done": 1}


def test_a_payload_cannot_steer_a_write_outside_the_vault(vault, synced, receiver, tmp_path):
    _, client = receiver
    outside = tmp_path / "outside"
    outside.mkdir()
    decoy = outside / EXAMPLE_NOTE  # the same note, with the same task lines, beside the vault
    decoy.write_bytes((vault / EXAMPLE_NOTE).read_bytes())
    before = (decoy.read_bytes(), decoy.stat().st_mtime_ns)
    task = task_of(synced, "Initiate the official candidate process")
    synced.complete(task["id"])
    event = synced.events[-1]
    steer = f"../outside/{EXAMPLE_NOTE}"
    event["event_data"].update(
        content=f"[[{steer}]] {task['content']}", description=f"obsidian://open?file={steer}", path=steer
    )
    forged = {**event, "event_data": {**event["event_data"], "id": f"../../outside/{EXAMPLE_NOTE}"}}
    for payload in (forged, event):
        body = json.dumps(payload).encode()
        assert post(client, body, **{"X-Todoist-Hmac-SHA256": sign(body)}).status_code == 200
    assert wait_for(lambda: inbox(vault) == {"done": 2})
    assert len(ticked(vault)) == 2  # the linked task, found by its id in the state, in the vault
    assert (decoy.read_bytes(), decoy.stat().st_mtime_ns) == before
    assert sorted(p.name for p in outside.iterdir()) == [EXAMPLE_NOTE]


def test_stopping_finishes_the_delivery_in_hand(vault, synced, monkeypatch):
    """Shutdown (SIGTERM through uvicorn's lifespan) waits for the batch being applied."""
    import bridge.serve

    entered, release = threading.Event(), threading.Event()
    real = bridge.serve.apply_events

    def held(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(bridge.serve, "apply_events", held)
    receiver = Receiver(BridgeSettings(vault=vault), vault)
    receiver.start()
    synced.complete(task_of(synced, "Initiate the official candidate process")["id"])
    body = json.dumps(synced.events[-1]).encode()
    assert receiver.receive("todoist", "in-hand", body).result(10)
    assert entered.wait(5)  # claimed, being applied
    stopping = threading.Thread(target=receiver.stop)
    stopping.start()
    stopping.join(0.5)
    assert stopping.is_alive()  # stop waits for the delivery in hand
    assert inbox(vault) == {"claimed": 1}
    release.set()
    stopping.join(10)
    assert not stopping.is_alive()
    assert inbox(vault) == {"done": 1}
    assert len(ticked(vault)) == 2


def test_a_dropped_postgresql_connection_is_replaced(vault, synced, postgres_url, monkeypatch):
    """The database restarted (connections terminated): the next delivery is still stored and applied."""
    import psycopg

    monkeypatch.setenv("BRIDGE_STATE_URL", postgres_url)
    settings = BridgeSettings(vault=vault)
    assert run_sync(settings, connector_name="todoist").report.linked == 9  # links in PostgreSQL too
    app = create_app(settings, vault)
    receiver: Receiver = app.state.receiver
    receiver.start()
    try:
        with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            database = postgres_url.rsplit("/", 1)[1]
            with psycopg.connect(postgres_url, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (database,),
                )
            synced.complete(task_of(synced, "Initiate the official candidate process")["id"])
            body = json.dumps(synced.events[-1]).encode()
            answer = post(client, body, **{"X-Todoist-Hmac-SHA256": sign(body)})
            assert answer.status_code == 200, answer.text
            assert wait_for(lambda: len(ticked(vault)) == 2, timeout=10)
    finally:
        receiver.stop()
