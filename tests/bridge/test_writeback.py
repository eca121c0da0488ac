"""Write-back: only the bytes that express the change move; atomic, optimistic, spelling-aware."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge import exchange, writeback
from bridge.model import Spelling, StatusType
from bridge.parse import parse_line, parse_note
from bridge.signifiers import Dialect, StatusTable, spell
from bridge.vault import scan
from bridge.writeback import edit_line, set_status
from tests.conftest import EXAMPLE_NOTE

TODAY = dt.date(2026, 11, 27)


def edit(
    line: str, target: StatusType, spelling: Spelling = Spelling.UTF8, dialect: Dialect | None = None
) -> str:
    parsed = parse_line(line)
    assert parsed is not None
    return edit_line(line, parsed, target, dialect or Dialect(), TODAY, spelling)


@pytest.mark.parametrize(
    ("line", "target", "expected"),
    [
        ("- [ ] Call Bob", StatusType.DONE, "- [x] Call Bob ✅ 2026-11-27"),
        (
            "- [ ] Call Bob 📅 2025-01-01 #ops",
            StatusType.DONE,
            "- [x] Call Bob 📅 2025-01-01 #ops ✅ 2026-11-27",
        ),
        ("- [x] Call Bob ✅ 2025-01-02", StatusType.TODO, "- [ ] Call Bob"),
        ("- [X] Call Bob ✅ 2025-01-02", StatusType.DONE, "- [X] Call Bob ✅ 2025-01-02"),
        ("- [x] Call Bob ✅ 2025-01-02 #ops", StatusType.TODO, "- [ ] Call Bob #ops"),
        ("- [ ] Call Bob", StatusType.CANCELLED, "- [-] Call Bob ❌ 2026-11-27"),
        ("- [x] Call Bob ✅ 2025-01-02", StatusType.CANCELLED, "- [-] Call Bob ❌ 2026-11-27"),
        ("- [ ] Call Bob", StatusType.IN_PROGRESS, "- [/] Call Bob"),
        ("- [/] Call Bob", StatusType.PROPOSED, "- [?] Call Bob"),
        ("- [?] Call Bob", StatusType.TODO, "- [ ] Call Bob"),
        ("- [ ] Call Bob ^blk-1", StatusType.DONE, "- [x] Call Bob ✅ 2026-11-27 ^blk-1"),
        ("- [ ] Call Bob   ", StatusType.DONE, "- [x] Call Bob ✅ 2026-11-27   "),
        ("> - [ ] Call Bob", StatusType.DONE, "> - [x] Call Bob ✅ 2026-11-27"),
        (
            "- [ ] Pay [due:: 2025-01-01]",
            StatusType.DONE,
            "- [x] Pay [due:: 2025-01-01]  [completion:: 2026-11-27]",
        ),
        (
            "- [x] Pay [due:: 2025-01-01]  [completion:: 2026-11-27]",
            StatusType.TODO,
            "- [ ] Pay [due:: 2025-01-01]",
        ),
    ],
)
def test_edit_line(line, target, expected):
    assert edit(line, target) == expected


@pytest.mark.parametrize("spelling", [Spelling.MAC_ROMAN, Spelling.CP1252])
def test_done_stamp_uses_the_lines_own_spelling(spelling):
    line = (
        "- [?] Share it @Lior Genzel "
        + spell("📅", spelling)
        + " 2025-10-26 "
        + spell("⏫", spelling)
        + " #task"
    )
    done = edit(line, StatusType.DONE)
    assert done == line.replace("[?]", "[x]") + " " + spell("✅", spelling) + " 2026-11-27"
    assert edit(done, StatusType.PROPOSED) == line


def test_line_without_signifiers_uses_the_files_spelling():
    assert (
        edit("- [ ] Plain", StatusType.DONE, Spelling.MAC_ROMAN)
        == "- [x] Plain " + spell("✅", Spelling.MAC_ROMAN) + " 2026-11-27"
    )


def test_custom_status_table_symbols_are_used():
    table = StatusTable({" ": StatusType.TODO, "d": StatusType.DONE, "c": StatusType.CANCELLED})
    assert edit("- [ ] A", StatusType.DONE, dialect=Dialect(table)) == "- [d] A ✅ 2026-11-27"


def test_set_status_on_the_example_group_changes_only_those_lines(vault):
    result = scan(vault)
    group = {t.key for t, g in zip(result.tasks, result.groups, strict=True) if g == result.tasks[0].key}
    note = vault / EXAMPLE_NOTE
    before = note.read_bytes().split(b"\n")
    os.chmod(note, 0o640)
    outcome = set_status(vault, EXAMPLE_NOTE, dict.fromkeys(group, StatusType.DONE), today=TODAY)
    assert outcome.lines == (28, 38)
    after = note.read_bytes().split(b"\n")
    assert len(after) == len(before)
    changed = [i + 1 for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [28, 38]
    assert after[27] == before[27].replace(b"[?]", b"[x]") + " ‚úÖ 2026-11-27".encode()
    assert stat.S_IMODE(note.stat().st_mode) == 0o640
    assert not [p for p in vault.iterdir() if p.name.startswith(".")]  # no temporary file left
    again = scan(vault)
    assert {t.key: t.status for t in again.tasks if t.key in group} == dict.fromkeys(group, "x")


def test_set_status_is_a_no_op_when_nothing_changes(vault):
    key = scan(vault).tasks[0].key
    note = vault / EXAMPLE_NOTE
    mtime = note.stat().st_mtime_ns
    outcome = set_status(vault, EXAMPLE_NOTE, {key: StatusType.PROPOSED}, today=TODAY)
    assert (outcome.written, outcome.lines, outcome.missing) == (False, (), ())
    assert note.stat().st_mtime_ns == mtime


def test_edit_between_parse_and_write_relocates_by_key(vault):
    """The user inserted lines above the task after it was parsed: the write finds it again."""
    result = scan(vault)
    task, note_info = result.tasks[1], result.notes[0]
    note = vault / EXAMPLE_NOTE
    data = note.read_bytes()
    edited = data.replace(b"## Action Items\n", b"## Action Items\n\nA new paragraph typed meanwhile.\n")
    note.write_bytes(edited)
    outcome = set_status(vault, EXAMPLE_NOTE, {task.key: StatusType.DONE}, today=TODAY, expected=note_info)
    assert outcome.relocated
    assert outcome.lines == (task.source.line + 2,)
    assert note.read_bytes().count(b"[x]") == 1
    assert note.read_bytes().replace(b"[x]", b"[?]").replace(" ‚úÖ 2026-11-27".encode(), b"") == edited


def test_task_gone_since_parse_is_reported_and_nothing_written(vault):
    result = scan(vault)
    task = result.tasks[2]
    note = vault / EXAMPLE_NOTE
    lines = note.read_bytes().split(b"\n")
    del lines[task.source.line - 1]
    note.write_bytes(b"\n".join(lines))
    before = note.read_bytes()
    outcome = set_status(
        vault, EXAMPLE_NOTE, {task.key: StatusType.DONE}, today=TODAY, expected=result.notes[0]
    )
    assert (outcome.written, outcome.missing) == (False, (task.key,))
    assert note.read_bytes() == before


def test_note_changing_during_the_write_is_not_overwritten(vault, monkeypatch):
    """The editor saves between our read and our rename: the rename is skipped and the write redone."""
    task = scan(vault).tasks[0]
    note = vault / EXAMPLE_NOTE
    real_plan = writeback._plan
    calls = []

    def plan_then_user_edits(*args, **kwargs):
        out = real_plan(*args, **kwargs)
        if not calls:
            note.write_bytes(note.read_bytes() + b"\nTyped by the user while the bridge wrote.\n")
            os.utime(note, ns=(1, 1))
        calls.append(1)
        return out

    monkeypatch.setattr(writeback, "_plan", plan_then_user_edits)
    outcome = set_status(vault, EXAMPLE_NOTE, {task.key: StatusType.DONE}, today=TODAY)
    assert len(calls) == 2
    assert outcome.lines == (28,)
    text = note.read_bytes()
    assert text.endswith(b"Typed by the user while the bridge wrote.\n")
    assert text.count(b"[x]") == 1


def test_write_goes_through_a_symlink(vault):
    real = vault / "real.md"
    real.write_text("- [ ] Linked task\n", encoding="utf-8")
    (vault / "link.md").symlink_to("real.md")
    key = parse_note("- [ ] Linked task\n", "link.md")[0][0].key
    set_status(vault, "link.md", {key: StatusType.DONE}, today=TODAY)
    assert (vault / "link.md").is_symlink()
    assert real.read_text(encoding="utf-8") == "- [x] Linked task ✅ 2026-11-27\n"


def test_unreadable_note_is_reported_not_written(vault):
    note = vault / "latin.md"
    note.write_bytes("- [ ] Caf\xe9 order\n".encode("latin-1"))
    outcome = set_status(vault, "latin.md", {"0" * 16: StatusType.DONE}, today=TODAY)
    assert not outcome.written
    assert "not UTF-8" in outcome.problems[0].message
    assert note.read_bytes() == "- [ ] Caf\xe9 order\n".encode("latin-1")


# --- property: random notes, random status changes --------------------------------------------

_WORDS = st.sampled_from(
    ["call", "Bob", "plan", "Q3", "offsite", "déjà", "vu", "Zürich", "deck", "#ops", "a.b"]
)
_SPELLINGS = st.sampled_from([Spelling.UTF8, Spelling.MAC_ROMAN, Spelling.CP1252])
_TARGETS = st.sampled_from(
    [StatusType.TODO, StatusType.DONE, StatusType.CANCELLED, StatusType.IN_PROGRESS, StatusType.PROPOSED]
)


@st.composite
def task_lines(draw: st.DrawFn) -> str:
    spelling = draw(_SPELLINGS)
    words = " ".join(draw(st.lists(_WORDS, min_size=1, max_size=6)))
    parts = [draw(st.sampled_from(["", "  ", "> ", "\t"])) + draw(st.sampled_from(["-", "*", "1."]))]
    parts.append(f"[{draw(st.sampled_from([' ', 'x', '/', '-', '?', '!']))}]")
    parts.append(words)
    if draw(st.booleans()):
        parts.append("@" + draw(st.sampled_from(["Myself", "Lior Genzel"])))
    for emoji in draw(
        st.lists(st.sampled_from(["📅", "⏳", "⏫", "🔽", "✅", "❌", "➕"]), max_size=3, unique=True)
    ):
        value = (
            ""
            if emoji in "⏫🔽"
            else " 2025-0" + str(draw(st.integers(1, 9))) + "-1" + str(draw(st.integers(0, 9)))
        )
        parts.append(spell(emoji + draw(st.sampled_from(["", "\ufe0f"])), spelling) + value)
    parts += draw(st.lists(st.sampled_from(["#task", "#proposed"]), max_size=2))
    return " ".join(parts) + draw(st.sampled_from(["", " ", "\t"]))


_OTHER = st.sampled_from(
    ["", "# Heading", "Some prose, with ✅ an emoji.", "- a bullet", "```", "~~~", "---"]
)


@st.composite
def notes(draw: st.DrawFn) -> tuple[bytes, str]:
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = draw(st.lists(st.one_of(task_lines(), _OTHER), min_size=1, max_size=12))
    text = draw(st.sampled_from(["", "\ufeff"])) + newline.join(lines) + draw(st.sampled_from(["", newline]))
    return text.encode("utf-8"), newline


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(note=notes(), target=_TARGETS, pick=st.integers(min_value=0))
def test_write_back_changes_only_the_task_line(tmp_path_factory, note, target, pick):
    data, _ = note
    root = tmp_path_factory.mktemp("vault")
    path = root / "n.md"
    path.write_bytes(data)
    tasks, _ = parse_note(data.decode("utf-8"), "n.md")
    if not tasks:
        return
    task = tasks[pick % len(tasks)]
    same_key = [t for t in tasks if t.line_key == task.line_key]  # a repeated sentence: only this line
    outcome = set_status(root, "n.md", {task.line_key: target}, today=TODAY)
    after = path.read_bytes()
    if not outcome.written:
        assert after == data
        return
    # Every byte outside the changed lines' content spans is identical.
    rebuilt, offset = bytearray(), 0
    new_tasks, _ = parse_note(after.decode("utf-8"), "n.md")
    by_line = {t.source.line: t for t in new_tasks}
    for t in same_key:
        new = by_line[t.source.line]
        rebuilt += data[offset : t.source.start] + after[new.source.start : new.source.end]
        offset = t.source.end
        assert data[offset : offset + 2] == after[new.source.end : new.source.end + 2]
    rebuilt += data[offset:]
    assert bytes(rebuilt) == after
    # Parsing the result gives the new status with the same key.
    for t in same_key:
        new = by_line[t.source.line]
        assert new.line_key == t.line_key
        assert new.status_type is target
        assert (new.done is not None) == (target is StatusType.DONE)
        assert (new.cancelled is not None) == (target is StatusType.CANCELLED)


def test_file_spelling_ignores_fences_and_counts_bom_and_crlf_lines(tmp_path):
    mac = spell("📅", Spelling.MAC_ROMAN)
    text = (
        f"\ufeff- [ ] First {mac} 2025-01-01\r\n```\r\n- [ ] Fenced 📅 2025-01-01\r\n```\r\n- [ ] Plain\r\n"
    )
    (tmp_path / "n.md").write_bytes(text.encode("utf-8"))
    key = parse_note(text, "n.md")[0][1].key
    set_status(tmp_path, "n.md", {key: StatusType.DONE}, today=TODAY)
    after = (tmp_path / "n.md").read_bytes().decode("utf-8")
    assert after == text.replace(
        "- [ ] Plain", "- [x] Plain " + spell("✅", Spelling.MAC_ROMAN) + " 2026-11-27"
    )


def test_status_without_a_character_is_refused_not_crashed(vault):
    key = scan(vault).tasks[0].key
    before = (vault / EXAMPLE_NOTE).read_bytes()
    outcome = set_status(vault, EXAMPLE_NOTE, {key: StatusType.ON_HOLD}, today=TODAY)
    assert not outcome.written
    assert "no status character means ON_HOLD" in outcome.problems[0].message
    assert (vault / EXAMPLE_NOTE).read_bytes() == before


def test_proposed_is_refused_where_the_vault_reads_question_mark_as_todo(vault):
    table = StatusTable({" ": StatusType.TODO, "x": StatusType.DONE, "?": StatusType.TODO})
    key = scan(vault).tasks[0].key
    done = set_status(vault, EXAMPLE_NOTE, {key: StatusType.DONE}, today=TODAY, dialect=Dialect(table))
    assert done.lines == (28,)
    back = set_status(vault, EXAMPLE_NOTE, {key: StatusType.PROPOSED}, today=TODAY, dialect=Dialect(table))
    assert not back.written
    assert "no status character means PROPOSED" in back.problems[0].message


# --- no white space left behind, whatever the number of cycles ---------------------------------

_DATAVIEW_FIELDS = st.sampled_from(
    ["[due:: 2025-01-01]", "[priority:: high]", "[start:: 2025-02-03]", "(scheduled:: 2025-03-04)"]
)


@st.composite
def open_lines(draw: st.DrawFn) -> str:
    """Open task lines without a done or cancelled date, in both formats and every spelling."""
    words = " ".join(draw(st.lists(_WORDS, min_size=1, max_size=4)))
    prefix = draw(st.sampled_from(["", "  ", "> ", "\t"])) + draw(st.sampled_from(["-", "*", "1."]))
    if draw(st.booleans()):
        spelling = draw(_SPELLINGS)
        fields = [
            spell(e, spelling) + ("" if e in "⏫🔽" else " 2025-01-02")
            for e in draw(st.lists(st.sampled_from(["📅", "⏳", "⏫", "🔽", "➕"]), max_size=3, unique=True))
        ]
        sep = " "
    else:
        fields = draw(st.lists(_DATAVIEW_FIELDS, max_size=3, unique=True))
        sep = draw(st.sampled_from([" ", "  "]))
    block = draw(st.sampled_from(["", " ^blk-1"]))
    tail = draw(st.sampled_from(["", " ", "\t", "   "]))
    return f"{prefix} [ ] {words}" + "".join(sep + f for f in fields) + block + tail


@settings(max_examples=300, deadline=None)
@given(line=open_lines(), cycle=st.lists(_TARGETS, min_size=1, max_size=8))
def test_any_number_of_status_cycles_gives_the_line_back(line, cycle):
    """Complete, cancel, reopen in any order: back at the start, the line is byte for byte the same."""
    text = line
    for target in [*cycle, StatusType.TODO]:
        text = edit(text, target, spelling=Spelling.UTF8)
    assert text == line


# --- the user's word wins: races, boundaries, read-only notes ----------------------------------


def test_status_changed_by_the_user_since_the_plan_is_left_as_the_user_left_it(vault):
    """The same-line race: `[-]` typed after the plan read `[?]`, before the write of `[x]`."""
    task = scan(vault).tasks[0]
    note = vault / EXAMPLE_NOTE
    lines = note.read_bytes().split(b"\n")
    index = task.source.line - 1
    lines[index] = lines[index].replace(b"[?]", b"[-]", 1)
    cancelled_by_user = b"\n".join(lines)
    note.write_bytes(cancelled_by_user)
    outcome = set_status(
        vault,
        EXAMPLE_NOTE,
        {task.line_key: StatusType.DONE},
        today=TODAY,
        seen={task.line_key: task.status_type},
    )
    assert outcome.conflicts == (task.line_key,)
    assert not outcome.written
    assert "status changed in the note since it was read" in outcome.problems[0].message
    assert outcome.problems[0].line == task.source.line
    assert note.read_bytes() == cancelled_by_user


def test_a_symlink_out_of_the_vault_is_never_written(tmp_path):
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    vault.mkdir()
    outside.mkdir()
    secret = outside / "secret.md"
    secret.write_text("- [ ] Outside task\n", encoding="utf-8")
    (vault / "link.md").symlink_to(secret)
    key = parse_note("- [ ] Outside task\n", "link.md")[0][0].key
    outcome = set_status(vault, "link.md", {key: StatusType.DONE}, today=TODAY)
    assert not outcome.written
    assert "outside the vault" in outcome.problems[0].message
    assert secret.read_text(encoding="utf-8") == "- [ ] Outside task\n"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.md"]  # no temporary file either


def test_a_read_only_note_is_reported_not_replaced(vault):
    task = scan(vault).tasks[0]
    note = vault / EXAMPLE_NOTE
    before = note.read_bytes()
    inode = note.stat().st_ino
    note.chmod(0o444)
    try:
        outcome = set_status(vault, EXAMPLE_NOTE, {task.line_key: StatusType.DONE}, today=TODAY)
    finally:
        mode = stat.S_IMODE(note.stat().st_mode)
        note.chmod(0o644)
    assert not outcome.written
    assert outcome.problems[0].message.startswith("read-only (mode 0444); not written")
    assert (note.read_bytes(), note.stat().st_ino, mode) == (before, inode, 0o444)


def test_without_an_atomic_exchange_the_checked_rename_is_used(vault, monkeypatch):
    monkeypatch.setattr(exchange, "_RENAMEAT2", None)
    task = scan(vault).tasks[0]
    outcome = set_status(vault, EXAMPLE_NOTE, {task.line_key: StatusType.DONE}, today=TODAY)
    assert outcome.lines == (task.source.line,)
    assert not [p for p in vault.iterdir() if p.name.endswith(exchange.TEMP_SUFFIX)]


needs_exchange = pytest.mark.skipif(not exchange.exchange_supported(), reason="no renameat2 here")


@needs_exchange
def test_a_save_landing_during_the_swap_is_kept(vault, monkeypatch):
    """The editor appends through a descriptor opened before our exchange: the note it wrote
    into is the one swapped out, so ours is rewritten from that save (no one could open it meanwhile)."""
    task = scan(vault).tasks[0]
    note = vault / EXAMPLE_NOTE
    real = exchange._settled
    calls = []

    def editor_appends_first(path, wait):
        if not calls:
            with open(path, "ab") as late:  # what was the note now sits at `path`
                late.write(b"Typed during the swap.\n")
        calls.append(path)
        return real(path, wait)

    monkeypatch.setattr(exchange, "_settled", editor_appends_first)
    outcome = set_status(vault, EXAMPLE_NOTE, {task.line_key: StatusType.DONE}, today=TODAY)
    assert outcome.lines == (task.source.line,)
    assert len(calls) == 1  # rewritten, not undone
    data = note.read_bytes()
    assert data.endswith(b"Typed during the swap.\n")
    assert data.count(b"[x]") == 1
    assert not [p for p in vault.iterdir() if p.name.endswith(exchange.TEMP_SUFFIX)]


@needs_exchange
def test_a_reader_waiting_on_the_swapped_note_reads_the_save_and_our_change(vault, monkeypatch):
    """A save lands during the swap and the editor opens the note again at once: it waits on our
    lease, and reads the note with both its save and our change, never one without the other."""
    task = scan(vault).tasks[0]
    note = vault / EXAMPLE_NOTE
    real = exchange._settled
    readers: list[subprocess.Popen[bytes]] = []

    def save_then_reopen(path, wait):
        if not readers:
            with open(path, "ab") as late:
                late.write(b"Typed during the swap.\n")
            reader = [
                sys.executable,
                "-c",
                f"import sys; sys.stdout.buffer.write(open({str(note)!r}, 'rb').read())",
            ]
            readers.append(subprocess.Popen(reader, stdout=subprocess.PIPE))
            time.sleep(0.5)  # it is now waiting in open() for our lease
        return real(path, wait)

    monkeypatch.setattr(exchange, "_settled", save_then_reopen)
    outcome = set_status(vault, EXAMPLE_NOTE, {task.line_key: StatusType.DONE}, today=TODAY)
    seen_by_reader, _ = readers[0].communicate(timeout=60)
    data = note.read_bytes()
    assert outcome.lines == (task.source.line,)
    assert data.endswith(b"Typed during the swap.\n")
    assert data.count(b"[x]") == 1
    assert seen_by_reader == data


@needs_exchange
def test_where_leases_cannot_be_had_the_exchange_still_writes(vault, monkeypatch):
    """Another owner's note, or a file system without leases: the bytes decide, writes go on."""
    real = exchange.fcntl.fcntl

    def no_leases(fd, cmd, *args):
        if cmd == exchange.fcntl.F_SETLEASE:
            raise PermissionError(13, "Permission denied")
        return real(fd, cmd, *args)

    monkeypatch.setattr(exchange.fcntl, "fcntl", no_leases)
    task = scan(vault).tasks[0]
    outcome = set_status(vault, EXAMPLE_NOTE, {task.line_key: StatusType.DONE}, today=TODAY)
    assert outcome.lines == (task.source.line,)
    assert not outcome.problems


@needs_exchange
def test_without_a_lease_a_raced_swap_is_undone_and_redone(vault, monkeypatch):
    real_lease, real_settled = exchange._lease, exchange._settled
    monkeypatch.setattr(
        exchange, "_lease", lambda fd, kind: None if kind == exchange.fcntl.F_WRLCK else real_lease(fd, kind)
    )
    calls = []

    def editor_appends_first(path, wait):
        if not calls:
            with open(path, "ab") as late:
                late.write(b"Typed during the swap.\n")
        calls.append(path)
        return real_settled(path, wait)

    monkeypatch.setattr(exchange, "_settled", editor_appends_first)
    task = scan(vault).tasks[0]
    outcome = set_status(vault, EXAMPLE_NOTE, {task.line_key: StatusType.DONE}, today=TODAY)
    assert outcome.lines == (task.source.line,)
    assert len(calls) == 2  # undone once, then done
    data = (vault / EXAMPLE_NOTE).read_bytes()
    assert data.endswith(b"Typed during the swap.\n")
    assert data.count(b"[x]") == 1


def test_a_save_kept_by_a_cut_off_rewrite_is_named_not_swept(vault):
    kept = vault / f".{EXAMPLE_NOTE}.abc123{exchange.SAVED_SUFFIX}"
    kept.write_bytes(b"- [ ] what the user saved\n")
    result = scan(vault)
    [problem] = [d for d in result.diagnostics if d.path == kept.name]
    assert "that save is kept here: compare it with its note, then delete it" in problem.message
    assert result.litter == []
