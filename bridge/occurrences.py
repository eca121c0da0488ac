"""Occurrences of recurring tasks: the next ones' dates, and the lines that record them in a note.

Obsidian Tasks records a completed occurrence as two lines: the ticked one, with its `✅` date,
and a new open line for the next occurrence, its dates moved on by the rule (above the ticked
one, or below with the vault's setting; with `🏁 delete` the ticked one goes). The bridge writes
the same lines when the tracker reports a completion, and reads them back as one completed
occurrence when Obsidian wrote them. Pure: no files, no clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bridge.line_edit import edit_line
from bridge.model import Spelling, StatusType, Task
from bridge.parse import LineParse, parse_line
from bridge.recurrence import Occurrence, Rule, next_occurrence, parse_rule
from bridge.signifiers import Dialect

__all__ = ["Recur", "next_dates", "occurrence_lines", "rule_of"]

_DATES = ("due", "scheduled", "start")


@dataclass(frozen=True, slots=True)
class Recur:
    """Occurrences of a task completed elsewhere, to record next to its line: `count` of them, the
    last followed by the open next one. `due` is the next due date when the line has no rule of
    its own (a task made recurring in the tracker), as the tracker gives it."""

    count: int = 1
    due: str | None = None


def rule_of(task: Task) -> Rule | None:
    return parse_rule(task.recurrence) if task.recurrence else None


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def next_dates(task: Task, count: int, today: dt.date, *, remove_scheduled: bool = False) -> list[Occurrence]:
    """The dates of the `count` occurrences after the task's own, in order; fewer when the rule
    ends (`for 3 times` is not counted: Obsidian Tasks does not count either), none without a rule."""
    rule = rule_of(task)
    if rule is None:
        return []
    found: list[Occurrence] = []
    due, scheduled, start = _date(task.due), _date(task.scheduled), _date(task.start)
    for _ in range(count):
        nxt = next_occurrence(rule, due, scheduled, start, today, remove_scheduled=remove_scheduled)
        if nxt is None:
            break
        found.append(nxt)
        if nxt == (None, None, None):  # no dates: every occurrence is the same
            continue
        due, scheduled, start = nxt
    return found


def _set_dates(line: str, parsed: LineParse, dates: Occurrence | None, due: str | None) -> str:
    """The line with its date fields' values replaced; dates are all ten characters long, so
    every other field keeps its offsets."""
    wanted = dict(zip(_DATES, dates, strict=True)) if dates is not None else {"due": _date(due)}
    for f in parsed.fields:
        day = wanted.get(f.name)
        if day is None or f.value is None:
            continue
        at = line.rfind(f.value, f.start, f.end)
        if at >= 0:
            line = line[:at] + day.isoformat() + line[at + len(f.value) :]
    return line


def _without(line: str, dialect: Dialect, names: tuple[str, ...]) -> str:
    """The line with these fields cut, and the blanks before each."""
    parsed = parse_line(line, dialect.task_format)
    if parsed is None:  # pragma: no cover - a task line stays one when only dates change
        return line
    for f in sorted((f for f in parsed.fields if f.name in names), key=lambda f: f.start, reverse=True):
        start = f.start
        while start > 0 and line[start - 1] in " \t":
            start -= 1
        line = line[:start] + line[f.end :]
    return line


def occurrence_lines(
    line: str,
    parsed: LineParse,
    task: Task,
    recur: Recur,
    dialect: Dialect,
    today: dt.date,
    spelling: Spelling,
) -> list[str]:
    """The lines recording `recur.count` completed occurrences after `line`'s own: one done line
    for each beyond the first (the line itself is the first), then the open next occurrence, in
    the order they happened. Empty when there is no next occurrence (the rule ended)."""
    if rule_of(task) is not None:
        dates: list[Occurrence | None] = list(
            next_dates(task, recur.count, today, remove_scheduled=dialect.remove_scheduled)
        )
        if len(dates) < recur.count:
            return []
    elif recur.due is not None:
        dates = [None] * recur.count
    else:
        return []
    made: list[str] = []
    for i, occurrence in enumerate(dates):
        text = _set_dates(line, parsed, occurrence, recur.due)
        again = parse_line(text, dialect.task_format)
        if again is None:  # pragma: no cover - only date values changed
            continue
        status = StatusType.TODO if i == len(dates) - 1 else StatusType.DONE
        text = edit_line(text, again, status, dialect, today, spelling)
        cut: tuple[str, ...] = ("block",)  # a block id names one line: it stays with the first
        if occurrence is not None and occurrence.scheduled is None and dialect.remove_scheduled:
            cut += ("scheduled",)
        made.append(_without(text, dialect, cut) if cut else text)
    return made
