"""Unread is not gone: with BRIDGE_ABSENT=close, tasks in a part of the vault that could not be
read for sure (a folder that cannot be listed, a note below an unclosed fence, a note whose
front matter never closes) are left open, and each cause is named in a diagnostic."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bridge.config import BridgeSettings
from bridge.sync import SyncRun, run_sync


def run(vault: Path) -> SyncRun:
    return run_sync(BridgeSettings(vault=vault, absent="close"), connector_name="todoist")


def open_tasks(emulator) -> list[str]:
    return sorted(t["content"] for t in emulator.tasks.values() if not t["checked"] and not t["is_deleted"])


def _vault(notes: Path) -> None:
    (notes / "team").mkdir()
    (notes / "team" / "weekly.md").write_text("- [ ] Book the room\n- [ ] Send the minutes\n")
    (notes / "fenced.md").write_text("# Plan\n\n- [ ] Draft the budget\n- [ ] Ask finance\n")
    (notes / "front.md").write_text("---\nid: offsite\n---\n- [ ] Pick a venue\n")
    (notes / "other.md").write_text("- [ ] Call the printer\n- [ ] Order badges\n")


def _unlistable(notes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = notes / "team"
    if os.geteuid() != 0:
        folder.chmod(0)
        return
    real = os.scandir  # root lists any folder: refuse this one the way the kernel would

    def refused(path=".", *args, **kwargs):
        if Path(os.fsdecode(path)) == folder:
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", refused)


def _unclosed_fence(notes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (notes / "fenced.md").write_text(
        "# Plan\n\n```python\nprint('hi')\n\n- [ ] Draft the budget\n- [ ] Ask finance\n"
    )


def _unclosed_front_matter(notes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (notes / "front.md").write_text("---\nid: offsite\n- [ ] Pick a venue\n")


CASES: dict[str, tuple[Callable[[Path, pytest.MonkeyPatch], None], str, list[str], str]] = {
    "folder": (_unlistable, "team/", ["Book the room", "Send the minutes"], "folder cannot be read"),
    "fence": (
        _unclosed_fence,
        "fenced.md",
        ["Ask finance", "Draft the budget"],
        "code fence ``` is never closed",
    ),
    "front matter": (
        _unclosed_front_matter,
        "front.md",
        ["Pick a venue"],
        "front matter (---) is never closed",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_tasks_that_could_not_be_read_are_never_closed(notes, emulator, monkeypatch, case):
    spoil, where, tasks, words = CASES[case]
    _vault(notes)
    assert run(notes).report.created == 7
    spoil(notes, monkeypatch)
    # a task really deleted from a readable note is still closed: the rule itself is on
    (notes / "other.md").write_text("- [ ] Call the printer\n")
    try:
        synced = run(notes)
    finally:
        (notes / "team").chmod(0o755)
    report = synced.report
    assert report.closed == 1
    assert "Order badges" not in open_tasks(emulator)
    assert set(tasks) <= set(open_tasks(emulator))
    mine = [d for d in synced.diagnostics if d.path == where]
    assert len(mine) == 1
    assert words in mine[0].message
    unseen = [n for n in report.notices if "not seen in notes that could not be read in full" in n]
    some = f"{len(tasks)} linked task{'s' if len(tasks) > 1 else ''}"
    assert unseen == [f"{some} not seen in notes that could not be read in full ({where}); left as they are"]
    assert run(notes).report.closed == 0  # and the next run neither
