"""Recurring due strings ("every 3 days", "every mon, fri", "every! 2 weeks starting 2026-01-05").

The real service's natural-language parser is not public, so the emulator reads the forms the
"Due dates" guide and the Help Center article on recurring dates show, from a table of patterns;
anything else starting with "every" is refused (400) rather than guessed. The dates are rrule's
(dateutil): the first occurrence is on or after the `starting` date (else the user's today); the
next is the first one after the current due date, or after today for `every!` ("from completion").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from dateutil import rrule as du

__all__ = ["Recurrence", "add_months", "read", "split_start"]

_DAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2, "thu": 3,
    "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6,
    "sunday": 6,
}  # fmt: skip
_MONTHS = {
    name: number
    for number, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")),
        start=1,
    )
    for name in names
}  # fmt: skip
_NTH = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1}
_UNITS = {"day": du.DAILY, "week": du.WEEKLY, "month": du.MONTHLY, "year": du.YEARLY}
_DAY = "|".join(sorted(_DAYS, key=len, reverse=True))
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"
_LIST = r"\s*(?:,|and|,\s*and)\s*"
_START = re.compile(r"\s+(?:starting|from|starting on)\s+(\d{4}-\d{2}-\d{2})\s*$")
_PREFIX = re.compile(r"^every(!?)\s+")


def _interval(word: str | None) -> int:
    return 1 if word is None else 2 if word == "other" else int(word)


def _units(m: re.Match[str]) -> dict[str, Any]:
    return {"freq": _UNITS[m["unit"]], "interval": _interval(m["n"])}


def _weekdays(m: re.Match[str]) -> dict[str, Any]:
    days = [du.weekdays[_DAYS[name]] for name in re.split(_LIST, m["days"]) if name]
    return {"freq": du.WEEKLY, "interval": _interval(m["n"]), "byweekday": days}


def _monthdays(m: re.Match[str]) -> dict[str, Any] | None:
    days = [int(d) for d in re.findall(r"\d{1,2}", m["days"])]
    return {"freq": du.MONTHLY, "bymonthday": days} if all(1 <= d <= 31 for d in days) else None


def _nth_weekday(m: re.Match[str]) -> dict[str, Any]:
    return {"freq": du.MONTHLY, "byweekday": [du.weekdays[_DAYS[m["day"]]](_NTH[m["nth"]])]}


def _yearly(m: re.Match[str]) -> dict[str, Any] | None:
    day = int(m["day"])
    return (
        {"freq": du.YEARLY, "bymonth": [_MONTHS[m["month"]]], "bymonthday": [day]} if 1 <= day <= 31 else None
    )


# The body after "every"/"every!": each pattern with the rrule options it stands for.
_TABLE: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], dict[str, Any] | None]], ...] = tuple(
    (re.compile(pattern), build)
    for pattern, build in (
        (r"(?:(?P<n>\d+|other)\s+)?(?P<unit>day|week|month|year)s?", _units),
        (r"(?:weekday|workday)s?", lambda m: {"freq": du.WEEKLY, "byweekday": list(du.weekdays[:5])}),
        (r"weekends?", lambda m: {"freq": du.WEEKLY, "byweekday": [du.SA, du.SU]}),
        (rf"(?:(?P<n>other)\s+)?(?P<days>(?:{_DAY})(?:{_LIST}(?:{_DAY}))*)", _weekdays),
        (r"last\s+day(?:\s+of\s+(?:the\s+)?month)?", lambda m: {"freq": du.MONTHLY, "bymonthday": [-1]}),
        (rf"(?P<nth>{'|'.join(_NTH)})\s+(?P<day>{_DAY})", _nth_weekday),
        (rf"(?P<days>{_ORDINAL}(?:{_LIST}{_ORDINAL})*)", _monthdays),
        (rf"(?P<month>{_MONTH})\s+{_ORDINAL.replace('(', '(?P<day>', 1)}", _yearly),
        (rf"{_ORDINAL.replace('(', '(?P<day>', 1)}\s+(?:of\s+)?(?P<month>{_MONTH})", _yearly),
    )
)


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A readable recurring due string: rrule options, `every!`, and its `starting` date."""

    options: tuple[tuple[str, Any], ...]
    from_completion: bool
    start: date | None

    def _rule(self, anchor: date) -> du.rrule:
        return du.rrule(dtstart=datetime.combine(anchor, datetime.min.time()), **dict(self.options))

    def _plain(self) -> bool:
        """`every N days/weeks/months/years`: counted from the anchor, a month end clamped."""
        return not any(key.startswith("by") for key, _ in self.options)

    def first(self, today: date) -> date:
        """The first occurrence: on or after the starting date, else today."""
        anchor = self.start or today
        if self._plain():
            return anchor
        # with interval 1: "every other monday" starts on the next Monday, not two weeks on
        single = Recurrence(tuple((k, v) for k, v in self.options if k != "interval"), False, None)
        found = single._rule(anchor).after(datetime.combine(anchor, datetime.min.time()), inc=True)
        return found.date() if found is not None else anchor

    def after(self, current: date, today: date) -> date:
        """The next occurrence after completing the one on `current` (after today with every!)."""
        anchor = today if self.from_completion else current
        opts = dict(self.options)
        if self._plain():
            interval = int(opts.get("interval", 1))
            unit = opts["freq"]
            if unit in (du.DAILY, du.WEEKLY):
                return anchor + timedelta(days=interval * (7 if unit == du.WEEKLY else 1))
            return add_months(anchor, interval * (12 if unit == du.YEARLY else 1))
        found = self._rule(anchor).after(datetime.combine(anchor, datetime.max.time()))
        return found.date() if found is not None else anchor + timedelta(days=1)


_Day = TypeVar("_Day", date, datetime)


def add_months(day: _Day, months: int) -> _Day:
    """The same day-of-month `months` later, clamped to the month's end (a date or a datetime)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def split_start(phrase: str) -> tuple[str, date | None]:
    """The phrase without a trailing "starting YYYY-MM-DD", and that date (None if absent/invalid)."""
    found = _START.search(phrase)
    if found is None:
        return phrase, None
    try:
        return phrase[: found.start()], date.fromisoformat(found[1])
    except ValueError:
        return phrase, None


def read(phrase: str, start: date | None = None) -> Recurrence | None:
    """The recurrence of a lower-case, single-spaced phrase starting with "every"/"every!" (time
    and `starting` clause already taken off); None when it is not one the table knows."""
    prefix = _PREFIX.match(phrase)
    if prefix is None:
        return None
    body = phrase[prefix.end() :].strip()
    for pattern, build in _TABLE:
        found = pattern.fullmatch(body)
        options = build(found) if found else None
        if options is not None:
            frozen = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items())
            return Recurrence(frozen, prefix[1] == "!", start)
    return None
