"""Sub-tasks with Todoist, end to end over real HTTP: a task line indented under another becomes a
sub-task (`parent_id`), a line moved out of its parent moves its task, and closing a parent closes
its sub-tasks there, so their lines are ticked too. Todoist is read through the official SDK."""

from __future__ import annotations

from pathlib import Path

from bridge.config import BridgeSettings
from bridge.sync import run_sync

PROJECT = "Bridge"
NOTE = """# Launch

- [ ] Plan the launch 📅 2026-03-01
  - [ ] Book the venue
  - [ ] Write the invitation
    - [ ] Pick the font
  - [ ] Order the food
- [ ] Send the minutes
"""


def sync(vault: Path):
    return run_sync(BridgeSettings(vault=vault), connector_name="todoist").report


def by_title(sdk) -> dict:
    project = next(p for page in sdk.get_projects() for p in page if p.name == PROJECT)
    return {t.content: t for page in sdk.get_tasks(project_id=project.id) for t in page}


def test_a_parent_with_three_children_is_one_task_with_three_subtasks(notes, sdk, emulator):
    (notes / "launch.md").write_text(NOTE, encoding="utf-8")
    report = sync(notes)
    assert (report.created, report.failed) == (6, 0), report.errors
    tasks = by_title(sdk)
    parent = tasks["Plan the launch"]
    assert parent.parent_id is None
    children = {t.content for t in tasks.values() if t.parent_id == parent.id}
    assert children == {"Book the venue", "Write the invitation", "Order the food"}
    assert tasks["Pick the font"].parent_id == tasks["Write the invitation"].id
    assert tasks["Send the minutes"].parent_id is None
    # the parents' creates went first, each sub-task once it knew its parent's id: one push a level
    assert [m for m, p in emulator.request_log if p.endswith("/sync")].count("POST") == 4

    logged = len(emulator.request_log)
    again = sync(notes)
    assert (again.created, again.updated, again.notes_written) == (0, 0, 0)
    assert len(emulator.request_log) - logged == 1  # the read, nothing written


def test_a_child_moved_out_is_moved_in_todoist_and_the_next_sync_does_nothing(notes, sdk, emulator):
    note = notes / "launch.md"
    note.write_text(NOTE, encoding="utf-8")
    sync(notes)
    note.write_text(NOTE.replace("  - [ ] Order the food", "- [ ] Order the food"), encoding="utf-8")
    report = sync(notes)
    assert (report.created, report.updated, report.failed) == (0, 1, 0), report.errors
    tasks = by_title(sdk)
    assert tasks["Order the food"].parent_id is None
    assert tasks["Order the food"].project_id == tasks["Plan the launch"].project_id
    assert {t.content for t in tasks.values() if t.parent_id == tasks["Plan the launch"].id} == {
        "Book the venue",
        "Write the invitation",
    }

    logged = len(emulator.request_log)
    again = sync(notes)
    assert (again.created, again.updated, again.notes_written) == (0, 0, 0)
    assert len(emulator.request_log) - logged == 1

    # and under another parent: moved there
    moved = note.read_text(encoding="utf-8").replace("- [ ] Order the food", "    - [ ] Order the food")
    note.write_text(moved, encoding="utf-8")
    assert sync(notes).updated == 1
    tasks = by_title(sdk)
    assert tasks["Order the food"].parent_id == tasks["Write the invitation"].id


def test_a_child_added_under_a_synced_parent_and_a_new_parent_with_a_child(notes, sdk):
    note = notes / "launch.md"
    note.write_text(NOTE, encoding="utf-8")
    sync(notes)
    text = note.read_text(encoding="utf-8")
    text = text.replace("  - [ ] Order the food\n", "  - [ ] Order the food\n  - [ ] Hire a band\n")
    text += "  - [ ] Attach the slides\n"
    note.write_text(text, encoding="utf-8")
    report = sync(notes)
    assert (report.created, report.failed) == (2, 0), report.errors
    tasks = by_title(sdk)
    assert tasks["Hire a band"].parent_id == tasks["Plan the launch"].id
    assert tasks["Attach the slides"].parent_id == tasks["Send the minutes"].id


def test_closing_a_parent_closes_its_subtasks_and_the_next_sync_ticks_their_lines(notes, sdk):
    note = notes / "launch.md"
    note.write_text(NOTE, encoding="utf-8")
    sync(notes)
    note.write_text(NOTE.replace("- [ ] Plan the launch", "- [x] Plan the launch"), encoding="utf-8")
    report = sync(notes)
    assert report.closed == 1
    assert set(by_title(sdk)) == {"Send the minutes"}  # Todoist completed the sub-tasks with it
    ticked = sync(notes)
    assert ticked.notes_written == 4
    lines = note.read_text(encoding="utf-8").splitlines()
    assert [line.lstrip()[:5] for line in lines if "[" in line] == ["- [x]"] * 5 + ["- [ ]"]
    quiet = sync(notes)
    assert (quiet.updated, quiet.closed, quiet.notes_written) == (0, 0, 0)
