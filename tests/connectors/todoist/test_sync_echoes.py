"""A sync's writes read on from the latest sync token: the next sync does not pull back what this
one wrote, yet still sees every change someone else made, over real HTTP against the emulator."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bridge.config import BridgeSettings
from bridge.connector import Pull
from bridge.sync import run_sync
from connectors.todoist.connector import TodoistConnector
from connectors.todoist.emulator import Emulator
from connectors.todoist.emulator import sync as emulator_sync
from tests.benchmarks.bench_sync import make_vault


def run(vault: Path):
    return run_sync(BridgeSettings(vault=vault), connector_name="todoist").report


@pytest.fixture
def pulled(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many tasks each sync's pull returned, in order."""
    counts: list[int] = []
    real = TodoistConnector.pull

    def counted(self: TodoistConnector, cursor: str | None) -> Pull:
        result = real(self, cursor)
        counts.append(len(result.changes))
        return result

    monkeypatch.setattr(TodoistConnector, "pull", counted)
    return counts


def _vault(notes: Path, tasks: int) -> list[Path]:
    """Distinct open tasks (no two group), ten a note."""
    return make_vault(notes, tasks, 10, age_seconds=3600)


def _tick(note: Path, count: int, old: str = "- [ ]", new: str = "- [x]") -> None:
    note.write_text(note.read_text(encoding="utf-8").replace(old, new, count), encoding="utf-8")


def _line(notes: Path, task: dict[str, Any]) -> str:
    """The note line of a task, found by its title."""
    for note in notes.rglob("*.md"):
        for line in note.read_text(encoding="utf-8").splitlines():
            if line[6:].startswith(task["content"]):
                return line
    raise AssertionError(f"no line for {task['content']!r}")


def _bases(env: dict[str, str]) -> dict[str, tuple[str, int]]:
    path = env["BRIDGE_STATE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT remote_id, data, version FROM bases").fetchall()
    return {rid: (json.loads(data).get("remote_updated"), version) for rid, data, version in rows}


def test_the_first_no_op_after_a_first_sync_of_several_batches_pulls_nothing(notes, emulator, env, pulled):
    _vault(notes, 250)  # three write requests
    first = run(notes)
    assert (first.created, first.requests) == (250, 4)  # the full read, then three writes
    again = run(notes)
    assert (again.created, again.updated, again.requests) == (0, 0, 1)
    assert pulled == [0, 0]
    # each base holds the tracker's time of the task, as a pull of the echo would have recorded it
    bases = _bases(env)
    assert len(bases) == 250
    assert all(updated == emulator.tasks[rid]["updated_at"] for rid, (updated, _) in bases.items())


def test_closes_and_reopens_are_not_pulled_back_either(notes, emulator, pulled):
    note = _vault(notes, 30)[0]
    run(notes)
    _tick(note, 3)
    assert run(notes).closed == 3
    _tick(note, 1, "- [x]", "- [ ]")
    assert run(notes).reopened == 1
    quiet = run(notes)
    assert (quiet.closed, quiet.reopened, quiet.updated, quiet.notes_written) == (0, 0, 0, 0)
    assert pulled == [0, 0, 0, 0]
    assert sum(t["checked"] for t in emulator.tasks.values()) == 2


def test_a_change_made_between_the_read_and_the_first_write_reaches_the_next_sync(
    notes, emulator, pulled, monkeypatch
):
    _vault(notes, 20)
    run(notes)
    (notes / "new.md").write_text("- [ ] Write the brief\n", encoding="utf-8")
    other = next(iter(emulator.tasks.values()))
    real = TodoistConnector.pull

    def then_someone_ticks(self: TodoistConnector, cursor: str | None) -> Pull:
        result = real(self, cursor)
        emulator.complete(other["id"])  # in the app, after the read, before the write
        return result

    monkeypatch.setattr(TodoistConnector, "pull", then_someone_ticks)
    assert run(notes).created == 1
    monkeypatch.setattr(TodoistConnector, "pull", real)
    seen = run(notes)
    assert seen.notes_written == 1
    assert _line(notes, other).startswith("- [x] ")
    assert run(notes).notes_written == 0


def test_a_change_made_while_a_write_runs_reaches_the_next_sync(notes, emulator, pulled):
    paths = _vault(notes, 150)
    run(notes)
    for note in paths:  # 15 closes, and a tick in the app during the write
        _tick(note, 1)
    other = list(emulator.tasks.values())[-3]
    ticked: list[str] = []

    def someone_ticks() -> None:
        if not ticked:
            ticked.append(other["id"])
            emulator.complete(other["id"])

    emulator.after_commands = someone_ticks
    assert run(notes).closed == 15
    emulator.after_commands = None
    assert ticked
    seen = run(notes)
    assert seen.notes_written == 1
    assert _line(notes, other).startswith("- [x] ")
    assert pulled[-1] == 16  # the tick, and the echoes of the write it came with
    assert run(notes).notes_written == 0
    assert pulled[-1] == 0


def test_a_task_someone_ticked_while_the_bridge_updated_it_is_not_taken_for_an_echo(notes, emulator, pulled):
    (notes / "a.md").write_text("- [ ] Send the deck 🔼\n", encoding="utf-8")
    run(notes)
    [deck] = emulator.tasks.values()
    (notes / "a.md").write_text("- [ ] Send the deck ⏫\n", encoding="utf-8")
    emulator.after_commands = lambda: (emulator.complete(deck["id"]), None)[1]
    report = run(notes)
    emulator.after_commands = None
    assert report.updated == 1
    assert emulator.tasks[deck["id"]]["checked"]
    seen = run(notes)  # the answer showed it closed, not as sent: the next read still sees it
    assert seen.notes_written == 1
    assert (notes / "a.md").read_text(encoding="utf-8").startswith("- [x] Send the deck ⏫")


def test_a_write_whose_answer_was_lost_and_resent_keeps_the_chain(notes, emulator, pulled, monkeypatch):
    _vault(notes, 120)
    lost: list[int] = []

    def lose_the_first_answer() -> None:
        if not lost:
            lost.append(1)
            raise RuntimeError("the answer is lost on the way back")

    real_run = emulator_sync.run_commands
    replays: list[object] = []

    def recorded(em: Emulator, commands: list[dict[str, Any]]) -> Any:
        statuses, mapping = real_run(em, commands)
        replays.extend(s for s in statuses.values() if isinstance(s, dict))
        return statuses, mapping

    monkeypatch.setattr(emulator_sync, "run_commands", recorded)
    emulator.after_commands = lose_the_first_answer
    report = run(notes)
    emulator.after_commands = None
    assert lost
    assert len(replays) == 100  # the project and the first 99 creates, answered as such
    assert (report.created, report.failed) == (120, 0)
    again = run(notes)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert pulled == [0, 0]


def test_a_stale_token_at_a_write_sends_the_commands_again_without_it(notes, emulator, pulled, monkeypatch):
    _vault(notes, 10)
    run(notes)
    (notes / "new.md").write_text("- [ ] Write the brief\n", encoding="utf-8")
    real = TodoistConnector.pull

    def token_forgotten(self: TodoistConnector, cursor: str | None) -> Pull:
        result = real(self, cursor)
        emulator._tokens.clear()  # Todoist no longer knows the token just issued
        return result

    monkeypatch.setattr(TodoistConnector, "pull", token_forgotten)
    report = run(notes)
    monkeypatch.setattr(TodoistConnector, "pull", real)
    assert (report.created, report.failed, report.errors) == (1, 0, [])
    assert sorted(t["content"] for t in emulator.tasks.values())[-1] == "Write the brief"
    assert run(notes).created == 0  # the stored token is unknown too: a full read, as before


def test_a_recurring_task_made_by_a_sync_is_not_pulled_back_yet_its_completion_is(notes, emulator, pulled):
    emulator.clock = lambda: dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)
    note = notes / "Weekly.md"
    note.write_text("- [ ] Send the report 🔁 every week on Friday 📅 2026-12-04\n", encoding="utf-8")

    def sync():
        return run_sync(
            BridgeSettings(vault=notes), connector_name="todoist", today=dt.date(2026, 12, 4)
        ).report

    assert sync().created == 1
    assert (sync().notes_written, pulled) == (0, [0, 0])
    [task] = emulator.tasks.values()
    emulator.complete(task["id"])  # an occurrence, in the app: the task moves on to the next Friday
    assert sync().notes_written == 1
    assert note.read_text(encoding="utf-8").splitlines() == [
        "- [ ] Send the report 🔁 every week on Friday 📅 2026-12-11",
        "- [x] Send the report 🔁 every week on Friday 📅 2026-12-04 ✅ 2026-12-04",
    ]
    assert (sync().notes_written, pulled[-1]) == (0, 0)
