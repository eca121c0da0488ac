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


def _setter(name: str, cls: type[Any] = Task) -> Callable[[Any, Any], None]:
    setter: Callable[[Any, Any], None] = cls.__dict__[name].__set__  # the slot's own descriptor
    return setter


_task_values = attrgetter(*(f.name for f in fields(Task)))


_new = object.__new__  # an instance of a slotted class, its slots set one by one after
_key = _setter("key")
_status = _setter("status")
_status_type = _setter("status_type")
_description = _setter("description")
_source = _setter("source")
_note = _setter("note")
_owner = _setter("owner")
_priority = _setter("priority")
_due = _setter("due")
_scheduled = _setter("scheduled")
_start = _setter("start")
_created = _setter("created")
_done = _setter("done")
_cancelled = _setter("cancelled")
_recurrence = _setter("recurrence")
_id = _setter("id")
_depends_on = _setter("depends_on")
_on_completion = _setter("on_completion")
_tags = _setter("tags")
_spelling = _setter("spelling")
_depth = _setter("depth")
_norm = _setter("norm")
_unknown = _setter("unknown")
_repeat = _setter("repeat")
_parent = _setter("parent")


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
    """`Task(...)` with every field given in order, in half the time: a frozen dataclass's
    `__init__` sets each slot through `object.__setattr__`, this through the slot itself. Parsing
    builds one per task line of a vault. Written out rather than made by `bridge.copies.maker`,
    which compiles its function on import: every listing and sync imports this module."""
    task: Task = _new(Task)
    _key(task, key)
    _status(task, status)
    _status_type(task, status_type)
    _description(task, description)
    _source(task, source)
    _note(task, note)
    _owner(task, owner)
    _priority(task, priority)
    _due(task, due)
    _scheduled(task, scheduled)
    _start(task, start)
    _created(task, created)
    _done(task, done)
    _cancelled(task, cancelled)
    _recurrence(task, recurrence)
    _id(task, id)
    _depends_on(task, depends_on)
    _on_completion(task, on_completion)
    _tags(task, tags)
    _spelling(task, spelling)
    _depth(task, depth)
    _norm(task, norm)
    _unknown(task, unknown)
    _repeat(task, repeat)
    _parent(task, parent)
    return task


_source_path = _setter("path", Source)
_source_line = _setter("line", Source)
_source_start = _setter("start", Source)
_source_end = _setter("end", Source)


def build_source(path: str, line: int, start: int, end: int) -> Source:
    """`Source(path, line, start, end)` through its slots, as `build_task` builds a Task."""
    source: Source = _new(Source)
    _source_path(source, path)
    _source_line(source, line)
    _source_start(source, start)
    _source_end(source, end)
    return source
