"""No save lost: write-backs racing an editor that saves every 0-3 ms, four ways.

The editor (`tests.racing_editor`) appends, rewrites in place, renames over, or deletes and
recreates the note while status changes are written into it as fast as they go. Every one of
its saves must be in the note at the end, exactly once. CI runs a short race; set
BRIDGE_RACE_WRITES=10000 for the long one (it prints its figures with `-s`).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from bridge import exchange
from bridge.model import StatusType
from bridge.parse import parse_note
from bridge.writeback import set_status

WRITES = int(os.environ.get("BRIDGE_RACE_WRITES", "400"))
PROJECT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 12, 3)


def _status(data: bytes) -> StatusType | None:
    try:
        tasks, _ = parse_note(data.decode("utf-8"), "race.md")
    except UnicodeDecodeError:  # pragma: no cover - the editor writes ASCII
        return None
    return tasks[0].status_type if tasks else None


ROUND = 500  # write-backs per note: a note that grows without end only makes each round slower


def _race(folder: Path, writes: int, seed: int, swaps: dict[str, int]) -> tuple[int, int, list[int]]:
    """One editor racing `writes` write-backs on a fresh note: (write-backs not done, saves, lost)."""
    folder.mkdir()
    note = folder / "race.md"
    note.write_bytes(b"# Race\n\n- [ ] Ship the report @Dana \xf0\x9f\x93\x85 2026-12-04\n\n")
    key = parse_note(note.read_text(encoding="utf-8"), "race.md")[0][0].line_key
    stop = folder / "stop"
    editor = subprocess.Popen(
        [sys.executable, "-m", "tests.racing_editor", str(note), str(stop), str(seed)],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    written = refused = 0
    try:
        while written < writes:
            assert editor.poll() is None, "the editor stopped: its save failed"
            try:
                seen = _status(note.read_bytes())
            except FileNotFoundError:  # between the editor's delete and its recreate
                continue
            if seen is None:
                continue
            target = StatusType.TODO if seen is StatusType.DONE else StatusType.DONE
            result = set_status(folder, "race.md", {key: target}, today=TODAY, seen={key: seen})
            if result.lines:
                written += 1
            else:
                refused += 1  # vanished for a moment, or changed since it was read: asked again
    finally:
        stop.touch()
        out, err = editor.communicate(timeout=60)
    assert editor.returncode == 0, err.decode()
    saves = int(out)
    final = note.read_bytes()
    assert final.count(b"Ship the report") == 1
    assert not [p for p in folder.iterdir() if p.name.endswith(exchange.TEMP_SUFFIX)]
    return refused, saves, [n for n in range(saves) if final.count(b"edit %06d\n" % n) != 1]


def test_no_save_of_a_racing_editor_is_lost(tmp_path, monkeypatch):
    swaps = {"undone": 0, "rewritten": 0}
    real_swap = exchange.swap_if_unchanged

    def counted(target, new, read, before, replan):
        outcome = real_swap(target, new, read, before, replan)
        if outcome.data is None:
            swaps["undone"] += 1
        elif outcome.data is not new:
            swaps["rewritten"] += 1
        return outcome

    monkeypatch.setattr("bridge.writeback.swap_if_unchanged", counted)
    started = time.monotonic()
    refused = saves = 0
    lost: list[str] = []
    for n, start in enumerate(range(0, WRITES, ROUND)):
        not_done, made, missing = _race(tmp_path / f"round{n}", min(ROUND, WRITES - start), 12 + n, swaps)
        refused, saves = refused + not_done, saves + made
        lost += [f"round {n}: edit {m}" for m in missing]
    print(
        f"\n{WRITES} write-backs in {time.monotonic() - started:.1f} s against {saves} editor saves; "
        f"swaps undone {swaps['undone']}, rewritten from a racing save {swaps['rewritten']}, "
        f"write-backs not done {refused}; saves lost: {len(lost)}"
    )
    assert saves > WRITES // 4, "the editor barely ran: not a race"
    assert lost == []
