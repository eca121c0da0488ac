"""Recurring tasks with Todoist at their edges, over real HTTP: dates the note lacks, copies left
open, notes that cannot be written, rules Todoist cannot say, sub-tasks closed with their parent.
Each case was seen to go wrong by hand first; each test states the promise it checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bridge.config import BridgeSettings
from bridge.sync import run_sync
from connectors.todoist.emulator import Emulator

TODAY = dt.date(2026, 12, 4)


def sync(vault: Path):
    report = run_sync(BridgeSettings(vault=vault), connector_name="todoist", today=TODAY).report
    assert (report.failed, report.errors) == (0, [])
    return report


def live(emulator: Emulator, word: str) -> list[dict]:
    return [t for t in emulator.tasks.values() if word in t["content"] and not t.get("is_deleted")]


def settled(vault: Path) -> None:
    before = {p: p.read_bytes() for p in vault.glob("*.md")}
    r = sync(vault)
    assert (r.created, r.updated, r.closed, r.reopened, r.notes_written) == (0,) * 5
    assert {p: p.read_bytes() for p in vault.glob("*.md")} == before


def test_dateless_recurring_line_ticked_in_obsidian_keeps_the_todoist_task_open(notes, emulator):
    """`🔁 every day` with no date: Obsidian ticks it and adds an open copy; the bridge sends
    `item_close` (advance_command without a due), so Todoist's task is completed for good while
    the note's next occurrence is open: Todoist's task must stay open too (it recurs from today)."""
    (notes / "a.md").write_text("- [ ] Meditate 🔁 every day\n", encoding="utf-8")
    sync(notes)
    (notes / "a.md").write_text(
        "- [ ] Meditate 🔁 every day\n- [x] Meditate 🔁 every day ✅ 2026-12-04\n", encoding="utf-8"
    )
    sync(notes)
    [task] = live(emulator, "Meditate")
    assert task["checked"] is False


def test_dateless_recurring_completed_in_todoist_is_not_left_closed(notes, emulator, sdk):
    """Completed in Todoist: a dateless rule recurs there from today, so the task stays open and the
    note gets a done line and an open one, with no dates."""
    (notes / "a.md").write_text("- [ ] Meditate 🔁 every day\n", encoding="utf-8")
    sync(notes)
    [task] = live(emulator, "Meditate")
    sdk.complete_task(task["id"])
    sync(notes)
    text = (notes / "a.md").read_text(encoding="utf-8")
    still_open = "- [ ] Meditate" in text
    [task] = live(emulator, "Meditate")
    assert still_open == (not task["checked"])


def test_stale_near_duplicate_line_does_not_roll_todoist_back(notes, emulator, sdk):
    """Two near-duplicate recurring lines are one task. Obsidian ticks one (12-04 -> next 12-11),
    the other copy stays open on 12-04 (nothing ticks it). Todoist then completes 12-11 -> 12-18.
    The stale 12-04 copy is ticked with it; a later completion in Todoist moves on from 12-11, never
    back to an occurrence already completed."""
    note = notes / "a.md"
    note.write_text(
        "- [ ] Review the weekly budget report @Ann 🔁 every week 📅 2026-12-04\n"
        "- [ ] Review weekly budget report @Ann 🔁 every week 📅 2026-12-04\n",
        encoding="utf-8",
    )
    sync(notes)
    note.write_text(
        "- [ ] Review the weekly budget report @Ann 🔁 every week 📅 2026-12-04\n"
        "- [ ] Review weekly budget report @Ann 🔁 every week 📅 2026-12-11\n"
        "- [x] Review weekly budget report @Ann 🔁 every week 📅 2026-12-04 ✅ 2026-12-04\n",
        encoding="utf-8",
    )
    sync(notes)
    [task] = live(emulator, "budget")
    assert task["due"]["date"] == "2026-12-11"
    sdk.complete_task(task["id"])
    assert live(emulator, "budget")[0]["due"]["date"] == "2026-12-18"
    sync(notes)
    [task] = live(emulator, "budget")
    assert task["due"]["date"] == "2026-12-18"
    opens = [x for x in note.read_text(encoding="utf-8").splitlines() if x.startswith("- [ ]")]
    assert all("2026-12-18" in x for x in opens), opens


def test_moving_the_open_occurrence_to_another_note_keeps_the_link(notes, emulator):
    """Cut the open occurrence of a recurring task, paste it into another note, leave the ticked
    history behind: the link follows the line, as for any moved line, and no second task is made."""
    (notes / "a.md").write_text("- [ ] Pay rent 🔁 every month 📅 2027-01-05\n", encoding="utf-8")
    sync(notes)
    (notes / "a.md").write_text(
        "- [ ] Pay rent 🔁 every month 📅 2027-02-05\n"
        "- [x] Pay rent 🔁 every month 📅 2027-01-05 ✅ 2026-12-04\n",
        encoding="utf-8",
    )
    sync(notes)
    (notes / "a.md").write_text(
        "- [x] Pay rent 🔁 every month 📅 2027-01-05 ✅ 2026-12-04\n", encoding="utf-8"
    )
    (notes / "b.md").write_text("- [ ] Pay rent 🔁 every month 📅 2027-02-05\n", encoding="utf-8")
    report = sync(notes)
    assert (report.created, report.absent) == (0, 0)
    assert len([t for t in live(emulator, "Pay rent") if not t["checked"]]) == 1
    again = sync(notes)
    assert (again.created, again.updated, again.closed, again.notes_written) == (0, 0, 0, 0)


def test_hand_tick_in_a_read_only_note_gets_its_next_line_once_writable(notes, emulator):
    """Ticked by hand (no next line); the bridge advances Todoist, but the note is read-only so the
    next line cannot be written. docs/format.md: 'the tracker's change is kept and applied once it
    is writable': the next line is written then, and Todoist is not advanced a second time."""
    note = notes / "a.md"
    note.write_text("- [ ] Rotate keys 🔁 every week 📅 2026-12-07\n", encoding="utf-8")
    sync(notes)
    note.write_text("- [x] Rotate keys 🔁 every week 📅 2026-12-07 ✅ 2026-12-04\n", encoding="utf-8")
    note.chmod(0o444)
    try:
        run_sync(BridgeSettings(vault=notes), connector_name="todoist", today=TODAY)
    finally:
        note.chmod(0o644)
    sync(notes)
    assert "- [ ] Rotate keys 🔁 every week 📅 2026-12-14" in note.read_text(encoding="utf-8")
    settled(notes)
    [task] = live(emulator, "Rotate keys")
    assert (task["completed_count"], task["due"]["date"]) == (1, "2026-12-14")


def test_rule_todoist_cannot_say_completed_in_todoist_does_not_run_away(notes, emulator, sdk):
    """`every 3 weeks on Monday` is sent as a plain date (documented). Completed once in Todoist,
    the task closes for good there: the line is ticked once, and later syncs add nothing."""
    note = notes / "a.md"
    note.write_text("- [ ] Pay invoices 🔁 every 3 weeks on Monday 📅 2026-12-07\n", encoding="utf-8")
    sync(notes)
    [task] = live(emulator, "Pay invoices")
    sdk.complete_task(task["id"])
    sync(notes)
    sync(notes)
    sync(notes)
    ticked = [x for x in note.read_text(encoding="utf-8").splitlines() if x.startswith("- [x]")]
    assert len(ticked) == 1, ticked


def test_recurring_subtask_closed_with_its_parent_does_not_run_away(notes, emulator):
    note = notes / "a.md"
    note.write_text(
        "- [ ] Launch project 📅 2026-12-20\n  - [ ] Weekly check-in 🔁 every week 📅 2026-12-07\n",
        encoding="utf-8",
    )
    sync(notes)
    note.write_text(
        note.read_text(encoding="utf-8").replace(
            "- [ ] Launch project 📅 2026-12-20", "- [x] Launch project 📅 2026-12-20 ✅ 2026-12-04"
        ),
        encoding="utf-8",
    )
    for _ in range(4):
        sync(notes)
    ticked = [x for x in note.read_text(encoding="utf-8").splitlines() if "[x] Weekly" in x]
    assert len(ticked) <= 1, ticked
