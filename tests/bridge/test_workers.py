"""Worker processes of a cold listing or sync never outlive the run that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Starts the workers as a cold run does, has each say its process id, then waits to be killed.
SCRIPT = """
import os, sys, time
from bridge.vault import Note
from bridge.workers import InOrder

def pid(text, rel):
    time.sleep(0.2)
    return os.getpid()

pids = set()
parsing = InOrder(pid, lambda *added: pids.add(added[2]), len, after=0, workers=2, batch=1, in_flight=8)
for i in range(6):
    assert parsing.take("", Note(f"{i}.md", 0, 0), b"")
parsing.finish()
print(" ".join(map(str, sorted(pids))), flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie not yet reaped by init is gone too
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ")[-1][0] != "Z"
    except OSError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_their_run_is_killed_outright() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True, env=env) as run:
        assert run.stdout is not None
        workers = [int(pid) for pid in run.stdout.readline().split()]
        assert workers
        assert all(_alive(pid) for pid in workers)
        run.send_signal(signal.SIGKILL)
        run.wait()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def _echo(text: str, rel: str) -> tuple[str, int, int]:
    """What a worker answers for a note: enough to tell notes, their order and their text apart."""
    return rel, len(text), os.getpid()


def _parsed(notes: list[tuple[str, str]], *, batch: int, in_flight: int, steps: int = 0) -> list[object]:
    """Each note handed to two workers (with `steps` of the caller's in between), as added back."""
    from bridge.vault import Note
    from bridge.workers import InOrder

    added: list[object] = []
    with InOrder(
        _echo,
        lambda note, text, found: added.append((note.path, text, found[:2])),
        len,
        after=0,
        workers=2,
        batch=batch,
        in_flight=in_flight,
    ) as parsing:
        for at, (rel, text) in enumerate(notes):
            assert parsing.take(text, Note(rel, at, 0), text.encode("utf-8"))
            if steps and at % steps == 0:
                parsing.later(lambda at=at: added.append(at))  # type: ignore[misc]
        parsing.finish()
    return added


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_notes_come_back_in_order_whatever_the_batches(seed: int) -> None:
    """What parsing each note here, in order, gives (the workers' reference), with notes large
    enough to fill a pipe, empty ones, non-ASCII text, and steps done in their turn."""
    import random

    rng = random.Random(seed)  # noqa: S311 - test data
    notes = []
    for i in range(rng.randint(1, 120)):
        size = rng.choice([0, 1, 50, 4000, 70_000, 300_000])
        notes.append((f"n{i:03}.md", "é" * (size // 2) + "x" * (size - size // 2)))
    steps = rng.choice([0, 1, 3])
    expected: list[object] = []
    for at, (rel, text) in enumerate(notes):
        expected.append((rel, text, (rel, len(text))))
        if steps and at % steps == 0:
            expected.append(at)
    batch, in_flight = rng.choice([(1, 1), (3, 4), (16, 64), (7, 100)])
    assert _parsed(notes, batch=batch, in_flight=in_flight, steps=steps) == expected


def _dies(text: str, rel: str) -> str:
    if rel == "b/dies.md":
        os._exit(3)
    return rel


def test_a_worker_that_dies_names_its_notes_and_none_is_left() -> None:
    from bridge.vault import Note
    from bridge.workers import InOrder, NoteError

    notes = [f"a/{i}.md" for i in range(10)] + ["b/dies.md"] + [f"c/{i}.md" for i in range(10)]
    added: list[str] = []
    parsing = InOrder(
        _dies, lambda note, text, found: added.append(found), len, after=0, workers=2, batch=4, in_flight=8
    )

    def run() -> None:
        with parsing:
            for at, rel in enumerate(notes):
                parsing.take("", Note(rel, at, 0), b"")
            parsing.finish()

    with pytest.raises(NoteError, match=r"b/dies\.md") as raised:
        run()
    assert "a/8.md, a/9.md, b/dies.md, c/0.md" in str(raised.value)  # its batch
    assert added == notes[:8]
    import multiprocessing

    assert not multiprocessing.active_children()


def _slow(text: str, rel: str) -> str:
    time.sleep(0.05)
    return rel


def test_workers_end_when_the_caller_is_interrupted() -> None:
    from bridge.vault import Note
    from bridge.workers import InOrder

    parsing = InOrder(_slow, lambda *_: None, len, after=0, workers=2, batch=2, in_flight=4)

    def run() -> None:
        with parsing:
            for at in range(6):
                parsing.take("", Note(f"{at}.md", at, 0), b"")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run()
    import multiprocessing

    assert not multiprocessing.active_children()


# The second worker dies while the first still parses; prints what the run raised.
SECOND_DIES = """
import os, time
from bridge.vault import Note
from bridge.workers import InOrder, NoteError

def parse(text, rel):
    if rel == "dies.md":
        os._exit(3)
    time.sleep(0.3)
    return rel

parsing = InOrder(parse, lambda *_: None, len, after=0, workers=2, batch=1, in_flight=8)
try:
    with parsing:
        for at, rel in enumerate(["a.md", "dies.md", "b.md"]):  # one batch each: a.md to the first
            parsing.take("", Note(rel, at, 0), b"")
        parsing.finish()
except NoteError as exc:
    print("NoteError:", exc, flush=True)
"""


def test_the_second_worker_dying_is_seen_while_the_first_still_runs() -> None:
    """Each worker holds only its own pipes: a sibling holding the dead one's answering end would
    keep it open, and the run would wait for its batch forever (here: the timeout)."""
    done = subprocess.run(
        [sys.executable, "-c", SECOND_DIES],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("NoteError: dies.md: cannot be parsed"), done.stdout
