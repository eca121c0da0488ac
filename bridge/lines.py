"""The lines of one action item as the base remembers them: each line's values and place, which
lines are members and which are history, and which remembered line each line of the notes is.

Kept apart from the merge rules (`bridge.plan`) because line identity is where messy notes bite:
the same sentence repeated in one note has one key, so its lines are told apart by how they pair
with the lines the base remembers (status first, then place), not by their order alone, which
shifts when one of them is moved or deleted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bridge.model import Priority, StatusType, Task
from bridge.state import Base

__all__ = [
    "LINE_FIELDS",
    "Lines",
    "Neighbours",
    "Spot",
    "known_values",
    "line_values",
    "neighbours",
    "resolve",
    "spot",
    "synced_value",
]

LINE_FIELDS = ("status", "due", "priority", "owner")
Spot = tuple[str, int, str | None, str | None]
Neighbours = Mapping[tuple[str, int], tuple[str | None, str | None]]


def line_values(task: Task, status: StatusType | None = None) -> tuple[str | None, ...]:
    """A line's own values, as stored in the base to tell later which line changed."""
    priority = task.priority
    return (  # `_value_`, what `.value` gives: that property is a Python call through the enum
        (status or task.status_type)._value_,
        task.due,
        priority._value_ if priority else None,
        task.owner,
    )


def synced_value(base: Base, name: str) -> str | None:
    """A field's value as last synced, in the form `line_values` gives it."""
    value = getattr(base.fields, name)
    return value.value if isinstance(value, StatusType | Priority) else value


def known_values(
    task: Task, ident: str, base: Base | None, status: StatusType | None = None
) -> tuple[str | None, ...]:
    """A line's values to store in the base: a field the line holds but could not be read keeps
    the value last synced, so fixing the typo back is no change and the tracker keeps its value."""
    values = line_values(task, status)
    if not task.unknown or base is None:
        return values
    old = base.lines.get(ident)
    return tuple(
        (old[i] if old is not None else synced_value(base, name)) if name in task.unknown else values[i]
        for i, name in enumerate(LINE_FIELDS)
    )


def neighbours(tasks: Sequence[Task]) -> dict[tuple[str, int], tuple[str | None, str | None]]:
    """For each task line (path, line number), the line keys of the task lines around it in its note."""
    # Each line's place with its index, sorted as tuples (no key function called a line; the index
    # keeps lines of one place in their order, as a stable sort does), and each line key read once.
    places = sorted([(t.source.path, t.source.line, i) for i, t in enumerate(tasks)])
    keys = [tasks[i].line_key for _path, _line, i in places]
    around: dict[tuple[str, int], tuple[str | None, str | None]] = {}
    last = len(places) - 1
    for at, (path, line, _i) in enumerate(places):
        before = keys[at - 1] if at and places[at - 1][0] == path else None
        after = keys[at + 1] if at < last and places[at + 1][0] == path else None
        around[(path, line)] = (before, after)
    return around


def spot(task: Task, around: Neighbours) -> Spot:
    path, line = task.source.path, task.source.line
    return (path, line, *around.get((path, line), (None, None)))


@dataclass(frozen=True, slots=True)
class Lines:
    """A group's lines against its base. `ident` is the name each line is remembered under;
    `members` are the lines the task's status and fields come from, `history` the lines that were
    already done or cancelled when first seen, which never close the task."""

    members: tuple[Task, ...]
    history: tuple[Task, ...]
    ident: Mapping[Task, str]


def resolve(tasks: Sequence[Task], base: Base | None) -> Lines:
    """Members and history of a group's lines, each under its remembered identity.

    A closed line the base does not know as a member is history, unless every line is such a
    new closed line: then a linked group closes (a line moved and ticked in one go) and an
    unlinked one is not created. When only lines remembered as history are left, no member is.
    """
    ident = identify(tasks, base)
    known = {e for e in base.lines if e not in base.past} if base is not None else set()
    past = base.past if base is not None else frozenset()
    history = tuple(t for t in tasks if not t.status_type.is_open and ident[t] not in known)
    if len(history) == len(tasks) and not any(ident[t] in past for t in history):
        return Lines(tuple(tasks), (), ident)
    return Lines(tuple(t for t in tasks if t not in history), history, ident)


def _order(entry: str) -> int:
    _, _, number = entry.partition("~")
    return int(number) if number.isdigit() else 0


def identify(tasks: Sequence[Task], base: Base | None) -> dict[Task, str]:
    """Which remembered line each line is. A line alone with its key keeps its own `line_key`;
    lines sharing a key in one note pair with the remembered lines of that key: first those of
    the same open/closed state, nearest first, then the rest; a line left over is new."""
    ident = {t: t.line_key for t in tasks}
    if base is None or not base.lines:
        return ident
    clusters: defaultdict[tuple[str, str], list[Task]] = defaultdict(list)
    for task in tasks:
        clusters[(task.source.path, task.key)].append(task)
    entries: defaultdict[tuple[str | None, str], list[str]] = defaultdict(list)
    for entry in base.lines:
        where = base.spots.get(entry)
        entries[(where[0] if where else None, entry.partition("~")[0])].append(entry)
    used = set(base.lines)
    for (path, key), found in clusters.items():
        free = entries.get((path, key), []) + entries.get((None, key), [])
        if len(found) == 1 and free in ([], [found[0].line_key]):
            continue
        paired = _pair(found, free, base)
        for task in found:
            name = paired.get(task)
            if name is None:  # a new line: a name no remembered line has
                name, n = task.line_key, 0
                while name in used:
                    n += 1
                    name = f"{key}~{n}"
            used.add(name)
            ident[task] = name
    return ident


def _pair(lines: Sequence[Task], entries: Sequence[str], base: Base) -> dict[Task, str]:
    """Lines to remembered lines: first of the same open/closed state, then any that is no history.
    Within each, the pairs whose values (due, priority, owner) agree come first, then the nearest:
    a line keeps its values when it is moved, and a recurring task's ticked occurrences, which
    differ only in their dates, each find their own whatever line Obsidian Tasks inserted."""

    def distance(task: Task, entry: str) -> tuple[int, int, int]:
        where = base.spots.get(entry)
        far = abs(where[1] - task.source.line) if where else abs(_order(entry) - task.repeat)
        unlike = sum(a != b for a, b in zip(line_values(task)[1:], base.lines[entry][1:], strict=False))
        return unlike, far, _order(entry)

    def is_open(entry: str) -> bool:
        return StatusType(base.lines[entry][0] or StatusType.TODO).is_open

    free = set(entries)
    paired: dict[Task, str] = {}
    for same_state in (True, False):
        candidates = sorted(
            (distance(task, e), i, e)
            for i, task in enumerate(lines)
            if task not in paired
            for e in free
            if (is_open(e) == task.status_type.is_open if same_state else e not in base.past)
        )
        for _, i, entry in candidates:
            if lines[i] not in paired and entry in free:
                paired[lines[i]] = entry
                free.discard(entry)
    return paired
