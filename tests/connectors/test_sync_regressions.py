"""Every bug the sync state machine (`sync_machine`) found, replayed as its own test.

Each test drives the machine's own rules in the order that once broke the sync promise, with
both trackers; the machine's `sync` rule then checks everything it checks: the next sync does
nothing, no byte but a status and its date changed, lines, tracker and state agree, no duplicate.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from bridge.connector import RemoteStatus
from bridge.testing import serve_in_thread
from connectors.jira.emulator import create_app as jira_app
from connectors.todoist.emulator import create_app as todoist_app
from tests.connectors.sync_machine import SITE_EMAIL, JiraSite, SyncMachine, TodoistApp, Tracker, render

TOKEN = "regression-token-0123456789ab"
Q3 = "Share the Q3 roadmap"
AGENDA = "Send the agenda"


@pytest.fixture(scope="module", params=["todoist", "jira"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, Starlette, str]]:
    name: str = request.param
    app = todoist_app(TOKEN) if name == "todoist" else jira_app(mode="cloud", email=SITE_EMAIL, token=TOKEN)
    with serve_in_thread(app) as url:
        yield name, app, url


@pytest.fixture
def machine(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SyncMachine:
    """A fresh vault and tracker account, driven by the state machine's rules."""
    name, app, url = server
    if name == "todoist":
        env = {"TODOIST_API_TOKEN": TOKEN, "TODOIST_BASE_URL": url, "TODOIST_PROJECT": "Bridge"}

        def tracker() -> Tracker:
            return TodoistApp(app)
    else:
        env = {
            "JIRA_URL": url,
            "JIRA_EMAIL": SITE_EMAIL,
            "JIRA_API_TOKEN": TOKEN,
            "JIRA_PROJECT": "BRIDGE",
            "JIRA_MAX_RETRIES": "0",
            "JIRA_SEARCH_WAIT": "0",
            "JIRA_PENDING_WINDOW": "0",
        }

        def tracker() -> Tracker:
            return JiraSite(app)

    for key, value in {**env, "BRIDGE_STATE_URL": ""}.items():
        monkeypatch.setenv(key, value)
    counter = itertools.count()

    class Machine(SyncMachine):
        connector = name
        totals = Counter()  # noqa: RUF012 - one per test

        @staticmethod
        def make_tracker() -> Tracker:  # type: ignore[override]
            return tracker()

        @staticmethod
        def workdir() -> Path:  # type: ignore[override]
            folder = tmp_path / f"m{next(counter)}"
            folder.mkdir()
            return folder

    return Machine()


def line(
    sentence: str, owner: str | None = None, status: str = " ", due: str | None = None, tags: str = ""
) -> tuple:
    return (sentence, owner, due, status, "utf-8", tags)


def test_a_dead_runs_task_completed_in_the_tracker_before_the_rerun(machine):
    """The first run ever died after Todoist made its task; the rerun's full sync lists active
    tasks only, so the completed task was linked as open and its line never ticked."""
    machine.note("2026-11-16 weekly.md", ["# Weekly", render(Q3, None, None, " ", "utf-8")])
    machine.sync_killed(point="after the tracker applied")
    machine.complete_in_tracker(index=0)
    machine.sync()
    assert machine.read(machine.notes()[0])[1].startswith("- [x] ")


def test_a_dead_runs_task_deleted_in_the_tracker_before_the_rerun(machine):
    machine.start(lines=[line(AGENDA)], split=0)
    machine.add_line(where=0, sentence=Q3, owner=None, due=None, status=" ", spelling="utf-8")
    machine.sync_killed(point="after the tracker applied")
    machine.delete_in_tracker(index=1)
    machine.sync()


def test_a_dead_runs_task_whose_note_was_renamed_before_the_rerun(machine):
    machine.start(lines=[line(AGENDA)], split=0)
    machine.add_line(where=0, sentence=Q3, owner=None, due=None, status=" ", spelling="utf-8")
    machine.sync_killed(point="after the tracker applied")
    machine.complete_in_tracker(index=0)
    machine.rename_note(index=0)
    machine.rename_note(index=1)
    machine.sync()


def test_a_dead_runs_task_whose_line_was_reworded_before_the_rerun(machine):
    """Jira's incremental pull lists status changes only: the new issue was invisible, and its
    line reworded, so it stayed unlinked for good. Now it is kept as no longer in the notes."""
    machine.start(lines=[line(AGENDA)], split=0)
    machine.add_line(where=0, sentence=Q3, owner=None, due=None, status=" ", spelling="utf-8")
    machine.sync_killed(point="after the tracker applied")
    machine.reword(index=1, word="quickly", entirely=False)
    machine.reword(index=1, word="again", entirely=False)
    machine.sync()


def test_a_task_deleted_in_the_tracker_whose_line_then_changes(machine):
    """Jira's search cannot list a deleted issue; the edit got 404 and failed on every run."""
    machine.start(lines=[line(Q3)], split=0)
    machine.delete_in_tracker(index=0)
    machine.reword(index=0, word="quickly", entirely=False)
    machine.sync()
    machine.set_status(index=0, status="x")
    machine.sync()


def test_a_repeated_sentence_whose_lines_shift(machine):
    """Three lines of one sentence, one done when first seen: moving an open one out made the
    done line take its place (by order) and close the task."""
    machine.start(lines=[line(Q3), line(Q3), line(Q3, status="x")], split=0)
    machine.move_line(index=0, into=0)
    machine.sync()
    assert [status for status, _ in machine.tracker.tasks().values()] == [RemoteStatus.OPEN]


def test_a_close_resent_after_a_crash_and_a_reopen_in_the_tracker(machine):
    """The rerun sent the close with the dead run's idempotency token; Todoist took it for the
    old command and ignored it, so the state said done and the task stayed open."""
    machine.start(lines=[line(Q3), line(AGENDA)], split=0)
    machine.set_status(index=0, status="x")
    machine.sync_killed(point="after the tracker applied")
    machine.reopen_in_tracker(index=0)
    machine.sync()


def test_a_completion_in_the_tracker_while_a_line_leaves_in_progress(machine):
    """The same run sent a label update carrying the note's open status: Jira moved the issue
    back to To Do, undoing the completion, and the next sync reopened the lines."""
    machine.start(lines=[line(Q3, "Myself", "/"), line(Q3, "Myself", "/")], split=0)
    machine.set_status(index=0, status=" ")
    machine.complete_in_tracker(index=0)
    machine.sync()


def test_a_dead_runs_create_and_a_moved_line_with_the_same_sentence(machine):
    """A group had both a vanished linked task (same sentence) and the task a dead run created
    for it exactly: the move won, and the dead run's task was left unlinked."""
    machine.start(
        lines=[
            line(AGENDA, "Lior Genzel", "-", "2026-11-27"),
            line(AGENDA),
            line("Order a new laptop for Dana", "Lior Genzel", "x", "2026-12-04"),
            line(Q3, None, "x", "2026-12-04"),
            line(AGENDA, "Dana Kim", "-", "2026-12-04"),
        ],
        split=1,
    )
    machine.complete_in_tracker(index=611)
    machine.duplicate_for_another_owner(index=255, owner="Myself")
    machine.move_line(index=546, into=345)
    machine.add_line(where=353, sentence=AGENDA, owner=None, due=None, status=" ", spelling="dataview")
    machine.change_owner(index=714, owner="Dana Kim")
    machine.rename_note(index=726)
    machine.change_due(index=991, due="2026-11-20")
    machine.sync_killed(point="after the tracker applied")
    machine.duplicate_for_another_owner(index=319, owner="Myself")
    machine.reword(index=186, word="for the board", entirely=True)
    machine.complete_in_tracker(index=142)
    machine.duplicate_for_another_owner(index=163, owner="Dana Kim")
    machine.rename_note(index=387)
    machine.complete_in_tracker(index=256)
    machine.sync_killed(point="after the notes were written")
    machine.sync()


def test_two_tasks_whose_lines_come_to_read_alike_stay_two_tasks(machine):
    """Dropping an owner made a line a carried copy of another task's line: the two were planned
    as one group, then fell apart again once ticked, and the second task was closed a run later."""
    machine.start(lines=[line(Q3), line(Q3, "Myself")], split=1)
    machine.change_owner(index=1, owner=None)
    machine.complete_in_tracker(index=0)
    machine.sync()
    assert [status for status, _ in machine.tracker.tasks().values()] == [
        RemoteStatus.DONE,
        RemoteStatus.OPEN,
    ]


def test_a_history_line_that_becomes_an_item_of_its_own(machine):
    """A task was created for a group whose first line was history, so its marker named that
    line's key; unticked, the line became a group of its own under that key, and the marker made
    Jira link it to the other group's issue."""
    finance = "Share the Q3 roadmap with finance"
    machine.start(
        lines=[
            line(Q3, "Lior Genzel", "x"),
            line(Q3),
            line(finance, "Lior Genzel", "x"),
            line(finance, "Lior Genzel", " ", "2026-11-20"),
        ],
        split=0,
    )
    machine.set_status(index=0, status=" ")
    machine.sync()
    assert len(machine.tracker.tasks()) == 3


def test_a_dead_runs_task_adopted_by_a_run_that_dies_too(machine):
    """A rerun adopted a dead run's task under the line's new key (the line had moved), rewrote
    its marker, and died before committing; the line was then deleted, and the task, marked
    with a key no create had recorded, was never found again."""
    review = "Review the hiring plan with Jason"
    machine.start(lines=[line(AGENDA), line(Q3)], split=1)
    machine.add_line(where=0, sentence=review, owner=None, due=None, status=" ", spelling="utf-8")
    machine.sync_killed(point="after the tracker applied")
    machine.move_line(index=0, into=1)
    machine.sync_killed(point="after the tracker applied")
    machine.delete_line(index=2)
    machine.sync()


# Found by a 1,000-example hunt and not settled yet: long sequences mixing killed runs, rewording,
# a line duplicated for another owner, and a status changed on both sides (where the later change
# wins, so the outcome depends on timing). One cause found on the way is fixed (a line written
# again under a key whose task was made before reused that create's idempotency token, and
# Todoist answered with the old task); these are kept so that they are not lost.
_OPEN = "found by the state machine; not settled yet"


@pytest.mark.xfail(reason=_OPEN, strict=False)
def test_open_finding_an_update_after_settling(machine):
    machine.start(
        lines=[
            ("Book the offsite venue", None, None, "x", "utf-8", ""),
            ("Share the Q3 roadmap", None, None, " ", "utf-8", ""),
            ("Send the agenda", None, None, "-", "utf-8", ""),
            ("Share the Q3 roadmap", None, None, " ", "utf-8", ""),
        ],
        split=0,
    )
    machine.add_line(
        due=None, owner=None, sentence="Share the Q3 roadmap", spelling="utf-8", status=" ", where=320
    )
    machine.sync()
    machine.change_both_sides(close_note=True, index=277)
    machine.reword(entirely=True, index=710, word="quickly")
    machine.duplicate_for_another_owner(index=173, owner="Dana Kim")
    machine.sync_killed(point="after the tracker applied")
    machine.reword(entirely=True, index=141, word="quickly")
    machine.change_due(due="2026-11-20", index=737)
    machine.duplicate_for_another_owner(index=241, owner="Myself")
    machine.duplicate_for_another_owner(index=600, owner="Dana Kim")
    machine.reword(entirely=False, index=0, word="quickly")
    machine.duplicate_for_another_owner(index=0, owner="Myself")
    machine.delete_in_tracker(index=397)
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.change_due(due="2026-11-20", index=0)
    machine.add_line(due=None, owner=None, sentence="Send the agenda", spelling="utf-8", status=" ", where=0)
    machine.sync()


@pytest.mark.xfail(reason=_OPEN, strict=False)
def test_open_finding_a_completion_not_seen(machine):
    machine.start(
        lines=[
            ("Share the Q3 roadmap", None, None, " ", "utf-8", ""),
            ("Share the Q3 roadmap", None, None, " ", "utf-8", ""),
            ("Send the agenda", None, None, "-", "utf-8", ""),
            ("Share the Q3 roadmap", None, None, " ", "utf-8", ""),
        ],
        split=0,
    )
    machine.add_line(
        due=None, owner=None, sentence="Share the Q3 roadmap", spelling="utf-8", status=" ", where=0
    )
    machine.sync()
    machine.change_both_sides(close_note=False, index=277)
    machine.reword(entirely=True, index=0, word="quickly")
    machine.duplicate_for_another_owner(index=173, owner="Myself")
    machine.sync_killed(point="after the tracker applied")
    machine.reword(entirely=False, index=0, word="quickly")
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.reword(entirely=False, index=425, word="quickly")
    machine.duplicate_for_another_owner(index=0, owner="Myself")
    machine.delete_in_tracker(index=397)
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.sync()
    machine.change_due(due="2026-11-20", index=0)
    machine.add_line(due=None, owner=None, sentence="Send the agenda", spelling="utf-8", status=" ", where=0)
    machine.sync()


@pytest.mark.xfail(reason=_OPEN, strict=False)
def test_open_finding_a_dead_runs_task_deleted_before_the_first_sync_committed(machine):
    """The rerun cannot see the deleted task (a full sync lists no deleted tasks), sends the
    create again with the dead attempt's token, and Todoist answers with the deleted task."""
    machine.start(lines=[line(Q3, status="x"), line(Q3, status="x")], split=0)
    machine.set_status(index=0, status=" ")
    machine.sync_killed(point="after the tracker applied")
    machine.delete_in_tracker(index=0)
    machine.sync()
