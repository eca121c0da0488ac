"""The merge rules, table by table: pure inputs (notes, base, remote) in, steps out."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bridge.connector import OpKind, RemoteStatus, RemoteTask
from bridge.errors import ConfigError
from bridge.groups import group_tasks
from bridge.lines import line_values, neighbours, spot
from bridge.model import StatusType
from bridge.parse import parse_note
from bridge.plan import Group, PlanOptions, build_groups, note_fields, plan
from bridge.state import Base

TODAY = dt.date(2026, 11, 27)
OPTIONS = PlanOptions(connector="t", vault_name="v", today=TODAY)


def groups_of(*notes: tuple[str, str]) -> list[Group]:
    tasks = [t for path, text in notes for t in parse_note(text, path)[0]]
    return build_groups(tasks, group_tasks(tasks))


def linked(group: Group, remote_id: str = "r1", **changes: object) -> tuple[dict[str, str], dict[str, Base]]:
    """State as if `group` had been synced as it is now."""
    fields = note_fields(group, None, "v")
    lines = {t.line_key: line_values(t) for t in group.tasks}
    synced = "2026-01-01T00:00:00Z"
    base = Base(remote_id, group.ref, fields, RemoteStatus.OPEN, synced, group.keys, group.norm, 1, lines)
    around = neighbours(group.tasks)
    base = replace(base, spots={t.line_key: spot(t, around) for t in group.tasks})
    base = replace(base, **changes)  # type: ignore[arg-type]
    return dict.fromkeys(group.keys, remote_id), {remote_id: base}


def test_unlinked_open_group_is_created_once():
    groups = groups_of(
        ("a.md", "- [ ] Send the report @Jo 📅 2026-12-01 #ops\n- [ ] Send the report. @Jo 📅 2026-12-01\n")
    )
    result = plan(groups, links={}, bases={}, changes={}, options=OPTIONS)
    assert [op.kind for op in result.ops] == [OpKind.CREATE]
    op = result.ops[0]
    assert (op.fields.title, op.fields.due, op.fields.owner, op.fields.labels) == (
        "Send the report",
        "2026-12-01",
        "Jo",
        ("ops",),
    )
    assert len(result.steps[0].keys) == 1  # the two spellings are one key


def test_create_token_is_stable_across_runs():
    groups = groups_of(("a.md", "- [ ] Send the report\n"))
    first = plan(groups, links={}, bases={}, changes={}, options=OPTIONS)
    second = plan(groups, links={}, bases={}, changes={}, options=OPTIONS)
    assert first.ops[0].token == second.ops[0].token


@pytest.mark.parametrize("status", ["x", "-"])
def test_task_already_closed_when_first_seen_is_not_created(status):
    result = plan(
        groups_of(("a.md", f"- [{status}] Old thing\n")), links={}, bases={}, changes={}, options=OPTIONS
    )
    assert result.ops == []


def test_proposed_tasks_held_back_when_asked():
    groups = groups_of(("a.md", "- [?] Maybe do it\n- [ ] Surely do it\n"))
    result = plan(groups, links={}, bases={}, changes={}, options=replace(OPTIONS, hold_proposed=True))
    assert [op.fields.title for op in result.ops] == ["Surely do it"]
    assert result.held == 1


def test_nothing_changed_plans_nothing():
    groups = groups_of(("a.md", "- [ ] Send the report 📅 2026-12-01\n"))
    links, bases = linked(groups[0])
    result = plan(groups, links=links, bases=bases, changes={}, options=OPTIONS)
    assert result.steps == []


def test_echo_of_own_write_plans_nothing():
    groups = groups_of(("a.md", "- [ ] Send the report\n"))
    links, bases = linked(groups[0])
    echo = RemoteTask("r1", RemoteStatus.OPEN, "2026-11-27T10:00:00Z", groups[0].ref)
    result = plan(groups, links=links, bases=bases, changes={"r1": echo}, options=OPTIONS)
    assert result.ops == []
    assert result.edits == []


def test_ticked_in_note_closes_in_tracker():
    groups = groups_of(("a.md", "- [x] Send the report ✅ 2026-11-27\n"))
    links, bases = linked(groups_of(("a.md", "- [ ] Send the report\n"))[0])
    result = plan(groups, links=links, bases=bases, changes={}, options=OPTIONS)
    assert [op.kind for op in result.ops] == [OpKind.CLOSE]
    assert result.steps[0].after.remote_status is RemoteStatus.DONE


def test_completed_in_tracker_ticks_every_line_of_the_group():
    text = (
        "- [?] Share role descriptions with Jason @Lior 📅 2026-12-01\n"
        "- [?] Share the role descriptions with Jason @Lior 📅 2026-12-01\n"
    )
    groups = groups_of(("a.md", text))
    assert len(groups) == 1
    links, bases = linked(groups[0])
    done = RemoteTask("r1", RemoteStatus.DONE, "2026-11-27T10:00:00Z")
    result = plan(groups, links=links, bases=bases, changes={"r1": done}, options=OPTIONS)
    assert result.ops == []
    assert [(e.path, e.target) for e in result.edits] == [("a.md", StatusType.DONE)] * 2


def test_reopened_in_tracker_reopens_the_line():
    groups = groups_of(("a.md", "- [x] Send the report ✅ 2026-11-20\n"))
    links, bases = linked(groups[0])
    bases["r1"] = replace(bases["r1"], remote_status=RemoteStatus.DONE)
    reopened = RemoteTask("r1", RemoteStatus.OPEN, "2026-11-27T10:00:00Z")
    result = plan(groups, links=links, bases=bases, changes={"r1": reopened}, options=OPTIONS)
    assert [e.target for e in result.edits] == [StatusType.TODO]


def test_reopened_in_note_reopens_in_tracker():
    groups = groups_of(("a.md", "- [ ] Send the report\n"))
    old = groups_of(("a.md", "- [x] Send the report ✅ 2026-11-20\n"))[0]
    links, bases = linked(old)
    bases["r1"] = replace(bases["r1"], remote_status=RemoteStatus.DONE)
    result = plan(groups, links=links, bases=bases, changes={}, options=OPTIONS)
    assert [op.kind for op in result.ops] == [OpKind.REOPEN]


def test_due_changed_in_note_updates_only_due():
    links, bases = linked(groups_of(("a.md", "- [ ] Send the report 📅 2026-12-01\n"))[0])
    groups = groups_of(("a.md", "- [ ] Send the report 📅 2026-12-24\n"))
    result = plan(groups, links=links, bases=bases, changes={}, options=OPTIONS)
    assert [(op.kind, op.changed) for op in result.ops] == [(OpKind.UPDATE, ("due",))]


def test_title_edited_in_tracker_is_not_overwritten():
    groups = groups_of(("a.md", "- [ ] Send the report\n"))
    links, bases = linked(groups[0])
    edited = RemoteTask("r1", RemoteStatus.OPEN, "2026-11-27T10:00:00Z", title="Send the final report")
    result = plan(groups, links=links, bases=bases, changes={"r1": edited}, options=OPTIONS)
    assert result.ops == []


def test_accepting_a_proposed_task_updates_its_labels():
    links, bases = linked(groups_of(("a.md", "- [?] Send the report\n"))[0])
    groups = groups_of(("a.md", "- [ ] Send the report\n"))
    result = plan(groups, links=links, bases=bases, changes={}, options=OPTIONS)
    assert [(op.kind, op.changed) for op in result.ops] == [(OpKind.UPDATE, ("status",))]


@pytest.mark.parametrize(
    ("policy", "note_ns", "remote_time", "winner"),
    [
        ("latest", 2_000_000_000 * 10**9, "2026-01-01T00:00:00Z", "note"),
        ("latest", 1_000_000_000 * 10**9, "2026-01-01T00:00:00Z", "tracker"),
        ("note", 1, "2026-01-01T00:00:00Z", "note"),
        ("tracker", 2_000_000_000 * 10**9, "2026-01-01T00:00:00Z", "tracker"),
    ],
)
def test_conflict_is_decided_by_policy(policy, note_ns, remote_time, winner):
    """Both sides changed status to different ends: the base said done in the note and open in the
    tracker (a line that could not be written), then the note reopened and the tracker closed."""
    links, bases = linked(groups_of(("a.md", "- [x] Send the report\n"))[0])
    groups = groups_of(("a.md", "- [ ] Send the report\n"))
    remote = RemoteTask("r1", RemoteStatus.DONE, remote_time)
    result = plan(
        groups,
        links=links,
        bases=bases,
        changes={"r1": remote},
        options=replace(OPTIONS, conflict=policy),
        note_times={"a.md": note_ns},
    )
    assert [c.winner for c in result.conflicts] == [winner]
    if winner == "note":
        assert [op.kind for op in result.ops] == [OpKind.REOPEN]
        assert result.edits == []
    else:
        assert result.ops == []
        assert [e.target for e in result.edits] == [StatusType.DONE]


def test_moved_task_keeps_its_link():
    old = groups_of(("a.md", "- [ ] Send the report\n"))[0]
    links, bases = linked(old)
    moved = groups_of(("b.md", "- [ ] Send the report\n"))
    assert moved[0].keys != old.keys  # another note, another key
    result = plan(moved, links=links, bases=bases, changes={}, options=OPTIONS)
    assert all(op.kind is not OpKind.CREATE for op in result.ops)
    assert result.steps[0].remote_id == "r1"
    assert result.steps[0].keys == moved[0].keys
    assert [op.changed for op in result.ops] == [("note_title", "path")]


def test_carried_forward_item_joins_its_group():
    old = groups_of(("a.md", "- [ ] Send the report @Jo\n"))[0]
    links, bases = linked(old)
    groups = groups_of(("a.md", "- [ ] Send the report @Jo\n"), ("b.md", "- [ ] Send the report @Jo\n"))
    assert len(groups) == 1
    result = plan(groups, links=links, bases=bases, changes={}, options=OPTIONS)
    assert result.ops == []
    assert result.steps[0].keys == groups[0].keys  # the new line is linked too


def test_created_by_a_crashed_run_is_adopted_not_created_again():
    groups = groups_of(("a.md", "- [ ] Send the report\n"))
    found = RemoteTask("r9", RemoteStatus.OPEN, "2026-11-27T10:00:00Z", ref=groups[0].ref)
    result = plan(groups, links={}, bases={}, changes={"r9": found}, options=OPTIONS)
    assert [op.kind for op in result.ops] == [OpKind.UPDATE]  # its content is sent again, in case it changed
    assert result.ops[0].remote_id == "r9"
    assert result.steps[0].after.remote_id == "r9"


def test_deleted_in_tracker_is_not_recreated_and_note_left_alone():
    groups = groups_of(("a.md", "- [ ] Send the report\n"))
    links, bases = linked(groups[0])
    gone = RemoteTask("r1", RemoteStatus.DELETED, "2026-11-27T10:00:00Z")
    result = plan(groups, links=links, bases=bases, changes={"r1": gone}, options=OPTIONS)
    assert result.ops == []
    assert result.edits == []
    assert result.steps[0].after.remote_status is RemoteStatus.DELETED
    assert any("deleted in the tracker" in n for n in result.notices)


def test_absent_lines_are_left_alone_by_default():
    links, bases = linked(groups_of(("a.md", "- [ ] Send the report\n"))[0])
    result = plan([], links=links, bases=bases, changes={}, options=OPTIONS)
    assert result.ops == []
    assert result.absent == 1


def test_absent_lines_closed_only_after_a_complete_read():
    links, bases = linked(groups_of(("a.md", "- [ ] Send the report\n"))[0])
    options = replace(OPTIONS, absent="close")
    assert plan([], links=links, bases=bases, changes={}, options=options, complete=False).ops == []
    assert [op.kind for op in plan([], links=links, bases=bases, changes={}, options=options).ops] == [
        OpKind.CLOSE
    ]


def test_closing_most_links_at_once_needs_force():
    groups = groups_of(("a.md", "- [ ] One thing\n- [ ] Another matter\n- [ ] Third item\n"))
    links: dict[str, str] = {}
    bases: dict[str, Base] = {}
    for n, group in enumerate(groups):
        more_links, more_bases = linked(group, f"r{n}")
        links |= more_links
        bases |= more_bases
    options = replace(OPTIONS, absent="close")
    with pytest.raises(ConfigError, match="--force"):
        plan([], links=links, bases=bases, changes={}, options=options)
    assert len(plan([], links=links, bases=bases, changes={}, options=replace(options, force=True)).ops) == 3


def test_the_lines_of_a_task_in_another_order_change_nothing():
    """Found by the messy-vault benchmark: ticked carried copies leave their group and rejoin it
    through their link in another order, and the labels (the tags of every line) were sent again."""
    groups = groups_of(("a.md", "- [ ] Send the report #ops\n"), ("b.md", "- [ ] Send the report #auto\n"))
    links, bases = linked(groups[0])
    reordered = [Group(groups[0].ref, tuple(reversed(groups[0].tasks)))]
    result = plan(reordered, links=links, bases=bases, changes={}, options=OPTIONS)
    assert (result.ops, result.edits) == ([], [])
