"""A plan resolves each unlinked group's lines once (`bridge.plan._Fresh`) and plans exactly what
resolving them at every ask did: the same steps, bases, ops, tokens, notices and counts.

The reference replaces the memo with a plain `resolve(tasks, None)` at every call, as the planner
did before; both plan the same groups, unlinked and half linked, with and without held proposals.
It also takes out the first sync's other shortcuts: a line alone named without hashing it
(`_Alone`), a new task of one line read straight from it (`_one_line_fields`), a group of one
line's keys, and no matching asked for when there is nothing to match (`_matchless`); and a
new group of one line created as any other (`_create_one`, `_led_by_members`), its records made
by their classes and its token by `uuid.uuid5`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge import plan as planner
from bridge.connector import Fields, Op, OpKind, RemoteStatus
from bridge.groups import group_tasks
from bridge.lines import LINE_FIELDS, Lines, Neighbours, line_values, resolve
from bridge.model import Priority, Source, StatusType, Task
from bridge.parse import parse_note
from bridge.plan import Group, Plan, PlanOptions, Step, build_groups, plan
from bridge.state import Base
from bridge.vault import scan
from tests.bridge.test_model_build import VALUES
from tests.bridge.test_plan import OPTIONS
from tests.conftest import EXAMPLE_VAULT
from tests.vaults import messy_vault


def _every_ask(self: object, tasks: tuple[Task, ...]) -> Lines:
    return resolve(tasks, None)


def _one_line_as_before(
    first: Task, group: Group, vault_name: str, parents: planner.Parents, top: Collection[str]
) -> Fields:
    """`note_fields` of a new task of one line as it was: through `line_values` and back."""
    unknown = first.unknown
    values = zip(LINE_FIELDS, line_values(first), strict=True)
    status, due, priority, owner = (None if name in unknown else value for name, value in values)
    return Fields(
        title=first.description,
        status=StatusType(status or first.status_type),
        due=due,
        priority=Priority(priority) if priority else None,
        owner=owner,
        labels=tuple(dict.fromkeys(tag for t in group.tasks for tag in t.tags)),
        note_title=PurePosixPath(first.source.path).stem,
        path=first.source.path,
        vault=vault_name,
        recurrence=next((t.recurrence for t in group.tasks if t.recurrence), None),
        parent=planner._parent(first, group, None, parents, top),
    )


def _create_as_before(
    group: Group,
    options: PlanOptions,
    result: Plan,
    around: Neighbours,
    parents: planner.Parents | None = None,
    fresh: planner._Fresh | None = None,
    top: Collection[str] = (),
) -> Step | None:
    """`_create` as it was, every group through `resolve` and the classes' own `__init__`s."""
    lines = (fresh or planner._Fresh())(group.tasks)
    group = Group(group.ref, lines.members)
    fields = planner.note_fields(group, None, options.vault_name, parents=parents, top=top)
    if planner._state(fields.status) != "open":
        return None
    if options.hold_proposed and all(t.status_type is StatusType.PROPOSED for t in group.tasks):
        result.held += 1
        return None
    every = (*lines.members, *lines.history)
    names = [lines.ident[t] for t in every]
    values = {name: line_values(t) for name, t in zip(names, every, strict=True)}
    keys = group.keys
    after = Base(
        "",
        group.ref,
        fields,
        RemoteStatus.OPEN,
        None,
        keys,
        group.norm,
        1,
        values,
        **planner._remembered(lines, around, names),
        completions=0 if options.recurs else None,
    )
    token = str(uuid.uuid5(planner._NAMESPACE, f"{options.connector}:{group.ref}:create"))
    op = Op(OpKind.CREATE, group.ref, token, fields)
    return Step(group.ref, None, keys, after, None, ops=[op])


def _led_as_before(group: Group, fresh: planner._Fresh | None = None) -> Group:
    lines = (fresh or planner._Fresh())(group.tasks)
    return group if not lines.history else Group(lines.members[0].key, (*lines.members, *lines.history))


def _keys_as_before(self: Group) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.key for t in self.tasks))


def _half_linked(groups: list[Group], options: PlanOptions) -> tuple[dict[str, str], dict[str, Base]]:
    """Every other group created by a first plan, linked as a commit would have linked it."""
    links: dict[str, str] = {}
    bases: dict[str, Base] = {}
    for n, step in enumerate(plan(groups, links={}, bases={}, changes={}, options=options).steps):
        if n % 2 or not step.ops:
            continue
        rid = f"r{n}"
        bases[rid] = replace(step.after, remote_id=rid)
        links.update(dict.fromkeys(step.keys, rid))
    return links, bases


def _both(groups: list[Group], options: PlanOptions, monkeypatch: pytest.MonkeyPatch) -> tuple[Plan, Plan]:
    links, bases = _half_linked(groups, options)
    made = [
        plan(groups, links=state[0], bases=state[1], changes={}, options=options)
        for state in (({}, {}), (links, bases))
    ]
    with monkeypatch.context() as patched:
        patched.setattr(planner._Fresh, "__call__", _every_ask)
        patched.setattr(planner, "_one_line_fields", _one_line_as_before)
        patched.setattr(planner, "_create", _create_as_before)
        patched.setattr(planner, "_led_by_members", _led_as_before)
        patched.setattr(Group, "keys", property(_keys_as_before))
        patched.setattr(planner, "_matchless", lambda vanished, orphans: False)
        # a link to no base: no line is linked, as with none, but the groups are looked at one by one
        reference = [
            plan(groups, links=state[0], bases=state[1], changes={}, options=options)
            for state in (({"\0": "\0"}, {}), (links, bases))
        ]
    assert made == reference
    return made[0], made[1]


OPTION_SETS = (OPTIONS, replace(OPTIONS, hold_proposed=True), replace(OPTIONS, recurs=True))


@pytest.mark.parametrize("options", OPTION_SETS)
def test_example_notes_plan_alike(options: PlanOptions, monkeypatch: pytest.MonkeyPatch) -> None:
    result = scan(EXAMPLE_VAULT)
    first, _ = _both(build_groups(result.tasks, result.groups), options, monkeypatch)
    assert first.steps or first.held


@pytest.mark.parametrize("seed", [1, 20261203])
def test_messy_vaults_plan_alike(tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    messy_vault(tmp_path, notes=80, seed=seed)
    result = scan(tmp_path)
    groups = build_groups(result.tasks, result.groups)
    assert any(len(g.tasks) > 1 for g in groups)
    for options in OPTION_SETS:
        _both(groups, options, monkeypatch)


_LINE = st.tuples(
    st.sampled_from(["", "  ", "    "]),  # nesting: sub-tasks and their parents
    st.sampled_from([" ", "x", "-", "?", "/"]),
    st.sampled_from(["Send the deck", "Send the deck.", "Book the room", "Call Ana", "Fix the build"]),
    st.sampled_from(["", " @ana", " @bo"]),
    st.sampled_from(["", " 📅 2026-03-02", " 📅 2026-03-09", " 📅 2026-02-30"]),  # the last unreadable
    st.sampled_from(["", " #ops", " #ops #q4 #ops", " 🔁 every week", " ⏫", " 🔼 #q4"]),
)


@settings(max_examples=150, deadline=None)
@given(notes=st.lists(st.lists(_LINE, min_size=1, max_size=8), min_size=1, max_size=3))
def test_generated_notes_plan_alike(notes: list[list[tuple[str, str, str, str, str, str]]]) -> None:
    tasks: list[Task] = []
    for n, lines in enumerate(notes):
        text = "\n".join(
            f"{pad}- [{mark}] {words}{who}{due}{more}" for pad, mark, words, who, due, more in lines
        )
        tasks += parse_note(text + "\n", f"n{n}.md")[0]
    groups = build_groups(tasks, group_tasks(tasks))
    with pytest.MonkeyPatch.context() as monkeypatch:
        for options in OPTION_SETS:
            _both(groups, options, monkeypatch)


def _former_line_values(task: Task, status: StatusType | None = None) -> tuple[str | None, ...]:
    """`line_values` as it was, through each enum's `.value` (the reference)."""
    return (
        (status or task.status_type).value,
        task.due,
        task.priority.value if task.priority else None,
        task.owner,
    )


@given(VALUES, st.none() | st.sampled_from(StatusType))
def test_line_values_are_the_former_ones(values: tuple[object, ...], status: StatusType | None) -> None:
    task = Task(*values)  # type: ignore[arg-type]
    found = line_values(task, status)
    assert found == _former_line_values(task, status)
    assert [type(value) for value in found] == [type(value) for value in _former_line_values(task, status)]


def _former_neighbours(tasks: list[Task]) -> dict[tuple[str, int], tuple[str | None, str | None]]:
    """`neighbours` as it was: sorted by a key function, each line key read from the task."""
    around: dict[tuple[str, int], tuple[str | None, str | None]] = {}
    ordered = sorted(tasks, key=lambda t: (t.source.path, t.source.line))
    for i, task in enumerate(ordered):
        path = task.source.path
        before = ordered[i - 1] if i and ordered[i - 1].source.path == path else None
        after = ordered[i + 1] if i + 1 < len(ordered) and ordered[i + 1].source.path == path else None
        around[(path, task.source.line)] = (
            before.line_key if before else None,
            after.line_key if after else None,
        )
    return around


_PLACED = st.builds(
    lambda key, repeat, path, line: Task(
        key, " ", StatusType.TODO, "d", Source(path, line, 0, 1), "n", repeat=repeat
    ),
    st.sampled_from(["", "a", "b", "c"]),
    st.integers(0, 2),
    st.sampled_from(["a.md", "b.md", "a/b.md", "B.md"]),
    st.integers(1, 6),  # lines of one place too: the later one is kept, as before
)


@given(st.lists(_PLACED, max_size=40))
def test_neighbours_are_the_former_ones(tasks: list[Task]) -> None:
    from bridge.lines import neighbours

    found = neighbours(tasks)
    assert found == _former_neighbours(tasks)
    assert list(found) == list(_former_neighbours(tasks))


def test_neighbours_of_the_example_notes_and_a_messy_vault(tmp_path: Path) -> None:
    from bridge.lines import neighbours

    messy_vault(tmp_path, notes=60)
    for tasks in (scan(EXAMPLE_VAULT).tasks, scan(tmp_path).tasks, scan(tmp_path).tasks[::-1]):
        assert neighbours(tasks) == _former_neighbours(tasks)
