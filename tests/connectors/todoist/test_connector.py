"""TodoistConnector over real HTTP: batching, per-command failures, retries, owners, the cursor."""

from __future__ import annotations

import json

import pytest

from bridge.config import BridgeSettings
from bridge.connector import Fields, Op, OpKind, RemoteStatus
from bridge.errors import AuthError, ConfigError
from bridge.model import Priority, StatusType
from bridge.sync import run_sync
from connectors.todoist import TodoistConnector
from connectors.todoist.settings import TodoistSettings


@pytest.fixture
def connector(emulator_url, todoist_token):
    settings = TodoistSettings(api_token=todoist_token, base_url=emulator_url, project="Bridge")
    made = TodoistConnector(settings)
    yield made
    made.close()


def fields(title: str, **kw) -> Fields:
    return Fields(title, kw.pop("status", StatusType.TODO), note_title="n", path="n.md", vault="v", **kw)


def create(n: int) -> list[Op]:
    return [
        Op(OpKind.CREATE, f"{n:016x}"[:16], f"00000000-0000-4000-8000-{n:012d}", fields(f"Task {n}"))
        for n in range(n)
    ]


def test_first_pull_is_one_full_sync_and_learns_user_and_project(connector, emulator):
    pulled = connector.pull(None)
    assert pulled.changes == ()
    state = json.loads(pulled.cursor.partition("\n")[0])  # the head; labels after it
    assert state["user_id"] == emulator.user_id
    assert "project_id" not in state  # "Bridge" does not exist yet
    assert connector.requests == 1


def test_creates_go_in_batches_of_100_with_the_project_created_first(connector, emulator):
    connector.pull(None)
    ops = [
        Op(
            OpKind.CREATE,
            f"{n:016x}",
            f"00000000-0000-4000-8000-{n:012d}",
            fields(f"Task {n}", due="2026-12-01"),
        )
        for n in range(150)
    ]
    pushed = connector.push(ops)
    assert all(r.ok for r in pushed.results)
    assert len(pushed.results) == 150
    assert connector.requests == 1 + 2  # one read, two batches (project_add + 150 item_add = 151 commands)
    project = json.loads(pushed.cursor.partition("\n")[0])["project_id"]
    assert emulator.projects[project]["name"] == "Bridge"
    assert {t["project_id"] for t in emulator.tasks.values()} == {project}
    first = emulator.tasks[pushed.results[0].remote_id]
    assert first["due"]["date"] == "2026-12-01"
    assert "task-bridge key: 0000000000000000" in first["description"]


def test_one_failing_command_fails_only_its_task(connector, emulator):
    connector.pull(None)
    made = connector.push(create(2)).results
    good = Op(
        OpKind.CLOSE, "a" * 16, "11111111-0000-4000-8000-000000000001", fields("Task 0"), made[0].remote_id
    )
    bad = Op(OpKind.CLOSE, "b" * 16, "11111111-0000-4000-8000-000000000002", fields("Ghost"), "no-such-task")
    results = {r.token: r for r in connector.push([bad, good]).results}
    assert results[good.token].ok
    assert not results[bad.token].ok
    assert results[bad.token].error
    assert emulator.tasks[made[0].remote_id]["checked"] is True


def test_rate_limited_requests_are_retried_after_retry_after(connector, emulator):
    emulator.rate_limit = 1
    emulator.rate_window = 1.0
    connector.pull(None)
    connector.pull(None)  # over the limit: 429, wait Retry-After, then answered
    assert [p for _, p in emulator.request_log].count("/api/v1/sync") == 3
    assert connector.requests == 3


def test_server_errors_on_sync_are_retried(connector, emulator):
    emulator.fail_next(503, count=2, path_prefix="/sync")
    connector.http._transport.backoff = 0.01  # keep the test quick; the policy is tested in bridge
    assert connector.pull(None).cursor
    assert connector.requests == 3


def test_owner_map_assigns_collaborators_and_myself(emulator, emulator_url, todoist_token):
    project = emulator.create_project("Bridge")["id"]
    lior = emulator.add_collaborator(project, full_name="Lior Genzel", email="lior@example.com")
    settings = TodoistSettings(
        api_token=todoist_token,
        base_url=emulator_url,
        project="Bridge",
        owners={"Lior Genzel": "LIOR@example.com"},
    )
    with_owner = TodoistConnector(settings)
    try:
        with_owner.pull(None)
        ops = [
            Op(
                OpKind.CREATE,
                "1" * 16,
                "22222222-0000-4000-8000-000000000001",
                fields("A", owner="Lior Genzel"),
            ),
            Op(OpKind.CREATE, "2" * 16, "22222222-0000-4000-8000-000000000002", fields("B", owner="Myself")),
            Op(OpKind.CREATE, "3" * 16, "22222222-0000-4000-8000-000000000003", fields("C", owner="Nobody")),
        ]
        results = with_owner.push(ops).results
    finally:
        with_owner.close()
    assignees = [emulator.tasks[r.remote_id]["responsible_uid"] for r in results]
    assert assignees == [lior, emulator.user_id, None]


def test_priority_labels_and_status_labels_are_mapped(connector, emulator):
    connector.pull(None)
    op = Op(
        OpKind.CREATE,
        "c" * 16,
        "33333333-0000-4000-8000-000000000001",
        fields("P", priority=Priority.HIGHEST, labels=("task", "auto"), status=StatusType.PROPOSED),
    )
    task = emulator.tasks[connector.push([op]).results[0].remote_id]
    assert task["priority"] == 4
    assert task["labels"] == ["task", "auto", "proposed"]


def test_pull_maps_completed_and_deleted_tasks(connector, emulator):
    cursor = connector.pull(None).cursor
    made = connector.push(create(3))
    cursor = made.cursor
    ids = [r.remote_id for r in made.results]
    emulator.complete(ids[0])
    emulator.delete(ids[1])
    changes = {c.remote_id: c for c in connector.pull(cursor).changes}
    assert changes[ids[0]].status is RemoteStatus.DONE
    assert changes[ids[1]].status is RemoteStatus.DELETED
    assert changes[ids[0]].ref == "0000000000000000"


def test_wrong_token_is_an_auth_error_and_no_token_a_config_error(emulator_url, vault, monkeypatch):
    bad = TodoistConnector(TodoistSettings(api_token="nope", base_url=emulator_url))
    with pytest.raises(AuthError, match="TODOIST_API_TOKEN"):
        bad.pull(None)
    bad.close()
    with pytest.raises(ConfigError, match="TODOIST_API_TOKEN"):
        TodoistConnector(TodoistSettings())
    monkeypatch.setenv("TODOIST_OWNERS", "not json")
    with pytest.raises(ConfigError, match="TODOIST_OWNERS"):
        TodoistConnector.from_env()


def test_sync_counts_a_failed_task_and_syncs_the_rest(vault, emulator, emulator_url, todoist_token, tmp_path):
    """A command Todoist refuses fails its own task only: exit status 1, the others are linked."""
    settings = TodoistSettings(api_token=todoist_token, base_url=emulator_url, project="Bridge")

    class OneBadCreate(TodoistConnector):
        def push(self, ops):
            first = ops[0]
            spoiled = Op(OpKind.CLOSE, first.ref, first.token, first.fields, "no-such-task")
            return super().push([spoiled, *ops[1:]])

    connector = OneBadCreate(settings)
    bridge_settings = BridgeSettings(vault=vault, state_url=f"sqlite:///{tmp_path / 's.db'}")
    try:
        report = run_sync(bridge_settings, connector=connector).report
    finally:
        connector.close()
    assert (report.created, report.failed) == (5, 1)
    assert report.linked == 7  # 9 lines, minus the failed group's two
    assert report.errors
    assert "create" in report.errors[0]
