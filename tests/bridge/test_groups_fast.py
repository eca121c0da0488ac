"""Grouping by candidates (bridge.groups) finds exactly the groups that comparing every pair did.

`reference_group_tasks` is the former implementation, kept verbatim as the reference: every pair
of lines in a (note, owner, due) bucket scored with token_set_ratio. The new one compares word
sets, once each, through a prefiltering rapidfuzz call; both must give the same key to every line.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.groups import GroupPolicy, _join_near_duplicates, _Union, group_tasks, similarity
from bridge.model import Task
from bridge.parse import parse_note
from bridge.vault import scan
from tests.conftest import EXAMPLE_VAULT
from tests.vaults import action_item_note, messy_vault

THRESHOLDS = (0.0, 0.5, 50.0, 80.0, 84.5, 85.0, 87.3, 90.0, 99.9, 100.0, 100.5)


def reference_group_tasks(tasks: Sequence[Task], policy: GroupPolicy | None = None) -> list[str | None]:
    """The pairwise grouping as it was before the prefilter: quadratic in a bucket's size."""
    policy = policy or GroupPolicy()
    union = _Union(len(tasks))
    by_key: dict[str, int] = {}
    buckets: defaultdict[tuple[str, str | None, str | None], list[int]] = defaultdict(list)
    carried: dict[tuple[str | None, str], int] = {}
    for i, task in enumerate(tasks):
        first = by_key.setdefault(task.key, i)
        union.join(first, i)
        if policy.near_duplicates:
            buckets[(task.source.path, task.owner, task.due)].append(i)
        if policy.scope == "vault" and task.status_type.is_open and task.norm:
            union.join(carried.setdefault((task.owner, task.norm), i), i)
    for members in buckets.values():
        for pos, i in enumerate(members):
            for j in members[pos + 1 :]:
                if (
                    union.find(i) != union.find(j)
                    and tasks[i].status_type.is_open == tasks[j].status_type.is_open
                    and similarity(tasks[i], tasks[j]) >= policy.threshold
                ):
                    union.join(i, j)
    roots = [union.find(i) for i in range(len(tasks))]
    sizes: defaultdict[int, int] = defaultdict(int)
    for root in roots:
        sizes[root] += 1
    return [tasks[root].key if sizes[root] > 1 else None for root in roots]


def former_group_tasks(tasks: Sequence[Task], policy: GroupPolicy | None = None) -> list[str | None]:
    """`group_tasks` before its loop skipped the status of lines with no words and before each
    line's root was read without a walk when it is its own (kept as the reference)."""
    policy = policy or GroupPolicy()
    union = _Union(len(tasks))
    by_key: dict[str, int] = {}
    buckets: defaultdict[tuple[str, str | None, str | None], list[int]] = defaultdict(list)
    carried: dict[tuple[str | None, str], int] = {}
    near, vault, join = policy.near_duplicates, policy.scope == "vault", union.join
    for i, task in enumerate(tasks):
        if (first := by_key.setdefault(task.key, i)) != i:
            join(first, i)
        if near:
            buckets[(task.source.path, task.owner, task.due)].append(i)
        carry = vault and task.status_type.is_open and task.norm
        if carry and (first := carried.setdefault((task.owner, task.norm), i)) != i:
            join(first, i)
    for members in buckets.values():
        if len(members) > 1:
            _join_near_duplicates(tasks, members, policy.threshold, union)
    roots = [union.find(i) for i in range(len(tasks))]
    sizes: defaultdict[int, int] = defaultdict(int)
    for root in roots:
        sizes[root] += 1
    return [tasks[root].key if sizes[root] > 1 else None for root in roots]


def _assert_same(tasks: Sequence[Task], thresholds: Sequence[float] = THRESHOLDS) -> None:
    for threshold in thresholds:
        for scope in ("vault", "note"):
            policy = GroupPolicy(threshold=threshold, scope=scope)
            found = group_tasks(tasks, policy)
            assert found == reference_group_tasks(tasks, policy), (threshold, scope)
            assert found == former_group_tasks(tasks, policy), (threshold, scope)


def test_example_notes_group_alike():
    _assert_same(scan(EXAMPLE_VAULT).tasks)


def test_seeded_messy_vault_groups_alike(tmp_path: Path):
    messy_vault(tmp_path, notes=120)
    _assert_same(scan(tmp_path).tasks, (0.0, 80.0, 85.0, 90.0, 100.0))


def test_one_large_bucket_of_generated_action_items_groups_alike():
    tasks, _ = parse_note(action_item_note(500), "big.md")
    assert len({(t.owner, t.due) for t in tasks}) == 1
    _assert_same(tasks, (50.0, 85.0, 95.0, 100.0))


# Few words, so that subsets, rewordings, repeats and near misses around every threshold abound;
# spellings that normalise alike (case, punctuation, extra spaces, a tag) share a word set.
WORDS = st.sampled_from(
    (
        "share",
        "Share",
        "the",
        "our",
        "plan",
        "plans",
        "plan.",
        "hiring",
        "deck",
        "with",
        "Jason",
        "#task",
        "ü",
        "",
    )
)
SENTENCES = st.lists(WORDS, min_size=0, max_size=6).map(lambda words: " ".join(words))
LINES = st.tuples(
    st.sampled_from(" x-/?"),
    SENTENCES,
    st.sampled_from(("", " @Ana", " @Bob")),
    st.sampled_from(("", " 📅 2025-01-01", " 📅 2025-02-01")),
).map(lambda p: f"- [{p[0]}] {p[1]}{p[2]}{p[3]}")


@settings(max_examples=300, deadline=None)
@given(
    notes=st.lists(st.lists(LINES, min_size=1, max_size=25), min_size=1, max_size=3),
    threshold=st.sampled_from(THRESHOLDS),
    scope=st.sampled_from(("vault", "note")),
    near_duplicates=st.booleans(),
)
def test_generated_buckets_group_alike(
    notes: list[list[str]], threshold: float, scope: str, near_duplicates: bool
):
    tasks: list[Task] = []
    for n, lines in enumerate(notes):
        found, _ = parse_note("\n".join(lines) + "\n", f"{dt.date(2025, 1, 1 + n).isoformat()}.md")
        tasks += found
    policy = GroupPolicy(threshold=threshold, scope=scope, near_duplicates=near_duplicates)  # type: ignore[arg-type]
    found = group_tasks(tasks, policy)
    assert found == reference_group_tasks(tasks, policy)
    assert found == former_group_tasks(tasks, policy)
