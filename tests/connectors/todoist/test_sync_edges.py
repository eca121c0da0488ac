"""Edge cases of two-way sync that once went wrong: each runs `bridge sync` against the emulator.

Groups whose lines disagree must settle, a change the notes could not take must not be lost,
idempotency tokens must cover content, and edits made in Todoist must survive.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import BridgeSettings
from bridge.sync import run_sync
from connectors.todoist.connector import TodoistConnector
from connectors.todoist.settings import TodoistSettings


def sync(vault: Path, connector: TodoistConnector | None = None):
    try:
        return run_sync(BridgeSettings(vault=vault), connector_name="todoist", connector=connector).report
    finally:
        if connector is not None:
            connector.close()


def writes(report) -> int:
    return report.created + report.updated + report.closed + report.reopened + report.notes_written


def only(emulator) -> dict:
    [task] = emulator.tasks.values()
    return task


def test_carried_forward_lines_with_different_due_dates_settle(notes, emulator):
    (notes / "a.md").write_text("- [ ] Send the budget to finance @Alice 📅 2025-10-01\n")
    (notes / "b.md").write_text("- [ ] Send the budget to finance @Alice 📅 2025-10-08\n")
    sync(notes)
    assert [writes(sync(notes)) for _ in range(3)] == [0, 0, 0]
    assert len(emulator.tasks) == 1


def test_ticking_one_line_of_a_group_ticks_the_others_and_settles(notes, emulator):
    text = (
        "- [ ] Share the role descriptions with Jason @Lior 📅 2025-10-26\n"
        "- [ ] Share role descriptions with Jason @Lior 📅 2025-10-26\n"
    )
    (notes / "a.md").write_text(text)
    sync(notes)
    (notes / "a.md").write_text(text.replace("- [ ]", "- [x]", 1))
    first = sync(notes)
    assert (first.closed, first.notes_written) == (1, 1)
    assert all(line.startswith("- [x]") for line in (notes / "a.md").read_text().splitlines())
    assert [writes(sync(notes)) for _ in range(2)] == [0, 0]
    assert only(emulator)["checked"] is True


def test_ticking_the_older_copy_of_a_carried_item_closes_it_everywhere(notes, emulator):
    line = "- [ ] Send the budget to finance @Alice 📅 2025-10-01\n"
    (notes / "a.md").write_text(line)
    (notes / "b.md").write_text(line)
    sync(notes)
    (notes / "a.md").write_text(line.replace("[ ]", "[x]"))
    assert sync(notes).closed == 1
    assert (notes / "b.md").read_text().startswith("- [x]")
    assert [writes(sync(notes)) for _ in range(2)] == [0, 0]
    (notes / "b.md").write_text((notes / "b.md").read_text().replace("📅", "⏫ 📅"))
    assert sync(notes).updated == 1
    assert only(emulator)["priority"] == 3


def test_completion_pulled_while_the_note_is_unreadable_is_applied_later(notes, emulator):
    good = b"- [ ] Write the report\n"
    (notes / "a.md").write_bytes(good)
    sync(notes)
    emulator.complete(only(emulator)["id"])
    (notes / "a.md").write_bytes(good + b"caf\xe9\n")  # saved as Latin-1 for a moment
    assert sync(notes).closed == 0
    (notes / "a.md").write_bytes(good)
    assert sync(notes).notes_written == 1
    assert (notes / "a.md").read_text().startswith("- [x]")


def test_an_edit_made_after_a_crashed_run_is_not_swallowed_by_the_idempotency_token(notes, emulator):
    (notes / "a.md").write_text("- [ ] Write the report 📅 2025-10-01\n")
    sync(notes)
    (notes / "a.md").write_text("- [ ] Write the report 📅 2025-10-02\n")

    class Crash(TodoistConnector):
        def push(self, ops):
            super().push(ops)
            raise KeyboardInterrupt("killed after the push, before the commit")

    with pytest.raises(KeyboardInterrupt):
        sync(notes, connector=Crash(TodoistSettings()))
    (notes / "a.md").write_text("- [ ] Write the report 📅 2025-10-09\n")
    sync(notes)
    assert only(emulator)["due"]["date"] == "2025-10-09"


def test_a_line_deleted_long_ago_is_not_a_move(notes, emulator):
    (notes / "w1.md").write_text("- [ ] Send the weekly report\n")
    sync(notes)
    (notes / "w1.md").write_text("- [x] Send the weekly report\n")
    sync(notes)
    (notes / "w1.md").unlink()
    sync(notes)
    sync(notes)
    (notes / "w2.md").write_text("- [ ] Send the weekly report\n")  # next week's item
    report = sync(notes)
    assert (report.created, report.reopened) == (1, 0)


def test_a_task_deleted_in_todoist_does_not_block_a_new_line_later(notes, emulator):
    (notes / "w1.md").write_text("- [ ] Send the weekly report\n")
    sync(notes)
    emulator.delete(only(emulator)["id"])
    sync(notes)
    (notes / "w1.md").unlink()
    sync(notes)
    (notes / "w2.md").write_text("- [ ] Send the weekly report\n")
    assert sync(notes).created == 1
    assert any(not t["is_deleted"] for t in emulator.tasks.values())


def test_a_completion_whose_line_vanished_mid_run_is_not_bounced_back(notes, emulator):
    (notes / "a.md").write_text("- [ ] Write the report\n- [ ] Book the room\n")
    sync(notes)
    task = next(t for t in emulator.tasks.values() if t["content"] == "Write the report")
    emulator.complete(task["id"])
    (notes / "a.md").write_text("- [ ] Write the report\n- [ ] Book the room!\n")

    class RenamedMeanwhile(TodoistConnector):
        def push(self, ops):
            out = super().push(ops)
            (notes / "a.md").rename(notes / "renamed.md")  # renamed in Obsidian during the run
            return out

    sync(notes, connector=RenamedMeanwhile(TodoistSettings()))
    report = sync(notes)
    assert report.reopened == 0
    assert emulator.tasks[task["id"]]["checked"]
    assert (notes / "renamed.md").read_text().startswith("- [x] Write the report")


def test_a_failed_batch_names_each_task_once(notes, emulator):
    (notes / "a.md").write_text("- [ ] One\n- [ ] Two\n")

    class Refused(TodoistConnector):
        def push(self, ops):
            emulator.fail_next(400, count=1)
            return super().push(ops)

    report = sync(notes, connector=Refused(TodoistSettings()))
    assert report.failed == 2
    assert sorted(e.split(":")[1].strip() for e in report.errors) == ["create 'One'", "create 'Two'"]
    assert all("HTTP 400" in e for e in report.errors)


def test_labels_added_in_todoist_survive_a_status_change(notes, emulator):
    (notes / "a.md").write_text("- [ ] Write the report #work\n")
    sync(notes)
    emulator.update(only(emulator)["id"], labels=["work", "urgent"])
    sync(notes)
    (notes / "a.md").write_text("- [/] Write the report #work\n")
    sync(notes)
    assert only(emulator)["labels"] == ["urgent", "work", "in-progress"]


@pytest.mark.parametrize("status", ["-", "/"])
def test_status_labels_follow_the_status(notes, emulator, status):
    (notes / "a.md").write_text(
        f"- [{status}] Write the report\n" if status == "/" else "- [ ] Write the report\n"
    )
    sync(notes)
    if status == "-":
        (notes / "a.md").write_text("- [-] Write the report\n")
        sync(notes)
        assert only(emulator)["labels"] == ["cancelled"]
        assert only(emulator)["checked"]
    else:
        assert only(emulator)["labels"] == ["in-progress"]
        (notes / "a.md").write_text("- [x] Write the report\n")
        sync(notes)
    (notes / "a.md").write_text("- [ ] Write the report\n")
    sync(notes)
    assert only(emulator)["labels"] == []
    assert not only(emulator)["checked"]
