"""The parse cache of `bridge tasks`: a warm listing prints exactly what a cold one prints, whatever
changed in between; a damaged cache is ignored; nothing is ever written inside the vault."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import bridge.vault
from bridge.cli import app
from bridge.output import tasks_json_parts
from bridge.parse import parse_note
from bridge.tasks_cache import TasksCache, _deflate, _links_fit, cache_file, note_json
from tests.vaults import messy_vault

SETTINGS = Path(".obsidian/plugins/obsidian-tasks-plugin/data.json")


def _age(*paths: Path, ago: float = 3600) -> None:
    """Notes modified a while ago: the cache leaves out notes modified in the last seconds."""
    for path in paths:
        os.utime(path, (time.time() - ago,) * 2)


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    _age(*messy_vault(root, 60))
    return root


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The notes `bridge.vault.scan` opened (a hit in the cache is stat'ed, not opened)."""
    seen: list[str] = []
    real = bridge.vault.read_note

    def counted(path: Path, rel: str, max_bytes: int):  # type: ignore[no-untyped-def]
        seen.append(rel)
        return real(path, rel, max_bytes)

    monkeypatch.setattr(bridge.vault, "read_note", counted)
    return seen


def _tasks(vault: Path, *args: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    result = CliRunner().invoke(app, ["tasks", str(vault), "--json", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def _table(vault: Path, *args: str) -> tuple[str, str]:
    """The listing as tab-separated rows (stdout is no terminal here): made of Task objects."""
    result = CliRunner().invoke(app, ["tasks", str(vault), *args])
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def _cold_and_warm(vault: Path, reads: list[str]) -> tuple[str, str]:
    """The listing without the cache, checked to be the listing with it, twice (fill, then reuse)."""
    cold = _tasks(vault, "--no-cache")
    assert _tasks(vault) == cold  # fills what changed
    reads.clear()
    warm = _tasks(vault)
    assert warm == cold
    assert reads == []  # nothing changed since, so no note was opened
    return cold


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
    }


def test_a_warm_listing_reads_no_note_and_prints_what_a_cold_one_prints(messy, cache_home, reads):
    cold = _tasks(messy, "--no-cache")
    assert not cache_home.exists()  # --no-cache neither reads nor writes it
    first = _tasks(messy)
    assert len(reads) == 2 * 60  # the cold run and the first cached run read every note
    reads.clear()
    assert _tasks(messy) == first == cold
    assert reads == []
    assert len(json.loads(cold[0])) > 500


def test_edited_added_deleted_and_renamed_notes_are_read_again(messy, cache_home, reads):
    _cold_and_warm(messy, reads)
    notes = sorted(messy.rglob("*.md"))
    edited, ticked, gone, renamed = notes[3], notes[10], notes[20], notes[30]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n- [ ] Call the landlord 📅 2026-02-01\n")
    text = ticked.read_text(encoding="utf-8")
    ticked.write_text(text.replace("- [ ]", "- [x]", 1).replace("- [/]", "- [-]", 1), encoding="utf-8")
    gone.unlink()
    renamed.rename(renamed.with_name("renamed " + renamed.name))
    added = messy / "Inbox" / "added.md"
    added.parent.mkdir()
    added.write_text("# Added\n\n- [ ] Book the venue @Dana Kim 📅 2026-03-01 #task\n", encoding="utf-8")
    # modified just now: read again while racy, then cached once old enough
    assert _tasks(messy) == _tasks(messy, "--no-cache")
    _age(edited, ticked, added, renamed.with_name("renamed " + renamed.name), ago=1800)
    reads.clear()
    before = _tasks(messy)
    assert sorted(reads) == sorted(
        [
            edited.relative_to(messy).as_posix(),
            ticked.relative_to(messy).as_posix(),
            "Inbox/added.md",
            renamed.with_name("renamed " + renamed.name).relative_to(messy).as_posix(),
        ]
    )
    assert before == _cold_and_warm(messy, reads)
    listed = {task["path"] for task in json.loads(before[0])}
    assert gone.relative_to(messy).as_posix() not in listed
    assert "Inbox/added.md" in listed


def test_a_same_size_edit_with_a_new_mtime_is_read_again(messy, cache_home, reads):
    _cold_and_warm(messy, reads)
    note = sorted(messy.rglob("*.md"))[5]
    text = note.read_text(encoding="utf-8")
    assert "- [ ]" in text
    note.write_text(text.replace("- [ ]", "- [x]", 1), encoding="utf-8")
    _age(note, ago=600)
    reads.clear()
    assert _tasks(messy) == _tasks(messy, "--no-cache")
    assert reads.count(note.relative_to(messy).as_posix()) == 2


@pytest.mark.parametrize(
    "settings",
    [
        {"taskFormat": "dataview"},
        {"taskFormat": "tasksPluginEmoji", "globalFilter": "#task"},
        {"statusSettings": {"customStatuses": [{"symbol": "/", "type": "DONE"}]}},
        "{ not json",
    ],
)
def test_a_change_of_the_obsidian_tasks_settings_parses_every_note_again(messy, cache_home, reads, settings):
    before = _cold_and_warm(messy, reads)
    path = messy / SETTINGS
    path.parent.mkdir(parents=True)
    path.write_text(settings if isinstance(settings, str) else json.dumps(settings), encoding="utf-8")
    reads.clear()
    after = _tasks(messy)
    assert len(reads) == 60
    assert after == _tasks(messy, "--no-cache")
    if not isinstance(settings, str):
        assert after != before
    assert _cold_and_warm(messy, reads) == after
    path.unlink()  # and back: the first settings' entries were replaced, so all are read again
    reads.clear()
    assert _tasks(messy) == before
    assert len(reads) == 60


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),
        lambda data: data[:100] + bytes([data[100] ^ 0x40]) + data[101:],
        lambda data: os.urandom(len(data)),
        lambda data: data.replace(b"task-bridge parse cache", b"task-bridge parse cachf", 1),
    ],
    ids=["empty", "truncated", "last-byte", "header-byte", "random", "foreign"],
)
def test_a_damaged_cache_file_is_ignored_and_rebuilt(messy, cache_home, reads, damage):
    cold = _cold_and_warm(messy, reads)
    (file,) = (cache_home / "task-bridge" / "tasks").iterdir()
    file.write_bytes(damage(file.read_bytes()))
    reads.clear()
    assert _tasks(messy) == cold
    assert len(reads) == 60
    assert len(TasksCache(messy, file.parent).entries) == 60  # whole again


@pytest.mark.parametrize(
    ("part", "damaged"),
    [
        ("rows", marshal.dumps((("not", "a", "task"),))),
        ("rows", b"\xff not marshal"),
        ("keys", "not keys"),
        ("carried", ()),
        ("links", (10**6,) * 200),
        ("links", ("0",) * 200),
        ("text", "not bytes"),
        ("diagnostics", (("too", "many", 1, False, "values"),)),
    ],
)
@pytest.mark.parametrize("table", [False, True])
def test_an_entry_that_does_not_decode_is_read_again(messy, cache_home, reads, part, damaged, table):
    """The Task rows (a table, a routed listing) and the listing lines (`--json`) are read apart."""
    cold = _cold_and_warm(messy, reads)
    plain = _table(messy, "--no-cache")
    cache = TasksCache(messy, cache_home / "task-bridge" / "tasks")
    rel = next(rel for rel, entry in cache.entries.items() if entry[3])  # a note with tasks
    entry = list(cache.entries[rel])
    where = {"diagnostics": 2, "keys": 3, "carried": 4, "links": 5, "text": 7, "rows": 8}[part]
    entry[where] = damaged[: len(entry[3])] if part == "links" else damaged
    cache.fresh[rel] = tuple(entry)  # type: ignore[assignment]
    cache.seen = set(cache.entries)
    cache.hit_paths = set(cache.entries) - {rel}
    assert cache.save()
    reads.clear()
    assert (_table(messy) if table else _tasks(messy)) == (plain if table else cold)
    read_by_table = part in ("rows", "diagnostics")
    read_by_listing = part != "rows"
    assert reads == ([rel] if (read_by_table if table else read_by_listing) else [])


def test_nothing_is_written_inside_the_vault(messy, cache_home, reads):
    (messy / SETTINGS).parent.mkdir(parents=True)
    (messy / SETTINGS).write_text(json.dumps({"taskFormat": "tasksPluginEmoji"}), encoding="utf-8")
    before = _files(messy)
    _cold_and_warm(messy, reads)
    assert _files(messy) == before
    written = list((cache_home / "task-bridge" / "tasks").iterdir())
    assert len(written) == 1
    assert written[0].stat().st_mode & 0o777 == 0o600


def test_a_cache_folder_inside_the_vault_is_not_used(messy, monkeypatch, reads):
    monkeypatch.setenv("XDG_CACHE_HOME", str(messy / ".cache"))
    before = _files(messy)
    cold = _tasks(messy, "--no-cache")
    assert _tasks(messy) == cold
    assert _files(messy) == before


def test_a_cache_folder_that_cannot_be_written_costs_only_the_parse(messy, cache_home, reads):
    cache_home.write_text("a file where the folder should be", encoding="utf-8")
    cold = _tasks(messy, "--no-cache")
    assert _tasks(messy) == cold  # nothing said about it on stderr either


def test_the_cache_can_be_switched_off_by_a_setting(messy, cache_home, reads):
    cold = _tasks(messy, env={"BRIDGE_TASKS_CACHE": "false"})
    assert not cache_home.exists()
    assert cold == _tasks(messy, "--no-cache")


def test_listing_one_folder_keeps_the_other_notes_entries(messy, cache_home, reads):
    whole = _cold_and_warm(messy, reads)
    folder = sorted(p for p in messy.iterdir() if p.is_dir())[0]
    (folder / "new.md").write_text("- [ ] Order chairs @Mei Chen #task\n", encoding="utf-8")
    _age(folder / "new.md")
    assert _tasks(folder) == _tasks(folder, "--no-cache")
    (folder / "new.md").unlink()
    reads.clear()
    assert _tasks(messy) == whole
    assert reads == []


def test_a_note_now_over_the_size_limit_is_not_taken_from_the_cache(messy, cache_home, reads):
    _cold_and_warm(messy, reads)
    env = {"BRIDGE_MAX_NOTE_BYTES": "600"}
    limited = _tasks(messy, env=env)
    assert "over the 600 bytes limit" in limited[1]
    assert limited == _tasks(messy, "--no-cache", env=env)


def test_two_listings_at_once_leave_a_whole_cache(messy, cache_home):
    command = [sys.executable, "-m", "bridge", "tasks", str(messy), "--json"]
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    cold = subprocess.run([*command, "--no-cache"], env=env, capture_output=True, check=True).stdout
    folder = cache_home / "task-bridge" / "tasks"
    for _ in range(3):
        for file in folder.glob("*") if folder.exists() else []:
            file.unlink()
        running = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE) for _ in range(3)]
        outputs = [p.communicate(timeout=120)[0] for p in running]
        assert all(p.returncode == 0 for p in running)
        assert outputs == [cold] * 3
        assert [f.name for f in folder.iterdir()] == [cache_file(folder, messy).name]  # no temporary left
        assert len(TasksCache(messy, folder).entries) == 60
    warm = subprocess.run(command, env=env, capture_output=True, check=True).stdout
    assert warm == cold


_LINKS = st.one_of(st.integers(-3, 12), st.booleans(), st.floats(-1, 12), st.none(), st.just("1"))


@settings(max_examples=300, deadline=None)
@given(links=st.lists(_LINKS, max_size=8).map(tuple), count=st.integers(0, 10))
def test_links_are_checked_as_one_look_at_each_did(links: tuple[object, ...], count: int) -> None:
    """An entry's links fit its lines exactly when each is an int (not a bool) naming one."""
    each = all(type(link) is int and 0 <= link < count for link in links)  # type: ignore[operator]
    assert _links_fit(links, count) is each


def test_the_cache_file_is_written_without_waiting_for_the_disk(messy, cache_home, reads, monkeypatch):
    """Only a cache, checked when read: a listing does not wait for the disk to keep it."""
    cold = _tasks(messy, "--no-cache")

    def no_fsync(fd: int) -> None:
        raise AssertionError("fsync called")

    monkeypatch.setattr("os.fsync", no_fsync)
    assert _tasks(messy) == cold
    reads.clear()
    assert _tasks(messy) == cold
    assert reads == []  # the file written was whole and used


def _level_1(data: bytes) -> bytes:  # how a note's JSON text was compressed before
    deflate = zlib.compressobj(1, zlib.DEFLATED, -15)
    return deflate.compress(data) + deflate.flush()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.binary(max_size=300) | st.sampled_from([b'"key": ', b'"group": %s, ', b"null, "]), max_size=80
    )
)
def test_a_notes_json_text_comes_back_whole_as_it_did(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    assert note_json(_deflate(data)) == data == note_json(_level_1(data))  # older entries still read


def test_a_notes_json_text_is_no_larger_than_it_was(tmp_path: Path) -> None:
    notes = [path.read_text(encoding="utf-8") for path in messy_vault(tmp_path, 40)]
    texts = [tasks_json_parts(parse_note(text, "n.md")[0]).encode("utf-8") for text in notes]
    assert sum(len(_deflate(t)) for t in texts) <= sum(len(_level_1(t)) for t in texts)
    assert all(note_json(_deflate(t)) == t for t in texts)


def _pieces_one_record_at_a_time(cache: TasksCache, kept: list[str]) -> bytes:
    """The file as it was written before its records were joined into pieces (the reference)."""
    import bridge.tasks_cache as module

    pieces = [cache._header()]
    checksum = 0
    for rel in kept:
        record = marshal.dumps((rel, *(cache.fresh.get(rel) or cache.entries[rel])), 4)
        for piece in (module._RECORD.pack(len(record)), record):
            checksum = zlib.crc32(piece, checksum)
            pieces.append(piece)
    pieces.append(module._CHECK.pack(checksum))
    return b"".join(pieces)


@pytest.mark.parametrize("piece", [1, 100, 5000, 256 << 10])
def test_the_file_written_in_pieces_is_the_file_written_record_by_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    import random

    import bridge.tasks_cache as module

    monkeypatch.setattr(module, "_PIECE", piece)
    rng = random.Random(piece)  # noqa: S311 - test data
    for notes in (0, 1, 2, 37):
        cache = TasksCache(tmp_path / "v", tmp_path / "cache")
        for i in range(notes):
            text = bytes(rng.randrange(256) for _ in range(rng.choice([0, 10, 900, 6000])))
            entry = ((), (f"k{i}",), (None,), (0,), b"", text, b"")
            target = cache.fresh if i % 3 else cache.entries
            target[f"n{i:03}.md"] = (i, i * 7, *entry)
        kept = sorted(cache.fresh.keys() | cache.entries.keys())
        assert b"".join(cache._pieces(kept)) == _pieces_one_record_at_a_time(cache, kept)
