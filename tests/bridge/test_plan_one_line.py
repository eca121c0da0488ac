"""A new task of one line takes its fields straight from the line (`note_fields`' shortcut, most
of a first sync): the same fields the general way gives, kept here as it was written before."""

from __future__ import annotations

import random
from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.connector import Fields, Priority
from bridge.groups import Group
from bridge.lines import line_values
from bridge.model import StatusType, Task
from bridge.parse import parse_note
from bridge.plan import Parents, _choose, _note_title, _parent, note_fields
from bridge.state import Base
from tests.bridge.test_parse_fast import random_line


def _general(
    group: Group,
    base: Base | None,
    vault_name: str,
    ident: Mapping[Task, str] | None = None,
    parents: Parents | None = None,
) -> Fields:
    """`note_fields` as it was before the shortcut, for every group."""
    first = min(group.tasks, key=lambda t: (t.source.path, t.source.line))
    ident = ident or {}
    rows = [line_values(t) for t in group.tasks]
    priority = _choose(group, "priority", base, ident, rows)
    rule = next((t.recurrence for t in group.tasks if t.recurrence), None)
    return Fields(
        title=first.description,
        status=StatusType(_choose(group, "status", base, ident, rows) or first.status_type),
        due=_choose(group, "due", base, ident, rows),
        priority=Priority(priority) if priority else None,
        owner=_choose(group, "owner", base, ident, rows),
        labels=tuple(dict.fromkeys(tag for t in group.tasks for tag in t.tags)),
        note_title=_note_title(first.source.path),
        path=first.source.path,
        vault=vault_name,
        recurrence=rule,
        parent=_parent(first, group, base, parents or {}),
    )


def _same(task: Task, parents: Parents) -> None:
    group = Group("ref", (task,))
    assert note_fields(group, None, "vault", parents=parents) == _general(
        group, None, "vault", parents=parents
    )


@settings(max_examples=400, deadline=None)
@given(st.from_type(Task), st.booleans())
def test_any_one_line_task_gives_the_fields_the_general_way_gives(task: Task, parented: bool) -> None:
    parents = {(task.source.path, task.parent): "parent-ref"} if parented and task.parent else {}
    _same(task, parents)


def test_generated_lines_give_the_fields_the_general_way_gives() -> None:
    rng = random.Random(20261206)  # noqa: S311 - a seeded corpus
    lines = [random_line(rng) for _ in range(3000)]
    notes = ["\n".join(lines[i : i + 30]) for i in range(0, len(lines), 30)]
    tasks = [t for i, note in enumerate(notes) for t in parse_note(note, f"n{i}.md")[0]]
    assert len(tasks) > 500
    for task in tasks:
        _same(task, {})
        if task.parent is not None:
            _same(task, {(task.source.path, task.parent): "parent-ref"})
