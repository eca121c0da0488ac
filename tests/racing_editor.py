"""An editor that saves a note every 0-3 ms, the four ways editors save, to race write-backs.

Run as `python -m tests.racing_editor NOTE STOP SEED`: each save adds one line `edit NNNNNN`,
by appending, by rewriting the file in place, by renaming a new file over it, or by deleting
and recreating it, until the file STOP exists. It prints how many saves it made; every one of
them must be in the note at the end.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path


def _read(note: Path) -> bytes:
    while True:
        try:
            return note.read_bytes()
        except FileNotFoundError:  # only this editor deletes it, and recreates it at once
            time.sleep(0.0001)


def _write(note: Path, flags: int, data: bytes) -> None:
    fd = os.open(note, os.O_WRONLY | flags, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def save(note: Path, how: str, line: bytes) -> None:
    if how == "append":
        _write(note, os.O_APPEND, line)
        return
    data = _read(note) + line
    if how == "in place":
        _write(note, os.O_TRUNC, data)
    elif how == "rename":
        tmp = note.with_name(f".{note.name}.editor-save")
        tmp.write_bytes(data)
        os.replace(tmp, note)
    else:  # delete and recreate
        os.unlink(note)
        _write(note, os.O_CREAT | os.O_EXCL, data)


def main() -> None:
    note, stop, seed = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)  # noqa: S311 - timing jitter, not secrets
    count = 0
    while not stop.exists():
        how = rng.choice(["append", "in place", "rename", "recreate"])
        save(note, how, b"edit %06d\n" % count)
        count += 1
        time.sleep(rng.uniform(0, 0.003))
    print(count)


if __name__ == "__main__":
    main()
