"""No byte lost while `bridge serve` ticks tasks in notes that an editor is saving at that moment.

The receiver's inbox worker (a thread here) applies signed Todoist deliveries through the
compare-and-swap write-back, while an editor in another process saves the same notes every
0-2 ms: appending, rewriting the file in place, or renaming a new file over it. Each save adds one
line `Editor note N`. At the end every one of those lines must be in the notes exactly once, every
original line too, each tick the worker reported applied must be there, and one `bridge sync`
settles the rest. Run as a module, this file is that editor:
`python -m tests.bridge.test_serve_editor_race FOLDER STOP LOCK SEED`.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import bridge.writeback
from bridge.config import BridgeSettings
from bridge.exchange import SAVED_SUFFIX, TEMP_SUFFIX
from bridge.serve import Receiver, create_app
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from connectors.todoist.emulator import Emulator
from tests.bridge.test_serve_batches import complete, drained, store_of, synced_with_todoist
from tests.racing_editor import save as racing_save

PROJECT = Path(__file__).resolve().parents[2]
NOTES, TASKS, COMPLETED = 5, 10, 40  # 50 linked tasks, 40 of them completed in the tracker
SEED = 20261203
MARKER = re.compile(r"Editor note \d+")

VERBS = ["Order", "Book", "Review", "Renew", "Call", "Write", "Fix", "Plan", "Email", "Archive"]
# fmt: off
THINGS = [
    "folders", "lanyards", "badges", "stapler", "projector", "whiteboard", "router", "lease", "invoices",
    "receipts", "banner", "brochure", "catering", "chairs", "tables", "microphones", "speakers", "cables",
    "adapters", "laptops", "tickets", "visas", "hotel", "flights", "taxis", "permits", "insurance",
    "contracts", "signatures", "budget", "roadmap", "pricing", "slogan", "website", "newsletter", "podcast",
    "webinar", "keynote", "demo", "trailer", "hoodies", "stickers", "mugs", "posters", "balloons", "flowers",
    "cake", "coffee", "pizza", "lemonade",
]
# fmt: on


def title(note: int, task: int) -> str:
    """Titles apart enough that no two are grouped as one action item (`bridge.groups`)."""
    return f"{VERBS[task]} {THINGS[note * TASKS + task]}"


def note_text(note: int) -> str:
    """Tasks between prose and a log section: the editor adds lines above and below them."""
    tasks = "".join(f"- [ ] {title(note, t)}\n" for t in range(TASKS))
    return f"# Launch {note}\n\nSome prose that stays as it is.\n\n{tasks}\n## Log\n"


# -- the editor (its own process) -------------------------------------------------------------


@contextmanager
def holding(lock: Path) -> Iterator[None]:
    """An exclusive flock on `lock`, through a descriptor of our own (a flock is per open file)."""
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield


def edited(data: bytes, line: bytes, top: bool) -> bytes:
    """The note with `line` under its heading, or at its end: what was there stays."""
    if not top:
        return data + line
    heading, rest = data.split(b"\n", 1)
    return heading + b"\n" + line + rest


def save(note: Path, how: str, line: bytes, top: bool, lock: Path) -> None:
    """One save, made from what the note holds now.

    A save by rename made from bytes read before the bridge's write would replace that write:
    the editor's own stale buffer, which no compare-and-swap can see (and the next sync would
    take the unticked line as the user's word). So the read and the rename are kept out of the
    bridge's swap by a flock on `lock`, which the test takes around each swap; they still fall
    between the bridge's read of the note and its write, the window the swap must close.
    The other ways read and write through one open descriptor, which the swap waits out.
    """
    if how == "append":
        racing_save(note, "append", line)
    elif how == "in place":
        fd = os.open(note, os.O_RDWR)
        try:
            data = b""
            while chunk := os.read(fd, 1 << 16):
                data += chunk
            new = edited(data, line, top)
            os.pwrite(fd, new, 0)
            os.ftruncate(fd, len(new))
        finally:
            os.close(fd)
    else:
        with holding(lock):
            tmp = note.with_name(f".{note.name}.editor-save")
            tmp.write_bytes(edited(note.read_bytes(), line, top))
            os.replace(tmp, note)


def edit_until_stopped(folder: Path, stop: Path, lock: Path, seed: int) -> dict[str, list[str]]:
    """Save random notes of `folder` until `stop` exists; the marker lines written, by note."""
    rng = random.Random(seed)  # noqa: S311 - timing jitter, not secrets
    notes = sorted(folder.glob("*.md"))
    written: dict[str, list[str]] = {n.name: [] for n in notes}
    count = 0
    while not stop.exists():
        note = rng.choice(notes)
        how = rng.choice(["append", "in place", "rename"])
        marker = f"Editor note {count}"
        save(note, how, f"{marker}\n".encode(), how != "append" and rng.random() < 0.5, lock)
        written[note.name].append(marker)
        count += 1
        time.sleep(rng.uniform(0, 0.002))
    return written


# -- the race ---------------------------------------------------------------------------------


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    for n in range(NOTES):
        (root / f"launch-{n}.md").write_text(note_text(n), encoding="utf-8")
    return root


@pytest.fixture
def synced(notes: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Emulator]:
    """The notes synced to the Todoist emulator over HTTP: every task linked."""
    with synced_with_todoist(notes, monkeypatch, tmp_path, created=NOTES * TASKS) as emulator:
        yield emulator


@contextmanager
def editor(folder: Path, tmp_path: Path) -> Iterator[Callable[[], dict[str, list[str]]]]:
    """The editor running, once it has saved; yields what stops it and returns the lines it wrote."""
    stop = tmp_path / "stop"
    command = [sys.executable, "-m", __name__, str(folder), str(stop), str(tmp_path / "lock"), str(SEED)]
    process = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def stopped() -> dict[str, list[str]]:
        stop.touch()
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()
        return dict(json.loads(out))

    try:
        deadline = time.monotonic() + 30
        while not any(MARKER.search(p.read_text(encoding="utf-8")) for p in folder.glob("*.md")):
            assert process.poll() is None, process.communicate()[1].decode()
            assert time.monotonic() < deadline, "the editor made no save"
            time.sleep(0.01)
        yield stopped
    finally:
        if process.poll() is None:
            stop.touch()
            process.communicate(timeout=60)


def outcomes(folder: Path) -> dict[str, str]:
    """Each delivery's outcome, by the title of the task it completed."""
    with store_of(folder) as store:
        rows = store.db.execute("SELECT body, outcome FROM inbox").rows
    return {json.loads(str(body))["event_data"]["content"]: str(outcome) for body, outcome in rows}


def read_notes(folder: Path) -> dict[str, list[str]]:
    return {p.name: p.read_text(encoding="utf-8").splitlines() for p in sorted(folder.glob("*.md"))}


def ticked(lines: list[str], text: str) -> bool:
    """Whether the task `text` has one line, ticked, with one `✅` date."""
    found = [line for line in lines if line[:6] in ("- [ ] ", "- [x] ") and line[6:].startswith(text)]
    return (
        len(found) == 1
        and re.fullmatch(rf"- \[x\] {re.escape(text)} ✅ \d{{4}}-\d{{2}}-\d{{2}}", found[0]) is not None
    )


def race(
    folder: Path, emulator: Emulator, done: list[str], rng: random.Random, tmp_path: Path
) -> dict[str, list[str]]:
    """Complete `done` in the tracker, delivering each, while the editor saves; once the inbox
    has drained (the editor still saving), stop the editor: the marker lines it wrote, by note."""
    app = create_app(BridgeSettings(vault=folder), folder)
    receiver: Receiver = app.state.receiver
    with (
        serve_in_thread(app) as url,
        httpx.Client(base_url=url, timeout=10) as client,
        editor(folder, tmp_path) as stop_editor,
    ):
        try:
            receiver.start()
            assert receiver.ready.wait(10)
            sent = 0
            while sent < len(done):  # in bursts of 1-3, so that a batch holds one note or several
                for text in done[sent : sent + rng.randint(1, 3)]:
                    complete(emulator, client, text)
                    sent += 1
                time.sleep(rng.uniform(0.03, 0.15))  # about two seconds of racing in all
            settled = drained(folder, timeout=60)
            assert set(settled) <= {"applied", "unchanged", "deferred"}, settled
            assert sum(settled.values()) == len(done)
            return stop_editor()
        finally:
            receiver.stop()


def test_an_editor_saving_while_deliveries_are_applied_loses_nothing(
    notes: Path, synced: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = read_notes(notes)
    real_swap = bridge.writeback.swap_if_unchanged

    def swap(*args: Any) -> Any:  # kept apart from the editor's read-and-rename (see `save`)
        with holding(tmp_path / "lock"):
            return real_swap(*args)

    monkeypatch.setattr(bridge.writeback, "swap_if_unchanged", swap)
    rng = random.Random(SEED)  # noqa: S311 - which tasks, in which order and bursts
    done = rng.sample([title(n, t) for n in range(NOTES) for t in range(TASKS)], COMPLETED)
    written = race(notes, synced, done, rng, tmp_path)
    assert sum(map(len, written.values())) > 100, "the editor barely ran: not a race"

    final = read_notes(notes)
    lost = [f"{name}: {m}" for name, marks in written.items() for m in marks if final[name].count(m) != 1]
    assert lost == [], f"editor saves lost or doubled: {lost[:10]} ({len(lost)} in all)"
    for name, lines in final.items():
        assert sorted(x for x in lines if MARKER.fullmatch(x)) == sorted(written[name]), name
        rest = [x for x in lines if not MARKER.fullmatch(x)]  # the original lines, in order, once
        assert len(rest) == len(original[name]), f"{name}: lines added or lost:\n" + "\n".join(rest)
        for was, now in zip(original[name], rest, strict=True):
            text = was.removeprefix("- [ ] ")
            assert now == was or (text in done and ticked([now], text)), f"{name}: {was!r} became {now!r}"
    every = [x for lines in final.values() for x in lines]
    applied = [text for text, outcome in outcomes(notes).items() if outcome == "applied"]
    assert applied, "no delivery was applied while the editor saved"
    unticked = [text for text in applied if not ticked(every, text)]
    assert unticked == [], "reported applied, yet not ticked in the note"
    assert [p.name for p in notes.iterdir() if p.name.endswith((TEMP_SUFFIX, SAVED_SUFFIX))] == []

    # One sync settles the rest (a delivery left to it), and a second one finds nothing to do.
    report = run_sync(BridgeSettings(vault=notes), connector_name="todoist").report
    assert (report.failed, report.reopened, report.errors) == (0, 0, [])
    settled = read_notes(notes)
    every = [x for lines in settled.values() for x in lines]
    assert [text for text in done if not ticked(every, text)] == []
    assert all(settled[name].count(m) == 1 for name, marks in written.items() for m in marks)
    again = run_sync(BridgeSettings(vault=notes), connector_name="todoist").report
    changes = (again.created, again.updated, again.closed, again.reopened, again.deleted, again.notes_written)
    assert (changes, again.failed) == ((0, 0, 0, 0, 0, 0), 0)
    assert read_notes(notes) == settled
    assert {t["content"] for t in synced.tasks.values() if t["checked"]} == set(done)


if __name__ == "__main__":
    marks = edit_until_stopped(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    print(json.dumps(marks))
