"""A vault's stamp changes with anything a scan of the vault would see, and with nothing else."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bridge.stamp import stamp

NOTE = "- [ ] Send the budget to finance #task\n"


def _age(root: Path) -> None:
    """Every file under `root` made an hour old (which changes each one's ctime)."""
    past = time.time() - 3600
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past), follow_symlinks=False)


def _age_new(root: Path) -> None:
    """The files under `root` modified in the last minute made an hour old, the others left alone."""
    past = time.time() - 3600
    for path in root.rglob("*"):
        if path.lstat().st_mtime > time.time() - 60:
            os.utime(path, (past, past), follow_symlinks=False)


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / "week").mkdir(parents=True)
    (root / "a.md").write_text(NOTE, encoding="utf-8")
    (root / "week" / "b.md").write_text(NOTE.replace("budget", "agenda"), encoding="utf-8")
    (tmp_path / "outside.md").write_text(NOTE, encoding="utf-8")
    (root / "linked.md").symlink_to(tmp_path / "outside.md")
    _age(tmp_path)
    return root


def _digest(root: Path, *extra: object) -> str | None:
    return stamp(root, "fingerprint", *extra).digest


def test_an_unchanged_vault_stamps_the_same(vault: Path) -> None:
    assert _digest(vault) is not None
    assert _digest(vault) == _digest(vault)


def test_a_recent_note_gives_no_stamp(vault: Path) -> None:
    (vault / "a.md").write_text(NOTE, encoding="utf-8")
    assert _digest(vault) is None


def test_a_recent_symlink_target_gives_no_stamp(vault: Path) -> None:
    (vault.parent / "outside.md").write_text(NOTE, encoding="utf-8")
    assert _digest(vault) is None


def _same_size_same_mtime(vault: Path) -> None:
    note = vault / "a.md"
    before = note.stat()
    note.write_text(NOTE.replace("budget", "report"), encoding="utf-8")
    os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns))


def _retarget(vault: Path) -> None:
    (vault / "linked.md").unlink()
    (vault / "linked.md").symlink_to(vault / "a.md")


CHANGES: dict[str, Callable[[Path], object]] = {
    "edited, same size and mtime": _same_size_same_mtime,
    "added": lambda v: (v / "c.md").write_text(NOTE, encoding="utf-8"),
    "removed": lambda v: (v / "week" / "b.md").unlink(),
    "renamed": lambda v: (v / "week" / "b.md").rename(v / "week" / "c.md"),
    "mode": lambda v: (v / "a.md").chmod(0o600),
    "symlink retargeted": _retarget,
    "symlink target edited": lambda v: (v.parent / "outside.md").write_text(NOTE * 2, encoding="utf-8"),
    "racing save kept": lambda v: (v / ".a.md.bridge-saved").write_text(NOTE, encoding="utf-8"),
    "folder linked from outside": lambda v: (v / "out").symlink_to(v.parent),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_a_scan_would_see_changes_the_stamp(vault: Path, change: str) -> None:
    before = _digest(vault)
    CHANGES[change](vault)
    _age_new(vault.parent)
    assert _digest(vault) not in (None, before)


def test_settings_and_fingerprint_are_in_the_stamp(vault: Path) -> None:
    assert _digest(vault, 1) != _digest(vault, 2)
    assert stamp(vault, "one").digest != stamp(vault, "two").digest


def test_what_is_not_a_note_does_not_change_the_stamp(vault: Path) -> None:
    before = _digest(vault)
    (vault / "notes.txt").write_text("not a note", encoding="utf-8")
    (vault / ".obsidian").mkdir()
    (vault / ".obsidian" / "hidden.md").write_text(NOTE, encoding="utf-8")
    litter = vault / ".a.md.bridge-tmp"
    litter.write_text(NOTE, encoding="utf-8")
    _age_new(vault)
    found = stamp(vault, "fingerprint")
    assert found.digest == before
    assert found.litter == [litter]
