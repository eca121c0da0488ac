"""Recurring tasks round trip with Todoist, over real HTTP: `bridge sync` against the emulator, the
tracker side driven through the unmodified SDK and through webhooks to `bridge serve`.

The promise: an occurrence completed on either side is applied once on the other; the note then
holds the done occurrences and one open line, Todoist one open task, and the next sync does nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from todoist_api_python.api import TodoistAPI

from bridge.config import BridgeSettings
from bridge.parse import parse_note
from bridge.serve import Receiver
from bridge.serve import create_app as receiver_app
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from bridge.transport import make_http_client
from connectors.todoist.emulator import Emulator
from connectors.todoist.emulator import create_app as todoist_app

RULE = "every week on Friday"
TODAY = dt.date(2026, 12, 4)  # a Friday
NOON = dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)
NOTE = "Weekly.md"


def line(status: str, due: str, done: str | None = None) -> str:
    return f"- [{status}] Send the weekly report 🔁 {RULE} 📅 {due}" + (f" ✅ {done}" if done else "")


def sync(vault: Path, today: dt.date = TODAY):
    report = run_sync(BridgeSettings(vault=vault), connector_name="todoist", today=today).report
    assert (report.failed, report.errors) == (0, [])
    return report


def lines(vault: Path) -> list[str]:
    return [x for x in (vault / NOTE).read_text(encoding="utf-8").splitlines() if x.startswith("- [")]


def the_task(emulator: Emulator) -> dict:
    [task] = [
        t for t in emulator.tasks.values() if "weekly report" in t["content"] and not t.get("is_deleted")
    ]
    return task


def settled(vault: Path) -> None:
    """The next sync changes nothing: no request beyond the read, no byte in the notes."""
    before = (vault / NOTE).read_bytes()
    report = sync(vault)
    assert (report.created, report.updated, report.closed, report.reopened, report.notes_written) == (0,) * 5
    assert (vault / NOTE).read_bytes() == before


def tick_in_obsidian(vault: Path, today: dt.date) -> None:
    """What Obsidian Tasks does on a click: the next occurrence above, the line ticked."""
    text = (vault / NOTE).read_text(encoding="utf-8")
    [open_line] = [x for x in text.splitlines() if x.startswith("- [ ]")]
    tasks, _ = parse_note(text, NOTE)
    due = dt.date.fromisoformat(next(t.due for t in tasks if t.status == " "))
    following = due + dt.timedelta(days=7)
    new = open_line.replace(f"📅 {due}", f"📅 {following}")
    done = open_line.replace("- [ ]", "- [x]") + f" ✅ {today}"
    (vault / NOTE).write_text(text.replace(open_line, f"{new}\n{done}"), encoding="utf-8")


@pytest.fixture
def recurring(notes: Path, emulator: Emulator) -> Path:
    emulator.clock = lambda: NOON
    (notes / NOTE).write_text(f"# Weekly\n\n{line(' ', '2026-12-04')}\n\nNotes after.\n", encoding="utf-8")
    return notes


def test_a_recurring_line_becomes_a_recurring_todoist_task(recurring, emulator, sdk):
    assert sync(recurring).created == 1
    task = sdk.get_task(the_task(emulator)["id"])
    assert task.due is not None
    assert (task.due.is_recurring, task.due.string, str(task.due.date)) == (
        True,
        "every fri starting 2026-12-04",
        "2026-12-04",
    )
    settled(recurring)


def test_completed_in_todoist_the_note_gets_the_done_occurrence_and_the_next(recurring, emulator, sdk):
    sync(recurring)
    assert sdk.complete_task(the_task(emulator)["id"])
    report = sync(recurring)
    assert report.notes_written == 1
    assert lines(recurring) == [line(" ", "2026-12-11"), line("x", "2026-12-04", "2026-12-04")]
    task = the_task(emulator)
    assert (task["checked"], task["due"]["date"], task["completed_count"]) == (False, "2026-12-11", 1)
    assert (recurring / NOTE).read_text(encoding="utf-8").endswith("\n\nNotes after.\n")
    settled(recurring)


def test_ticked_in_obsidian_with_its_next_line_advances_todoist_once(recurring, emulator):
    sync(recurring)
    tick_in_obsidian(recurring, TODAY)
    report = sync(recurring)
    assert (report.closed, report.notes_written, report.reopened) == (1, 0, 0)
    task = the_task(emulator)
    assert (task["checked"], task["due"]["date"], task["completed_count"]) == (False, "2026-12-11", 1)
    assert task["due"]["is_recurring"] is True
    assert lines(recurring) == [
        line(" ", "2026-12-11"),
        line("x", "2026-12-04", "2026-12-04"),
    ]  # nothing un-ticked
    settled(recurring)
    assert the_task(emulator)["completed_count"] == 1


def test_ticked_by_hand_the_bridge_adds_the_next_line(recurring, emulator):
    sync(recurring)
    note = recurring / NOTE
    note.write_text(
        note.read_text(encoding="utf-8").replace(
            line(" ", "2026-12-04"), line("x", "2026-12-04", "2026-12-04")
        ),
        encoding="utf-8",
    )
    report = sync(recurring)
    assert (report.closed, report.notes_written) == (1, 1)
    assert lines(recurring) == [line(" ", "2026-12-11"), line("x", "2026-12-04", "2026-12-04")]
    assert the_task(emulator)["due"]["date"] == "2026-12-11"
    settled(recurring)


def test_five_occurrences_alternating_sides_end_with_five_done_lines_and_one_open_task(
    recurring, emulator, sdk
):
    sync(recurring)
    for n in range(5):
        day = TODAY + dt.timedelta(days=7 * n)
        if n % 2 == 0:
            assert sdk.complete_task(the_task(emulator)["id"])
        else:
            tick_in_obsidian(recurring, day)
        sync(recurring, day)
        settled(recurring)
    found = lines(recurring)
    assert found[0] == line(" ", "2027-01-08")
    assert [x[:5] for x in found] == ["- [ ]"] + ["- [x]"] * 5
    dues = [dt.date.fromisoformat(x.split("📅 ")[1][:10]) for x in found]
    assert dues == [dt.date(2027, 1, 8) - dt.timedelta(days=7 * n) for n in range(6)]
    active = [t for page in sdk.get_tasks() for t in page if "weekly report" in t.content]
    assert len(active) == 1
    assert active[0].due is not None
    assert str(active[0].due.date) == "2027-01-08"
    assert the_task(emulator)["completed_count"] == 5


@pytest.fixture
def served(recurring: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    monkeypatch.setenv("TODOIST_CLIENT_SECRET", "loop-secret")
    app = receiver_app(BridgeSettings(vault=recurring), recurring)
    receiver: Receiver = app.state.receiver
    receiver.start()
    with serve_in_thread(app) as url:
        yield url
    receiver.stop()


def test_completed_in_todoist_reaches_the_note_through_a_webhook(recurring, served, monkeypatch):
    app = todoist_app("loop-token", client_secret="loop-secret", webhook_url=f"{served}/webhooks/todoist")
    app.state.emulator.clock = lambda: NOON
    with serve_in_thread(app) as url:
        monkeypatch.setenv("TODOIST_API_TOKEN", "loop-token")
        monkeypatch.setenv("TODOIST_BASE_URL", url)
        sync(recurring)
        client = make_http_client(base_url=url, origin="https://api.todoist.com", sleep=lambda _: None)
        with TodoistAPI("loop-token", client=client) as sdk:
            assert sdk.complete_task(the_task(app.state.emulator)["id"])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(lines(recurring)) < 2:
            time.sleep(0.02)
        assert app.state.webhooks.flush(5)
        today = dt.datetime.now().astimezone().date()  # the receiver stamps the day it applies it
        assert lines(recurring) == [line(" ", "2026-12-11"), line("x", "2026-12-04", today.isoformat())]
        settled(recurring)
        assert the_task(app.state.emulator)["completed_count"] == 1


def test_a_task_made_recurring_in_todoist_is_followed_not_fought(notes, emulator, sdk):
    """No 🔁 in the note: Todoist's own recurrence is followed. A completion there ticks the line
    and adds one with Todoist's next date; a tick in the note completes the occurrence in Todoist
    (which moves it on), and the line stays ticked, with the next occurrence's line added."""
    emulator.clock = lambda: NOON
    plain = "- [ ] Water the plants 📅 2026-12-04"
    (notes / NOTE).write_text(plain + "\n", encoding="utf-8")
    sync(notes)
    [task] = [t for t in emulator.tasks.values() if "plants" in t["content"]]
    sdk.update_task(task["id"], due_string="every day starting 2026-12-04")
    sync(notes)
    settled_plain = (notes / NOTE).read_text(encoding="utf-8")
    assert settled_plain == plain + "\n"  # a date change in the tracker does not flow back
    assert sdk.complete_task(task["id"])
    sync(notes)
    assert lines(notes) == [
        "- [ ] Water the plants 📅 2026-12-05",
        "- [x] Water the plants 📅 2026-12-04 ✅ 2026-12-04",
    ]
    settled(notes)
    # now ticked in the note, by hand
    text = (notes / NOTE).read_text(encoding="utf-8")
    ticked = text.replace(
        "- [ ] Water the plants 📅 2026-12-05", "- [x] Water the plants 📅 2026-12-05 ✅ 2026-12-04"
    )
    (notes / NOTE).write_text(ticked, encoding="utf-8")
    assert sync(notes).closed == 1
    sync(notes)  # Todoist moved it on: its next date comes back as the next line
    assert lines(notes) == [
        "- [ ] Water the plants 📅 2026-12-06",
        "- [x] Water the plants 📅 2026-12-05 ✅ 2026-12-04",
        "- [x] Water the plants 📅 2026-12-04 ✅ 2026-12-04",
    ]
    settled(notes)
    active = [t for page in sdk.get_tasks() for t in page if "plants" in t.content]
    assert len(active) == 1
    assert emulator.tasks[task["id"]]["completed_count"] == 2


def test_a_first_date_the_rule_does_not_fit_is_realigned_after_a_completion_in_todoist(notes, emulator, sdk):
    """`every week on Monday, Thursday` from a Friday: Todoist starts on the Monday, Obsidian Tasks
    counts from the Friday. After a completion in Todoist the note's next date is sent, so both
    show the same occurrence from then on."""
    emulator.clock = lambda: NOON
    (notes / NOTE).write_text(
        "- [ ] Stretch 🔁 every week on Monday, Thursday 📅 2026-12-04\n", encoding="utf-8"
    )
    sync(notes)
    [task] = [t for t in emulator.tasks.values() if "Stretch" in t["content"]]
    assert task["due"]["date"] == "2026-12-07"  # Todoist's first Monday or Thursday from the 4th
    assert sdk.complete_task(task["id"])  # Todoist moves on to Thursday the 10th
    report = sync(notes)
    assert (report.updated, report.notes_written) == (1, 1)
    assert lines(notes)[0] == "- [ ] Stretch 🔁 every week on Monday, Thursday 📅 2026-12-07"
    assert emulator.tasks[task["id"]]["due"]["date"] == "2026-12-07"
    assert emulator.tasks[task["id"]]["due"]["is_recurring"] is True
    settled(notes)
