"""Sub-tasks in the plan: `Fields.parent` is the ref of the task a line is nested under, a change of
it is an update, and a parent the plan cannot place leaves the task where it was synced."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bridge.apply import _push_in_waves
from bridge.connector import Op, OpKind, OpResult, Push, RemoteStatus
from bridge.groups import group_tasks
from bridge.lines import line_values, neighbours, spot
from bridge.parse import parse_note
from bridge.plan import Group, PlanOptions, build_groups, note_fields, plan
from bridge.state import Base

OPTIONS = PlanOptions(connector="t", vault_name="v", today=dt.date(2026, 11, 27))
NOTE = "- [ ] Parent\n  - [ ] Child\n"


def groups_of(text: str) -> list[Group]:
    tasks = parse_note(text, "a.md")[0]
    return build_groups(tasks, group_tasks(tasks))


def synced(groups: list[Group], parents: dict[str, str | None]) -> tuple[dict[str, str], dict[str, Base]]:
    """State as if each group had been synced, its remote id `r-<title>`, with the given parents."""
    links: dict[str, str] = {}
    bases: dict[str, Base] = {}
    around = neighbours([t for g in groups for t in g.tasks])
    for group in groups:
        title = group.tasks[0].description
        rid = f"r-{title}"
        fields = replace(note_fields(group, None, "v"), parent=parents.get(title))
        lines = {t.line_key: line_values(t) for t in group.tasks}
        base = Base(
            rid,
            group.ref,
            fields,
            RemoteStatus.OPEN,
            "2026-01-01T00:00:00Z",
            group.keys,
            group.norm,
            1,
            lines,
        )
        bases[rid] = replace(base, spots={t.line_key: spot(t, around) for t in group.tasks})
        links.update(dict.fromkeys(group.keys, rid))
    return links, bases


def test_a_new_parent_and_child_are_created_the_child_naming_its_parents_ref():
    groups = groups_of(NOTE)
    result = plan(groups, links={}, bases={}, changes={}, options=OPTIONS)
    parent, child = result.ops
    assert (parent.fields.parent, child.fields.parent) == (None, parent.ref)
    assert child.parent_id is None  # apply fills it once the parent's create answered


def test_a_child_under_a_linked_parent_gets_its_id_and_a_move_out_is_an_update():
    groups = groups_of(NOTE)
    parent_ref = groups[0].ref
    links, bases = synced(groups, {"Child": parent_ref})
    assert plan(groups, links=links, bases=bases, changes={}, options=OPTIONS).ops == []
    moved = groups_of("- [ ] Parent\n- [ ] Child\n")
    (op,) = plan(moved, links=links, bases=bases, changes={}, options=OPTIONS).ops
    assert (op.kind, op.changed, op.fields.parent, op.remote_id) == (
        OpKind.UPDATE,
        ("parent",),
        None,
        "r-Child",
    )
    back = plan(groups, links=links, bases=synced(moved, {})[1], changes={}, options=OPTIONS).ops
    assert [(o.changed, o.parent_id) for o in back] == [(("parent",), "r-Parent")]


def test_a_new_child_under_a_linked_parent_is_created_with_its_id():
    links, bases = synced(groups_of("- [ ] Parent\n"), {})
    (op,) = plan(groups_of(NOTE), links=links, bases=bases, changes={}, options=OPTIONS).ops
    assert (op.kind, op.parent_id) == (OpKind.CREATE, "r-Parent")


def test_a_parent_outside_the_plan_leaves_the_task_where_it_was_synced():
    """The webhook receiver plans the groups a delivery names: the parent's is not among them."""
    groups = groups_of(NOTE)
    links, bases = synced(groups, {"Child": groups[0].ref})
    result = plan([groups[1]], links=links, bases=bases, changes={}, options=OPTIONS, complete=False)
    assert result.ops == []


def test_a_held_or_closed_parent_gives_no_parent():
    held = plan(groups_of("- [?] Parent\n  - [ ] Child\n"), links={}, bases={}, changes={},
                options=replace(OPTIONS, hold_proposed=True))  # fmt: skip
    assert [(o.fields.title, o.fields.parent) for o in held.ops] == [("Child", None)]
    done = plan(groups_of("- [x] Parent\n  - [ ] Child\n"), links={}, bases={}, changes={}, options=OPTIONS)
    assert [(o.fields.title, o.fields.parent) for o in done.ops] == [("Child", None)]


class _Tracker:
    """A connector that refuses the creates of the titles it is given and records each push."""

    requests = 0

    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.pushes: list[list[tuple[str, str | None]]] = []

    def push(self, ops: list[Op]) -> Push:
        self.pushes.append([(op.fields.title, op.parent_id) for op in ops])
        return Push(
            tuple(
                OpResult(op.token, False, error="refused")
                if op.fields.title in self.refuse
                else OpResult(op.token, True, remote_id=f"id-{op.fields.title}")
                for op in ops
            )
        )


def test_sub_tasks_go_in_waves_after_their_parents_and_wait_for_a_failed_one():
    text = "- [ ] A\n  - [ ] B\n    - [ ] C\n- [ ] D\n  - [ ] E\n"
    ops = plan(groups_of(text), links={}, bases={}, changes={}, options=OPTIONS).ops
    tracker = _Tracker({"D"})
    results, _ = _push_in_waves(tracker, ops, None)  # type: ignore[arg-type]
    assert tracker.pushes == [[("A", None), ("D", None)], [("B", "id-A")], [("C", "id-B")]]
    failed = {op.fields.title: r.error for op in ops for r in results if r.token == op.token and not r.ok}
    assert failed == {"D": "refused", "E": "its parent task could not be created"}


# Lines of one task nested under another's and the other way round: "Book" (its open line under
# the second "Send") and "Send" (its first line under the done "Book").
LOOP = (
    "- [x] Book the room @ana\n  - [ ] Send the deck\n- [ ] Send the deck\n"
    "  - [ ] Book the room @ana\n- [ ] Send the deck @ana\n"
)


def _parents(result_ops: list[Op]) -> dict[str, str | None]:
    return {op.ref: op.fields.parent for op in result_ops}


def test_tasks_nested_under_each_other_keep_the_smallest_ref_at_the_top():
    groups = groups_of(LOOP)
    result = plan(groups, links={}, bases={}, changes={}, options=OPTIONS)
    parents = _parents(result.ops)
    looped = sorted(ref for ref, parent in parents.items() if parent is not None or ref in parents.values())
    assert len(looped) == 2
    top, under = looped
    assert (parents[top], parents[under]) == (None, top)
    # every create is sent: none waits for a parent that waits for it
    sent: list[Op] = []

    class Tracker:
        def push(self, ops: list[Op]) -> Push:
            sent.extend(ops)
            return Push([OpResult(op.token, True, remote_id=f"r-{op.ref}") for op in ops])

    results, _cursor = _push_in_waves(Tracker(), result.ops, None)  # type: ignore[arg-type]
    assert all(r.ok for r in results)
    assert len(sent) == 3


def test_a_loop_synced_once_plans_nothing_the_next_time():
    groups = groups_of(LOOP)
    first = plan(groups, links={}, bases={}, changes={}, options=OPTIONS)
    links: dict[str, str] = {}
    bases: dict[str, Base] = {}
    for step in first.steps:
        rid = f"r-{step.ref}"
        bases[rid] = replace(step.after, remote_id=rid)
        links.update(dict.fromkeys(step.keys, rid))
    again = plan(groups, links=links, bases=bases, changes={}, options=OPTIONS)
    assert again.ops == []


def _synced_through(texts: list[str]) -> tuple[list[list[Op]], dict[str, Base]]:
    """Each note text planned in turn, every step taken as done: the ops of each run, the bases."""
    links: dict[str, str] = {}
    bases: dict[str, Base] = {}
    runs = []
    for text in texts:
        result = plan(groups_of(text), links=links, bases=bases, changes={}, options=OPTIONS)
        runs.append(result.ops)
        for step in result.steps:
            rid = step.remote_id or f"r-{step.ref}"
            bases[rid] = replace(step.after, remote_id=rid)
            links.update(dict.fromkeys(step.keys, rid))
    return runs, bases


def _no_loop(bases: dict[str, Base]) -> bool:
    parent = {b.ref: b.fields.parent for b in bases.values()}
    for start in parent:
        walked, at = set(), start
        while at is not None:
            if at in walked:
                return False
            walked.add(at)
            at = parent.get(at)
    return True


def test_a_loop_through_a_task_gone_from_the_notes_is_cut_at_one_that_can_move():
    # "Plan" under "Send", then "Send" (done, its open line gone) above "Plan": Send's step keeps
    # its synced parent, so Plan must be the one to stay at the top
    before = "- [ ] Plan the trip\n  - [ ] Send the deck\n- [x] Send the deck\n"
    after = "- [x] Send the deck\n  - [ ] Plan the trip\n"
    runs, bases = _synced_through([before, before, after, after])
    assert _no_loop(bases)
    assert runs[1:] == [[], [], []]


def test_the_task_kept_at_the_top_stays_there_when_the_other_changes():
    p1 = "- [ ] Plan the trip\n  - [ ] Send the deck\n- [ ] Send the deck\n  - [ ] Call Bo\n"
    p2 = p1.replace("- [ ] Plan", "- [x] Plan", 1) + "  - [ ] Plan the trip\n"
    p3 = p2.replace("- [ ] Send the deck\n  - [ ] Call", "- [ ] Send the deck 🔼\n  - [ ] Call")
    runs, bases = _synced_through([p1, p2, p2, p3, p3])
    assert _no_loop(bases)
    assert [[op.changed for op in ops] for ops in runs[2:]] == [[], [("priority",)], []]
