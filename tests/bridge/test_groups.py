"""Groups: the example note's repeated items merge, nothing else does; carried-forward items join."""

from __future__ import annotations

import itertools

from bridge.groups import DEFAULT_THRESHOLD, GroupPolicy, group_tasks, similarity
from bridge.parse import parse_note
from bridge.vault import scan
from tests.conftest import EXAMPLE_VAULT


def test_example_vault_has_six_groups_from_three_pairs():
    result = scan(EXAMPLE_VAULT)
    lines = {}
    for task, group in zip(result.tasks, result.groups, strict=True):
        lines.setdefault(group or task.key, []).append(task.source.line)
    assert sorted(lines.values()) == [[28, 38], [30, 42], [32], [34, 44], [36], [40]]


def test_threshold_sits_in_the_gap_of_the_example_scores():
    """The documented scores: pairs 100, 97.6, 87.3; the closest other pair 80.7."""
    tasks = scan(EXAMPLE_VAULT).tasks
    by_line = {t.source.line: t for t in tasks}
    pairs = {(28, 38), (30, 42), (34, 44)}
    pair_scores = sorted(round(similarity(by_line[a], by_line[b]), 1) for a, b in pairs)
    assert pair_scores == [87.3, 97.6, 100.0]
    others = [
        similarity(a, b)
        for a, b in itertools.combinations(tasks, 2)
        if (a.source.line, b.source.line) not in pairs and (a.owner, a.due) == (b.owner, b.due)
    ]
    assert round(max(others), 1) == 80.7
    assert max(others) < DEFAULT_THRESHOLD < min(pair_scores)


def test_near_duplicates_need_the_same_owner_and_due_date():
    text = (
        "- [ ] Share role descriptions with Jason @Lior 📅 2025-01-01\n"
        "- [ ] Share role descriptions with Jason today @Bob 📅 2025-01-01\n"
        "- [ ] Share role descriptions with Jason now @Lior 📅 2025-02-01\n"
    )
    tasks, _ = parse_note(text, "n.md")
    assert group_tasks(tasks) == [None, None, None]


def test_near_duplicates_can_be_turned_off():
    tasks = scan(EXAMPLE_VAULT).tasks
    assert group_tasks(tasks, GroupPolicy(near_duplicates=False)) == [None] * 9


def _two_notes():
    first, _ = parse_note("- [x] Book the venue @Ana\n- [ ] Send the agenda @Ana\n", "2025-01-01.md")
    second, _ = parse_note("- [ ] Send the agenda. @Ana\n- [ ] Book the venue @Ana\n", "2025-01-08.md")
    return first + second


def test_open_item_carried_into_a_later_note_joins_its_group():
    tasks = _two_notes()
    groups = group_tasks(tasks, GroupPolicy(scope="vault"))
    assert groups[1] == groups[2] == tasks[1].key
    assert groups[0] is None
    assert groups[3] is None


def test_note_scope_keeps_notes_apart():
    assert group_tasks(_two_notes(), GroupPolicy(scope="note")) == [None] * 4


def test_group_key_is_the_first_lines_key():
    text = "- [ ] Call Bob about the plan\n- [ ] Call Bob about the plan\n"
    tasks, _ = parse_note(text, "n.md")
    assert group_tasks(tasks) == [tasks[0].key, tasks[0].key]
