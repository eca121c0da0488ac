"""Atomic replacement: the mode asked for, and nothing left behind when the target moved on."""

from __future__ import annotations

import stat

from bridge.atomic import replace_file


def test_the_new_bytes_arrive_with_the_mode_asked_for(tmp_path):
    target = tmp_path / "note.md"
    target.write_bytes(b"old")
    assert replace_file(target, b"new", mode=0o640) is True
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["note.md"]


def test_a_target_that_changed_meanwhile_is_left_alone(tmp_path):
    target = tmp_path / "note.md"
    target.write_bytes(b"edited by the user")
    assert replace_file(target, b"ours", mode=0o600, still_valid=lambda: False) is False
    assert target.read_bytes() == b"edited by the user"
    assert [p.name for p in tmp_path.iterdir()] == ["note.md"]  # no temporary file left


def test_a_file_not_asked_to_be_durable_is_replaced_without_waiting_for_the_disk(tmp_path, monkeypatch):
    target = tmp_path / "listing.parse"
    target.write_bytes(b"old")

    def no_fsync(fd: int) -> None:
        raise AssertionError("fsync called")

    monkeypatch.setattr("os.fsync", no_fsync)
    assert replace_file(target, [b"new ", b"pieces"], mode=0o600, durable=False) is True
    assert target.read_bytes() == b"new pieces"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["listing.parse"]
