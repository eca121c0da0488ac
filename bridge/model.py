"""The values the rest of the product passes around: tasks, where they came from, and diagnostics.

Plain frozen dataclasses with no I/O, so that parsing, planning and write-back stay pure.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

from bridge.copies import maker

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
        return self not in (StatusType.DONE, StatusType.CANCELLED, StatusType.NON_TASK)


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


# `Task(...)` and `Source(...)` in half the time: a frozen dataclass's `__init__` sets each slot
# through `object.__setattr__`, these through the slot itself. Parsing builds one per task line of
# a vault, and a worker's tasks are unpickled through them (`__reduce__`).
build_task = maker(Task, "build_task")
build_source = maker(Source, "build_source")
