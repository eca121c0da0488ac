"""Fidelity of the Todoist emulator, over real HTTP on 127.0.0.1.

The unmodified official SDK must work against it, and paths, field names and types, status codes
and error bodies must match the reference notes (shared/reference/todoist-api.md) and, where the
document is present, the schemas of the trimmed OpenAPI document.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from bridge.testing import serve_in_thread
from bridge.transport import retry_after_seconds
from connectors.todoist.emulator import Emulator, create_app

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
CURSOR = re.compile(r"^[0-9a-zA-Z_-]+\.[0-9a-zA-Z_-]+$")
ERROR_KEYS = {"error", "error_code", "error_tag", "http_code", "error_extra"}
TASK_KEYS = {  # ItemSyncView, all required (reference §2)
    "user_id", "id", "project_id", "section_id", "parent_id", "added_by_uid", "assigned_by_uid",
    "responsible_uid", "labels", "deadline", "duration", "is_collapsed", "checked", "is_deleted",
    "added_at", "completed_at", "completed_by_uid", "updated_at", "due", "priority", "child_order",
    "order_key", "content", "description", "note_count", "day_order", "completed_count", "postponed_count",
}  # fmt: skip


def error_of(response: httpx.Response, status: int, tag: str | None = None, code: int | None = None) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert isinstance(body["error"], str)
    assert body["error"]
    assert isinstance(body["error_code"], int)
    assert body["http_code"] == status
    assert isinstance(body["error_extra"], dict)
    if tag is not None:
        assert (body["error_tag"], body["error_code"]) == (tag, code)
    return body


def invalid_argument(response: httpx.Response, argument: str) -> None:
    body = error_of(response, 400, "INVALID_ARGUMENT_VALUE", 20)
    assert body["error_extra"]["argument"] == argument


def sync(api: httpx.Client, *, form: bool = False, **fields: Any) -> httpx.Response:
    if form:  # the documented encoding: form fields holding JSON
        data = {key: value if key == "sync_token" else json.dumps(value) for key, value in fields.items()}
        return api.post("/sync", data=data)
    return api.post("/sync", json=fields)


def command(kind: str, temp_id: str | None = None, **args: Any) -> dict[str, Any]:
    cmd: dict[str, Any] = {"type": kind, "uuid": str(uuid.uuid4()), "args": args}
    if temp_id is not None:
        cmd["temp_id"] = temp_id
    return cmd


def everything(pages: Any) -> list[Any]:
    return [item for page in pages for item in page]


# -- the official SDK, unmodified ---------------------------------------------------------------


def test_the_unmodified_sdk_works_against_the_emulator(sdk, emulator):
    project = sdk.add_project("Work")
    label = sdk.add_label("Food")
    task = sdk.add_task(
        "Buy milk",
        project_id=project.id,
        labels=["Food"],
        priority=4,
        due_date=date(2025, 1, 2),
        description="2%",
    )
    assert (task.project_id, task.labels, task.priority, task.description) == (project.id, ["Food"], 4, "2%")
    assert task.due is not None
    assert task.due.date == date(2025, 1, 2)
    assert sdk.get_task(task.id) == task

    updated = sdk.update_task(task.id, content="Buy oat milk", labels=["Shop"])
    assert (updated.content, updated.labels, updated.due) == ("Buy oat milk", ["Shop"], task.due)
    assert updated.updated_at > task.updated_at

    assert sdk.complete_task(task.id) is True
    with pytest.raises(httpx.HTTPStatusError) as gone:  # GET /tasks/{id} answers active tasks only
        sdk.get_task(task.id)
    assert gone.value.response.status_code == 404
    assert task.id not in [t.id for t in everything(sdk.get_tasks())]
    now = datetime.now(UTC)
    done = everything(sdk.get_completed_tasks_by_completion_date(since=now - timedelta(days=1), until=now))
    assert [t.id for t in done] == [task.id]

    assert sdk.uncomplete_task(task.id) is True
    assert not sdk.get_task(task.id).is_completed
    assert sdk.delete_task(task.id) is True
    with pytest.raises(httpx.HTTPStatusError) as raised:
        sdk.get_task(task.id)
    assert raised.value.response.status_code == 404

    projects = everything(sdk.get_projects())
    assert [(p.name, p.is_inbox_project) for p in projects] == [("Inbox", True), ("Work", None)]
    assert projects[0].id == emulator.inbox_id
    assert everything(sdk.get_labels()) == [label]
    bob = emulator.add_collaborator(project.id, full_name="Bob", email="bob@example.com")
    people = everything(sdk.get_collaborators(project.id))
    assert {(c.id, c.name) for c in people} == {(emulator.user_id, "Alice"), (bob, "Bob")}


def test_sdk_pagination_follows_cursors_until_null(sdk, emulator):
    for n in range(5):
        emulator.add(f"task {n}")
    emulator.request_log.clear()
    pages = list(sdk.get_tasks(limit=2))
    assert [[t.content for t in page] for page in pages] == [
        ["task 0", "task 1"],
        ["task 2", "task 3"],
        ["task 4"],
    ]
    assert emulator.request_log == [("GET", "/api/v1/tasks")] * 3


def test_sdk_reads_get_through_injected_server_errors(sdk, emulator):
    emulator.add("survivor")
    emulator.fail_next(500, count=2, path_prefix="/tasks")
    assert [t.content for t in everything(sdk.get_tasks())] == ["survivor"]
    assert emulator.request_log.count(("GET", "/api/v1/tasks")) == 3


# -- REST: auth, errors, pagination -------------------------------------------------------------


def test_requests_without_the_exact_bearer_token_get_401(emulator_url, emulator, todoist_token):
    with httpx.Client(base_url=emulator_url) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": todoist_token}):
            error_of(client.get("/api/v1/tasks", headers=headers), 401)
    assert emulator.request_log == [("GET", "/api/v1/tasks")] * 3


def test_unknown_ids_get_404_not_found(api):
    for method, path in [
        ("GET", "/tasks/6Xnope"),
        ("POST", "/tasks/6Xnope"),
        ("POST", "/tasks/6Xnope/close"),
        ("POST", "/tasks/6Xnope/reopen"),
        ("DELETE", "/tasks/6Xnope"),
        ("GET", "/projects/6Xnope"),
        ("GET", "/projects/6Xnope/collaborators"),
    ]:
        error_of(api.request(method, path), 404, "NOT_FOUND", 478)
    error_of(api.get("/no/such/path"), 404, "NOT_FOUND", 478)
    error_of(api.get("/sync"), 405)


def test_limit_and_cursor_are_validated_and_pages_end_with_null(api, emulator):
    invalid_argument(api.get("/tasks", params={"limit": 201}), "limit")
    invalid_argument(api.get("/tasks", params={"limit": 0}), "limit")
    invalid_argument(api.get("/projects", params={"limit": "many"}), "limit")
    invalid_argument(api.get("/tasks", params={"cursor": "not a cursor"}), "cursor")
    invalid_argument(api.get("/labels", params={"cursor": "well.formed"}), "cursor")
    for n in range(3):
        emulator.add(f"task {n}")
    assert api.get("/tasks", params={"limit": 200}).json()["next_cursor"] is None
    first = api.get("/tasks", params={"limit": 2}).json()
    assert len(first["results"]) == 2
    assert CURSOR.match(first["next_cursor"])
    moved = {"limit": 2, "cursor": first["next_cursor"], "project_id": emulator.inbox_id}
    invalid_argument(api.get("/tasks", params=moved), "cursor")  # cursors are bound to the parameters
    last = api.get("/tasks", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [t["content"] for t in last["results"]] == ["task 2"]
    assert "next_cursor" in last
    assert last["next_cursor"] is None


# -- REST: tasks ----------------------------------------------------------------------------------


def test_task_lifecycle_status_codes_and_fields(api, emulator):
    response = api.post("/tasks", json={"content": "Buy milk"})
    assert response.status_code == 200
    task = response.json()
    assert set(task) == TASK_KEYS
    assert len(task["id"]) == 16
    assert not task["id"].isdigit()
    assert task["project_id"] == emulator.inbox_id
    assert task["user_id"] == task["added_by_uid"] == emulator.user_id
    defaults = (task["priority"], task["labels"], task["due"], task["checked"], task["is_deleted"])
    assert defaults == (1, [], None, False, False)
    assert STAMP.match(task["added_at"])
    assert STAMP.match(task["updated_at"])
    assert task["completed_at"] is None
    path = f"/tasks/{task['id']}"

    changed = api.post(path, json={"description": "2%", "priority": 3}).json()
    assert (changed["content"], changed["description"], changed["priority"]) == ("Buy milk", "2%", 3)
    assert changed["updated_at"] > task["updated_at"]

    closed = api.post(f"{path}/close")
    assert (closed.status_code, closed.content) == (204, b"")
    error_of(api.get(path), 404, "NOT_FOUND", 478)  # active tasks only
    done = emulator.get_task(task["id"])
    assert done["checked"]
    assert STAMP.match(done["completed_at"])
    assert done["completed_by_uid"] == emulator.user_id
    assert api.get("/tasks").json()["results"] == []

    reopened = api.post(f"{path}/reopen")
    assert (reopened.status_code, reopened.content) == (204, b"")
    assert (api.get(path).json()["checked"], api.get(path).json()["completed_at"]) == (False, None)

    deleted = api.delete(path)
    assert (deleted.status_code, deleted.content) == (204, b"")
    error_of(api.get(path), 404, "NOT_FOUND", 478)
    error_of(api.delete(path), 404, "NOT_FOUND", 478)
    assert api.get("/tasks").json() == {"results": [], "next_cursor": None}


def test_task_arguments_are_checked_and_applied(api, emulator):
    invalid_argument(api.post("/tasks", json={}), "content")
    invalid_argument(api.post("/tasks", json={"content": " "}), "content")
    invalid_argument(api.post("/tasks", json={"content": "x", "priority": 5}), "priority")
    invalid_argument(
        api.post("/tasks", json={"content": "x", "due_string": "today", "due_date": "2025-01-02"}), "due_date"
    )
    invalid_argument(api.post("/tasks", json={"content": "x", "due_date": "2025-13-01"}), "due_date")
    invalid_argument(api.post("/tasks", json={"content": "x", "assignee_id": "999"}), "responsible_uid")
    error_of(api.post("/tasks", json={"content": "x", "project_id": "6Xnope"}), 404, "NOT_FOUND", 478)

    floating = api.post("/tasks", json={"content": "a", "due_datetime": "2025-03-01T09:30:00"}).json()["due"]
    assert floating == {"date": "2025-03-01T09:30:00.000000", "timezone": None, "string": "2025-03-01 09:30",
                        "lang": "en", "is_recurring": False}  # fmt: skip
    fixed = api.post("/tasks", json={"content": "b", "due_datetime": "2025-03-01T09:30:00Z"}).json()["due"]
    assert (fixed["date"], fixed["timezone"]) == ("2025-03-01T09:30:00.000000Z", "UTC")
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    body = {"content": "c", "labels": ["Food", "Home"], "due_string": "tomorrow", "duration": 15,
            "duration_unit": "minute", "deadline_date": "2025-04-01"}  # fmt: skip
    task = api.post("/tasks", json=body).json()
    assert (task["due"]["date"], task["due"]["string"]) == (tomorrow, "tomorrow")
    assert (task["duration"], task["deadline"]) == (
        {"amount": 15, "unit": "minute"},
        {"date": "2025-04-01", "lang": "en"},
    )

    path = f"/tasks/{task['id']}"
    cleared = api.post(
        path, json={"labels": [], "due_string": "no date", "duration": None, "deadline_date": None}
    ).json()
    assert (cleared["labels"], cleared["due"], cleared["duration"], cleared["deadline"]) == (
        [],
        None,
        None,
        None,
    )
    assert cleared["content"] == "c"
    invalid_argument(api.post(path, json={"content": None}), "content")

    api.post(f"/tasks/{task['id']}", json={"labels": ["Food"]})
    assert [t["content"] for t in api.get("/tasks", params={"label": "Food"}).json()["results"]] == ["c"]
    ids = ",".join(t["id"] for t in api.get("/tasks").json()["results"][:2])
    assert [t["content"] for t in api.get("/tasks", params={"ids": ids}).json()["results"]] == ["a", "b"]


def test_completed_tasks_by_completion_date(api, emulator):
    invalid_argument(
        api.get("/tasks/completed/by_completion_date", params={"until": "2025-01-01T00:00:00Z"}), "since"
    )
    too_long = {"since": "2025-01-01T00:00:00Z", "until": "2025-04-02T00:00:00Z"}
    invalid_argument(api.get("/tasks/completed/by_completion_date", params=too_long), "until")
    for n in range(3):
        emulator.complete(emulator.add(f"done {n}")["id"])
    emulator.add("open")
    now = datetime.now(UTC)
    window = {
        "since": (now - timedelta(hours=1)).isoformat(),
        "until": (now + timedelta(hours=1)).isoformat(),
    }
    first = api.get("/tasks/completed/by_completion_date", params={**window, "limit": 2}).json()
    assert set(first) == {"items", "next_cursor"}
    assert [t["content"] for t in first["items"]] == [
        "done 2",
        "done 1",
    ]
    assert all(t["checked"] and t["completed_at"] for t in first["items"])
    last = api.get(
        "/tasks/completed/by_completion_date", params={**window, "limit": 2, "cursor": first["next_cursor"]}
    )
    assert last.json() == {"items": [last.json()["items"][0]]}  # no next_cursor once there is no next page
    assert last.json()["items"][0]["content"] == "done 0"


# -- REST: projects, collaborators, labels, user ----------------------------------------------------


def test_projects_and_collaborators(api, emulator):
    listed = api.get("/projects").json()
    assert listed["next_cursor"] is None
    assert [(p["id"], p["inbox_project"]) for p in listed["results"]] == [(emulator.inbox_id, True)]
    invalid_argument(api.post("/projects", json={"name": ""}), "name")
    invalid_argument(api.post("/projects", json={"name": "x" * 121}), "name")
    invalid_argument(api.post("/projects", json={"name": "Work", "color": "plaid"}), "color")
    project = api.post("/projects", json={"name": "Work", "color": "berry_red"}).json()
    assert (project["name"], project["color"], project["is_shared"]) == ("Work", "berry_red", False)
    assert "inbox_project" not in project  # sent on the Inbox only
    assert STAMP.match(project["created_at"])
    assert api.get(f"/projects/{project['id']}").json() == project
    people = f"/projects/{project['id']}/collaborators"
    assert api.get(people).json() == {"results": [], "next_cursor": None}
    bob = emulator.add_collaborator(project["id"], full_name="Bob", email="bob@example.com")
    assert api.get(people).json()["results"] == [
        {"id": emulator.user_id, "name": "Alice", "email": "alice@example.com"},
        {"id": bob, "name": "Bob", "email": "bob@example.com"},
    ]
    assert api.get(f"/projects/{project['id']}").json()["is_shared"] is True


def test_labels_and_user(api, emulator):
    label = api.post("/labels", json={"name": "Food", "item_order": 3}).json()
    assert set(label) == {"id", "name", "color", "order", "is_favorite"}
    assert (label["name"], label["color"], label["order"]) == ("Food", "charcoal", 3)
    invalid_argument(api.post("/labels", json={"name": "food"}), "name")
    invalid_argument(api.post("/labels", json={"name": ""}), "name")
    assert api.get("/labels").json() == {"results": [label], "next_cursor": None}
    user = api.get("/user").json()
    assert (user["id"], user["email"], user["full_name"]) == (emulator.user_id, "alice@example.com", "Alice")
    assert user["inbox_project_id"] == emulator.inbox_id


def test_responses_match_the_openapi_schemas(api, emulator, check_schema):
    def check_project(method: str, path: str, body: Any) -> None:
        """The schema lists `inbox_project` as required, the Sync reference says it is sent on the
        Inbox only: the emulator follows the prose, so the check lends other projects the key."""
        if isinstance(body, dict) and "results" in body:
            body = {**body, "results": [{"inbox_project": False, **p} for p in body["results"]]}
        elif isinstance(body, dict):
            body = {"inbox_project": False, **body}
        check_schema(method, path, body)

    project = api.post("/projects", json={"name": "Work"}).json()
    check_project("post", "/api/v1/projects", project)
    emulator.add_collaborator(project["id"], full_name="Bob", email="bob@example.com")
    body = {"content": "x", "project_id": project["id"], "due_string": "every day",
            "deadline_date": "2025-01-01", "duration": 5, "duration_unit": "day"}  # fmt: skip
    task = api.post("/tasks", json=body).json()
    check_schema("post", "/api/v1/tasks", task)
    check_schema("get", "/api/v1/tasks/{task_id}", api.get(f"/tasks/{task['id']}").json())
    check_schema(
        "post", "/api/v1/tasks/{task_id}", api.post(f"/tasks/{task['id']}", json={"priority": 2}).json()
    )
    moved = api.post(f"/tasks/{task['id']}/move", json={"project_id": emulator.inbox_id}).json()
    check_schema("post", "/api/v1/tasks/{task_id}/move", moved)
    check_schema("get", "/api/v1/tasks", api.get("/tasks", params={"limit": 1}).json())
    done = emulator.add("done")
    emulator.complete(done["id"])
    now = datetime.now(UTC)
    window = {
        "since": (now - timedelta(hours=1)).isoformat(),
        "until": (now + timedelta(hours=1)).isoformat(),
    }
    check_schema("get", "/api/v1/tasks/completed/by_completion_date",
                 api.get("/tasks/completed/by_completion_date", params=window).json())  # fmt: skip
    check_project("get", "/api/v1/projects", api.get("/projects").json())
    check_project("get", "/api/v1/projects/{project_id}", api.get(f"/projects/{project['id']}").json())
    check_schema("get", "/api/v1/projects/{project_id}/collaborators",
                 api.get(f"/projects/{project['id']}/collaborators").json())  # fmt: skip
    check_schema("post", "/api/v1/labels", api.post("/labels", json={"name": "Food"}).json())
    check_schema("get", "/api/v1/labels", api.get("/labels").json())
    check_schema("get", "/api/v1/user", api.get("/user").json())
    items = sync(api, sync_token="*", resource_types=["items", "projects"]).json()
    for item in items["items"]:
        check_schema("get", "/api/v1/tasks/{task_id}", item)
    for found in items["projects"]:
        check_project("get", "/api/v1/projects/{project_id}", found)


# -- Sync ------------------------------------------------------------------------------------------


def test_full_sync_then_incremental_returns_exactly_what_changed(api, emulator):
    a, b, c = (emulator.add(name)["id"] for name in "abc")
    emulator.complete(c)
    full = sync(api, sync_token="*", resource_types=["all"]).json()
    assert full["full_sync"] is True
    assert STAMP.match(full["full_sync_date_utc"])
    assert {i["id"] for i in full["items"]} == {a, b}  # active objects only
    assert [p["id"] for p in full["projects"]] == [emulator.inbox_id]
    assert (full["labels"], full["collaborators"], full["collaborator_states"]) == ([], [], [])
    assert full["user"]["id"] == emulator.user_id
    assert all(set(i) == TASK_KEYS for i in full["items"])

    quiet = sync(api, sync_token=full["sync_token"], resource_types=["items"]).json()
    assert (quiet["full_sync"], quiet["items"], "full_sync_date_utc" in quiet) == (False, [], False)
    emulator.update(a, content="A")
    emulator.complete(b)
    emulator.delete(c)
    changed = sync(api, sync_token=quiet["sync_token"], resource_types=["items"]).json()
    by_id = {i["id"]: i for i in changed["items"]}
    assert set(by_id) == {a, b, c}
    assert (by_id[a]["content"], by_id[b]["checked"], by_id[c]["is_deleted"]) == ("A", True, True)
    assert sync(api, sync_token=changed["sync_token"], resource_types=["items"]).json()["items"] == []

    invalid_argument(sync(api, sync_token="never-issued", resource_types=["items"]), "sync_token")
    trimmed = sync(api, sync_token="*", resource_types=["all", "-projects", "-user"]).json()
    assert {"items", "labels", "collaborators"} <= set(trimmed)
    assert not {"projects", "user"} & set(trimmed)


def test_commands_with_a_token_run_first_then_the_read_answers_changes_since_it(api, emulator):
    """Reference §7: one request carries commands and a read; the read sees the commands' effects
    and any other change since the token, each task once, in the order of its last change."""
    a, b = (emulator.add(name)["id"] for name in "ab")
    token = sync(api, sync_token="*", resource_types=["items"]).json()["sync_token"]
    emulator.update(b, content="B")  # someone else, before the request
    temp = str(uuid.uuid4())
    answer = sync(
        api,
        form=True,
        sync_token=token,
        resource_types=["items", "projects"],
        commands=[command("item_update", id=a, content="A"), command("item_add", temp, content="c")],
    ).json()
    c = answer["temp_id_mapping"][temp]
    assert [(i["id"], i["content"]) for i in answer["items"]] == [(b, "B"), (a, "A"), (c, "c")]
    assert (answer["full_sync"], answer["projects"]) == (False, [])
    emulator.update(b, content="BB")  # changed again: listed once, as of its last change
    again = sync(api, sync_token=answer["sync_token"], resource_types=["items"]).json()
    assert [(i["id"], i["content"]) for i in again["items"]] == [(b, "BB")]


def test_commands_resolve_temp_ids_within_their_request_only(api, emulator):
    p, t, child, label = (str(uuid.uuid4()) for _ in range(4))
    batch = [
        command("project_add", p, name="Shopping"),
        command("item_add", t, content="Buy milk", project_id=p, labels=["Food"], due={"date": "2025-01-02"}),
        command("item_update", id=t, priority=4, description="2%"),
        command("item_add", child, content="Check fridge", parent_id=t),
        command("label_add", label, name="Food"),
    ]
    answer = sync(api, form=True, commands=batch).json()
    assert answer["sync_status"] == {cmd["uuid"]: "ok" for cmd in batch}
    mapping = answer["temp_id_mapping"]
    assert set(mapping) == {p, t, child, label}
    task = emulator.get_task(mapping[t])
    assert (task["project_id"], task["priority"], task["due"]["date"], task["labels"]) == (
        mapping[p],
        4,
        "2025-01-02",
        ["Food"],
    )
    assert emulator.get_task(mapping[child])["parent_id"] == mapping[t]

    # a temp id lives for one request: the next one must name the real id
    stale = sync(api, commands=[command("item_close", id=t)]).json()["sync_status"]
    [refused] = stale.values()
    assert (refused["error_code"], refused["error"]) == (15, "Invalid temporary id")
    t, child = mapping[t], mapping[child]
    later = [
        command("item_move", id=t, project_id=emulator.inbox_id),
        command("item_update", id=t, due=None, responsible_uid=None),
        command("item_complete", id=child, date_completed="2025-01-03T10:00:00Z"),
        command("item_close", id=t),
    ]
    answer = sync(api, commands=later, sync_token="*", resource_types=["items"]).json()
    assert set(answer["sync_status"].values()) == {"ok"}
    assert answer["temp_id_mapping"] == {}
    task, sub = emulator.get_task(t), emulator.get_task(child)
    assert (task["project_id"], task["due"], task["checked"]) == (emulator.inbox_id, None, True)
    assert (sub["project_id"], sub["completed_at"]) == (emulator.inbox_id, "2025-01-03T10:00:00.000000Z")
    answer = sync(api, commands=[command("item_uncomplete", id=child), command("item_delete", id=t)]).json()
    assert set(answer["sync_status"].values()) == {"ok"}
    assert emulator.tasks[t]["is_deleted"]
    assert emulator.tasks[child]["is_deleted"]


def test_a_resent_command_uuid_is_not_executed_twice(api, emulator):
    batch = [command("item_add", str(uuid.uuid4()), content="Once"), command("item_close", id="6Xnope")]
    first = sync(api, commands=batch).json()
    second = sync(api, commands=batch).json()
    added, closed = (cmd["uuid"] for cmd in batch)
    assert first["sync_status"][added] == "ok"
    replay = second["sync_status"][added]  # ran before: said so, with what it created
    assert (replay["error_tag"], replay["error_code"], replay["http_code"]) == ("ALREADY_PROCESSED", 37, 400)
    assert second["sync_status"][closed]["error_tag"] == "ITEM_NOT_FOUND"  # refused: tried again
    assert second["temp_id_mapping"] == first["temp_id_mapping"]
    assert len(first["temp_id_mapping"]) == 1
    assert [t["content"] for t in emulator.tasks.values()] == ["Once"]
    assert [e["event_name"] for e in emulator.events] == ["item:added"]


def test_a_bad_command_fails_alone(api, emulator):
    batch = [
        command("item_add", content="first"),
        command("item_add", project_id=emulator.inbox_id),
        command("item_update", id="6Xnope", content="x"),
        command("item_close", id=str(uuid.uuid4())),
        command("item_fly", id="6Xnope"),
        command("item_add", content="last", priority=9),
        command("item_add", content="second"),
    ]
    status = sync(api, commands=batch).json()["sync_status"]
    ok, missing, unknown, temp, kind, priority, ok2 = (status[cmd["uuid"]] for cmd in batch)
    assert ok == ok2 == "ok"
    assert (missing["error_tag"], missing["error_code"], missing["http_code"]) == (
        "INVALID_ARGUMENT_VALUE",
        20,
        400,
    )
    assert missing["error_extra"]["argument"] == "content"
    assert (unknown["error_tag"], unknown["http_code"]) == ("ITEM_NOT_FOUND", 400)
    assert (temp["error"], temp["error_code"]) == ("Invalid temporary id", 15)
    assert kind["error_extra"]["argument"] == "type"
    assert priority["error_extra"]["argument"] == "priority"
    assert sorted(t["content"] for t in emulator.tasks.values()) == ["first", "second"]


def test_more_than_100_commands_is_refused_whole(api, emulator):
    invalid_argument(
        sync(api, commands=[command("item_add", content=f"{n}") for n in range(101)]), "commands"
    )
    assert emulator.tasks == {}
    answer = sync(api, commands=[command("item_add", content=f"{n}") for n in range(100)])
    assert answer.status_code == 200
    assert len(emulator.tasks) == 100


def test_form_encoded_and_json_sync_bodies_both_work(api, emulator):
    emulator.add("x")
    as_form = sync(api, form=True, sync_token="*", resource_types=["items"]).json()
    quoted = api.post("/sync", data={"sync_token": '"*"', "resource_types": '["items"]'}).json()
    as_json = sync(api, sync_token="*", resource_types=["items"]).json()
    assert [i["content"] for i in as_form["items"]] == [i["content"] for i in quoted["items"]] == ["x"]
    assert as_form["items"] == as_json["items"]
    invalid_argument(api.post("/sync", data={"sync_token": "*", "commands": "[not json"}), "commands")


def test_sync_collaborators_and_assignment(api, emulator):
    project = emulator.create_project("Team")
    bob = emulator.add_collaborator(project["id"], full_name="Bob", email="bob@example.com")
    full = sync(api, sync_token="*", resource_types=["collaborators"]).json()
    assert {c["id"] for c in full["collaborators"]} == {emulator.user_id, bob}
    assert all(set(c) == {"id", "email", "full_name", "timezone", "image_id"} for c in full["collaborators"])
    assert {(s["project_id"], s["user_id"], s["state"]) for s in full["collaborator_states"]} == {
        (project["id"], emulator.user_id, "active"), (project["id"], bob, "active")
    }  # fmt: skip
    task = emulator.add("Review", project_id=project["id"])
    batch = [command("item_update", id=task["id"], responsible_uid=bob),
             command("item_add", content="Inbox task", responsible_uid=bob)]  # fmt: skip
    status = sync(api, commands=batch).json()["sync_status"]
    assert status[batch[0]["uuid"]] == "ok"
    assert status[batch[1]["uuid"]]["error_extra"]["argument"] == "responsible_uid"
    assigned = emulator.get_task(task["id"])
    assert (assigned["responsible_uid"], assigned["assigned_by_uid"]) == (bob, emulator.user_id)


# -- knobs and the user's own actions ---------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(api, emulator):
    emulator.rate_limit, emulator.rate_window = 2, 30.0
    assert [api.get("/tasks").status_code for _ in range(2)] == [200, 200]
    refused = api.get("/tasks")
    body = error_of(refused, 429, "LIMITS_REACHED", 35)
    assert refused.headers["Retry-After"].isdigit()
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert body["error_extra"]["retry_after"] == int(refused.headers["Retry-After"])
    assert retry_after_seconds(refused) == float(refused.headers["Retry-After"])
    assert len(emulator.request_log) == 3


def test_fail_next_injects_errors_for_matching_paths(api, emulator):
    emulator.fail_next(500)
    error_of(api.get("/projects"), 500)
    assert api.get("/projects").status_code == 200
    emulator.fail_next(503, count=2, path_prefix="/sync")
    assert api.get("/tasks").status_code == 200
    assert [sync(api, sync_token="*").status_code for _ in range(3)] == [503, 503, 200]


def test_latency_delays_every_answer(api, emulator):
    emulator.latency = 0.15
    started = time.monotonic()
    assert api.get("/user").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_changes_are_logged_as_webhook_events(api, emulator):
    task = api.post("/tasks", json={"content": "x"}).json()
    api.post(f"/tasks/{task['id']}/close")
    emulator.reopen(task["id"])
    before = emulator.get_task(task["id"])["updated_at"]
    assert emulator.update(task["id"], content="y")["updated_at"] > before
    emulator.delete(task["id"])
    names = [e["event_name"] for e in emulator.events]
    assert names == ["item:added", "item:completed", "item:uncompleted", "item:updated", "item:deleted"]
    for event in emulator.events:
        assert set(event) - {"event_data_extra"} == {
            "event_name",
            "user_id",
            "version",
            "triggered_at",
            "initiator",
            "event_data",
        }
        assert (event["user_id"], event["version"], event["initiator"]["id"]) == (
            emulator.user_id,
            "1",
            emulator.user_id,
        )
        assert STAMP.match(event["triggered_at"])
        assert set(event["event_data"]) == TASK_KEYS | {"url"}
        assert event["event_data"]["url"] == f"https://app.todoist.com/app/task/{task['id']}"
    completed, updated = emulator.events[1], emulator.events[3]
    assert completed["event_data"]["checked"]
    assert "event_data_extra" not in completed
    assert updated["event_data_extra"]["update_intent"] == "item_updated"
    assert (updated["event_data_extra"]["old_item"]["content"], updated["event_data"]["content"]) == (
        "x",
        "y",
    )


def test_closing_a_recurring_task_advances_it(api, emulator):
    task = emulator.add("Water plants", due="every day")
    assert task["due"]["is_recurring"]
    assert task["due"]["date"] == emulator.today().isoformat()
    assert api.post(f"/tasks/{task['id']}/close").status_code == 204
    after = emulator.get_task(task["id"])
    assert not after["checked"]
    assert after["due"]["date"] == (emulator.today() + timedelta(days=1)).isoformat()
    assert emulator.events[-1]["event_data_extra"]["update_intent"] == "item_completed"


def test_after_commands_runs_once_commands_are_applied(api, emulator):
    seen: list[int] = []
    emulator.after_commands = lambda: seen.append(len(emulator.tasks))
    sync(api, commands=[command("item_add", content="x")])
    sync(api, sync_token="*", resource_types=["items"])
    assert seen == [1]


def test_webhook_bodies_are_signed_with_the_client_secret(emulator):
    assert emulator.sign(b'{"event_name":"item:added"}') == "RlHoo4SHPsX0niXcBbHS6uUzPrIz71Z8okfK+TzknEs="


def test_serve_in_thread_stops_the_server_on_exit():
    emulator = Emulator()
    with serve_in_thread(create_app("t", emulator=emulator)) as url:
        assert (
            httpx.get(f"{url}/api/v1/user", headers={"Authorization": "Bearer t"}).json()["id"]
            == emulator.user_id
        )
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/v1/user", timeout=2)


def test_a_project_archived_unarchived_and_deleted_with_the_sdk(sdk, emulator, api):
    """The official SDK's archive, unarchive and delete, and what each does to the tasks."""
    project = sdk.add_project("Work")
    child = sdk.add_project("Sub", parent_id=project.id)
    task = sdk.add_task("Plan", project_id=child.id)
    archived = sdk.archive_project(project.id)
    assert archived.is_archived
    assert emulator.projects[child.id]["is_archived"]  # descendants go with it
    assert [t.id for page in sdk.get_tasks() for t in page] == []  # out of every active read
    assert api.get(f"/tasks/{task.id}").status_code == 404
    refused = api.post(f"/tasks/{task.id}", json={"content": "Plan more"})
    assert refused.status_code == 404
    assert api.post("/tasks", json={"content": "x", "project_id": child.id}).status_code == 404
    unarchived = sdk.unarchive_project(child.id)
    assert (unarchived.is_archived, unarchived.parent_id) == (False, None)  # a root project now
    assert [t.id for page in sdk.get_tasks() for t in page] == [task.id]
    assert sdk.delete_project(child.id) is True
    assert emulator.tasks[task.id]["is_deleted"]
    assert api.get(f"/projects/{child.id}").status_code == 404
    inbox = {"type": "project_archive", "uuid": str(uuid.uuid4()), "args": {"id": emulator.inbox_id}}
    status = api.post("/sync", json={"commands": [inbox]}).json()["sync_status"][inbox["uuid"]]
    assert status["error_tag"] == "INVALID_ARGUMENT_VALUE"  # the Inbox stays
