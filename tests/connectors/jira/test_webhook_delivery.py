"""The Jira emulator POSTs each event to a webhook URL as an admin webhook does (reference §6).

A change made through the `jira` library or by the person helpers reaches a receiver on 127.0.0.1
with `X-Atlassian-Webhook-Identifier`/`-Flow` and, with a secret, `X-Hub-Signature` recomputed
here from the raw body; 408/409/425/429/5xx are retried under the same identifier with
`X-Atlassian-Webhook-Retry: n`, other failures are not, and deliveries keep the order of the changes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from jira import JIRA
from starlette.applications import Starlette

from bridge.testing import serve_in_thread
from bridge.webhook_sender import WebhookSender
from connectors.jira.emulator import JiraEmulator, create_app
from tests.connectors.conftest import Received, Receiver
from tests.connectors.jira.conftest import EMAIL, PAT, SECRET, TOKEN

TASK = {"project": {"key": "BRIDGE"}, "issuetype": {"name": "Task"}}


def signature(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def identifier(request: Received) -> str:
    return request.headers["x-atlassian-webhook-identifier"]


def as_sent(event: dict[str, Any]) -> Any:
    return json.loads(json.dumps(event))


@pytest.fixture
def delivering(receiver: Receiver) -> Iterator[tuple[Starlette, str]]:
    """A Cloud-mode app with a secret delivering to `receiver` (back-off shortened), and its URL."""
    app = create_app(mode="cloud", email=EMAIL, token=TOKEN, secret=SECRET, webhook_url=receiver.url)
    app.state.webhooks.backoff = 0.01
    with serve_in_thread(app) as url:
        yield app, url
    app.state.webhooks.close()


@pytest.fixture
def sender(delivering: tuple[Starlette, str]) -> WebhookSender:
    found: WebhookSender = delivering[0].state.webhooks
    return found


@pytest.fixture
def site(delivering: tuple[Starlette, str]) -> JiraEmulator:
    found: JiraEmulator = delivering[0].state.emulator
    return found


@pytest.fixture
def jira(delivering: tuple[Starlette, str]) -> Iterator[JIRA]:
    client = JIRA(server=delivering[1], basic_auth=(EMAIL, TOKEN), max_retries=0, timeout=10)
    yield client
    client.close()


def test_a_library_transition_is_delivered_signed(jira, site, sender, receiver):
    issue = jira.create_issue(fields={**TASK, "summary": "Ship it"})
    jira.transition_issue(issue.key, "Done")
    assert sender.flush(5)
    created, transitioned = receiver.requests
    for request, event in zip(receiver.requests, site.events, strict=True):
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-atlassian-webhook-flow"] == "Primary"
        assert str(uuid.UUID(identifier(request))) == identifier(request)
        assert hmac.compare_digest(request.headers["x-hub-signature"], signature(request.body))
        assert "x-atlassian-webhook-retry" not in request.headers
        assert request.json() == as_sent(event)
    assert identifier(created) != identifier(transitioned)
    body = transitioned.json()
    assert (body["webhookEvent"], body["issue_event_type_name"]) == ("jira:issue_updated", "issue_generic")
    assert isinstance(body["timestamp"], int)
    assert body["user"]["accountId"] == site.me.account_id
    assert (body["issue"]["id"], body["issue"]["key"]) == (issue.id, issue.key)
    assert body["issue"]["fields"]["status"]["name"] == "Done"
    assert [(i["field"], i["toString"]) for i in body["changelog"]["items"]] == [
        ("status", "Done"), ("resolution", "Done"),
    ]  # fmt: skip
    assert created.json()["webhookEvent"] == "jira:issue_created"


def test_a_failing_receiver_gets_the_same_identifier_with_retry_counts(site, sender, receiver):
    receiver.script = [500, 500]
    key = site.create("Retry me")  # the person helpers deliver too
    assert sender.flush(5)
    first, second, third = receiver.requests
    assert identifier(first) == identifier(second) == identifier(third)
    assert first.body == second.body == third.body
    assert [r.headers.get("x-atlassian-webhook-retry") for r in receiver.requests] == [None, "1", "2"]
    assert third.headers["x-hub-signature"] == signature(third.body)
    assert third.json()["issue"]["key"] == key
    assert [(a.number, a.status) for a in sender.attempts] == [(1, 500), (2, 500), (3, 200)]


@pytest.mark.parametrize("status", [408, 409, 425, 429, 502])
def test_the_statuses_jira_retries(site, sender, receiver, status):
    receiver.script = [status]
    site.create("Again")
    assert sender.flush(5)
    assert [a.status for a in sender.attempts] == [status, 200]


def test_other_failures_are_not_retried(site, sender, receiver):
    receiver.script = [400]
    site.create("Refused")
    site.create("Accepted")
    assert sender.flush(5)
    assert [(a.number, a.status) for a in sender.attempts] == [(1, 400), (1, 200)]
    assert len({identifier(r) for r in receiver.requests}) == 2


def test_deliveries_keep_the_order_of_the_changes(jira, site, sender, receiver):
    receiver.script = [503]
    issue = jira.create_issue(fields={**TASK, "summary": "One"})
    issue.update(fields={"summary": "Two"})
    site.transition_to(issue.key, "In Progress")
    issue.delete()
    assert sender.flush(5)
    ids = list(dict.fromkeys(identifier(r) for r in receiver.requests))
    delivered = [next(r.json() for r in receiver.requests if identifier(r) == i) for i in ids]
    assert delivered == [as_sent(e) for e in site.events]
    assert [e["webhookEvent"] for e in delivered] == [
        "jira:issue_created", "jira:issue_updated", "jira:issue_updated", "jira:issue_deleted",
    ]  # fmt: skip


def test_without_a_secret_deliveries_are_unsigned(receiver):
    app = create_app(mode="server", pat=PAT, webhook_url=receiver.url)
    sender: WebhookSender = app.state.webhooks
    try:
        with serve_in_thread(app) as url:
            client = JIRA(server=url, token_auth=PAT, max_retries=0, timeout=10)
            key = client.create_issue(fields={**TASK, "summary": "Plain"}).key
            client.transition_issue(key, "In Progress")
            client.close()
            assert sender.flush(5)
    finally:
        sender.close()
    assert [r.json()["webhookEvent"] for r in receiver.requests] == [
        "jira:issue_created", "jira:issue_updated",
    ]  # fmt: skip
    assert all("x-hub-signature" not in r.headers for r in receiver.requests)
    assert all(r.headers["x-atlassian-webhook-flow"] == "Primary" for r in receiver.requests)


def test_a_swapped_in_site_keeps_delivering(delivering, site, sender, receiver):
    fresh = JiraEmulator(mode="cloud", email=EMAIL)
    delivering[0].state.emulator = fresh
    site.create("On the old site")  # no longer served: not delivered
    fresh.create("On the new site")
    assert sender.flush(5)
    [request] = receiver.requests
    assert request.json()["issue"]["fields"]["summary"] == "On the new site"
    assert request.headers["x-hub-signature"] == signature(request.body)  # the app's secret


def test_no_delivery_without_a_webhook_url(receiver):
    app = create_app(mode="cloud", email=EMAIL, token=TOKEN, secret=SECRET)
    assert app.state.webhooks is None
    site: JiraEmulator = app.state.emulator
    site.create("Quiet")
    assert site.on_event is None
    assert [e["webhookEvent"] for e in site.events] == ["jira:issue_created"]
    assert receiver.requests == []
