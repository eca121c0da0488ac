"""Recurrence rules (`🔁 every week on Friday`) read and advanced as Obsidian Tasks does. Pure: no clock.

Obsidian Tasks hands the rule text to the `rrule` JS library's natural-language parser
(`RRule.parseText`) and computes the next dates in `src/Task/Recurrence.ts` and
`src/Task/Occurrence.ts`. Both are mirrored here, quirks included, so a rule means in the bridge
what it means in the vault; the arithmetic itself is python-dateutil's `rrule`, the same
RFC 5545 model the JS library implements.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from dateutil import rrule as du

__all__ = ["Occurrence", "Rule", "next_occurrence", "parse_rule"]

# Recurrence.fromText: the characters a rule may use, then an optional ` when done`.
_RULE_TEXT_RE = re.compile(r"^([a-zA-Z0-9, !]+?)( when done)?$", re.IGNORECASE)

# rrule's English tokens (src/nlp/i18n.ts), in its order: the longest match wins, the first on a tie.
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("SKIP", r"^[ \r\n\t]+|^\.$"),
        ("number", r"^[1-9][0-9]*"),
        ("numberAsText", r"^(one|two|three)"),
        ("every", r"^every"),
        ("day(s)", r"^days?"),
        ("weekday(s)", r"^weekdays?"),
        ("week(s)", r"^weeks?"),
        ("hour(s)", r"^hours?"),
        ("minute(s)", r"^minutes?"),
        ("month(s)", r"^months?"),
        ("year(s)", r"^years?"),
        ("on", r"^(on|in)"),
        ("at", r"^(at)"),
        ("the", r"^the"),
        ("first", r"^first"),
        ("second", r"^second"),
        ("third", r"^third"),
        ("nth", r"^([1-9][0-9]*)(\.|th|nd|rd|st)"),
        ("last", r"^last"),
        ("for", r"^for"),
        ("time(s)", r"^times?"),
        ("until", r"^(un)?til"),
        ("monday", r"^mo(n(day)?)?"),
        ("tuesday", r"^tu(e(s(day)?)?)?"),
        ("wednesday", r"^we(d(n(esday)?)?)?"),
        ("thursday", r"^th(u(r(sday)?)?)?"),
        ("friday", r"^fr(i(day)?)?"),
        ("saturday", r"^sa(t(urday)?)?"),
        ("sunday", r"^su(n(day)?)?"),
        ("january", r"^jan(uary)?"),
        ("february", r"^feb(ruary)?"),
        ("march", r"^mar(ch)?"),
        ("april", r"^apr(il)?"),
        ("may", r"^may"),
        ("june", r"^june?"),
        ("july", r"^july?"),
        ("august", r"^aug(ust)?"),
        ("september", r"^sep(t(ember)?)?"),
        ("october", r"^oct(ober)?"),
        ("november", r"^nov(ember)?"),
        ("december", r"^dec(ember)?"),
        ("comma", r"^(,\s*|(and|or)\s*)+"),
    )
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_WEEKDAY_RULE = tuple(du.weekdays[:5])


class _Unreadable(ValueError):
    """The JS parser throws here: Obsidian Tasks then treats the text as no rule at all."""


class _Lexer:
    """rrule's `Parser` (src/nlp/parsetext.ts): a greedy lexer that stops at the first unknown text.

    Unknown trailing text is not an error there (`every week blah` is `every week`), so not here.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.symbol: str | None = None
        self.value: re.Match[str] | None = None
        self.done = False

    def is_done(self) -> bool:
        return self.done and self.symbol is None

    def next_symbol(self) -> bool:
        self.symbol = None
        self.value = None
        while True:
            if self.done:
                return False
            best: re.Match[str] | None = None
            best_name = ""
            for name, pattern in _TOKENS:
                found = pattern.match(self.text)
                if found and (best is None or len(found[0]) > len(best[0])):
                    best, best_name = found, name
            if best is None:
                self.done = True
                return False
            self.text = self.text[len(best[0]) :]
            if self.text == "":
                self.done = True
            if best_name != "SKIP":
                self.symbol, self.value = best_name, best
                return True

    def accept(self, name: str) -> re.Match[str] | None:
        if self.symbol != name:
            return None
        value = self.value
        self.next_symbol()
        return value

    def expect(self, name: str) -> None:
        if self.accept(name) is None:
            raise _Unreadable(f"expected {name} but found {self.symbol}")


def _parse_text(text: str) -> dict[str, Any] | None:
    """`RRule.parseText`, line for line: the rrule options the words give, None if nothing lexes."""
    options: dict[str, Any] = {}
    lex = _Lexer(text)
    if not lex.next_symbol():
        return None

    def weekday() -> int | None:
        return _WEEKDAYS.index(lex.symbol) if lex.symbol in _WEEKDAYS else None

    def month() -> int | None:
        return _MONTHS.index(lex.symbol) + 1 if lex.symbol in _MONTHS else None

    def nth() -> int | None:
        if lex.symbol == "last":
            lex.next_symbol()
            return -1
        if lex.symbol == "first":
            lex.next_symbol()
            return 1
        if lex.symbol in ("second", "third"):
            n = 2 if lex.symbol == "second" else 3
            lex.next_symbol()
            return -n if lex.accept("last") else n
        if lex.symbol == "nth" and lex.value is not None:
            n = int(lex.value[1])
            if n > 366:
                raise _Unreadable(f"nth out of range: {n}")
            lex.next_symbol()
            return -n if lex.accept("last") else n
        return None

    def on() -> None:
        if not (bool(lex.accept("on")) | bool(lex.accept("the"))):
            return
        while True:
            n, wkd, m = nth(), weekday(), month()
            if n is not None:
                if wkd is not None:
                    lex.next_symbol()
                    options.setdefault("byweekday", []).append(du.weekdays[wkd](n))
                else:
                    options.setdefault("bymonthday", []).append(n)
                    lex.accept("day(s)")
            elif wkd is not None:
                lex.next_symbol()
                options.setdefault("byweekday", []).append(du.weekdays[wkd])
            elif lex.symbol == "weekday(s)":
                lex.next_symbol()
                options.setdefault("byweekday", list(_WEEKDAY_RULE))
            elif lex.symbol == "week(s)":
                lex.next_symbol()
                numbers = [_number(lex.accept("number"), "week number")]
                while lex.accept("comma"):
                    numbers.append(_number(lex.accept("number"), "week number"))
                options["byweekno"] = numbers
            elif m is not None:
                lex.next_symbol()
                options.setdefault("bymonth", []).append(m)
            else:
                return
            if not (lex.accept("comma") or lex.accept("the") or lex.accept("on")):
                return

    def at() -> None:
        if not lex.accept("at"):
            return
        while True:
            hours = [_number(lex.accept("number"), "hour")]
            while lex.accept("comma"):
                hours.append(_number(lex.accept("number"), "hour"))
            options["byhour"] = hours
            if not (lex.accept("comma") or lex.accept("at")):
                return

    def monthdays() -> None:
        lex.accept("on")
        lex.accept("the")
        n = nth()
        if n is None:
            return
        days = [n]
        lex.next_symbol()  # rrule's own quirk: nth() has already moved on, so one token is skipped
        while lex.accept("comma"):
            n = nth()
            if n is None:
                raise _Unreadable(f"unexpected {lex.symbol}; expected monthday")
            days.append(n)
            lex.next_symbol()
        options["bymonthday"] = days

    def ending() -> None:
        if lex.symbol == "until":
            # JS Date.parse of the rest; Obsidian Tasks documents `until` as unsupported, so refuse it.
            raise _Unreadable("until is not supported")
        if lex.accept("for"):
            if lex.value is None:
                raise _Unreadable("for without a count")
            options["count"] = int(lex.value[0])
            lex.expect("number")

    lex.expect("every")
    interval = lex.accept("number")
    if interval is not None:
        options["interval"] = int(interval[0])
    if lex.is_done():
        raise _Unreadable("unexpected end")
    symbol = lex.symbol
    if symbol == "day(s)":
        options["freq"] = du.DAILY
        if lex.next_symbol():
            at()
            ending()
    elif symbol == "weekday(s)":
        options["freq"] = du.WEEKLY
        options["byweekday"] = list(_WEEKDAY_RULE)
        lex.next_symbol()
        at()
        ending()
    elif symbol in ("week(s)", "hour(s)", "minute(s)", "month(s)", "year(s)"):
        options["freq"] = {
            "week(s)": du.WEEKLY,
            "hour(s)": du.HOURLY,
            "minute(s)": du.MINUTELY,
            "month(s)": du.MONTHLY,
            "year(s)": du.YEARLY,
        }[symbol]
        if lex.next_symbol():
            on()
            if symbol == "week(s)":
                at()
            ending()
    elif symbol in _WEEKDAYS:
        options["freq"] = du.WEEKLY
        days = [du.weekdays[_WEEKDAYS.index(symbol)]]
        options["byweekday"] = days
        if not lex.next_symbol():
            return options
        while lex.accept("comma"):
            if lex.is_done():
                raise _Unreadable("unexpected end")
            wkd = weekday()
            if wkd is None:
                raise _Unreadable(f"unexpected {lex.symbol}, expected weekday")
            days.append(du.weekdays[wkd])
            lex.next_symbol()
        at()
        monthdays()
        ending()
    elif symbol in _MONTHS:
        options["freq"] = du.YEARLY
        months = [_MONTHS.index(symbol) + 1]
        options["bymonth"] = months
        if not lex.next_symbol():
            return options
        while lex.accept("comma"):
            if lex.is_done():
                raise _Unreadable("unexpected end")
            m = month()
            if m is None:
                raise _Unreadable(f"unexpected {lex.symbol}, expected month")
            months.append(m)
            lex.next_symbol()
        on()
        ending()
    else:
        raise _Unreadable(f"unknown symbol {symbol}")
    return options


def _number(found: re.Match[str] | None, what: str) -> int:
    if found is None:
        raise _Unreadable(f"expected {what}")
    return int(found[0])


@dataclass(frozen=True, slots=True)
class Rule:
    """A readable rule: rrule options without `dtstart`, which each computation supplies.

    `dtstart` is left out because Obsidian Tasks re-anchors the rule on every completion
    (the reference date, or the done date with `when done`); `every month` means "on this day of
    the month" only once it has a start.
    """

    text: str
    options: tuple[tuple[str, Any], ...]
    when_done: bool

    def to_rrule(self, dtstart: dt.date) -> du.rrule:
        """The dateutil rule anchored at midnight of `dtstart`."""
        start = dt.datetime.combine(dtstart, dt.time())
        return du.rrule(dtstart=start, **dict(self.options))

    @property
    def _opts(self) -> dict[str, Any]:
        return dict(self.options)

    def _clamps_months(self) -> bool:
        """Tasks' `every( \\d+)? month` test on the rule's rrule text, with no ` on ` in it."""
        o = self._opts
        if o["freq"] != du.MONTHLY or "bymonthday" in o or "byweekday" in o:
            return False
        return "bymonth" not in o or o.get("interval", 1) != 1

    def _clamps_years(self) -> bool:
        """Tasks' `every( \\d+)? year` test: `every January` is not rendered with the word year."""
        o = self._opts
        return bool(o["freq"] == du.YEARLY and ("bymonth" not in o or o.get("interval", 1) != 1))


@functools.lru_cache(maxsize=1024)
def parse_rule(text: str) -> Rule | None:
    """The rule Obsidian Tasks reads in `text` (what follows 🔁), or None: then it is only text.

    Cached: a vault repeats a handful of rules over many lines, and a Rule is immutable."""
    match = _RULE_TEXT_RE.match(text.strip())
    if match is None:
        return None
    try:
        options = _parse_text(match[1].strip())
        if options is None:
            return None
        frozen = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items())
        rule = Rule(text.strip(), frozen, match[2] is not None)
        rule.to_rrule(dt.date(2000, 1, 1))  # dateutil's own checks: a rule it refuses is no rule
    except (ValueError, TypeError):
        return None
    return rule


class Occurrence(NamedTuple):
    """The dates of one occurrence of a recurring task; None where the task has no such date."""

    due: dt.date | None
    scheduled: dt.date | None
    start: dt.date | None


def _after(rule: du.rrule, day: dt.date) -> dt.date | None:
    found = rule.after(dt.datetime.combine(day, dt.time.max))
    return None if found is None else found.date()


def _next_reference(rule: Rule, anchor: dt.date) -> dt.date | None:
    """`Recurrence.nextAfter`: the first occurrence after `anchor`, anchored there.

    An `every N months`/`every N years` rule that lands more than N months (years) on, because the
    anchor's day does not exist in the target month (Jan 31 → Feb 31), is anchored a day earlier
    until it does not: Jan 31 `every month` gives Feb 28, not Mar 31.
    """
    found = _after(rule.to_rrule(anchor), anchor)
    interval = int(rule._opts.get("interval", 1))
    clamp_months, clamp_years = rule._clamps_months(), rule._clamps_years()
    after = anchor
    while found is not None:
        months = (found.year - after.year) * 12 + found.month - after.month
        too_far = (clamp_months and months > interval) or (clamp_years and found.year - after.year > interval)
        if not too_far:
            break
        after -= dt.timedelta(days=1)
        found = _after(rule.to_rrule(after), after)
    return found


def next_occurrence(
    rule: Rule,
    due: dt.date | None,
    scheduled: dt.date | None,
    start: dt.date | None,
    done_on: dt.date,
    *,
    remove_scheduled: bool = False,
) -> Occurrence | None:
    """The next occurrence's dates, as Obsidian Tasks writes them on completing the task.

    The reference date is due, else scheduled, else start (due, start, scheduled with Tasks'
    "remove scheduled date on recurrence" setting, `remove_scheduled`); the next reference is the
    rule's first date after it, or after `done_on` with `when done`. Every other date keeps its
    distance in days from the reference. A task with no dates recurs with no dates. None: the rule
    has no further occurrence (`for 3 times`, an impossible day).
    """
    order = (due, start, scheduled) if remove_scheduled else (due, scheduled, start)
    reference = next((d for d in order if d is not None), None)
    if reference is None:
        return Occurrence(None, None, None)
    moved_to = _next_reference(rule, done_on if rule.when_done else reference)
    if moved_to is None:
        return None

    def shift(day: dt.date | None) -> dt.date | None:
        return None if day is None else moved_to + (day - reference)

    drop_scheduled = remove_scheduled and (due is not None or start is not None)
    return Occurrence(shift(due), None if drop_scheduled else shift(scheduled), shift(start))
