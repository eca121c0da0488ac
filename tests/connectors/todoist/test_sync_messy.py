"""The cases that real, messy vaults broke, each synced against the Todoist emulator over HTTP.

Each states the promise it checks: one sync settles, and the next, with nothing touched on either
side, does nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import sqlite3
from pathlib import Path

from bridge.config import BridgeSettings
from bridge.output import print_report
from bridge.sync import SyncRun, run_sync
from tests.connectors.todoist.conftest import sync_killed_after_commands

TODAY = dt.datetime.now(dt.UTC).astimezone().date()


def run(vault: Path) -> SyncRun:
    return run_sync(BridgeSettings(vault=vault), connector_name="todoist")


def counts(vault: Path) -> tuple[int, ...]:
    r = run(vault).report
    return (r.created, r.updated, r.closed, r.reopened, r.notes_written)


def snapshot(vault: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(vault.glob("*.md"))}


def open_tasks(emulator) -> list[str]:
    return sorted(t["content"] for t in emulator.tasks.values() if not t["checked"] and not t["is_deleted"])


def test_a_ticked_copy_for_another_owner_never_closes_the_carried_item(notes, emulator):
    (notes / "a.md").write_text("- [ ] Share the Q3 roadmap 📅 2026-11-20\n")
    (notes / "b.md").write_text(
        "- [x] Share the Q3 roadmap @Myself ✅ 2026-11-23\n- [?] Share the Q3 roadmap 📅 2026-11-27\n"
    )
    before = snapshot(notes)
    assert counts(notes) == (1, 0, 0, 0, 0)
    assert counts(notes) == (0, 0, 0, 0, 0)
    assert snapshot(notes) == before
    assert open_tasks(emulator) == ["Share the Q3 roadmap"]


def test_the_same_sentence_for_two_owners_is_two_tasks(notes, emulator):
    (notes / "a.md").write_text("- [x] Send the agenda @Myself\n- [ ] Send the agenda @Dana Kim\n")
    assert counts(notes) == (1, 0, 0, 0, 0)  # Dana's open item; Myself's line is history
    assert counts(notes) == (0, 0, 0, 0, 0)
    [task] = emulator.tasks.values()
    assert task["content"] == "Send the agenda"
    # Ticking Dana's line closes Dana's task and leaves the other line alone.
    (notes / "a.md").write_text("- [x] Send the agenda @Myself\n- [x] Send the agenda @Dana Kim\n")
    assert counts(notes) == (0, 0, 1, 0, 0)
    assert counts(notes) == (0, 0, 0, 0, 0)


def test_rewording_a_line_in_place_updates_the_task_title(notes, emulator):
    note = "# Notes\n- [ ] Call the bank\n- [ ] Order a new laptop for Dana\n- [ ] Book a room\n"
    (notes / "a.md").write_text(note)
    assert counts(notes) == (3, 0, 0, 0, 0)
    (notes / "a.md").write_text(note.replace("for Dana", 'for Dana (MacBook Pro 14")'))
    result = run(notes)
    assert (result.report.created, result.report.updated, result.report.absent) == (0, 1, 0)
    assert any("reworded" in n for n in result.report.notices)
    assert counts(notes) == (0, 0, 0, 0, 0)
    laptop = 'Order a new laptop for Dana (MacBook Pro 14")'
    assert open_tasks(emulator) == ["Book a room", "Call the bank", laptop]


def test_a_line_reworded_between_the_same_neighbours_after_lines_above_moved(notes, emulator):
    (notes / "a.md").write_text("- [ ] Call the bank\n- [ ] Order a laptop\n- [ ] Book a room\n")
    counts(notes)
    moved = "Intro\n\n- [ ] Call the bank\n- [ ] Order a laptop for Dana\n- [ ] Book a room\n"
    (notes / "a.md").write_text(moved)
    assert counts(notes) == (0, 1, 0, 0, 0)
    assert len(emulator.tasks) == 3


def test_an_unrelated_line_in_place_of_a_deleted_one_is_a_new_task(notes, emulator):
    (notes / "a.md").write_text("- [ ] Call the bank\n- [ ] Order a laptop\n")
    counts(notes)
    (notes / "a.md").write_text("- [ ] Call the bank\n- [ ] Water the office plants\n")
    assert counts(notes) == (1, 0, 0, 0, 0)
    assert open_tasks(emulator) == ["Call the bank", "Order a laptop", "Water the office plants"]


def test_tasks_gone_from_the_notes_are_reported_to_people(notes, emulator, capsys):
    (notes / "a.md").write_text("- [ ] Call the bank\n- [ ] Order a laptop\n- [ ] Book a room\n")
    counts(notes)
    (notes / "a.md").write_text("- [ ] Book a room\n")
    result = run(notes)
    assert result.report.absent == 2
    print_report(result.to_json())
    out = capsys.readouterr().out
    assert "2 linked tasks no longer in the notes; left open (BRIDGE_ABSENT=leave)" in out


def test_an_impossible_date_keeps_the_due_date_in_todoist(notes, emulator, capsys):
    (notes / "a.md").write_text("- [ ] Pay the invoice 📅 2025-10-30\n")
    counts(notes)
    (notes / "a.md").write_text("- [ ] Pay the invoice 📅 2025-10-32\n")
    result = run(notes)
    assert (result.report.updated, result.report.created) == (0, 0)
    [problem] = [str(d) for d in result.diagnostics]
    assert problem == (
        "a.md:1: impossible due date '2025-10-32' (📅); read as unknown: a synced task keeps the value it has"
    )
    [task] = emulator.tasks.values()
    assert task["due"]["date"] == "2025-10-30"
    # fixing the typo to another date is a change; fixing it back would have been none
    (notes / "a.md").write_text("- [ ] Pay the invoice 📅 2025-10-31\n")
    assert counts(notes) == (0, 1, 0, 0, 0)
    assert next(iter(emulator.tasks.values()))["due"]["date"] == "2025-10-31"


def test_an_unknown_dataview_priority_keeps_the_key_and_the_priority(notes, emulator):
    (notes / "a.md").write_text("- [ ] Pay the invoice [priority:: high]\n")
    counts(notes)
    (notes / "a.md").write_text("- [ ] Pay the invoice [priority:: urgnet]\n")
    assert counts(notes) == (0, 0, 0, 0, 0)
    [task] = emulator.tasks.values()
    assert (task["content"], task["priority"]) == ("Pay the invoice", 3)


def test_a_rerun_after_a_crash_adopts_tasks_of_a_renamed_note(notes, env, emulator):
    items = ["Book the venue", "Draft the agenda", "Invite the speakers", "Order catering", "Print badges"]
    lines = [f"- [ ] {item} @Dana" for item in items]
    (notes / "meeting.md").write_text("\n".join(lines) + "\n")
    assert sync_killed_after_commands(notes, env, emulator) == -signal.SIGKILL
    created = {t["id"] for t in emulator.tasks.values()}
    assert len(created) == 5
    (notes / "meeting.md").rename(notes / "2026-12-03 meeting.md")
    report = run(notes).report
    assert (report.created, report.failed, report.linked) == (0, 0, 5)
    assert {t["id"] for t in emulator.tasks.values()} == created
    assert counts(notes) == (0, 0, 0, 0, 0)
    # the adopted tasks now point at the renamed note
    assert all("2026-12-03%20meeting.md" in t["description"] for t in emulator.tasks.values())


def test_a_state_from_the_previous_release_keeps_its_links_when_owners_split_a_key(notes, env, emulator):
    """The previous release keyed `Send the agenda @Myself` and `… @Dana Kim` in one note alike and
    synced them as one task; now they are two keys. The existing task keeps Myself's line, Dana
    gets a task of her own, nothing is closed, and the next sync does nothing."""
    shared = emulator.create_project("Bridge")["id"]  # assigning needs a shared project
    emulator.add_collaborator(shared, full_name="Dana Kim", email="dana@example.com")
    (notes / "a.md").write_text("- [ ] Send the agenda @Myself\n")
    assert counts(notes) == (1, 0, 0, 0, 0)
    (notes / "a.md").write_text("- [ ] Send the agenda @Myself\n- [ ] Send the agenda @Dana Kim\n")
    # the state as the previous release left it after syncing both lines: one key for both, the
    # line values of the last line under it, and no places or history remembered
    db = sqlite3.connect(env["BRIDGE_STATE_URL"].removeprefix("sqlite:///"))
    [(rid, data)] = db.execute("SELECT remote_id, data FROM bases").fetchall()
    base = json.loads(data)
    [key] = base["keys"]
    base["lines"] = {key: ["TODO", None, None, "Dana Kim"]}
    del base["spots"], base["past"]
    db.execute("UPDATE bases SET data = ? WHERE remote_id = ?", (json.dumps(base), rid))
    db.execute("DELETE FROM files")  # the previous release's parse cache holds the old keys
    db.commit()
    db.close()

    result = run(notes)
    assert (result.report.created, result.report.closed, result.report.failed) == (1, 0, 0)
    assert counts(notes) == (0, 0, 0, 0, 0)
    kept = emulator.tasks[rid]
    assert (kept["content"], kept["checked"]) == ("Send the agenda", False)
    assert kept["responsible_uid"] == emulator.user_id  # still Myself's
    assert open_tasks(emulator) == ["Send the agenda", "Send the agenda"]
