"""The merge rules for recurring tasks (bridge.plan): each completed occurrence is applied once,
from whichever side completed it, and the task stays open on its next occurrence."""

from __future__ import annotations

import datetime as dt

from bridge.connector import OpKind, RemoteStatus, RemoteTask
from bridge.model import StatusType
from bridge.occurrences import Recur
from bridge.plan import PlanOptions, plan
from tests.bridge.test_plan import groups_of, linked

TODAY = dt.date(2026, 12, 6)
TODOIST = PlanOptions(connector="todoist", vault_name="v", today=TODAY, recurs=True)
JIRA = PlanOptions(connector="jira", vault_name="v", today=TODAY, recurs=False)
LINE = "- [ ] Send the weekly report 🔁 every week on Friday 📅 2026-12-04\n"
NEXT = "- [ ] Send the weekly report 🔁 every week on Friday 📅 2026-12-11\n"
TICKED = "- [x] Send the weekly report 🔁 every week on Friday 📅 2026-12-04 ✅ 2026-12-06\n"


def synced(text: str = LINE, completions: int | None = 3):
    return linked(groups_of(("a.md", text))[0], completions=completions)


def test_a_recurring_line_is_created_with_its_rule():
    result = plan(groups_of(("a.md", LINE)), links={}, bases={}, changes={}, options=TODOIST)
    [op] = result.ops
    assert (op.kind, op.fields.recurrence, op.fields.due) == (
        OpKind.CREATE,
        "every week on Friday",
        "2026-12-04",
    )
    assert result.steps[0].after.completions == 0


def test_ticked_in_obsidian_with_the_next_line_advances_todoist_once():
    links, bases = synced()
    result = plan(groups_of(("a.md", NEXT + TICKED)), links=links, bases=bases, changes={}, options=TODOIST)
    [op] = result.ops
    assert (op.kind, op.fields.due, op.fields.status) == (OpKind.ADVANCE, "2026-12-11", StatusType.TODO)
    assert result.edits == []
    after = result.steps[0].after
    assert (after.fields.due, after.remote_status, after.completions) == ("2026-12-11", RemoteStatus.OPEN, 4)


def test_ticked_by_hand_gets_the_next_line_and_advances_todoist():
    links, bases = synced()
    result = plan(groups_of(("a.md", TICKED)), links=links, bases=bases, changes={}, options=TODOIST)
    assert [op.kind for op in result.ops] == [OpKind.ADVANCE]
    [edit] = result.edits
    assert (edit.target, edit.recur) == (StatusType.DONE, Recur(1))


def test_completed_in_todoist_ticks_the_line_and_adds_the_next():
    links, bases = synced()
    counted = RemoteTask("r1", RemoteStatus.OPEN, "2026-12-06T10:00:00Z", due="2026-12-11", completions=4)
    result = plan(
        groups_of(("a.md", LINE)), links=links, bases=bases, changes={"r1": counted}, options=TODOIST
    )
    assert result.ops == []
    [edit] = result.edits
    assert (edit.target, edit.recur) == (StatusType.DONE, Recur(1))
    assert result.steps[0].after.completions == 4
    assert result.steps[0].after.fields.due == "2026-12-11"


def test_two_completions_in_todoist_record_two_occurrences():
    links, bases = synced()
    counted = RemoteTask("r1", RemoteStatus.OPEN, "2026-12-06T10:00:00Z", due="2026-12-18", completions=5)
    result = plan(
        groups_of(("a.md", LINE)), links=links, bases=bases, changes={"r1": counted}, options=TODOIST
    )
    assert [e.recur for e in result.edits] == [Recur(2)]
    assert result.steps[0].after.fields.due == "2026-12-18"


def test_both_sides_at_once_is_one_occurrence():
    links, bases = synced()
    counted = RemoteTask("r1", RemoteStatus.OPEN, "2026-12-06T10:00:00Z", due="2026-12-11", completions=4)
    groups = groups_of(("a.md", NEXT + TICKED))
    result = plan(groups, links=links, bases=bases, changes={"r1": counted}, options=TODOIST)
    assert (result.ops, result.edits) == ([], [])
    assert result.steps[0].after.completions == 4


def test_an_unchanged_count_is_no_occurrence():
    links, bases = synced()
    same = RemoteTask("r1", RemoteStatus.OPEN, "2026-12-06T10:00:00Z", due="2026-12-04", completions=3)
    result = plan(groups_of(("a.md", LINE)), links=links, bases=bases, changes={"r1": same}, options=TODOIST)
    assert (result.ops, result.edits) == ([], [])


def test_jira_closes_the_occurrence_and_creates_the_next_linked_to_it():
    links, bases = synced(completions=None)
    result = plan(groups_of(("a.md", NEXT + TICKED)), links=links, bases=bases, changes={}, options=JIRA)
    close, create = result.ops
    assert (close.kind, close.remote_id) == (OpKind.CLOSE, "r1")
    assert (create.kind, create.follows, create.fields.due) == (OpKind.CREATE, "r1", "2026-12-11")
    assert create.ref != close.ref
    closed, new = result.steps
    assert (closed.keys, closed.after.present, closed.after.remote_status) == ((), False, RemoteStatus.DONE)
    assert new.keys == bases["r1"].keys  # the lines now link to the new occurrence


def test_closed_in_jira_ticks_and_creates_the_next():
    links, bases = synced(completions=None)
    done = RemoteTask("r1", RemoteStatus.DONE, "2026-12-06T10:00:00Z")
    result = plan(groups_of(("a.md", LINE)), links=links, bases=bases, changes={"r1": done}, options=JIRA)
    assert [op.kind for op in result.ops] == [OpKind.CREATE]
    assert [e.recur for e in result.edits] == [Recur(1)]


def test_cancelling_a_recurring_line_closes_it_for_good():
    links, bases = synced()
    cancelled = LINE.replace("[ ]", "[-]")
    result = plan(groups_of(("a.md", cancelled)), links=links, bases=bases, changes={}, options=TODOIST)
    assert [op.kind for op in result.ops] == [OpKind.CLOSE]


def test_a_changed_rule_updates_the_tracker():
    links, bases = synced()
    changed = LINE.replace("every week on Friday", "every 2 weeks on Friday")
    result = plan(groups_of(("a.md", changed)), links=links, bases=bases, changes={}, options=TODOIST)
    [op] = result.ops
    assert (op.kind, op.changed) == (OpKind.UPDATE, ("recurrence",))


def test_a_task_recurring_only_in_todoist_takes_its_next_date():
    plain = "- [ ] Water the plants 📅 2026-12-05\n"
    links, bases = synced(plain)
    counted = RemoteTask("r1", RemoteStatus.OPEN, "2026-12-06T10:00:00Z", due="2026-12-12", completions=4)
    result = plan(
        groups_of(("a.md", plain)), links=links, bases=bases, changes={"r1": counted}, options=TODOIST
    )
    assert [e.recur for e in result.edits] == [Recur(1, "2026-12-12")]


def test_closed_and_reopened_in_todoist_is_not_an_occurrence():
    plain = "- [ ] Water the plants 📅 2026-12-05\n"
    links, bases = synced(plain)
    again = RemoteTask("r1", RemoteStatus.OPEN, "2026-12-06T10:00:00Z", due="2026-12-05", completions=4)
    result = plan(
        groups_of(("a.md", plain)), links=links, bases=bases, changes={"r1": again}, options=TODOIST
    )
    assert (result.ops, result.edits) == ([], [])
    assert [s.after.completions for s in result.steps] == [4]  # the new count is remembered
