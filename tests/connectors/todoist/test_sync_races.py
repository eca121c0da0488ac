"""The user's word wins over a write-back in flight, and a killed write-back leaves no litter."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge import apply
from bridge.config import BridgeSettings
from bridge.sync import run_sync


def run(vault: Path):
    return run_sync(BridgeSettings(vault=vault), connector_name="todoist").report


def test_a_status_typed_between_plan_and_write_stays_as_the_user_left_it(notes, emulator, monkeypatch):
    note = notes / "a.md"
    note.write_text("- [ ] Send the deck\n- [ ] Book the room\n", encoding="utf-8")
    assert run(notes).created == 2
    deck = next(t for t in emulator.tasks.values() if t["content"] == "Send the deck")
    emulator.complete(deck["id"])  # the tracker says done; the sync plans `[x]` for the line...
    real = apply.set_status

    def user_cancels_first(root, path, changes, **kw):
        note.write_text(
            "- [-] Send the deck\n- [ ] Book the room\n", encoding="utf-8"
        )  # ...the user types [-]
        return real(root, path, changes, **kw)

    monkeypatch.setattr(apply, "set_status", user_cancels_first)
    report = run(notes)
    monkeypatch.setattr(apply, "set_status", real)
    assert note.read_text(encoding="utf-8") == "- [-] Send the deck\n- [ ] Book the room\n"
    assert any("status changed in the note since it was read" in n for n in report.notices)
    settled = run(notes)  # the next sync settles it: the line as the user left it, the task closed
    assert note.read_text(encoding="utf-8") == "- [-] Send the deck\n- [ ] Book the room\n"
    assert emulator.tasks[deck["id"]]["checked"]
    assert settled.notes_written == 0
    assert (run(notes).updated, run(notes).notes_written) == (0, 0)


@pytest.mark.parametrize("name", [".a.md.k2j4h1.bridge-tmp", ".deep.md.x.bridge-tmp"])
def test_a_killed_write_backs_temporary_file_is_removed_by_the_next_run(notes, emulator, name):
    (notes / "a.md").write_text("- [ ] Send the deck\n", encoding="utf-8")
    (notes / "sub").mkdir()
    for folder in (notes, notes / "sub"):
        (folder / name).write_text("- [ ] Send the deck\n", encoding="utf-8")  # a full copy of a note
    (notes / ".keep.md").write_text("not ours\n", encoding="utf-8")
    assert run(notes).created == 1
    assert sorted(p.name for p in notes.rglob(".*")) == [".keep.md"]


def test_a_read_only_note_is_reported_and_takes_the_change_once_writable(notes, emulator):
    note = notes / "a.md"
    note.write_text("- [ ] Send the deck\n", encoding="utf-8")
    assert run(notes).created == 1
    [task] = emulator.tasks.values()
    emulator.complete(task["id"])
    note.chmod(0o444)
    try:
        report = run(notes)
        assert note.read_text(encoding="utf-8") == "- [ ] Send the deck\n"
        assert "a.md: read-only (mode 0444); not written: make it writable to sync it" in report.notices
        assert not any("not found" in n for n in report.notices)
    finally:
        note.chmod(0o644)
    assert run(notes).notes_written == 1
    assert note.read_text(encoding="utf-8").startswith("- [x] Send the deck ✅ ")
    assert emulator.tasks[task["id"]]["checked"]
