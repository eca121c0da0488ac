"""Recurrence rules read and advanced as Obsidian Tasks does (bridge.recurrence).

Expected dates come from the Obsidian Tasks docs (docs/Getting Started/Recurring Tasks.md) and
tests (tests/Task/Recurrence.test.ts), obsidian-tasks-group/obsidian-tasks at cc0fce3; cases
marked "rrule semantics" follow from the rrule JS grammar (src/nlp/parsetext.ts, i18n.ts).
"""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.recurrence import Occurrence, next_occurrence, parse_rule


def _d(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


# (rule, due, scheduled, start, done on, expected due, scheduled, start)
CASES: list[tuple[str, str | None, str | None, str | None, str, str | None, str | None, str | None]] = [
    # Obsidian Tasks docs, Recurring Tasks: Basic Example (next Sunday after 2021-04-25).
    ("every Sunday", "2021-04-25", None, None, "2021-04-24", "2021-05-02", None, None),
    # Obsidian Tasks docs, Recurring Tasks: based on the original date vs `when done`.
    ("every week", None, "2021-02-06", None, "2022-02-13", None, "2021-02-13", None),
    ("every week when done", None, "2021-02-06", None, "2022-02-13", None, "2022-02-20", None),
    # Obsidian Tasks docs, Recurring Tasks: "every month on the last: reliable and safe".
    ("every month on the last", "2022-01-31", None, None, "2022-01-31", "2022-02-28", None, None),
    ("every month on the last", "2022-02-28", None, None, "2022-02-28", "2022-03-31", None, None),
    ("every month on the last", "2022-03-31", None, None, "2022-03-31", "2022-04-30", None, None),
    ("every month on the last", "2022-04-30", None, None, "2022-04-30", "2022-05-31", None, None),
    ("every month on the last", "2022-05-31", None, None, "2022-05-31", "2022-06-30", None, None),
    # Obsidian Tasks docs, Recurring Tasks: "every month: if next calculated date does not exist,
    # move new due date earlier".
    ("every month", "2021-10-31", None, None, "2021-10-31", "2021-11-30", None, None),
    ("every month", "2021-11-30", None, None, "2021-11-30", "2021-12-30", None, None),
    ("every month", "2021-12-30", None, None, "2021-12-30", "2022-01-30", None, None),
    ("every month", "2022-01-30", None, None, "2022-01-30", "2022-02-28", None, None),
    ("every month", "2022-02-28", None, None, "2022-02-28", "2022-03-28", None, None),
    # Obsidian Tasks docs, Recurring Tasks: "every month on the 31st: skips months with fewer than 31 days".
    ("every month on the 31st", "2022-01-31", None, None, "2022-01-31", "2022-03-31", None, None),
    ("every month on the 31st", "2022-03-31", None, None, "2022-03-31", "2022-05-31", None, None),
    ("every month on the 31st", "2022-05-31", None, None, "2022-05-31", "2022-07-31", None, None),
    ("every month on the 31st", "2022-07-31", None, None, "2022-07-31", "2022-08-31", None, None),
    # Obsidian Tasks docs, Recurring Tasks: Priority of Dates (other dates keep their distance).
    ("every 2 weeks", "2021-10-30", "2021-10-28", None, "2021-10-30", "2021-11-13", "2021-11-11", None),
    # Obsidian Tasks docs, Recurring Tasks: "Next recurrence is on non-existent date".
    ("every 3 months", "2022-01-31", None, None, "2022-01-31", "2022-04-30", None, None),
    ("every 3 months", "2022-04-30", None, None, "2022-04-30", "2022-07-30", None, None),
    # Obsidian Tasks tests, Recurrence.test.ts: month and year ends.
    ("every month", "2022-01-31", None, None, "2022-01-31", "2022-02-28", None, None),
    ("every 2 months", "2023-12-31", None, None, "2023-12-31", "2024-02-29", None, None),
    ("every 2 years", "2024-02-29", None, None, "2024-02-29", "2026-02-28", None, None),
    ("every 11 months", "2020-03-31", None, None, "2020-03-31", "2021-02-28", None, None),
    ("every 13 months", "2020-01-31", None, None, "2020-01-31", "2021-02-28", None, None),
    # Obsidian Tasks tests, Recurrence.test.ts: a lower priority date shifts with the reference.
    ("every day", "2022-02-27", "2022-02-27", None, "2022-02-27", "2022-02-28", "2022-02-28", None),
    # Obsidian Tasks tests, Recurrence.test.ts: removeScheduledDateOnRecurrence (see the keyword cases below).
    (
        "every month",
        "2022-01-10",
        "2022-01-04",
        "2022-01-01",
        "2022-01-10",
        "2022-02-10",
        "2022-02-04",
        "2022-02-01",
    ),
    # Obsidian Tasks docs, Recurring Tasks: Examples (rrule semantics for the dates).
    ("every 3 days", "2022-01-31", None, None, "2022-01-31", "2022-02-03", None, None),
    ("every 10 days when done", "2022-01-01", None, None, "2022-01-05", "2022-01-15", None, None),
    ("every weekday", "2022-01-07", None, None, "2022-01-07", "2022-01-10", None, None),
    ("every weekday", "2022-01-04", None, None, "2022-01-04", "2022-01-05", None, None),
    ("every week on Sunday", "2022-01-05", None, None, "2022-01-05", "2022-01-09", None, None),
    ("every week on Tuesday, Friday", "2022-01-04", None, None, "2022-01-04", "2022-01-07", None, None),
    ("every week on Tuesday, Friday", "2022-01-07", None, None, "2022-01-07", "2022-01-11", None, None),
    ("every 3 weeks on Friday", "2022-01-07", None, None, "2022-01-07", "2022-01-28", None, None),
    ("every 2 months", "2022-01-15", None, None, "2022-01-15", "2022-03-15", None, None),
    ("every month on the 1st", "2022-01-15", None, None, "2022-01-15", "2022-02-01", None, None),
    ("every month on the last Friday", "2022-01-28", None, None, "2022-01-28", "2022-02-25", None, None),
    ("every month on the 2nd last Friday", "2022-01-21", None, None, "2022-01-21", "2022-02-18", None, None),
    ("every 6 months on the 2nd Wednesday", "2022-01-12", None, None, "2022-01-12", "2022-07-13", None, None),
    ("every January on the 15th", "2022-01-15", None, None, "2022-01-15", "2023-01-15", None, None),
    ("every February on the last", "2022-02-28", None, None, "2022-02-28", "2023-02-28", None, None),
    (
        "every April and December on the 1st and 24th",
        "2022-04-01",
        None,
        None,
        "2022-04-01",
        "2022-04-24",
        None,
        None,
    ),
    (
        "every April and December on the 1st and 24th",
        "2022-04-24",
        None,
        None,
        "2022-04-24",
        "2022-12-01",
        None,
        None,
    ),
    ("every year", "2022-03-15", None, None, "2022-03-15", "2023-03-15", None, None),
    ("every year", "2024-02-29", None, None, "2024-02-29", "2025-02-28", None, None),
    # rrule semantics: the reference is due, else scheduled, else start; all dates shift alike.
    ("every week", None, None, "2022-01-03", "2022-01-03", None, None, "2022-01-10"),
    ("every week", None, "2022-01-05", "2022-01-03", "2022-01-05", None, "2022-01-12", "2022-01-10"),
    (
        "every 2 days",
        "2022-01-10",
        "2022-01-08",
        "2022-01-01",
        "2022-01-09",
        "2022-01-12",
        "2022-01-10",
        "2022-01-03",
    ),
    (
        "every month when done",
        "2022-01-31",
        None,
        "2022-01-24",
        "2022-03-31",
        "2022-04-30",
        None,
        "2022-04-23",
    ),
    ("Every Week When Done", "2022-01-01", None, None, "2022-01-05", "2022-01-12", None, None),
    ("every day", None, None, None, "2022-01-05", None, None, None),
]


@pytest.mark.parametrize(
    ("rule_text", "due", "scheduled", "start", "done_on", "next_due", "next_scheduled", "next_start"),
    CASES,
    ids=[f"{i}:{c[0]}@{c[1] or c[2] or c[3]}" for i, c in enumerate(CASES)],
)
def test_next_occurrence_as_obsidian_tasks(
    rule_text, due, scheduled, start, done_on, next_due, next_scheduled, next_start
):
    rule = parse_rule(rule_text)
    assert rule is not None
    got = next_occurrence(rule, _d(due), _d(scheduled), _d(start), dt.date.fromisoformat(done_on))
    assert got == Occurrence(_d(next_due), _d(next_scheduled), _d(next_start))


# Obsidian Tasks tests, Recurrence.test.ts: "Recurrence - with removeScheduledDateOnRecurrence".
def test_remove_scheduled_drops_scheduled_and_prefers_start():
    rule = parse_rule("every month")
    assert rule is not None
    got = next_occurrence(
        rule, _d("2022-01-10"), _d("2022-01-04"), _d("2022-01-01"), _d("2022-01-10"), remove_scheduled=True
    )
    assert got == Occurrence(_d("2022-02-10"), None, _d("2022-02-01"))


def test_remove_scheduled_keeps_a_lone_scheduled_date():
    rule = parse_rule("every month")
    assert rule is not None
    got = next_occurrence(rule, None, _d("2022-01-04"), None, _d("2022-01-04"), remove_scheduled=True)
    assert got == Occurrence(None, _d("2022-02-04"), None)


def test_remove_scheduled_when_done_bases_on_start():
    rule = parse_rule("every 3 days when done")
    assert rule is not None
    got = next_occurrence(
        rule, None, _d("2022-01-04"), _d("2022-01-01"), _d("2022-01-10"), remove_scheduled=True
    )
    assert got == Occurrence(None, None, _d("2022-01-13"))


# rrule semantics: `for N times` counts from the anchor; once spent there is no next occurrence.
def test_exhausted_count_has_no_next_occurrence():
    rule = parse_rule("every day for 1 times")
    assert rule is not None
    assert next_occurrence(rule, _d("2022-01-01"), None, None, _d("2022-01-01")) is None


# Rules Obsidian Tasks reads (rrule's lexer stops quietly at unknown words; abbreviations lex).
@pytest.mark.parametrize(
    "text",
    ["every day", "every week blah", "every mon, fri", "every week on Mon and Fri", "every hour"],
)
def test_readable(text):
    assert parse_rule(text) is not None


# Not rules: Recurrence.fromText returns null (bad characters, no `every`, words rrule refuses).
@pytest.mark.parametrize(
    "text",
    [
        "",
        "weekly",
        "every",
        "every two weeks",
        "every 2",
        "every banana",
        "every 2nd week",  # `2nd` lexes as an ordinal, not the interval
        "every day until 2022-12-31",
        "every week; on Friday",
        "every week on Friday ✅",
        "every day for 3rd times",
        "every Monday and",
        "every month on the 400th",
    ],
)
def test_not_a_rule(text):
    assert parse_rule(text) is None


# rrule semantics: text the lexer cannot read ends the rule, so a misplaced `when done` is ignored.
def test_trailing_words_end_the_rule():
    rule = parse_rule("every day when done please")
    assert rule is not None
    assert not rule.when_done


def test_rule_keeps_text_and_when_done():
    rule = parse_rule(" every week on Friday when done ")
    assert rule is not None
    assert rule.text == "every week on Friday when done"
    assert rule.when_done
    assert hash(rule) == hash(parse_rule("every week on Friday when done"))
