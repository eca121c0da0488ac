"""Completed occurrences of recurring lines written as Obsidian Tasks writes them (bridge.occurrences
through bridge.writeback.set_status): the next line, its place, its dates, and every other byte kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bridge.model import StatusType
from bridge.occurrences import Recur, next_dates
from bridge.parse import parse_note
from bridge.signifiers import Dialect, TaskFormat
from bridge.writeback import set_status

TODAY = dt.date(2026, 12, 6)


def complete(
    tmp_path: Path, text: str, recur: Recur | None = None, dialect: Dialect | None = None, line: int = 1
) -> str:
    note = tmp_path / "a.md"
    note.write_bytes(text.encode("utf-8"))
    tasks, _ = parse_note(text, "a.md", dialect)
    key = next(t.line_key for t in tasks if t.source.line == line)
    result = set_status(
        tmp_path,
        "a.md",
        {key: StatusType.DONE},
        today=TODAY,
        dialect=dialect,
        recur={key: recur or Recur()},
    )
    assert not result.problems
    return note.read_bytes().decode("utf-8")


def test_the_next_occurrence_goes_above_the_ticked_line(tmp_path):
    text = "# Weekly\n- [ ] Send the report 🔁 every week on Friday 📅 2026-12-04\nafter\n"
    assert complete(tmp_path, text, line=2) == (
        "# Weekly\n"
        "- [ ] Send the report 🔁 every week on Friday 📅 2026-12-11\n"
        "- [x] Send the report 🔁 every week on Friday 📅 2026-12-04 ✅ 2026-12-06\n"
        "after\n"
    )


def test_below_with_the_vaults_setting_and_crlf_kept(tmp_path):
    text = "- [ ] Pay rent 🔁 every month on the 1st 📅 2026-12-01\r\n"
    assert complete(tmp_path, text, dialect=Dialect(recurrence_below=True)) == (
        "- [x] Pay rent 🔁 every month on the 1st 📅 2026-12-01 ✅ 2026-12-06\r\n"
        "- [ ] Pay rent 🔁 every month on the 1st 📅 2027-01-01\r\n"
    )


def test_a_last_line_without_newline_gets_none_added(tmp_path):
    out = complete(tmp_path, "- [ ] Water 🔁 every day 📅 2026-12-06", dialect=Dialect(recurrence_below=True))
    assert (
        out == "- [x] Water 🔁 every day 📅 2026-12-06 ✅ 2026-12-06\n- [ ] Water 🔁 every day 📅 2026-12-07"
    )


def test_on_completion_delete_keeps_only_the_next_line(tmp_path):
    text = "a\n- [ ] Water 🔁 every 3 days 📅 2026-12-03 🏁 delete\nb\n"
    assert complete(tmp_path, text, line=2) == "a\n- [ ] Water 🔁 every 3 days 📅 2026-12-06 🏁 delete\nb\n"


def test_when_done_counts_from_today_and_other_dates_keep_their_distance(tmp_path):
    text = "- [ ] Review 🔁 every week when done 🛫 2026-11-01 ⏳ 2026-11-02 📅 2026-11-03\n"
    out = complete(tmp_path, text)
    first = out.splitlines()[0]
    # due moves to a week after today; start and scheduled stay 2 and 1 days before it
    assert first == "- [ ] Review 🔁 every week when done 🛫 2026-12-11 ⏳ 2026-12-12 📅 2026-12-13"


def test_remove_scheduled_on_recurrence(tmp_path):
    text = "- [ ] Review 🔁 every week ⏳ 2026-12-01 📅 2026-12-03\n"
    out = complete(tmp_path, text, dialect=Dialect(remove_scheduled=True))
    assert out.splitlines()[0] == "- [ ] Review 🔁 every week 📅 2026-12-10"


def test_two_occurrences_completed_elsewhere_give_two_done_lines_and_one_open(tmp_path):
    text = "- [ ] Standup 🔁 every weekday 📅 2026-12-04 ^standup\n"
    assert complete(tmp_path, text, Recur(2)).splitlines() == [
        "- [ ] Standup 🔁 every weekday 📅 2026-12-08",
        "- [x] Standup 🔁 every weekday 📅 2026-12-07 ✅ 2026-12-06",
        "- [x] Standup 🔁 every weekday 📅 2026-12-04 ✅ 2026-12-06 ^standup",  # the block id stays here
    ]


def test_dataview_fields_and_their_spelling(tmp_path):
    text = "- [ ] Backup [repeat:: every 2 weeks]  [due:: 2026-12-01]\n"
    dialect = Dialect(task_format=TaskFormat.DATAVIEW)
    assert complete(tmp_path, text, dialect=dialect).splitlines() == [
        "- [ ] Backup [repeat:: every 2 weeks]  [due:: 2026-12-15]",
        "- [x] Backup [repeat:: every 2 weeks]  [due:: 2026-12-01]  [completion:: 2026-12-06]",
    ]


def test_mojibake_lines_stay_in_their_spelling(tmp_path):
    utf8 = "- [ ] Call 🔁 every day 📅 2026-12-05"
    mojibake = utf8.encode("utf-8").decode("mac_roman")
    out = complete(tmp_path, mojibake + "\n")
    assert out.splitlines()[0] == "- [ ] Call " + "🔁".encode().decode("mac_roman") + " every day " + (
        "📅".encode().decode("mac_roman") + " 2026-12-06"
    )
    assert "✅".encode().decode("mac_roman") in out.splitlines()[1]


def test_indentation_and_quote_markers_are_copied(tmp_path):
    text = "> - [ ] Parent\n>     - [ ] Child 🔁 every day 📅 2026-12-05\n"
    out = complete(tmp_path, text, line=2)
    assert out.splitlines()[1] == ">     - [ ] Child 🔁 every day 📅 2026-12-06"


def test_a_task_recurring_only_in_the_tracker_takes_its_date(tmp_path):
    text = "- [ ] Water the plants 📅 2026-12-05\n"
    assert complete(tmp_path, text, Recur(1, "2026-12-12")).splitlines() == [
        "- [ ] Water the plants 📅 2026-12-12",
        "- [x] Water the plants 📅 2026-12-05 ✅ 2026-12-06",
    ]


def test_an_already_ticked_line_only_gets_its_next_line(tmp_path):
    text = "- [x] Water 🔁 every day 📅 2026-12-05 ✅ 2026-12-05\n"
    assert complete(tmp_path, text).splitlines() == [
        "- [ ] Water 🔁 every day 📅 2026-12-06",
        "- [x] Water 🔁 every day 📅 2026-12-05 ✅ 2026-12-05",
    ]


@pytest.mark.parametrize(
    ("rule", "due", "expected"),
    [
        ("every day", "2026-12-05", ["2026-12-06", "2026-12-07", "2026-12-08"]),
        ("every month", "2026-01-31", ["2026-02-28", "2026-03-28", "2026-04-28"]),
        ("every week on Monday, Friday", "2026-12-04", ["2026-12-07", "2026-12-11", "2026-12-14"]),
    ],
)
def test_next_dates_chain_from_each_occurrence(rule, due, expected):
    tasks, _ = parse_note(f"- [ ] X 🔁 {rule} 📅 {due}\n", "a.md")
    assert [o.due.isoformat() for o in next_dates(tasks[0], 3, TODAY) if o.due] == expected


def test_no_rule_means_no_next_dates():
    tasks, diagnostics = parse_note("- [ ] X 🔁 every blue moon 📅 2026-12-05\n", "a.md")
    assert tasks[0].recurrence is None
    assert next_dates(tasks[0], 1, TODAY) == []
    assert [d.line for d in diagnostics] == [1]
    assert "not a rule Obsidian Tasks can read" in diagnostics[0].message
