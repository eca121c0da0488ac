"""Recurring due strings without HTTP: the emulator's reader (first and next dates) and the
connector's translation of Obsidian Tasks rules into Todoist's words."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.todoist.emulator.errors import ApiError
from connectors.todoist.emulator.records import due_from_object, due_from_string, next_due
from connectors.todoist.recurrence import due_string

TODAY = date(2026, 12, 9)  # a Wednesday

# due string → (first occurrence, the next one after completing it), read on TODAY
READINGS = [
    ("every day", "2026-12-09", "2026-12-10"),
    ("every 3 days", "2026-12-09", "2026-12-12"),
    ("every week", "2026-12-09", "2026-12-16"),
    ("every other week", "2026-12-09", "2026-12-23"),
    ("every 2 weeks", "2026-12-09", "2026-12-23"),
    ("every friday", "2026-12-11", "2026-12-18"),
    ("Every Wednesday", "2026-12-09", "2026-12-16"),  # today is one: it is the first
    ("every mon, fri", "2026-12-11", "2026-12-14"),
    ("every tue and thu", "2026-12-10", "2026-12-15"),
    ("every other monday", "2026-12-14", "2026-12-28"),
    ("every weekday", "2026-12-09", "2026-12-10"),
    ("every weekday starting 2026-12-11", "2026-12-11", "2026-12-14"),  # over the weekend
    ("every weekend", "2026-12-12", "2026-12-13"),
    ("every month", "2026-12-09", "2027-01-09"),
    ("every 3 months", "2026-12-09", "2027-03-09"),
    ("every month starting 2027-01-31", "2027-01-31", "2027-02-28"),  # clamped to the month's end
    ("every 15th", "2026-12-15", "2027-01-15"),
    ("every 1st, 15th", "2026-12-15", "2027-01-01"),
    ("every last day", "2026-12-31", "2027-01-31"),
    ("every 2nd monday", "2026-12-14", "2027-01-11"),
    ("every last fri", "2026-12-25", "2027-01-29"),
    ("every year", "2026-12-09", "2027-12-09"),
    ("every year starting 2028-02-29", "2028-02-29", "2029-02-28"),
    ("every jan 27", "2027-01-27", "2028-01-27"),
    ("every 27 jan", "2027-01-27", "2028-01-27"),
    ("every day starting 2026-12-20", "2026-12-20", "2026-12-21"),
    ("every! 2 weeks", "2026-12-09", "2026-12-23"),
    ("every day at 10am", "2026-12-09T10:00:00.000000", "2026-12-10T10:00:00.000000"),
    ("every fri at 18:30 starting 2027-01-01", "2027-01-01T18:30:00.000000", "2027-01-08T18:30:00.000000"),
]


@pytest.mark.parametrize(("text", "first", "then"), READINGS)
def test_a_recurring_due_string_gives_its_first_and_next_date(text, first, then):
    due = due_from_string(text, TODAY)
    assert due is not None
    assert (due["date"], due["string"], due["is_recurring"], due["timezone"]) == (first, text, True, None)
    after = next_due(due, TODAY)
    assert after is not None
    assert after["date"] == then
    assert after["string"] == text  # the rule stays as given


def test_plain_every_counts_from_the_due_date_and_every_bang_from_today():
    def next_date(string: str) -> str | None:
        after = next_due({"date": "2026-11-01", "string": string, "is_recurring": True}, TODAY)
        return None if after is None else str(after["date"])

    assert next_date("every 2 weeks") == "2026-11-15"
    assert next_date("every! 2 weeks") == "2026-12-23"
    assert next_date("every! friday") == "2026-12-11"


@pytest.mark.parametrize("text", ["every fortnight", "every 32nd", "every blursday", "every", "every! 0th"])
def test_a_recurring_string_the_emulator_cannot_read_is_refused(text):
    with pytest.raises(ApiError) as raised:
        due_from_string(text, TODAY)
    assert raised.value.status == 400


def test_a_due_object_with_date_and_string_keeps_the_date_and_recurs():
    due = due_from_object({"date": "2027-01-05", "string": "every week"}, TODAY)
    assert due == {"date": "2027-01-05", "timezone": None, "string": "every week", "lang": "en",
                   "is_recurring": True}  # fmt: skip
    with pytest.raises(ApiError):
        due_from_object({"date": "2027-01-05", "string": "every blue moon"}, TODAY)


# Obsidian Tasks rule → Todoist due string (None: Todoist has no words for it)
TRANSLATIONS = [
    ("every day", "every day"),
    ("every 3 days", "every 3 days"),
    ("every week", "every week"),
    ("every 2 weeks", "every 2 weeks"),
    ("every week on Friday", "every fri"),
    ("every Monday", "every mon"),
    ("every week on Monday, Friday", "every mon, fri"),
    ("every Tuesday and Thursday", "every tue, thu"),
    ("every weekday", "every weekday"),
    ("every 2 weeks on Friday", "every other fri"),
    ("every month", "every month"),
    ("every 6 months", "every 6 months"),
    ("every month on the 15th", "every 15th"),
    ("every month on the 1st, 15th", "every 1st, 15th"),
    ("every month on the last", "every last day"),
    ("every month on the last day", "every last day"),
    ("every month on the second Tuesday", "every 2nd tue"),
    ("every month on the last Friday", "every last fri"),
    ("every year", "every year"),
    ("every 2 years", "every 2 years"),
    ("every January on the 27th", "every jan 27"),
    ("every day when done", "every! day"),
    ("every 2 weeks when done", "every! 2 weeks"),
    ("every week on Sunday when done", "every! sun"),
    ("every day at 10", "every day"),  # Obsidian keeps dates only: the hour changes none
    ("every day for 3 times", None),
    ("every hour", None),
    ("every 3 weeks on Monday", None),
    ("every 4 weeks on Monday, Thursday", None),
    ("every 2 months on the 15th", None),
    ("every January", None),
    ("every month on the 2nd last", None),
    ("every week on week 3", None),
    ("every other week", None),  # not an Obsidian rule at all
    ("sometimes", None),
]


@pytest.mark.parametrize(("rule", "expected"), TRANSLATIONS)
def test_an_obsidian_rule_in_todoist_words(rule, expected):
    assert due_string(rule) == expected


@pytest.mark.parametrize(("rule", "expected"), [(r, e) for r, e in TRANSLATIONS if e is not None])
def test_every_translation_is_a_string_the_emulator_reads(rule, expected):
    due = due_from_string(f"{expected} starting 2026-12-11", TODAY)
    assert due is not None
    assert due["is_recurring"]
    assert due["date"] >= "2026-12-11"
