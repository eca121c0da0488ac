"""What a person reads: sync reports (every notice, but one line for many places saying the same;
the plan in words; plurals), and tables that fit the terminal or turn into TSV when piped."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from bridge.connector import Fields, Op, OpKind
from bridge.model import Priority, StatusType
from bridge.output import (
    print_inbox,
    print_json,
    print_report,
    print_status,
    print_tasks_table,
    write_json_bytes,
    write_json_chunks,
)
from bridge.parse import parse_note
from bridge.plan import NoteEdit
from bridge.plan_text import describe_edit, describe_op, file_lines

ANSI = re.compile(r"\x1b\[[0-9;]*m")


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


# -- plurals -------------------------------------------------------------------------------------


def _report_line(**counts: int) -> str:
    console = Console(width=200, record=True)
    print_report({"connector": "todoist", "linked": 1, "requests": 1, **counts}, console)
    return console.export_text().splitlines()[0]


def test_one_of_a_thing_is_singular_and_more_are_plural():
    one = _report_line(notes_written=1, conflicts=1, requests=1)
    assert one == "todoist: 1 note line written, 1 conflict (1 linked, 1 request)"
    two = _report_line(notes_written=2, conflicts=2, requests=2)
    assert two == "todoist: 2 note lines written, 2 conflicts (1 linked, 2 requests)"


def test_the_tasks_footer_counts_one_note_as_one():
    tasks, _ = parse_note("- [ ] Send the agenda\n", "a.md")
    console = Console(width=100, force_terminal=True, file=io.StringIO())
    print_tasks_table(tasks, [None], console=console)
    assert "1 task in 1 group from 1 note\n" in ANSI.sub("", console.file.getvalue())


# -- the plan in words ---------------------------------------------------------------------------

AGENDA = Fields("Send the agenda", StatusType.TODO, due="2026-11-20", path="notes/a.md")


def test_an_update_shows_each_changed_field_old_to_new():
    after = replace(AGENDA, due="2026-11-27", priority=Priority.HIGH, labels=("ops",))
    op = Op(OpKind.UPDATE, "r", "t", after, "1", ("due", "priority", "labels"), AGENDA)
    assert describe_op(op) == (
        "update 'Send the agenda' due 2026-11-20 → 2026-11-27, priority none → high, tags none → #ops"
        " [notes/a.md]"
    )


def test_a_create_shows_the_fields_it_is_made_with():
    op = Op(OpKind.CREATE, "r", "t", replace(AGENDA, owner="Lior Genzel"))
    assert describe_op(op) == "create 'Send the agenda' (due 2026-11-20, @Lior Genzel) [notes/a.md]"


def test_a_note_write_shows_the_line_as_it_reads_now():
    edit = NoteEdit("notes/a.md", "6f155e0123", StatusType.DONE, StatusType.TODO, 12)
    lines = {("notes/a.md", 12): "- [ ] Send the agenda"}
    assert describe_edit(edit, lambda p, n: lines.get((p, n))) == (
        "notes/a.md:12 '- [ ] Send the agenda' becomes done"
    )


def test_a_note_write_reads_the_line_from_the_vault(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("# Meeting\n  - [ ] Send the agenda  \n", encoding="utf-8")
    edit = NoteEdit("notes/a.md", "6f155e0123", StatusType.DONE, StatusType.TODO, 2)
    assert describe_edit(edit, file_lines(tmp_path)) == "notes/a.md:2 '- [ ] Send the agenda' becomes done"


def test_the_dry_run_report_names_where_new_tasks_go():
    console = Console(width=200, record=True)
    report = {"connector": "jira", "linked": 0, "requests": 2, "created": 1, "dry_run": True, "plan": []}
    print_report(report, console, target="Jira project BRIDGE at https://x.atlassian.net")
    assert console.export_text().splitlines()[1] == (
        "  new tasks go to Jira project BRIDGE at https://x.atlassian.net"
    )


# -- output that fits ----------------------------------------------------------------------------

STATUS = {
    "state": "sqlite:////home/me/.local/state/task-bridge/state-1234.db",
    "connectors": {
        name: {
            "links": 9,
            "open": 6,
            "done": 1,
            "deleted": 0,
            "last_sync": "2026-12-01T10:22:33+00:00",
            "conflicts": 0,
            "failed": 0,
        }
        for name in ("todoist", "jira")
    },
    "inbox": {},
}


@pytest.mark.parametrize("width", [60, 80, 120])
def test_status_shows_whole_iso_timestamps_at_any_width(width):
    console = Console(width=width, force_terminal=True, file=io.StringIO())
    print_status(STATUS, console)
    shown = ANSI.sub("", console.file.getvalue())
    assert shown.count("2026-12-01T10:22:33+00:00") == 2
    assert "…" not in shown


def test_piped_status_is_tab_separated_without_ansi(capsys):
    console = Console(width=40, file=io.StringIO())  # not a terminal
    print_status(STATUS, console)
    lines = console.file.getvalue().splitlines()
    assert lines[0].split("\t") == [
        "connector", "links", "open", "done", "deleted", "last_sync", "conflicts", "failed"
    ]  # fmt: skip
    assert lines[1].split("\t") == ["todoist", "9", "6", "1", "0", "2026-12-01T10:22:33+00:00", "0", "0"]
    assert "\x1b" not in console.file.getvalue()
    assert "state: sqlite:" in capsys.readouterr().err  # the header line stays out of the rows


def test_piped_inbox_is_tab_separated():
    console = Console(width=40, file=io.StringIO())
    item = {
        "id": 7,
        "connector": "todoist",
        "received_at": "2026-12-01T10:22:33.123456+00:00",
        "state": "set_aside",
        "attempts": 3,
        "reason": "note\tline not found\nanywhere",
    }
    print_inbox([item], console)
    assert console.file.getvalue().splitlines() == [
        "id\tconnector\treceived\tstate\tattempts\treason",
        "7\ttodoist\t2026-12-01T10:22:33.123456+00:00\tset aside\t3\tnote line not found anywhere",
    ]


def test_an_update_of_a_task_the_state_never_saw_is_named_by_its_new_title():
    """A new state against a tracker that has the tasks (a new machine): the base is blank, and
    'update \\'\\' title \\'\\' → …' with every field from `none` said nothing useful."""
    blank = Fields("", StatusType.TODO)
    op = Op(OpKind.UPDATE, "r", "t", AGENDA, "1", ("title", "due"), blank)
    assert describe_op(op) == "update 'Send the agenda' (title, due) [notes/a.md]"


def test_a_short_task_keeps_the_other_columns_on_a_narrow_terminal():
    """The task column is kept at least MIN_TASK_WIDTH wide only when its text needs that."""
    (task,), _ = parse_note("- [ ] Call Dana @Ana 📅 2026-12-01\n", "a.md")
    console = Console(file=io.StringIO(), force_terminal=True, width=60, color_system=None)
    print_tasks_table([task], [None], None, console)
    header = next(line for line in console.file.getvalue().splitlines() if "┃" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]][:5] == ["Line", "", "Task", "Owner", "Due"]


@pytest.mark.parametrize("every", [1, 2, 3, 256])
@pytest.mark.parametrize("sizes", [[], [1], [1, 1, 1, 1, 1], [3, 1, 2, 4], [2] * 9])
def test_json_written_in_chunks_is_the_document_print_json_writes(capsys, every, sizes):
    """Strings of one or more items, flushed every few strings: the same bytes as one dump."""
    items = [{"key": f"k{n}", "text": 'ü "q" \u2028', "n": n} for n in range(sum(sizes))]
    chunks, at = [], 0
    for size in sizes:
        chunks.append(", ".join(json.dumps(item, ensure_ascii=False) for item in items[at : at + size]))
        at += size
    print_json(items)
    expected = capsys.readouterr().out
    write_json_chunks(chunks, every=every)
    assert capsys.readouterr().out == expected


def _stream(kind: str) -> io.TextIOBase:
    """stdout as a test or a user can have it: UTF-8 (as piped), with newline translation or line
    buffering, another encoding, UTF-8 with a BOM, or text alone with no byte stream under it."""
    if kind == "text only":
        return io.StringIO()
    encoding = {"latin-1": "latin-1", "utf-8-sig": "utf-8-sig"}.get(kind, "utf-8")
    newline = "\r\n" if kind == "crlf" else "\n"
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding, newline=newline, line_buffering=kind == "lines")


def _written(stream: io.TextIOBase) -> bytes:
    stream.flush()
    if isinstance(stream, io.StringIO):
        return stream.getvalue().encode("utf-8")
    assert isinstance(stream, io.TextIOWrapper)
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue()


KINDS = ("utf-8", "crlf", "lines", "latin-1", "utf-8-sig", "text only")


@settings(max_examples=150, deadline=None)
@given(
    # compact JSON holds no line break (it escapes control characters): nothing to translate
    chunks=st.lists(
        st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\n"), max_size=12), max_size=12
    ),
    every=st.sampled_from((1, 2, 3, 256)),
    kind=st.sampled_from(KINDS),
    before=st.sampled_from(("", "x", "ü\n")),
)
def test_json_written_as_bytes_is_what_the_text_chunks_write(
    chunks: list[str], every: int, kind: str, before: str
):
    """Whatever stdout is, the bytes path writes what `write_json_chunks` of the decoded chunks
    writes, after what the text layer already held."""
    if kind == "latin-1":
        chunks = [chunk.encode("latin-1", "replace").decode("latin-1") for chunk in chunks]
    written = []
    for write in (write_json_chunks, write_json_bytes):
        stream = _stream(kind)
        stream.write(before)
        with redirect_stdout(stream):
            if write is write_json_bytes:
                write_json_bytes([chunk.encode("utf-8") for chunk in chunks], every=every)
            else:
                write_json_chunks(chunks, every=every)
        written.append(_written(stream))
    assert written[0] == written[1]


def test_json_bytes_go_to_the_byte_stream_only_when_it_takes_utf8(monkeypatch: pytest.MonkeyPatch):
    for kind, direct in (("utf-8", True), ("crlf", True), ("latin-1", False), ("utf-8-sig", False)):
        stream = _stream(kind)
        assert isinstance(stream, io.TextIOWrapper)
        monkeypatch.setattr("sys.stdout", stream)
        calls: list[str] = []
        real = stream.write
        monkeypatch.setattr(
            stream, "write", lambda text, real=real, calls=calls: calls.append(text) or real(text)
        )
        write_json_bytes([b'{"a": 1}', '{"b": "\u00fc"}'.encode()])
        assert (calls == ["\n"]) is direct, kind
