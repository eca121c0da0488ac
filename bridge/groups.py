"""Which task lines are one action item: near-duplicates in a note, and items carried forward.

Generated notes repeat an action item in other words, and meetings carry open items into the
next note; each such set becomes one group, synced as one tracker task (design section 5).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bridge.model import Task

# rapidfuzz is imported where descriptions are compared: a listing from the cache never does.

__all__ = [
    "DEFAULT_THRESHOLD",
    "Group",
    "GroupPolicy",
    "Joins",
    "build_groups",
    "carried_key",
    "group_tasks",
    "note_links",
    "similarity",
]

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
    from rapidfuzz import fuzz

    return float(fuzz.token_set_ratio(a.norm, b.norm))


class _Union:
    def __init__(self, size: int = 0) -> None:
        self.parent = list(range(size))

    def grow(self, count: int) -> None:
        """`count` more elements, each alone."""
        size = len(self.parent)
        self.parent += range(size, size + count)

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # the root is always the earliest line


def _token_set(norm: str) -> str | None:
    """The sorted, distinct words of `norm`, when its only white space is single spaces.

    token_set_ratio looks at a string's set of words alone, so two descriptions with one set
    score alike against every third. None when splitting could differ from rapidfuzz's.
    """
    words = norm.split()
    if " ".join(words) != norm:
        return None
    return " ".join(sorted(set(words)))


def _candidates(texts: list[str], cutoff: float) -> list[set[int]] | None:
    """For each word set (sorted, distinct words joined by one space), the later ones that can
    score `cutoff` or more against it with token_set_ratio; None when that cutoff bounds nothing.

    token_set_ratio (rapidfuzz) splits each string into its set of words: sect, the words both
    share, and ab, ba, each one's other words, each run joined by spaces (lengths s, a, b; L1 =
    s + 1 + a and L2 = s + 1 + b are the lengths of the whole sets joined). It answers 100 when
    one set holds the other, else the best of three scores:

    1. the indel ratio of ab and ba over L1 + L2. Their indel distance is a + b less twice their
       longest common subsequence, which is at most the count of characters they share as
       multisets, so the score is at most the indel ratio of the two sets' characters, sorted
       (whose longest common subsequence is exactly that count): found here by one C-speed
       `fuzz.ratio` call per set;
    2. and 3. the ratio of sect to one side, 200·s / (s + L). Reaching `cutoff` needs s ≥ k·L,
       k = cutoff / (200 - cutoff): that side's words outside sect add up (each with its
       space) to at most (1 - k)·L characters. So among that side's rarest words, any run
       longer than that holds a shared word, and the other set is among those words' sets. The
       same holds when one set holds the other (every word is shared).
    """
    from rapidfuzz import fuzz, process

    if not 0.0 < cutoff <= 100.0:
        return None
    later: list[set[int]] = [set() for _ in texts]
    chars = ["".join(sorted(text)) for text in texts]
    for pos in range(len(chars) - 1):
        for _, _, found in process.extract(
            chars[pos], chars[pos + 1 :], scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        ):
            later[pos].add(pos + 1 + found)
    share = cutoff / (200.0 - cutoff)
    words = [text.split(" ") for text in texts]
    holders: defaultdict[str, list[int]] = defaultdict(list)
    for pos, own in enumerate(words):
        for word in own:
            holders[word].append(pos)
    for pos, own in enumerate(words):
        budget, spent = (1.0 - share) * len(texts[pos]), 0
        for word in sorted(own, key=lambda w: len(holders[w])):
            for other in holders[word]:
                if other != pos:
                    later[min(pos, other)].add(max(pos, other))
            spent += len(word) + 1
            if spent > budget:
                break
    return later


def _join_near_duplicates(tasks: Sequence[Task], members: list[int], threshold: float, union: _Union) -> None:
    """Join the lines of one (note, owner, due) bucket whose descriptions score `threshold` or more.

    The same components as comparing every pair of lines, at a cost that grows with the distinct
    word sets rather than the lines, and shrinks as lines join:

    - only lines of one status kind are compared, as before;
    - lines with one word set score alike against every other line, so the first stands for all.
      They join it when the set scores the threshold against itself (always, unless the set is
      empty, which scores 0 against everything, or the threshold is over 100, which nothing
      reaches), so the others never need comparing;
    - each stand-in is compared, in one rapidfuzz call, only with the later ones not yet in its
      group that can reach the threshold (`_candidates`); that call's cutoff, one point under the
      threshold, only prefilters: every pair it keeps is scored again exactly as `similarity` does.
    """
    from rapidfuzz import fuzz, process

    for is_open in (True, False):
        by_set: dict[str, int] = {}
        stand_ins: list[int] = []
        texts: list[str] = []  # each stand-in's sorted words; its norm when they are not certain
        certain = True  # whether every stand-in's words are known, for `_candidates`
        for i in members:
            if tasks[i].status_type.is_open != is_open:
                continue
            norm = tasks[i].norm
            words = _token_set(norm)
            first = by_set.setdefault(norm if words is None else "\0" + words, i)
            certain = certain and words is not None
            if first == i:
                stand_ins.append(i)
                texts.append(norm if words is None else words)  # scores as the norm does
            elif similarity(tasks[first], tasks[i]) >= threshold:
                union.join(first, i)
        if len(stand_ins) < 2:
            continue
        cutoff = min(max(threshold - 1.0, 0.0), 100.0)
        candidates = _candidates(texts, cutoff) if certain else None
        # Each stand-in's group, by label, with the members of each label, to skip joined pairs.
        label = [union.find(i) for i in stand_ins]
        labelled: dict[int, list[int]] = defaultdict(list)
        for pos, root in enumerate(label):
            labelled[root].append(pos)
        for pos in range(len(stand_ins) - 1):
            kept = range(pos + 1, len(stand_ins)) if candidates is None else sorted(candidates[pos])
            later = [k for k in kept if label[k] != label[pos]]
            if not later:
                continue
            choices = [texts[k] for k in later]
            for _, _, found in process.extract(
                texts[pos], choices, scorer=fuzz.token_set_ratio, score_cutoff=cutoff, limit=None
            ):
                other = later[found]
                if (
                    label[other] != label[pos]
                    and similarity(tasks[stand_ins[pos]], tasks[stand_ins[other]]) >= threshold
                ):
                    union.join(stand_ins[pos], stand_ins[other])
                    small, big = sorted((label[pos], label[other]), key=lambda root: len(labelled[root]))
                    for k in labelled.pop(small):
                        label[k] = big
                        labelled[big].append(k)


def group_tasks(tasks: Sequence[Task], policy: GroupPolicy | None = None) -> list[str | None]:
    """For each task (in vault order), its group's key, or None when it stands alone.

    A group's key is the key of its first task, so adding a later repeat never renames a group.
    """
    policy = policy or GroupPolicy()
    union = _Union(len(tasks))
    by_key: dict[str, int] = {}
    buckets: defaultdict[tuple[str, str | None, str | None], list[int]] = defaultdict(list)
    carried: dict[tuple[str | None, str], int] = {}
    near, vault, join = policy.near_duplicates, policy.scope == "vault", union.join
    first_key, first_carried = by_key.setdefault, carried.setdefault
    for i, task in enumerate(tasks):  # a line joined with itself is no join: only earlier ones are
        if (first := first_key(task.key, i)) != i:
            join(first, i)
        if near:
            buckets[(task.source.path, task.owner, task.due)].append(i)
        # the norm first: a line with no words is never carried, and asks no status
        carry = vault and task.norm and task.status_type.is_open
        if carry and (first := first_carried((task.owner, task.norm), i)) != i:
            join(first, i)
    for members in buckets.values():
        if len(members) > 1:
            _join_near_duplicates(tasks, members, policy.threshold, union)
    return _group_keys(union, [task.key for task in tasks])


def _group_keys(union: _Union, keys: Sequence[str]) -> list[str | None]:
    """Each line's group key: its group's first key, None for a line alone."""
    find = union.find
    # a line that is its own root needs no walk (most lines of most vaults stand alone)
    roots = [i if above == i else find(i) for i, above in enumerate(union.parent)]
    sizes = Counter(roots)
    return [keys[root] if sizes[root] > 1 else None for root in roots]


def note_links(tasks: Sequence[Task], policy: GroupPolicy | None = None) -> list[int]:
    """For the tasks of one note, the first line each is joined with inside the note (the same key,
    a near-duplicate), itself when none: what a listing keeps per note, so that `Joins`
    groups a vault of unchanged notes without comparing any description again."""
    policy = policy or GroupPolicy()
    union = _Union(len(tasks))
    by_key: dict[str, int] = {}
    buckets: defaultdict[tuple[str | None, str | None], list[int]] = defaultdict(list)
    for i, task in enumerate(tasks):
        union.join(by_key.setdefault(task.key, i), i)
        if policy.near_duplicates:
            buckets[(task.owner, task.due)].append(i)
    for members in buckets.values():
        if len(members) > 1:
            _join_near_duplicates(tasks, members, policy.threshold, union)
    return [union.find(i) for i in range(len(tasks))]


def carried_key(task: Task) -> str | None:
    """What carries an open line forward into later notes under scope "vault": its owner and its
    words, as one string (note text holds no NUL, so `owner NUL norm`, or `NUL NUL norm` without
    an owner, reads back one way only); None for a line that cannot be carried."""
    if not task.norm or not task.status_type.is_open:
        return None
    return f"\0\0{task.norm}" if task.owner is None else f"{task.owner}\0{task.norm}"


class Joins:
    """`group_tasks` of a vault from what each note's lines keep, joined note by note as a listing
    adds them (while workers parse the next notes): the lines that share a key, or (`carry`:
    scope "vault") a carried-forward text (`carried_key`), with an earlier line, and each line with
    the line it joins inside its note (`note_links`).

    The same groups: union-find's components do not depend on the order of the joins, each
    component's root is its earliest line, and a near-duplicate bucket never spans notes. A line
    joined with none stands alone.
    """

    def __init__(self, *, carry: bool) -> None:
        self.carry = carry
        self.union = _Union()
        self.first_key: dict[str, int] = {}
        self.first_carried: dict[str, int] = {}
        self.joined: list[int] = []  # both lines of every join: the only lines in a group

    def add(
        self, start: int, keys: Sequence[str], links: Sequence[int], carried: Sequence[str | None]
    ) -> None:
        """A note's lines, from line `start` of the listing; `links` as indexes into the note."""
        self.union.grow(len(keys))
        join = self._join
        first_key = self.first_key.setdefault
        for i, key in enumerate(keys, start):
            if (first := first_key(key, i)) != i:
                join(first, i)
        for i, link in enumerate(links, start):
            if link != i - start:
                join(start + link, i)
        if self.carry:
            first_carried = self.first_carried.setdefault
            for i, line in enumerate(carried, start):
                if line is not None and (first := first_carried(line, i)) != i:
                    join(first, i)

    def _join(self, a: int, b: int) -> None:
        self.joined += (a, b)
        self.union.join(a, b)

    def groups(self, keys: Sequence[str]) -> list[str | None]:
        """Each line's group: its component's earliest key, None for a line that stands alone."""
        groups: list[str | None] = [None] * len(keys)
        find = self.union.find
        for i in set(self.joined):
            groups[i] = keys[find(i)]
        return groups


@dataclass(frozen=True, slots=True)
class Group:
    """The lines that are one action item (near-duplicates, carried-forward copies): one tracker task."""

    ref: str
    tasks: tuple[Task, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The lines' keys, each once, in order (a group of one line, most of them, its key)."""
        tasks = self.tasks
        return (tasks[0].key,) if len(tasks) == 1 else tuple(dict.fromkeys(t.key for t in tasks))

    @property
    def norm(self) -> str:
        return self.tasks[0].norm


def build_groups(tasks: Sequence[Task], group_keys: Sequence[str | None]) -> list[Group]:
    """The groups `group_tasks` found, each with its lines in vault order."""
    members: dict[str, list[Task]] = {}
    for task, key in zip(tasks, group_keys, strict=True):
        members.setdefault(key or task.key, []).append(task)
    return [Group(ref, tuple(found)) for ref, found in members.items()]
