"""Which task lines are one action item: near-duplicates in a note, and items carried forward.

Generated notes repeat an action item in other words, and meetings carry open items into the
next note; each such set becomes one group, synced as one tracker task (design section 5).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

from bridge.model import Task

__all__ = ["DEFAULT_THRESHOLD", "Group", "GroupPolicy", "build_groups", "group_tasks", "similarity"]

# token_set_ratio of the example note: its three repeated pairs score 100, 97.6 and 87.3; the
# closest pair that is not a repeat scores 80.7. 85 sits in that gap (docs/format.md).
DEFAULT_THRESHOLD = 85.0


@dataclass(frozen=True, slots=True)
class GroupPolicy:
    threshold: float = DEFAULT_THRESHOLD
    scope: Literal["note", "vault"] = "vault"
    near_duplicates: bool = True


def similarity(a: Task, b: Task) -> float:
    """Token-set similarity (0-100) of two normalised descriptions: word order and extra detail forgiven."""
    return float(fuzz.token_set_ratio(a.norm, b.norm))


class _Union:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # the root is always the earliest line


def group_tasks(tasks: Sequence[Task], policy: GroupPolicy | None = None) -> list[str | None]:
    """For each task (in vault order), its group's key, or None when it stands alone.

    A group's key is the key of its first task, so adding a later repeat never renames a group.
    """
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


@dataclass(frozen=True, slots=True)
class Group:
    """The lines that are one action item (near-duplicates, carried-forward copies): one tracker task."""

    ref: str
    tasks: tuple[Task, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.key for t in self.tasks))

    @property
    def norm(self) -> str:
        return self.tasks[0].norm


def build_groups(tasks: Sequence[Task], group_keys: Sequence[str | None]) -> list[Group]:
    """The groups `group_tasks` found, each with its lines in vault order."""
    members: dict[str, list[Task]] = {}
    for task, key in zip(tasks, group_keys, strict=True):
        members.setdefault(key or task.key, []).append(task)
    return [Group(ref, tuple(found)) for ref, found in members.items()]
