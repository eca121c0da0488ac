"""Recurring tasks over real HTTP: the emulator as the SDK, Sync and webhooks see it, and the
connector's recurrence (create with a rule, ADVANCE, pull).

What the reference documents is what is checked: closing a recurring task moves it to its next
occurrence and leaves it open with `completed_count` one up (not in the completed listing);
`item_complete` ends it; `item_update_date_complete` sets the given date and counts (or uncounts)
a completion; the webhook for an occurrence is `item:updated` with `update_intent` item_completed.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from todoist_api_python.api import TodoistAPI

from bridge.connector import Fields, Op, OpKind, RemoteStatus
from bridge.model import StatusType
from bridge.testing import serve_in_thread
from bridge.transport import make_http_client
from connectors.todoist import TodoistConnector
from connectors.todoist.emulator import Emulator, create_app
from connectors.todoist.settings import TodoistSettings
from connectors.todoist.webhook import TodoistWebhooks
from tests.connectors.conftest import Receiver
from tests.connectors.todoist.conftest import CLIENT_SECRET, TOKEN

NOON = datetime(2026, 12, 9, 12, tzinfo=UTC)  # a Wednesday


def command(kind: str, **args: Any) -> dict[str, Any]:
    return {"type": kind, "uuid": str(uuid.uuid4()), "args": args}


def run(api: httpx.Client, *commands: dict[str, Any]) -> None:
    statuses = api.post("/sync", json={"commands": list(commands)}).json()["sync_status"]
    assert all(statuses[c["uuid"]] == "ok" for c in commands), statuses


@pytest.fixture
def today(emulator: Emulator) -> date:
    emulator.clock = lambda: NOON
    return NOON.date()


# -- the emulator through the SDK and Sync -------------------------------------------------------


def test_sdk_close_advances_a_recurring_task_and_keeps_it_active(sdk, api, emulator, today):
    task = sdk.add_task("Water plants", due_string="every 3 days")
    assert (task.due.is_recurring, task.due.string, task.due.date) == (True, "every 3 days", today)
    assert sdk.complete_task(task.id) is True
    again = sdk.get_task(task.id)  # active tasks only: it still is one
    assert (again.is_completed, again.due.date) == (False, today + timedelta(days=3))
    raw = api.get(f"/tasks/{task.id}").json()
    assert (raw["checked"], raw["completed_at"], raw["completed_count"]) == (False, None, 1)
    assert sdk.complete_task(task.id) is True  # not idempotent: each close is an occurrence
    assert api.get(f"/tasks/{task.id}").json()["completed_count"] == 2
    assert [t.id for page in sdk.get_tasks() for t in page] == [task.id]
    pages = sdk.get_completed_tasks_by_completion_date(since=NOON - timedelta(days=1), until=NOON)
    assert [t for page in pages for t in page] == []  # an occurrence is not a completed task


def test_sdk_uncomplete_of_an_open_recurring_task_changes_nothing(sdk, api, emulator, today):
    task = sdk.add_task("Stretch", due_string="every day")
    sdk.complete_task(task.id)
    before, events = api.get(f"/tasks/{task.id}").json(), len(emulator.events)
    assert sdk.uncomplete_task(task.id) is True  # "uncomplete and restore a completed task"
    assert api.get(f"/tasks/{task.id}").json() == before
    assert len(emulator.events) == events


def test_sync_item_close_advances_and_item_complete_ends_it(api, emulator, today):
    task = emulator.add("Report", due="every friday")
    assert task["due"]["date"] == "2026-12-11"
    run(api, command("item_close", id=task["id"]))
    advanced = emulator.get_task(task["id"])
    assert (advanced["due"]["date"], advanced["checked"], advanced["completed_count"]) == (
        "2026-12-18",
        False,
        1,
    )
    run(api, command("item_complete", id=task["id"]))
    ended = emulator.get_task(task["id"])
    assert (ended["checked"], ended["completed_count"]) == (True, 2)
    assert ended["completed_at"] is not None
    assert ended["due"]["date"] == "2026-12-18"  # completed for good where it stood
    assert api.get(f"/tasks/{task['id']}").status_code == 404  # out of the active reads


def test_every_bang_recurs_from_the_day_it_is_closed(api, emulator, today):
    plain = emulator.add("Plain", due="every 3 days starting 2026-12-01")
    bang = emulator.add("Bang", due="every! 3 days starting 2026-12-01")
    run(api, command("item_close", id=plain["id"]), command("item_close", id=bang["id"]))
    assert emulator.get_task(plain["id"])["due"]["date"] == "2026-12-04"  # from the due date
    assert emulator.get_task(bang["id"])["due"]["date"] == "2026-12-12"  # from today


def test_item_update_date_complete_sets_the_date_and_counts(api, emulator, today):
    task = emulator.add("Review", due="every week")
    sub = emulator.add("Notes", parent_id=task["id"])
    emulator.complete(sub["id"])
    due = {"date": "2027-01-05", "string": "every week"}
    run(api, command("item_update_date_complete", id=task["id"], due=due, is_forward=1, reset_subtasks=1))
    done = emulator.get_task(task["id"])
    assert (done["due"]["date"], done["due"]["string"], done["due"]["is_recurring"]) == (
        "2027-01-05", "every week", True,
    )  # fmt: skip
    assert (done["checked"], done["completed_count"]) == (False, 1)
    assert emulator.get_task(sub["id"])["checked"] is False  # reset_subtasks
    assert emulator.events[-2]["event_data_extra"]["update_intent"] == "item_completed"
    back = {"date": "2026-12-09", "string": "every week"}
    run(api, command("item_update_date_complete", id=task["id"], due=back, is_forward=0))
    undone = emulator.get_task(task["id"])
    assert (undone["due"]["date"], undone["completed_count"]) == ("2026-12-09", 0)
    assert emulator.events[-1]["event_data_extra"]["update_intent"] == "item_uncompleted"
    refused = command("item_update_date_complete", id=task["id"], is_forward=2)
    status = api.post("/sync", json={"commands": [refused]}).json()["sync_status"][refused["uuid"]]
    assert status["error_extra"]["argument"] == "is_forward"


def test_every_task_carries_completed_count(api, emulator):
    task = api.post("/tasks", json={"content": "x"}).json()
    assert task["completed_count"] == 0
    items = api.post("/sync", json={"sync_token": "*", "resource_types": ["items"]}).json()["items"]
    assert [i["completed_count"] for i in items] == [0]


def test_a_recurring_string_the_emulator_cannot_read_is_a_400(api, emulator):
    answer = api.post("/tasks", json={"content": "x", "due_string": "every blue moon"})
    assert answer.status_code == 400
    assert answer.json()["error_extra"]["argument"] == "due_string"


# -- webhooks -------------------------------------------------------------------------------------


@pytest.fixture
def delivering(receiver: Receiver) -> Iterator[tuple[Starlette, str]]:
    app = create_app(TOKEN, client_secret=CLIENT_SECRET, webhook_url=receiver.url)
    app.state.webhooks.backoff = 0.01
    with serve_in_thread(app) as url:
        yield app, url
    app.state.webhooks.close()


def test_a_recurring_completion_is_delivered_as_an_update_completing_it(delivering, receiver):
    app, url = delivering
    client = make_http_client(base_url=url, origin="https://api.todoist.com", sleep=lambda _: None)
    with TodoistAPI(TOKEN, client=client) as todoist:
        task = todoist.add_task("Water plants", due_string="every day starting 2026-12-09")
        todoist.complete_task(task.id)
    assert app.state.webhooks.flush(5)
    names = [r.json()["event_name"] for r in receiver.requests]
    assert names == ["item:added", "item:updated"]  # the reference documents no item:completed here
    body = receiver.requests[-1].json()
    assert body["event_data_extra"]["update_intent"] == "item_completed"
    assert body["event_data_extra"]["old_item"]["due"]["date"] == "2026-12-09"
    item = body["event_data"]
    assert (item["due"]["date"], item["checked"], item["completed_count"]) == ("2026-12-10", False, 1)
    (seen,) = TodoistWebhooks(CLIENT_SECRET).changes(receiver.requests[-1].body)
    assert (seen.status, seen.due, seen.completions) == (RemoteStatus.OPEN, "2026-12-10", 1)


def test_an_item_completed_for_an_open_recurring_task_is_read_as_open():
    """Should Todoist send `item:completed` for an occurrence (undocumented), the task it carries
    is unchecked and recurring: it is open on its next date, not done."""
    due = {"date": "2026-12-10", "string": "every day", "lang": "en", "is_recurring": True, "timezone": None}
    item = {"id": "6X7rM8997g3RQmvh", "checked": False, "completed_at": "2026-12-09T12:00:00.000000Z",
            "due": due, "completed_count": 4}  # fmt: skip
    body = json.dumps({"event_name": "item:completed", "version": "1", "event_data": item}).encode()
    (seen,) = TodoistWebhooks(CLIENT_SECRET).changes(body)
    assert (seen.status, seen.due, seen.completions) == (RemoteStatus.OPEN, "2026-12-10", 4)
    done = {**item, "checked": True}
    body = json.dumps({"event_name": "item:completed", "version": "1", "event_data": done}).encode()
    assert TodoistWebhooks(CLIENT_SECRET).changes(body)[0].status is RemoteStatus.DONE


# -- the connector ---------------------------------------------------------------------------------


@pytest.fixture
def connector(emulator_url: str, todoist_token: str) -> Iterator[TodoistConnector]:
    settings = TodoistSettings(api_token=todoist_token, base_url=emulator_url, project="Bridge")
    made = TodoistConnector(settings)
    yield made
    made.close()


def fields(title: str, **kw: Any) -> Fields:
    return Fields(title, StatusType.TODO, note_title="n", path="n.md", vault="v", **kw)


def op(kind: OpKind, n: int, f: Fields, remote_id: str | None = None, **kw: Any) -> Op:
    return Op(kind, f"{n:016x}", f"00000000-0000-4000-8000-{n:012d}", f, remote_id, **kw)


def test_the_connector_says_todoist_recurs():
    assert TodoistConnector.recurs is True


def test_create_with_a_rule_sends_the_todoist_string_starting_on_the_due_date(connector, emulator):
    connector.pull(None)
    made = connector.push(
        [op(OpKind.CREATE, 1, fields("Report", due="2026-12-11", recurrence="every week on Friday"))]
    )
    (result,) = made.results
    due = emulator.tasks[result.remote_id]["due"]
    assert (due["is_recurring"], due["string"], due["date"]) == (
        True,
        "every fri starting 2026-12-11",
        "2026-12-11",
    )


def test_an_untranslatable_rule_is_sent_as_the_plain_date_with_one_notice(connector, emulator, caplog):
    connector.pull(None)
    rule = "every 3 weeks on Monday"
    ops = [op(OpKind.CREATE, n, fields(f"T{n}", due="2026-12-14", recurrence=rule)) for n in (1, 2)]
    with caplog.at_level(logging.WARNING, logger="connectors.todoist.connector"):
        results = connector.push(ops).results
    assert all(r.ok for r in results)
    for r in results:
        due = emulator.tasks[r.remote_id]["due"]
        assert (due["is_recurring"], due["date"]) == (False, "2026-12-14")
    notices = [r.getMessage() for r in caplog.records if rule in r.getMessage()]
    assert len(notices) == 1


def test_changing_the_rule_in_the_note_changes_the_due_string(connector, emulator):
    connector.pull(None)
    before = fields("Report", due="2026-12-11", recurrence="every week on Friday")
    (made,) = connector.push([op(OpKind.CREATE, 1, before)]).results
    after = fields("Report", due="2026-12-11", recurrence="every month on the 15th")
    update = op(OpKind.UPDATE, 2, after, made.remote_id, changed=("recurrence",), before=before)
    assert connector.push([update]).results[0].ok
    due = emulator.tasks[made.remote_id]["due"]
    assert (due["string"], due["date"], due["is_recurring"]) == (
        "every 15th starting 2026-12-11",
        "2026-12-15",
        True,
    )
    plain = fields("Report", due="2026-12-11")
    stop = op(OpKind.UPDATE, 3, plain, made.remote_id, changed=("recurrence",), before=after)
    assert connector.push([stop]).results[0].ok
    assert emulator.tasks[made.remote_id]["due"]["is_recurring"] is False


def test_advance_moves_to_the_notes_next_date_counts_a_completion_and_pull_sees_it(connector, emulator):
    connector.pull(None)
    rule = "every week on Friday"
    (made,) = connector.push(
        [op(OpKind.CREATE, 1, fields("Report", due="2026-12-11", recurrence=rule))]
    ).results
    cursor = connector.pull(None).cursor
    advance = op(OpKind.ADVANCE, 2, fields("Report", due="2026-12-18", recurrence=rule), made.remote_id)
    (result,) = connector.push([advance]).results
    assert result.ok
    task = emulator.tasks[made.remote_id]
    assert (task["due"]["date"], task["due"]["string"], task["due"]["is_recurring"]) == (
        "2026-12-18",
        "every fri",
        True,
    )
    assert (task["checked"], task["completed_count"]) == (False, 1)
    (seen,) = connector.pull(cursor).changes
    assert (seen.remote_id, seen.status, seen.due, seen.completions) == (
        made.remote_id,
        RemoteStatus.OPEN,
        "2026-12-18",
        1,
    )
    again = connector.push([advance]).results  # the same op again (a rerun): done once
    assert again[0].ok
    assert emulator.tasks[made.remote_id]["completed_count"] == 1


def test_advance_without_a_date_lets_todoist_close_the_occurrence(connector, emulator):
    connector.pull(None)
    rule = "every week on Friday"
    (made,) = connector.push(
        [op(OpKind.CREATE, 1, fields("Report", due="2026-12-11", recurrence=rule))]
    ).results
    (result,) = connector.push(
        [op(OpKind.ADVANCE, 2, fields("Report", recurrence=rule), made.remote_id)]
    ).results
    assert result.ok
    task = emulator.tasks[made.remote_id]
    assert (task["due"]["date"], task["checked"], task["completed_count"]) == ("2026-12-18", False, 1)


def test_pull_reports_the_due_date_and_completions_of_every_task(connector, emulator):
    connector.pull(None)
    plain = fields("Plain", due="2026-12-24")
    results = connector.push([op(OpKind.CREATE, 1, plain), op(OpKind.CREATE, 2, fields("Undated"))]).results
    changes = {c.remote_id: c for c in connector.pull(None).changes}
    assert (changes[results[0].remote_id].due, changes[results[0].remote_id].completions) == ("2026-12-24", 0)
    assert (changes[results[1].remote_id].due, changes[results[1].remote_id].completions) == (None, 0)
