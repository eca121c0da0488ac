"""Signed but malformed deliveries: wrong types, deep nesting, huge bodies answer 400/413, never 500.

Payloads are generated from the vendors' documented schemas (Todoist's `ItemSyncView` and webhook
envelope, Jira's issue event: the JSON types transcribed below from their API references), one
field given a value of a type the vendor does not document for it, signed as the tracker signs,
and sent over real HTTP to the receiver under uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.config import BridgeSettings
from bridge.serve import create_app
from bridge.testing import serve_in_thread

TODOIST_SECRET = "payload-test-client-secret"
JIRA_SECRET = "payload-test-jira-secret"

# Todoist: the webhook envelope (reference §8) and ItemSyncView (the API's OpenAPI document), as
# JSON types; "date-time" is a string. Paths are where the field sits in a delivery.
TODOIST_TYPES: dict[str, set[str]] = {
    "event_name": {"string"},
    "user_id": {"string"},
    "version": {"string"},
    "triggered_at": {"string"},
    "initiator": {"object"},
    "initiator.email": {"string"},
    "initiator.is_premium": {"boolean"},
    "event_data": {"object"},
    **{
        f"event_data.{name}": kinds
        for name, kinds in {
            "id": {"string"},
            "user_id": {"string"},
            "project_id": {"string"},
            "section_id": {"string", "null"},
            "parent_id": {"string", "null"},
            "added_by_uid": {"string", "null"},
            "assigned_by_uid": {"string", "null"},
            "responsible_uid": {"string", "null"},
            "labels": {"array"},
            "deadline": {"object", "null"},
            "duration": {"object", "null"},
            "is_collapsed": {"boolean"},
            "checked": {"boolean"},
            "is_deleted": {"boolean"},
            "added_at": {"string", "null"},
            "completed_at": {"string", "null"},
            "completed_by_uid": {"string", "null"},
            "updated_at": {"string", "null"},
            "due": {"object", "null"},
            "priority": {"integer"},
            "child_order": {"integer"},
            "order_key": {"string", "null"},
            "content": {"string"},
            "description": {"string"},
            "note_count": {"integer"},
            "day_order": {"integer"},
            "completed_count": {"integer"},
            "postponed_count": {"integer"},
        }.items()
    },
    "event_data.labels.0": {"string"},
    "event_data.due.date": {"string"},
    "event_data_extra.old_item.content": {"string"},
}
ITEM: dict[str, Any] = {
    "id": "6XGgmFVcrG5RRjVr", "user_id": "2671355", "project_id": "6XGgm6PHrGgMpCFX",
    "section_id": None, "parent_id": None, "added_by_uid": "2671355", "assigned_by_uid": None,
    "responsible_uid": None, "labels": ["priority"], "deadline": None, "duration": None,
    "is_collapsed": False, "checked": True, "is_deleted": False,
    "added_at": "2025-02-10T10:33:38.000000Z", "completed_at": "2025-02-10T10:39:38.000000Z",
    "completed_by_uid": "2671355", "updated_at": "2025-02-10T10:39:38.000000Z",
    "due": {"date": "2025-02-11", "timezone": None, "string": "tomorrow", "lang": "en", "is_recurring": False},  # noqa: E501
    "priority": 1, "child_order": 1, "order_key": None, "content": "Buy milk",
    "description": "Pick up organic milk", "note_count": 0, "day_order": -1, "completed_count": 1,
    "postponed_count": 0, "url": "https://app.todoist.com/app/task/6XGgmFVcrG5RRjVr",
}  # fmt: skip
TODOIST_EVENT: dict[str, Any] = {
    "event_name": "item:updated", "user_id": "2671355", "version": "1",
    "triggered_at": "2025-02-10T10:39:38.000000Z",
    "initiator": {"id": "2671355", "email": "a@example.com", "full_name": "Alice", "image_id": None,
                  "is_premium": True},
    "event_data": ITEM,
    "event_data_extra": {"old_item": {**ITEM, "content": "Buy mlk"}, "update_intent": "item_updated"},
}  # fmt: skip

# Jira: the issue event of the reference (§6) and the issue fields a search returns (§2).
JIRA_TYPES: dict[str, set[str]] = {
    "webhookEvent": {"string"},
    "timestamp": {"integer"},
    "issue_event_type_name": {"string"},
    "user": {"object"},
    "user.accountId": {"string"},
    "user.active": {"boolean"},
    "issue": {"object"},
    "issue.id": {"string"},
    "issue.key": {"string"},
    "issue.self": {"string"},
    "issue.fields": {"object"},
    "issue.fields.summary": {"string"},
    "issue.fields.labels": {"array"},
    "issue.fields.labels.0": {"string"},
    "issue.fields.updated": {"string"},
    "issue.fields.status": {"object"},
    "issue.fields.status.statusCategory": {"object"},
    "issue.fields.status.statusCategory.id": {"integer"},
    "issue.fields.status.statusCategory.key": {"string"},
    "changelog": {"object"},
    "changelog.items": {"array"},
    "changelog.items.0.field": {"string"},
    "changelog.items.0.from": {"string", "null"},
    "changelog.items.0.toString": {"string", "null"},
}
JIRA_EVENT: dict[str, Any] = {
    "timestamp": 1761469200000, "webhookEvent": "jira:issue_updated", "issue_event_type_name": "issue_generic",  # noqa: E501
    "user": {"self": "https://x.atlassian.net/rest/api/2/user?accountId=557058:abc", "accountId": "557058:abc",  # noqa: E501
             "displayName": "Lior Genzel", "active": True, "accountType": "atlassian"},
    "issue": {"id": "10001", "key": "PROJ-1", "self": "https://x.atlassian.net/rest/api/2/issue/10001",
              "fields": {"summary": "Ship it", "labels": ["task-bridge", "bridge-3fa2c1d4e5f60718"],
                         "updated": "2025-10-20T09:00:00.000+0000",
                         "status": {"name": "Done", "id": "10001", "statusCategory": {
                             "self": "https://x.atlassian.net/rest/api/2/statuscategory/3", "id": 3,
                             "key": "done", "colorName": "green", "name": "Done"}}}},
    "changelog": {"id": "20001", "items": [
        {"field": "status", "fieldtype": "jira", "from": "10000", "fromString": "To Do", "to": "10001",
         "toString": "Done"}]},
}  # fmt: skip

JSON_KINDS: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "integer": st.integers(min_value=-(2**53), max_value=2**53),
    "number": st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()),
    "string": st.text(max_size=20),
    "array": st.lists(st.one_of(st.integers(), st.text(max_size=5), st.booleans()), max_size=3),
    "object": st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
}


def wrong_value(allowed: set[str]) -> st.SearchStrategy[Any]:
    """A JSON value of a type the schema does not allow (an integer is a number, as in JSON Schema)."""
    kinds = [k for k in JSON_KINDS if k not in allowed and not (k == "integer" and "number" in allowed)]
    return st.sampled_from(kinds).flatmap(lambda kind: JSON_KINDS[kind])


def cases(types: dict[str, set[str]]) -> st.SearchStrategy[tuple[str, Any]]:
    """A documented field, and a value of a type not documented for it."""
    return st.sampled_from(sorted(types)).flatmap(lambda p: st.tuples(st.just(p), wrong_value(types[p])))


def replaced(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def todoist_post(client: httpx.Client, body: bytes) -> httpx.Response:
    signature = base64.b64encode(hmac.new(TODOIST_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    headers = {"Content-Type": "application/json", "X-Todoist-Hmac-SHA256": signature}
    return client.post("/webhooks/todoist", content=body, headers=headers)


def jira_post(client: httpx.Client, body: bytes) -> httpx.Response:
    signature = "sha256=" + hmac.new(JIRA_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Hub-Signature": signature}
    return client.post("/webhooks/jira", content=body, headers=headers)


@pytest.fixture
def client(vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    """The receiver over real HTTP; its worker is not started (only the answers are under test)."""
    monkeypatch.setenv("TODOIST_CLIENT_SECRET", TODOIST_SECRET)
    monkeypatch.setenv("JIRA_WEBHOOK_SECRET", JIRA_SECRET)
    monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    app = create_app(BridgeSettings(vault=vault), vault)
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http


def test_the_vendor_samples_are_accepted(client):
    assert todoist_post(client, json.dumps(TODOIST_EVENT).encode()).status_code == 200
    assert jira_post(client, json.dumps(JIRA_EVENT).encode()).status_code == 200


def test_a_field_of_a_type_todoist_does_not_document_is_400_naming_it(client):
    @settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.sampled_from(sorted(TODOIST_TYPES)).flatmap(
            lambda p: st.tuples(st.just(p), wrong_value(TODOIST_TYPES[p]))
        )
    )
    def check(case: tuple[str, Any]) -> None:
        path, value = case
        answer = todoist_post(client, json.dumps(replaced(TODOIST_EVENT, path, value)).encode())
        assert answer.status_code == 400, (path, value, answer.text)
        assert path.split(".")[-1] in answer.json()["error"] or "event_data" in answer.json()["error"]

    check()


def test_a_field_of_a_type_jira_does_not_document_is_400_naming_it(client):
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.sampled_from(sorted(JIRA_TYPES)).flatmap(
            lambda p: st.tuples(st.just(p), wrong_value(JIRA_TYPES[p]))
        )
    )
    def check(case: tuple[str, Any]) -> None:
        path, value = case
        answer = jira_post(client, json.dumps(replaced(JIRA_EVENT, path, value)).encode())
        assert answer.status_code == 400, (path, value, answer.text)
        assert path.split(".")[-1] in answer.json()["error"] or "issue" in answer.json()["error"]

    check()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def test_any_json_in_any_field_is_answered_200_or_400_never_500(client):
    paths = sorted(TODOIST_TYPES)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(paths), JSON, st.sampled_from(["todoist", "jira"]))
    def check(path: str, value: Any, connector: str) -> None:
        if connector == "todoist":
            answer = todoist_post(client, json.dumps(replaced(TODOIST_EVENT, path, value)).encode())
        else:
            jira_path = sorted(JIRA_TYPES)[len(path) % len(JIRA_TYPES)]
            answer = jira_post(client, json.dumps(replaced(JIRA_EVENT, jira_path, value)).encode())
        assert answer.status_code in (200, 400), answer.text

    check()


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
@pytest.mark.parametrize("where", ["top", "description", "labels"])
def test_json_nested_deep_is_400(client, depth, where):
    deep = "[" * depth + "]" * depth
    if where == "top":
        text = deep
    else:
        text = json.dumps(replaced(TODOIST_EVENT, f"event_data.{where}", "HOLE")).replace('"HOLE"', deep)
    for post in (todoist_post, jira_post):
        answer = post(client, text.encode())
        assert answer.status_code == 400, answer.text
        assert "nested deeper than 64 levels" in answer.json()["error"]


def test_a_body_over_the_limit_is_413_declared_or_streamed(client):
    big = json.dumps(replaced(TODOIST_EVENT, "event_data.description", "x" * (1 << 20))).encode()
    assert todoist_post(client, big).status_code == 413
    streamed = client.post(
        "/webhooks/todoist",
        content=iter([big[i : i + 65536] for i in range(0, len(big), 65536)]),  # chunked: no length
        headers={"Content-Type": "application/json", "X-Todoist-Hmac-SHA256": "x"},
    )
    assert streamed.status_code == 413
    assert client.get("/healthz").status_code == 200
