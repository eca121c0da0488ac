"""The labels of each task, kept in the cursor's tail: stored apart, touched only when needed.

Every sync runs `run_sync` against the emulator over real HTTP. A no-op sync neither decodes the
labels nor rewrites them (an SQLite trigger counts the tail's writes); labels added in Todoist
still survive a status change, a label edit in the note, and a completion a webhook applied; a
cursor from before (the labels inside its JSON) is read and moved to the new form on first use;
a damaged tail is named with the way out.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bridge.config import BridgeSettings
from bridge.errors import StateError
from bridge.inbox import apply_events
from bridge.state import Store
from bridge.state_rows import InboxEvent
from bridge.sync import run_sync
from connectors.todoist import connector as todoist
from connectors.todoist.webhook import TodoistWebhooks
from tests.connectors.todoist.conftest import CLIENT_SECRET

LINE = "- [ ] Write the report #work\n"


def sync(vault: Path) -> None:
    report = run_sync(BridgeSettings(vault=vault), connector_name="todoist").report
    assert not report.errors, report.errors
    assert not report.failed


def state(env: dict[str, str]) -> Path:
    return Path(env["BRIDGE_STATE_URL"].removeprefix("sqlite:///"))


def stored(env: dict[str, str]) -> tuple[dict[str, object], str | None]:
    """The cursor row: its head decoded, and its tail as text."""
    with sqlite3.connect(state(env)) as db:
        head, tail = db.execute("SELECT cursor, tail FROM cursors WHERE connector = 'todoist'").fetchone()
    return json.loads(head), tail


def only(emulator) -> dict:
    [task] = emulator.tasks.values()
    return task


def count_tail_writes(env: dict[str, str]) -> None:
    with sqlite3.connect(state(env)) as db:
        db.execute("CREATE TABLE tail_writes (n INTEGER)")
        db.execute(
            "CREATE TRIGGER tail_written AFTER UPDATE OF tail ON cursors"
            " BEGIN INSERT INTO tail_writes VALUES (1); END"
        )


def tail_writes(env: dict[str, str]) -> int:
    with sqlite3.connect(state(env)) as db:
        return int(db.execute("SELECT COUNT(*) FROM tail_writes").fetchone()[0])


def test_the_labels_are_the_cursors_tail_and_a_no_op_neither_decodes_nor_rewrites_them(
    notes, env, emulator, monkeypatch
):
    (notes / "a.md").write_text(LINE)
    sync(notes)
    task = only(emulator)
    head, tail = stored(env)
    assert "labels" not in head
    assert tail is not None
    assert json.loads(tail) == {task["id"]: ["work"]}
    count_tail_writes(env)

    def undecodable(name: str, text: str) -> dict[str, list[str]]:
        raise AssertionError("the labels were decoded")

    monkeypatch.setattr(todoist, "_labels", undecodable)
    for _ in range(2):
        sync(notes)
    assert tail_writes(env) == 0
    assert stored(env)[1] == tail


def test_labels_added_in_todoist_survive_a_status_change_and_a_label_edit(notes, env, emulator):
    (notes / "a.md").write_text(LINE)
    sync(notes)
    count_tail_writes(env)
    emulator.update(only(emulator)["id"], labels=["work", "urgent"])
    sync(notes)  # pulled: the tail now holds Todoist's labels
    assert tail_writes(env) == 1
    assert json.loads(str(stored(env)[1])) == {only(emulator)["id"]: ["work", "urgent"]}
    (notes / "a.md").write_text(LINE.replace("[ ]", "[/]"))
    sync(notes)
    assert only(emulator)["labels"] == ["urgent", "work", "in-progress"]
    (notes / "a.md").write_text(LINE.replace("[ ]", "[/]").replace("#work", "#home"))
    sync(notes)
    assert only(emulator)["labels"] == ["urgent", "home", "in-progress"]
    assert json.loads(str(stored(env)[1])) == {only(emulator)["id"]: ["urgent", "home", "in-progress"]}


def test_a_cursor_of_the_old_form_is_read_and_moved_on_first_use(notes, env, emulator):
    (notes / "a.md").write_text(LINE)
    sync(notes)
    task = only(emulator)["id"]
    emulator.update(task, labels=["work", "urgent"])
    sync(notes)
    head, tail = stored(env)
    old = json.dumps({**head, "labels": json.loads(str(tail))}, sort_keys=True)
    with sqlite3.connect(state(env)) as db:  # as a release before the tail column stored it
        db.execute("UPDATE cursors SET cursor = ?, tail = NULL WHERE connector = 'todoist'", (old,))
    (notes / "a.md").write_text(LINE.replace("[ ]", "[/]"))
    sync(notes)
    assert only(emulator)["labels"] == ["urgent", "work", "in-progress"]
    head, tail = stored(env)
    assert "labels" not in head
    assert json.loads(str(tail)) == {task: ["urgent", "work", "in-progress"]}
    with Store.open(env["BRIDGE_STATE_URL"]) as store:  # the text a connector reads is one cursor
        assert store.cursor("todoist") == json.dumps(head, sort_keys=True) + "\n" + str(tail)


def test_labels_survive_a_completion_a_webhook_applied(notes, env, emulator, tmp_path):
    (notes / "a.md").write_text(LINE)
    sync(notes)
    task = only(emulator)["id"]
    emulator.update(task, labels=["work", "urgent"])
    emulator.complete(task)
    events = [
        InboxEvent(n, "todoist", f"d{n}", json.dumps(event), "2026-01-01T00:00:00+00:00")
        for n, event in enumerate(emulator.events, 1)
    ]
    settings = BridgeSettings(vault=notes)
    with Store.open(env["BRIDGE_STATE_URL"]) as store, store.writer_lock():
        apply_events(settings, notes, store, events, {"todoist": TodoistWebhooks(CLIENT_SECRET)})
    assert (notes / "a.md").read_text().startswith("- [x]")
    sync(notes)  # pulls the change the webhook already applied
    (notes / "a.md").write_text(LINE.replace("[ ]", "[/]"))
    sync(notes)
    assert only(emulator)["labels"] == ["urgent", "work", "in-progress"]
    assert not only(emulator)["checked"]


@pytest.mark.parametrize(
    ("tail", "why"),
    [("garbage", "its labels are not a JSON object"), ("{garbage}", "its labels are not JSON")],
)
def test_a_damaged_tail_is_named_with_the_way_out(notes, env, emulator, tail, why):
    (notes / "a.md").write_text(LINE)
    sync(notes)
    with sqlite3.connect(state(env)) as db:
        db.execute("UPDATE cursors SET tail = ? WHERE connector = 'todoist'", (tail,))
    (notes / "a.md").write_text(LINE.replace("[ ]", "[/]"))  # a status write needs the labels
    with pytest.raises(StateError) as caught:
        sync(notes)
    assert why in str(caught.value)
    assert str(caught.value).endswith(
        "delete the todoist row of its cursors table, and the next sync reads the tracker in full"
    )
    with sqlite3.connect(state(env)) as db:  # the advice works, and creates nothing twice
        db.execute("DELETE FROM cursors WHERE connector = 'todoist'")
    sync(notes)
    assert only(emulator)["labels"] == ["work", "in-progress"]
