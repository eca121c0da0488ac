"""What a person reads after a sync: every notice, but one line for many places saying the same."""

from __future__ import annotations

from rich.console import Console

from bridge.output import print_report


def _printed(notices: list[str]) -> list[str]:
    console = Console(width=200, record=True)
    report = {"connector": "todoist", "linked": 3, "requests": 1, "notices": notices}
    print_report(report, console)
    return console.export_text().splitlines()[1:]


def test_many_places_with_one_thing_to_say_make_one_line():
    deleted = [f"a.md:{n}: deleted in the tracker; the note line is left alone" for n in range(1, 301)]
    lines = _printed([*deleted, "b.md:4: read-only; left for the next sync"])
    assert lines == [
        "  300 places (a.md:1, …): deleted in the tracker; the note line is left alone",
        "  b.md:4: read-only; left for the next sync",
    ]


def test_a_few_notices_are_each_said_in_full():
    notices = ["a.md:1: deleted in the tracker", "a.md:2: deleted in the tracker", "held back: 2 proposed"]
    assert [line.strip() for line in _printed(notices)] == notices
