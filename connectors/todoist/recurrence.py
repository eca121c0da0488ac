"""An Obsidian Tasks recurrence rule (🔁) in Todoist's recurring due-string grammar. Pure.

Todoist makes a task recurring only from a due *string* ("Note that this approach [a date object]
does not allow you to create recurring due dates", Due dates guide), so the note's rule is
rewritten in the words Todoist's Help Center documents. The rule is read by `bridge.recurrence`
(what it means in the vault) and written from its rrule options through the table below; a rule
whose meaning Todoist has no words for gives None, and the caller sends the plain date instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dateutil import rrule as du

from bridge.recurrence import parse_rule

__all__ = ["due_string"]

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_UNIT = {du.DAILY: "day", du.WEEKLY: "week", du.MONTHLY: "month", du.YEARLY: "year"}
_WORKWEEK = (0, 1, 2, 3, 4)
# Options that change no date the note can hold (Obsidian Tasks keeps dates, not times).
_IGNORED = frozenset(("byhour",))


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _every_unit(o: Mapping[str, Any]) -> str | None:
    interval = int(o.get("interval", 1))
    unit = _UNIT[o["freq"]]
    return unit if interval == 1 else f"{interval} {unit}s"


def _weekdays(o: Mapping[str, Any]) -> str | None:
    days = tuple(dict.fromkeys(d.weekday for d in o["byweekday"]))
    if any(d.n for d in o["byweekday"]):
        return None
    interval = int(o.get("interval", 1))
    if interval == 1 and days == _WORKWEEK:
        return "weekday"
    if interval == 1:
        return ", ".join(_DAY_NAMES[d] for d in days)
    if interval == 2 and len(days) == 1:
        return f"other {_DAY_NAMES[days[0]]}"
    return None


def _monthdays(o: Mapping[str, Any]) -> str | None:
    days = tuple(dict.fromkeys(o["bymonthday"]))
    if o.get("interval", 1) != 1:
        return None
    if days == (-1,):
        return "last day"
    return ", ".join(_ordinal(d) for d in days) if all(d > 0 for d in days) else None


def _nth_weekday(o: Mapping[str, Any]) -> str | None:
    days = o["byweekday"]
    if o.get("interval", 1) != 1 or len(days) != 1 or days[0].n not in (1, 2, 3, 4, -1):
        return None
    nth = "last" if days[0].n == -1 else _ordinal(days[0].n)
    return f"{nth} {_DAY_NAMES[days[0].weekday]}"


def _yearly_date(o: Mapping[str, Any]) -> str | None:
    months, days = o["bymonth"], o["bymonthday"]
    if o.get("interval", 1) != 1 or len(months) != 1 or len(days) != 1 or days[0] < 1:
        return None
    return f"{_MONTH_NAMES[months[0] - 1]} {days[0]}"


# (frequency, the by-options present) → the words after "every"; anything else has none.
_TABLE: dict[tuple[int, frozenset[str]], Callable[[Mapping[str, Any]], str | None]] = {
    (du.DAILY, frozenset()): _every_unit,
    (du.WEEKLY, frozenset()): _every_unit,
    (du.MONTHLY, frozenset()): _every_unit,
    (du.YEARLY, frozenset()): _every_unit,
    (du.WEEKLY, frozenset(("byweekday",))): _weekdays,
    (du.MONTHLY, frozenset(("bymonthday",))): _monthdays,
    (du.MONTHLY, frozenset(("byweekday",))): _nth_weekday,
    (du.YEARLY, frozenset(("bymonth", "bymonthday"))): _yearly_date,
}


def due_string(rule: str) -> str | None:
    """Todoist's words for the Obsidian rule (`every week on Friday` → `every fri`; `… when done`
    → `every! …`), without a starting date; None when Todoist cannot say it (`for 3 times`,
    hours, week numbers, `every 3 weeks on Monday`, `every January`) or the rule is unreadable."""
    parsed = parse_rule(rule)
    if parsed is None:
        return None
    options = {key: value for key, value in parsed.options if key not in _IGNORED}
    by = frozenset(key for key in options if key not in ("freq", "interval"))
    build = _TABLE.get((options["freq"], by))
    words = build(options) if build is not None else None
    if words is None:
        return None
    return f"every{'!' if parsed.when_done else ''} {words}"
