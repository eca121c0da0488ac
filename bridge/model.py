"""The values the rest of the product passes around: tasks, where they came from, and diagnostics.

Plain frozen dataclasses with no I/O, so that parsing, planning and write-back stay pure.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

__all__ = [
    "Diagnostic",
    "Priority",
    "Source",
    "Spelling",
    "StatusType",
    "Task",
    "build_source",
    "build_task",
]


class StatusType(enum.StrEnum):
    """What a status character means; the names are Obsidian Tasks' status types."""

    TODO = "TODO"
    IN_PROGRESS = "IN_PROGRESS"
    ON_HOLD = "ON_HOLD"
    DONE = "DONE"
    CANCELLED = "CANCELLED"
    NON_TASK = "NON_TASK"
    PROPOSED = "PROPOSED"  # `[?]`: generated, not yet accepted by a person

    @property
    def is_open(self) -> bool:
        # a module's tuple: each `StatusType.DONE` goes through the enum's metaclass, and grouping
        # and planning ask this of every task line
        return self not in _CLOSED


_CLOSED = (StatusType.DONE, StatusType.CANCELLED, StatusType.NON_TASK)


class Priority(enum.StrEnum):
    HIGHEST = "highest"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    LOWEST = "lowest"


class Spelling(enum.StrEnum):
    """How a line writes its emoji: proper UTF-8 or one of the two mojibake forms seen in real notes."""

    UTF8 = "utf-8"
    MAC_ROMAN = "mac-roman"
    CP1252 = "cp1252"
    DATAVIEW = "dataview"  # `[due:: 2025-10-26]` instead of emoji


@dataclass(frozen=True, slots=True)
class Source:
    """Where a task line sits: vault-relative POSIX path, 1-based line, byte span of the line's content.

    The span excludes the line terminator, so write-back can splice bytes without touching it.
    """

    path: str
    line: int
    start: int
    end: int

    def __reduce__(self) -> tuple[Callable[..., Source], tuple[Any, ...]]:
        """Pickled as its values, rebuilt by `build_source` (see `Task.__reduce__`)."""
        return build_source, (self.path, self.line, self.start, self.end)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem with the input, reported as `path:line: message`; never raised."""

    path: str
    message: str
    line: int | None = None
    unread: bool = False  # part of the note could not be read for sure: its tasks are not all known

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"

    def __reduce__(self) -> tuple[Callable[..., Diagnostic], tuple[Any, ...]]:
        """Pickled as its values: a frozen dataclass's own state is set back field by field."""
        return Diagnostic, (self.path, self.message, self.line, self.unread)


@dataclass(frozen=True, slots=True)
class Task:
    """One checklist line of a note, with its fields read and its identity computed."""

    key: str
    status: str
    status_type: StatusType
    description: str
    source: Source
    note: str
    owner: str | None = None
    priority: Priority | None = None
    due: str | None = None
    scheduled: str | None = None
    start: str | None = None
    created: str | None = None
    done: str | None = None
    cancelled: str | None = None
    recurrence: str | None = None
    id: str | None = None
    depends_on: tuple[str, ...] = ()
    on_completion: str | None = None
    tags: tuple[str, ...] = ()
    spelling: Spelling | None = None  # None: the line has no field to copy the spelling from
    depth: int = 0
    norm: str = field(default="", repr=False)
    # Fields written in the line but unreadable (an impossible date): unknown, not empty, so a
    # synced task keeps the value it has rather than losing it to a typo.
    unknown: tuple[str, ...] = ()
    # Lines of one note with the same key (the same sentence twice for one owner): 0 for the first,
    # 1 for the next, so each line keeps its own synced values and is written on its own.
    repeat: int = 0
    # The `line_key` of the task line this one is nested under (a sub-task), None at the top: the
    # nearest task line above it in the same list with a smaller indentation.
    parent: str | None = None

    @property
    def line_key(self) -> str:
        """The key, told apart from earlier lines of the note with the same key."""
        return self.key if not self.repeat else f"{self.key}~{self.repeat}"

    def __reduce__(self) -> tuple[Callable[..., Task], tuple[Any, ...]]:
        """Pickled as its values in field order, rebuilt by `build_task`: a worker process sends
        every task of a cold vault back, and a frozen dataclass's own pickling gets and sets its
        state field by field in Python on both sides."""
        return build_task, _task_values(self)


_task_values = attrgetter(*(f.name for f in fields(Task)))
_new = object.__new__


class _OpenTask:
    """A Task's slots in a class that is not frozen: `build_task` sets them by plain assignment
    (the interpreter's own slot store), then makes the object a Task (`__class__`: the same slots,
    so the same layout). A frozen dataclass can only be set through `object.__setattr__` or its
    slot descriptors' `__set__`, a call for each of its 25 fields."""

    __slots__ = Task.__slots__


class _OpenSource:
    """`_OpenTask` for `build_source`."""

    __slots__ = Source.__slots__


def build_task(
    key: str,
    status: str,
    status_type: StatusType,
    description: str,
    source: Source,
    note: str,
    owner: str | None,
    priority: Priority | None,
    due: str | None,
    scheduled: str | None,
    start: str | None,
    created: str | None,
    done: str | None,
    cancelled: str | None,
    recurrence: str | None,
    id: str | None,
    depends_on: tuple[str, ...],
    on_completion: str | None,
    tags: tuple[str, ...],
    spelling: Spelling | None,
    depth: int,
    norm: str,
    unknown: tuple[str, ...],
    repeat: int,
    parent: str | None,
) -> Task:
    """`Task(...)` with every field given in order, in under half the time: a frozen dataclass's
    `__init__` sets each slot through `object.__setattr__`, this by plain assignment (`_OpenTask`).
    Parsing builds one per task line of a vault, and a sync's process one per task a worker
    process sends back (`Task.__reduce__`). Written out rather than made by `bridge.copies.maker`,
    which compiles its function on import: every listing and sync imports this module."""
    task: Any = _new(_OpenTask)
    task.key = key
    task.status = status
    task.status_type = status_type
    task.description = description
    task.source = source
    task.note = note
    task.owner = owner
    task.priority = priority
    task.due = due
    task.scheduled = scheduled
    task.start = start
    task.created = created
    task.done = done
    task.cancelled = cancelled
    task.recurrence = recurrence
    task.id = id
    task.depends_on = depends_on
    task.on_completion = on_completion
    task.tags = tags
    task.spelling = spelling
    task.depth = depth
    task.norm = norm
    task.unknown = unknown
    task.repeat = repeat
    task.parent = parent
    task.__class__ = Task
    built: Task = task
    return built


def build_source(path: str, line: int, start: int, end: int) -> Source:
    """`Source(path, line, start, end)` by plain assignment, as `build_task` builds a Task."""
    source: Any = _new(_OpenSource)
    source.path = path
    source.line = line
    source.start = start
    source.end = end
    source.__class__ = Source
    built: Source = source
    return built
