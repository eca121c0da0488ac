"""Behaviours of the real Todoist that a user meets in the first week, modelled by the emulator
(on by default) and met by the connector, over real HTTP."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from bridge.config import BridgeSettings
from bridge.serve import create_app as receiver_app
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from connectors.todoist.emulator import sync as emulator_sync
from connectors.todoist.webhook import TodoistWebhooks
from tests.connectors.todoist.conftest import CLIENT_SECRET, TOKEN


def run(vault: Path):
    return run_sync(BridgeSettings(vault=vault), connector_name="todoist").report


def test_a_batch_applied_whose_answer_was_lost_is_taken_as_done(notes, emulator, monkeypatch):
    """The commands ran, the answer never came, the request was sent again: Todoist answers each
    command ALREADY_PROCESSED with its temp_id_mapping, and that is success, not failure."""
    (notes / "a.md").write_text("- [ ] Send the deck\n- [ ] Book the room\n", encoding="utf-8")
    lost = []

    def lose_the_first_answer() -> None:
        if not lost:
            lost.append(1)
            raise RuntimeError("the answer is lost on the way back")

    real_run = emulator_sync.run_commands
    answered: list[object] = []

    def recorded(em, commands):
        statuses, mapping = real_run(em, commands)
        answered.extend(statuses.values())
        return statuses, mapping

    monkeypatch.setattr(emulator_sync, "run_commands", recorded)
    emulator.after_commands = lose_the_first_answer
    report = run(notes)
    emulator.after_commands = None
    assert lost  # the first answer was indeed lost, and the request sent again
    replays = [a for a in answered if isinstance(a, dict) and a.get("error_tag") == "ALREADY_PROCESSED"]
    assert len(replays) == 3  # the project and both tasks: run once, the resend answered as such
    assert (report.created, report.failed, report.errors) == (2, 0, [])
    assert sorted(t["content"] for t in emulator.tasks.values()) == ["Book the room", "Send the deck"]
    again = run(notes)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)


def test_a_first_sync_larger_than_one_batch_lands_in_its_new_project(notes, emulator):
    """The project is created in the first request; the item_adds of later requests name its
    real id, since a temp id lives for one request only."""
    lines = "".join(f"- [ ] Action item number {n}\n" for n in range(150))
    (notes / "big.md").write_text(lines, encoding="utf-8")
    settings = BridgeSettings(vault=notes, near_duplicates=False)  # 150 tasks, not one group
    report = run_sync(settings, connector_name="todoist").report
    assert (report.created, report.failed) == (150, 0)
    [project] = [p for p in emulator.projects.values() if p["name"] == "Bridge"]
    assert {t["project_id"] for t in emulator.tasks.values()} == {project["id"]}


def _deck(notes: Path, emulator) -> tuple[Path, str]:
    note = notes / "a.md"
    note.write_text("- [ ] Send the deck\n- [ ] Book the room\n", encoding="utf-8")
    assert run(notes).created == 2
    return note, next(t["id"] for t in emulator.tasks.values() if t["content"] == "Send the deck")


def test_a_task_completed_then_deleted_is_done_not_deleted(notes, emulator):
    note, task = _deck(notes, emulator)
    emulator.complete(task)
    emulator.delete_task(task)  # an item now both checked and is_deleted
    report = run(notes)
    assert report.notes_written == 1
    assert note.read_text(encoding="utf-8").startswith("- [x] Send the deck ✅ ")


def test_a_refused_sync_token_falls_back_to_a_full_sync_once(notes, emulator):
    note, task = _deck(notes, emulator)
    emulator.complete(task)
    emulator.forget_sync_tokens()
    report = run(notes)  # not a failed read: everything read again, completions included
    assert (report.failed, report.errors) == (0, [])
    assert note.read_text(encoding="utf-8").startswith("- [x] Send the deck ✅ ")
    assert run(notes).requests == 1  # and back to one incremental request


def test_a_full_sync_answer_to_an_incremental_request_is_honoured(notes, emulator):
    note, task = _deck(notes, emulator)
    emulator.complete(task)
    emulator.answer_full_sync()
    report = run(notes)
    assert report.notes_written == 1
    assert note.read_text(encoding="utf-8").startswith("- [x] Send the deck ✅ ")
    again = run(notes)
    assert (again.notes_written, again.updated, again.requests) == (0, 0, 1)


def test_a_webhook_of_another_format_version_is_refused_saying_what_to_do():
    body = json.dumps({"event_name": "item:completed", "version": "2", "event_data": {"id": "1"}})
    with pytest.raises(ValueError, match=r"format version '2'.*choose it for the app's webhook"):
        TodoistWebhooks("secret").changes(body.encode())
    v1 = json.loads(body) | {"version": "1"}
    assert TodoistWebhooks("secret").changes(json.dumps(v1).encode())[0].remote_id == "1"
    sample = json.loads(body) | {"version": "10"}  # the API reference's own sample says "10"
    assert TodoistWebhooks("secret").changes(json.dumps(sample).encode())[0].remote_id == "1"
    legacy = json.loads(body) | {"version": "1", "event_data": {"id": 2995104339, "checked": 1}}
    with pytest.raises(ValueError, match=r"legacy .* numeric ids"):
        TodoistWebhooks("secret").changes(json.dumps(legacy).encode())


def test_the_receiver_refuses_another_format_version_over_http_with_a_log_line(notes, emulator, monkeypatch):
    """A signed delivery of another version reaches `bridge serve`: 400, one log line saying what
    to choose in the app console, nothing stored; the same event as version 1 is accepted."""
    monkeypatch.setenv("TODOIST_CLIENT_SECRET", CLIENT_SECRET)
    note, task = _deck(notes, emulator)
    emulator.complete(task)
    event = emulator.events[-1]
    app = receiver_app(BridgeSettings(vault=notes), notes)
    app.state.receiver.start()
    try:
        with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as client:

            def deliver(version: str) -> httpx.Response:
                body = json.dumps(event | {"version": version}).encode()
                headers = {
                    "Content-Type": "application/json",
                    "X-Todoist-Hmac-SHA256": emulator.sign(body),
                    "X-Todoist-Delivery-ID": f"delivery-{version}",
                }
                return client.post("/webhooks/todoist", content=body, headers=headers)

            with capture_logs() as logs:
                refused = deliver("2")
            assert refused.status_code == 400
            assert "format version '2'" in refused.json()["error"]
            [line] = [entry for entry in logs if entry["log_level"] == "warning"]
            assert line["event"] == "webhook refused: not a delivery the bridge reads"
            assert "choose it for the app's webhook in Todoist's App Management console" in line["error"]
            assert note.read_text(encoding="utf-8").startswith("- [ ] Send the deck")
            accepted = deliver("1")
            assert (accepted.status_code, accepted.json()["status"]) == (200, "accepted")
    finally:
        app.state.receiver.stop()


def _many(notes: Path, count: int) -> Path:
    note = notes / "big.md"
    note.write_text("".join(f"- [ ] Action item number {n}\n" for n in range(count)), encoding="utf-8")
    return note


def _run_separately(notes: Path):
    return run_sync(BridgeSettings(vault=notes, near_duplicates=False), connector_name="todoist").report


def test_the_plans_task_limit_is_said_once_and_the_rest_still_syncs(notes, emulator):
    emulator.free_plan()
    note = _many(notes, 320)
    report = _run_separately(notes)
    assert (report.created, report.failed) == (300, 20)
    [line] = report.errors  # one line, not twenty
    assert line.startswith("20 changes failed (big.md: create 'Action item number 300', …): ")
    assert "MAX_ITEMS_LIMIT_REACHED" in line
    assert "BRIDGE_ROUTES" in line
    # ticking 30 boxes makes room: the closes go first, then the 20 creates fit
    lines = note.read_text(encoding="utf-8").splitlines(keepends=True)
    note.write_text("".join(x.replace("[ ]", "[x]", 1) if n < 30 else x for n, x in enumerate(lines)))
    report = _run_separately(notes)
    assert (report.closed, report.created, report.failed, report.errors) == (30, 20, 0, [])


def test_the_plans_project_limit_is_said_once(notes, emulator):
    emulator.free_plan()
    for n in range(5):
        emulator.create_project(f"Existing {n}")
    _many(notes, 4)
    report = _run_separately(notes)
    assert (report.created, report.failed) == (0, 4)
    [line] = report.errors
    assert "MAX_PROJECTS_LIMIT_REACHED" in line
    assert "TODOIST_PROJECT" in line


def _in_the_app(emulator_url: str, kind: str, object_id: str) -> None:
    """A Sync command sent over HTTP as Todoist's apps send it (the emulator's command path)."""
    command = {"type": kind, "uuid": str(uuid.uuid4()), "args": {"id": object_id}}
    answer = httpx.post(
        f"{emulator_url}/api/v1/sync",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"commands": [command]},
    )
    assert answer.status_code == 200
    assert answer.json()["sync_status"] == {command["uuid"]: "ok"}


def test_a_deleted_project_takes_its_tasks_and_new_ones_go_to_a_new_project(notes, emulator, emulator_url):
    note, task = _deck(notes, emulator)
    old_project = emulator.tasks[task]["project_id"]
    _in_the_app(emulator_url, "project_delete", old_project)
    assert all(t["is_deleted"] for t in emulator.tasks.values())  # its tasks went with it
    before = note.read_bytes()
    note.write_bytes(before + b"- [ ] Call the bank\n")
    report = run(notes)
    assert (report.created, report.failed, report.notes_written) == (1, 0, 0)
    assert sum("deleted in the tracker" in n for n in report.notices) == 2  # lines left alone
    assert note.read_bytes() == before + b"- [ ] Call the bank\n"
    [live] = [t for t in emulator.tasks.values() if not t["is_deleted"]]
    assert live["content"] == "Call the bank"
    assert live["project_id"] != old_project
    assert emulator.projects[live["project_id"]]["name"] == "Bridge"
    again = run(notes)
    assert (again.created, again.updated, again.closed, again.failed, again.notes_written) == (0, 0, 0, 0, 0)


def test_an_archived_project_is_left_and_its_tasks_followed_once_unarchived(notes, emulator, emulator_url):
    note, task = _deck(notes, emulator)
    old_project = emulator.tasks[task]["project_id"]
    _in_the_app(emulator_url, "project_archive", old_project)
    text = note.read_text(encoding="utf-8")
    note.write_text(text.replace("[ ] Book the room", "[x] Book the room") + "- [ ] Call the bank\n")
    report = run(notes)  # the tick cannot reach an archived task: said, not failed, not lost
    assert (report.created, report.failed) == (1, 0)
    assert any("deleted in the tracker" in n for n in report.notices)
    [new] = [t for t in emulator.tasks.values() if t["content"] == "Call the bank"]
    assert new["project_id"] != old_project
    assert not emulator.projects[old_project]["is_deleted"]
    assert run(notes).failed == 0
    # the user unarchives the old project and completes a task there: the note follows it
    _in_the_app(emulator_url, "project_unarchive", old_project)
    emulator.complete(task)
    report = run(notes)
    assert report.failed == 0
    assert "- [x] Send the deck ✅ " in note.read_text(encoding="utf-8")


def test_a_task_moved_to_another_project_is_still_followed(notes, emulator):
    note, task = _deck(notes, emulator)
    someday = emulator.create_project("Someday")["id"]
    emulator.update(task, project_id=someday)  # the user files it elsewhere
    assert run(notes).failed == 0
    emulator.complete(task)
    report = run(notes)
    assert report.notes_written == 1
    assert note.read_text(encoding="utf-8").startswith("- [x] Send the deck ✅ ")
    # and an edit in the note reaches it where it is now
    note.write_text(note.read_text(encoding="utf-8").replace("Book the room", "Book the big room"))
    assert run(notes).failed == 0
    assert emulator.tasks[task]["project_id"] == someday


def _owners(monkeypatch, **owners: str) -> None:
    monkeypatch.setenv("TODOIST_OWNERS", json.dumps(owners))


def test_myself_is_not_assigned_in_a_personal_project(notes, emulator):
    (notes / "a.md").write_text("- [ ] Send the deck @Myself\n", encoding="utf-8")
    report = run(notes)  # Todoist refuses responsible_uid outside shared projects
    assert (report.created, report.failed) == (1, 0)
    [task] = emulator.tasks.values()
    assert task["responsible_uid"] is None


def test_collaborators_who_join_later_are_learned_by_incremental_reads(notes, emulator, monkeypatch):
    _owners(monkeypatch, **{"Dana Kim": "dana@example.com"})
    note, task = _deck(notes, emulator)
    dana = emulator.add_collaborator(
        emulator.tasks[task]["project_id"], full_name="Dana Kim", email="dana@example.com"
    )
    note.write_text(note.read_text(encoding="utf-8") + "- [ ] Review the budget @Dana Kim\n")
    report = run(notes)
    assert (report.created, report.failed, report.requests) == (1, 0, 2)  # one read, one write
    [review] = [t for t in emulator.tasks.values() if t["content"] == "Review the budget"]
    assert review["responsible_uid"] == dana


def test_an_owner_outside_the_project_is_left_unassigned_said_once(notes, emulator, monkeypatch, caplog):
    _owners(monkeypatch, Lior="424242", **{"Dana Kim": "dana@example.com"})
    note, task = _deck(notes, emulator)
    project = emulator.tasks[task]["project_id"]
    dana = emulator.add_collaborator(project, full_name="Dana Kim", email="dana@example.com")
    note.write_text(
        note.read_text(encoding="utf-8")
        + "- [ ] Share the roles @Lior\n- [ ] Send the intro @Lior\n- [ ] Review the budget @Dana Kim\n"
    )
    with caplog.at_level("WARNING"):
        report = run(notes)
    assert (report.created, report.failed) == (3, 0)  # the tasks are synced all the same
    said = [r.getMessage() for r in caplog.records if "@Lior" in r.getMessage()]
    assert len(said) == 1
    assert "not a collaborator" in said[0]
    owners = {t["content"]: t["responsible_uid"] for t in emulator.tasks.values()}
    assert owners["Share the roles"] is None
    assert owners["Send the intro"] is None
    assert owners["Review the budget"] == dana
    # Dana leaves the project: her next task is left unassigned rather than refused
    emulator.remove_collaborator(project, dana)
    note.write_text(note.read_text(encoding="utf-8") + "- [ ] Plan the offsite @Dana Kim\n")
    report = run(notes)
    assert (report.created, report.failed) == (1, 0)
    [offsite] = [t for t in emulator.tasks.values() if t["content"] == "Plan the offsite"]
    assert offsite["responsible_uid"] is None


@pytest.mark.parametrize("how", ["project_delete", "project_archive"])
@pytest.mark.parametrize("read", ["token forgotten", "full answer"])
def test_a_project_gone_is_noticed_by_a_full_read_too(notes, emulator, emulator_url, how, read):
    """A full answer lists active projects only: the bridge's project missing from it is gone."""
    note, task = _deck(notes, emulator)
    old_project = emulator.tasks[task]["project_id"]
    _in_the_app(emulator_url, how, old_project)
    emulator.forget_sync_tokens() if read == "token forgotten" else emulator.answer_full_sync()
    note.write_text(note.read_text(encoding="utf-8") + "- [ ] Call the bank\n", encoding="utf-8")
    report = run(notes)
    assert (report.created, report.failed, report.errors) == (1, 0, [])
    [new] = [t for t in emulator.tasks.values() if t["content"] == "Call the bank"]
    assert new["project_id"] != old_project
    assert run(notes).failed == 0


def test_a_cursor_from_before_sharing_was_followed_learns_it_in_one_read(notes, emulator, env, monkeypatch):
    _owners(monkeypatch, **{"Dana Kim": "dana@example.com"})
    note, task = _deck(notes, emulator)
    dana = emulator.add_collaborator(
        emulator.tasks[task]["project_id"], full_name="Dana Kim", email="dana@example.com"
    )
    run(notes)  # the sharing is old news: no later incremental read names the project again
    db = sqlite3.connect(env["BRIDGE_STATE_URL"].removeprefix("sqlite:///"))
    [(name, cursor)] = db.execute("SELECT connector, cursor FROM cursors").fetchall()
    old = {k: v for k, v in json.loads(cursor).items() if k not in ("shared", "members")}
    db.execute("UPDATE cursors SET cursor = ? WHERE connector = ?", (json.dumps(old), name))
    db.commit()
    db.close()
    note.write_text(
        note.read_text(encoding="utf-8") + "- [ ] Review the budget @Dana Kim\n", encoding="utf-8"
    )
    report = run(notes)
    assert (report.created, report.failed) == (1, 0)
    [review] = [t for t in emulator.tasks.values() if t["content"] == "Review the budget"]
    assert review["responsible_uid"] == dana
    assert run(notes).requests == 1  # back to one incremental read
