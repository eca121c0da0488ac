"""The Todoist emulator POSTs each event, signed, to a webhook URL (reference §8), as Todoist does.

A change made through the official SDK or by the person helpers reaches a receiver on 127.0.0.1
with the vendor's headers and a signature recomputed here from the raw body; a receiver that
fails gets the same delivery again, and deliveries keep the order of the changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from todoist_api_python.api import TodoistAPI

from bridge.testing import serve_in_thread
from bridge.transport import make_http_client
from bridge.webhook_sender import WebhookSender
from connectors.todoist.emulator import Emulator, create_app
from tests.connectors.conftest import Received, Receiver
from tests.connectors.todoist.conftest import CLIENT_SECRET, TOKEN

ENVELOPE = {"event_name", "user_id", "version", "triggered_at", "initiator", "event_data"}


def signature(body: bytes, secret: str = CLIENT_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def delivery_id(request: Received) -> str:
    return request.headers["x-todoist-delivery-id"]


@pytest.fixture
def delivering(receiver: Receiver) -> Iterator[tuple[Starlette, str]]:
    """An emulator app delivering to `receiver` (back-off shortened), and its base URL."""
    app = create_app(TOKEN, client_secret=CLIENT_SECRET, webhook_url=receiver.url)
    app.state.webhooks.backoff = 0.01
    with serve_in_thread(app) as url:
        yield app, url
    app.state.webhooks.close()


@pytest.fixture
def sender(delivering: tuple[Starlette, str]) -> WebhookSender:
    found: WebhookSender = delivering[0].state.webhooks
    return found


@pytest.fixture
def account(delivering: tuple[Starlette, str]) -> Emulator:
    found: Emulator = delivering[0].state.emulator
    return found


@pytest.fixture
def todoist(delivering: tuple[Starlette, str]) -> Iterator[TodoistAPI]:
    client = make_http_client(base_url=delivering[1], origin="https://api.todoist.com", sleep=lambda _: None)
    with TodoistAPI(TOKEN, client=client) as api:
        yield api


def test_an_sdk_change_is_delivered_signed(todoist, account, sender, receiver):
    task = todoist.add_task("Send the deck")
    assert todoist.complete_task(task.id) is True
    assert sender.flush(5)
    added, completed = receiver.requests
    for request, event in zip(receiver.requests, account.events, strict=True):
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"] == "Todoist-Webhooks"
        assert hmac.compare_digest(request.headers["x-todoist-hmac-sha256"], signature(request.body))
        assert str(uuid.UUID(delivery_id(request))) == delivery_id(request)
        assert request.json() == json.loads(json.dumps(event))  # the envelope the account recorded
        assert ENVELOPE <= set(request.json()) <= ENVELOPE | {"event_data_extra"}
    assert delivery_id(added) != delivery_id(completed)
    body = completed.json()
    assert (body["event_name"], body["user_id"], body["version"]) == ("item:completed", account.user_id, "1")
    assert body["initiator"] == {
        "id": account.user_id, "email": "alice@example.com", "full_name": "Alice", "image_id": None,
        "is_premium": True,
    }  # fmt: skip
    assert (body["event_data"]["id"], body["event_data"]["checked"]) == (task.id, True)
    assert body["event_data"]["url"] == f"https://app.todoist.com/app/task/{task.id}"
    assert [(a.number, a.status, a.error) for a in sender.attempts] == [(1, 200, None), (1, 200, None)]


def test_an_update_carries_the_old_item(todoist, sender, receiver):
    task = todoist.add_task("Draft")
    todoist.update_task(task.id, content="Final")
    assert sender.flush(5)
    body = receiver.requests[-1].json()
    assert body["event_name"] == "item:updated"
    assert body["event_data_extra"]["update_intent"] == "item_updated"
    assert (body["event_data_extra"]["old_item"]["content"], body["event_data"]["content"]) == (
        "Draft", "Final",
    )  # fmt: skip


def test_a_failing_receiver_gets_the_same_delivery_again(account, sender, receiver):
    receiver.script = [500, 500]
    account.add("Retry me")  # the person helpers deliver too
    assert sender.flush(5)
    first, second, third = receiver.requests
    assert delivery_id(first) == delivery_id(second) == delivery_id(third)
    assert first.body == second.body == third.body
    assert first.headers["x-todoist-hmac-sha256"] == third.headers["x-todoist-hmac-sha256"]
    assert [(a.delivery_id, a.number, a.status) for a in sender.attempts] == [
        (delivery_id(first), 1, 500), (delivery_id(first), 2, 500), (delivery_id(first), 3, 200),
    ]  # fmt: skip


def test_todoist_wants_exactly_200(account, sender, receiver):
    receiver.script = [204, 400, 202, 401]
    account.add("Never accepted")
    assert sender.flush(5)
    assert [a.status for a in sender.attempts] == [204, 400, 202, 401]  # the first try and 3 retries
    assert len({delivery_id(r) for r in receiver.requests}) == 1
    account.add("Next one still goes")
    assert sender.flush(5)
    assert receiver.requests[-1].json()["event_data"]["content"] == "Next one still goes"


def test_deliveries_keep_the_order_of_the_changes(todoist, account, sender, receiver):
    receiver.script = [503]
    task = todoist.add_task("One")
    todoist.update_task(task.id, content="Two")
    account.complete(task.id)
    todoist.delete_task(task.id)
    assert sender.flush(5)
    names = [r.json()["event_name"] for r in receiver.requests]
    assert names == ["item:added", "item:added", "item:updated", "item:completed", "item:deleted"]
    ids = list(dict.fromkeys(delivery_id(r) for r in receiver.requests))
    assert [json.loads(json.dumps(e)) for e in account.events] == [
        next(r.json() for r in receiver.requests if delivery_id(r) == i) for i in ids
    ]


def test_a_receiver_reading_back_does_not_deadlock(delivering, account, sender, receiver):
    base = delivering[1]
    seen: list[int] = []

    async def read_back(request: Received) -> None:  # what bridge serve does: reconcile via the API
        task_id = request.json()["event_data"]["id"]
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            answer = await client.get(f"{base}/api/v1/tasks/{task_id}")
        seen.append(answer.status_code)

    receiver.on_request = read_back
    with account.lock:  # a change made while the site's lock is held only enqueues
        task = account.add("Locked")
        account.complete(task["id"])
    assert sender.flush(5)
    assert seen == [404, 404]  # both read the account as it is now: completed, so not an active task


def test_a_swapped_in_account_keeps_delivering(delivering, account, sender, receiver):
    app = delivering[0]
    fresh = Emulator()
    app.state.emulator = fresh
    account.add("On the old account")  # no longer served: not delivered
    fresh.add("On the new account")
    assert sender.flush(5)
    [request] = receiver.requests
    assert request.json()["event_data"]["content"] == "On the new account"
    assert request.headers["x-todoist-hmac-sha256"] == signature(request.body)  # the app's secret


def test_unreachable_receiver_is_retried_then_given_up(account):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(TOKEN, client_secret=CLIENT_SECRET, webhook_url=f"http://127.0.0.1:{port}/hooks")
    sender: WebhookSender = app.state.webhooks
    sender.backoff = 0.01
    try:
        app.state.emulator.add("Nobody home")
        assert sender.flush(5)
        assert [a.number for a in sender.attempts] == [1, 2, 3, 4]
        assert all(a.status is None and a.error for a in sender.attempts)
        assert len({a.delivery_id for a in sender.attempts}) == 1
    finally:
        sender.close()


def test_no_delivery_without_a_webhook_url(receiver):
    app = create_app(TOKEN, client_secret=CLIENT_SECRET)
    assert app.state.webhooks is None
    em: Emulator = app.state.emulator
    em.add("Quiet")
    assert em.on_event is None
    assert [e["event_name"] for e in em.events] == ["item:added"]
    assert receiver.requests == []


def test_a_webhook_url_needs_a_client_secret_and_http(receiver):
    with pytest.raises(ValueError, match="client secret"):
        create_app(TOKEN, webhook_url=receiver.url)
    with pytest.raises(ValueError, match="http"):
        create_app(TOKEN, client_secret=CLIENT_SECRET, webhook_url="ftp://example.com/hooks")
