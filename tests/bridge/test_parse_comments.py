"""Two readings Obsidian Tasks makes and task-bridge must match: a Dataview field followed by
blanks and a comma, and task lines hidden inside HTML or Obsidian comments."""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.model import Priority, StatusType
from bridge.parse import parse_line, parse_note
from bridge.signifiers import Dialect
from bridge.writeback import edit_line

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    "line",
    [
        "- [ ] Do it [due:: 2021-08-22]  , [priority:: high]",
        "- [ ] Do it [due:: 2021-08-22] , [priority:: high]",
        "- [ ] Do it [due:: 2021-08-22], [priority:: high]",
        "- [ ] Do it (due:: 2021-08-22)  , (priority:: high)  ,",
        "- [ ] Do it [due:: 2021-08-22]\t, [priority:: high]",
    ],
)
def test_dataview_fields_separated_by_blanks_and_a_comma(line: str) -> None:
    tasks, diagnostics = parse_note(line + "\n", "n.md")
    assert diagnostics == []
    [task] = tasks
    assert (task.description, task.due, task.priority) == ("Do it", "2021-08-22", Priority.HIGH)


def test_comma_without_a_field_before_it_stays_text() -> None:
    parsed = parse_line("- [ ] Do it , [priority:: high]")
    assert parsed is not None
    assert parsed.description == "Do it ,"


def test_unknown_priority_before_a_spaced_comma_is_named_without_it() -> None:
    _, diagnostics = parse_note("- [ ] Do it [priority:: urgent]  , [due:: 2021-08-22]\n", "n.md")
    assert [d.message.split(" (")[0] for d in diagnostics] == ["unknown priority [priority:: urgent]"]


@pytest.mark.parametrize(
    ("line", "target", "expected"),
    [
        (
            "- [ ] Do it [due:: 2021-08-22]  , [priority:: high]",
            StatusType.DONE,
            "- [x] Do it [due:: 2021-08-22]  , [priority:: high]  [completion:: 2026-11-27]",
        ),
        (
            "- [ ] Do it [due:: 2021-08-22]  , [priority:: high]  , ^b-1",
            StatusType.DONE,
            "- [x] Do it [due:: 2021-08-22]  , [priority:: high]  ,  [completion:: 2026-11-27] ^b-1",
        ),
        (
            "- [x] Do it [due:: 2021-08-22]  , [completion:: 2026-11-01]  , [priority:: high]",
            StatusType.TODO,
            "- [ ] Do it [due:: 2021-08-22]  , [priority:: high]",
        ),
    ],
)
def test_write_back_keeps_the_comma_separated_fields(line: str, target: StatusType, expected: str) -> None:
    parsed = parse_line(line)
    assert parsed is not None
    assert edit_line(line, parsed, target, Dialect(), TODAY) == expected


def descriptions(text: str) -> list[str]:
    tasks, _ = parse_note(text, "c.md")
    return [t.description for t in tasks]


@pytest.mark.parametrize(
    "text",
    [
        "<!-- - [ ] one line -->\n- [ ] real\n",
        "<!--\n- [ ] hidden\n* [x] hidden too\n-->\n- [ ] real\n",
        "<!-- start\n- [ ] hidden\nend -->\n- [ ] real\n",
        "%% - [ ] one line %%\n- [ ] real\n",
        "%%\n- [ ] hidden\n> - [ ] quoted\n%%\n- [ ] real\n",
        "Text %% opens\n- [ ] hidden\ncloses %% text\n- [ ] real\n",
        "%% a %% %% b\n- [ ] hidden\n%%\n- [ ] real\n",
        "<!--\n%%\n- [ ] hidden\n-->\n- [ ] real\n",  # a %% inside an HTML comment opens nothing
        "%%\n<!--\n- [ ] hidden\n%%\n- [ ] real\n",
        "<!--\n```\n- [ ] hidden\n-->\n- [ ] real\n",  # a fence inside a comment is no fence
    ],
)
def test_tasks_inside_comments_are_not_tasks(text: str) -> None:
    tasks, diagnostics = parse_note(text, "c.md")
    assert [t.description for t in tasks] == ["real"]
    assert diagnostics == []


def test_lines_keep_their_numbers_and_tasks_outside_comments_their_keys() -> None:
    plain = "# T\n- [ ] before\n\n- [ ] after 📅 2025-01-01\n"
    commented = "# T\n- [ ] before\n<!--\n- [ ] gone\n-->\n- [ ] after 📅 2025-01-01\n"
    expected, _ = parse_note(plain, "c.md")
    got, _ = parse_note(commented, "c.md")
    assert [(t.key, t.description) for t in got] == [(t.key, t.description) for t in expected]
    assert [t.source.line for t in got] == [2, 6]


def test_a_task_line_that_opens_a_comment_is_still_a_task() -> None:
    assert descriptions("- [ ] real <!-- note\n- [ ] hidden\n-->\n") == ["real <!-- note"]


@pytest.mark.parametrize(
    "text",
    [
        "```\n<!--\n```\n- [ ] real\n",  # the fence wins: its comment opens nothing
        "~~~\n%%\n~~~\n- [ ] real\n",
        "- [ ] real `%%` in code\n- [ ] real\n",  # a code span is not a comment
        "Say `<!--` here\n- [ ] real\n",
        "--> stray closer\n- [ ] real\n",
    ],
)
def test_comment_marks_that_are_not_comments(text: str) -> None:
    tasks, diagnostics = parse_note(text, "c.md")
    assert [t.description for t in tasks][-1] == "real"
    assert all(t.description.startswith("real") for t in tasks)
    assert diagnostics == []


@pytest.mark.parametrize(
    ("text", "mark", "line"),
    [
        ("# T\n<!--\n- [ ] hidden\n", "<!--", 2),
        ("- [ ] a\n%%\n- [ ] b\n", "%%", 2),
        ("- [ ] a\n%%\nb\nc %% again %%\n- [ ] b\n", "%%", 4),
    ],
)
def test_unclosed_comment_is_unread_like_an_unclosed_fence(text: str, mark: str, line: int) -> None:
    tasks, diagnostics = parse_note(text, "c.md")
    assert [t.description for t in tasks] == (["a"] if mark == "%%" else [])
    [diagnostic] = diagnostics
    assert diagnostic.unread
    assert diagnostic.line == line
    assert f"comment {mark} is never closed" in diagnostic.message
