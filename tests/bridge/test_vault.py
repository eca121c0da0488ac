"""Bad input: every unreadable note gets a diagnostic naming it; the rest of the vault is still read."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge import vault as vault_module
from bridge.model import StatusType
from bridge.signifiers import TaskFormat
from bridge.vault import find_root, load_dialect, read_notes, scan, start_scan

GOOD = "- [ ] Still read 📅 2025-01-01\n"


def _bytes_of(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Size, mtime and (for the small notes) the bytes of every file: enough to see any write."""
    snapshot = {}
    for p in sorted(root.rglob("*")):
        info = p.lstat()
        small = p.name == "good.md"
        snapshot[p.relative_to(root).as_posix()] = (
            info.st_size,
            info.st_mtime_ns,
            p.read_bytes() if small else b"",
        )
    return snapshot


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    root = tmp_path / "v"
    root.mkdir()
    (root / "good.md").write_text(GOOD, encoding="utf-8")
    return root


def _check(root: Path, rel: str, fragment: str, line: int | None = None) -> None:
    before = _bytes_of(root)
    result = scan(root)
    assert [t.description for t in result.tasks if t.source.path == "good.md"] == ["Still read"]
    mine = [d for d in result.diagnostics if d.path == rel]
    assert len(mine) == 1, result.diagnostics
    assert fragment in mine[0].message
    assert mine[0].line == line
    assert _bytes_of(root) == before  # nothing written


def test_impossible_date(messy):
    (messy / "dates.md").write_text("# T\n- [ ] Plan 📅 2025-13-45\n", encoding="utf-8")
    _check(messy, "dates.md", "impossible due date '2025-13-45'", line=2)
    task = next(t for t in scan(messy).tasks if t.source.path == "dates.md")
    assert (task.description, task.due) == ("Plan", None)


def test_latin1_file(messy):
    (messy / "latin.md").write_bytes("# Caf\xe9\n- [ ] R\xe9union\n".encode("latin-1"))
    _check(messy, "latin.md", "not UTF-8 (byte 0xe9 at column 6", line=1)


def test_binary_file(messy):
    (messy / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _check(messy, "image.md", "binary file (NUL byte at offset 8)")


def test_huge_file_is_not_read(messy, monkeypatch):
    huge = messy / "huge.md"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # 50 MB, sparse: nothing to write, nothing to read
    opened = []
    real_open = Path.open

    def tracking_open(self, *args, **kwargs):
        opened.append(self.name)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", tracking_open)
    _check(messy, "huge.md", "50.0 MiB is over the 10.0 MiB limit")
    assert "huge.md" not in opened


def test_unreadable_file(messy, monkeypatch):
    (messy / "secret.md").write_text(GOOD, encoding="utf-8")
    real_open = os.open

    def denied(path, *args, **kwargs):
        if Path(path).name == "secret.md":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    _check(messy, "secret.md", "cannot read: Permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_by_mode(messy):
    secret = messy / "secret.md"
    secret.write_text(GOOD, encoding="utf-8")
    secret.chmod(0)
    try:
        _check(messy, "secret.md", "cannot read: Permission denied")
    finally:
        secret.chmod(0o644)


def test_broken_symlink(messy):
    (messy / "gone.md").symlink_to("nowhere.md")
    _check(messy, "gone.md", "broken symlink to 'nowhere.md'")


def test_fifo_is_not_read(messy):
    os.mkfifo(messy / "pipe.md")
    _check(messy, "pipe.md", "not a regular file")


def test_hidden_folders_and_other_files_are_ignored(messy):
    (messy / ".obsidian").mkdir()
    (messy / ".obsidian" / "x.md").write_text("- [ ] hidden\n", encoding="utf-8")
    (messy / ".trash").mkdir()
    (messy / ".trash" / "old.md").write_text("- [ ] trashed\n", encoding="utf-8")
    (messy / "notes.txt").write_text("- [ ] not a note\n", encoding="utf-8")
    assert [t.source.path for t in scan(messy).tasks] == ["good.md"]


def test_nested_folders_give_vault_relative_posix_paths(messy):
    (messy / "a" / "b").mkdir(parents=True)
    (messy / "a" / "b" / "deep.md").write_text("- [ ] Deep\n", encoding="utf-8")
    assert [t.source.path for t in scan(messy).tasks] == ["a/b/deep.md", "good.md"]


def test_single_file_belongs_to_its_vault(messy):
    (messy / ".obsidian").mkdir()
    (messy / "sub").mkdir()
    (messy / "sub" / "n.md").write_text("- [ ] In sub\n", encoding="utf-8")
    assert find_root(messy / "sub" / "n.md") == messy.absolute()
    result = scan(messy / "sub" / "n.md")
    assert [t.source.path for t in result.tasks] == ["sub/n.md"]


def _write_settings(root: Path, data: object) -> None:
    folder = root / ".obsidian" / "plugins" / "obsidian-tasks-plugin"
    folder.mkdir(parents=True)
    (folder / "data.json").write_text(json.dumps(data), encoding="utf-8")


def test_vault_settings_define_statuses_format_and_global_filter(messy):
    _write_settings(
        messy,
        {
            "globalFilter": "#task",
            "taskFormat": "dataview",
            "statusSettings": {
                "coreStatuses": [
                    {"symbol": " ", "name": "Todo", "nextStatusSymbol": "x", "type": "TODO"},
                    {"symbol": "x", "name": "Done", "nextStatusSymbol": " ", "type": "DONE"},
                ],
                "customStatuses": [
                    {"symbol": "?", "name": "Question", "nextStatusSymbol": "x", "type": "TODO"},
                    {"symbol": "w", "name": "Waiting", "nextStatusSymbol": "x", "type": "ON_HOLD"},
                ],
            },
        },
    )
    dialect, problems = load_dialect(messy)
    assert problems == []
    assert (dialect.global_filter, dialect.task_format) == ("#task", TaskFormat.DATAVIEW)
    assert dialect.statuses.type_of("w") is StatusType.ON_HOLD
    assert dialect.statuses.type_of("?") is StatusType.TODO
    (messy / "t.md").write_text(
        "- [w] Wait for Bob #task [due:: 2025-01-01]\n- [ ] No filter\n", encoding="utf-8"
    )
    tasks = [t for t in scan(messy).tasks if t.source.path == "t.md"]
    assert [(t.status_type, t.due) for t in tasks] == [(StatusType.ON_HOLD, "2025-01-01")]


def test_broken_vault_settings_fall_back_to_defaults(messy):
    folder = messy / ".obsidian" / "plugins" / "obsidian-tasks-plugin"
    folder.mkdir(parents=True)
    (folder / "data.json").write_text("{not json", encoding="utf-8")
    result = scan(messy)
    assert [t.description for t in result.tasks] == ["Still read"]
    assert "cannot read the Obsidian Tasks settings" in result.diagnostics[0].message


def test_file_vanishing_during_the_walk(messy, monkeypatch):
    real = vault_module.iter_note_names

    def with_ghost(root, *args, **kwargs):
        yield str(root), "ghost.md"
        yield from real(root, *args, **kwargs)

    monkeypatch.setattr(vault_module, "iter_note_names", with_ghost)
    result = scan(messy)
    assert [d.message for d in result.diagnostics] == ["vanished while the vault was read; skipped"]


def test_small_size_limit_reads_in_bytes(messy):
    result = scan(messy, max_bytes=10)
    size = len(GOOD.encode("utf-8"))
    assert result.diagnostics[0].message.startswith(f"{size} bytes is over the 10 bytes limit")


def test_vault_table_keeps_defaults_it_does_not_redefine(messy):
    _write_settings(messy, {"statusSettings": {"customStatuses": [{"symbol": "w", "type": "ON_HOLD"}]}})
    dialect, _ = load_dialect(messy)
    assert dialect.statuses.type_of("?") is StatusType.PROPOSED
    assert dialect.statuses.type_of("w") is StatusType.ON_HOLD


_PIECES = st.sampled_from(
    [
        b"- [ ] Call Dana \xf0\x9f\x93\x85 2025-01-01",
        b"\r\n",
        b"\n",
        b"\xef\xbb\xbf",
        b"caf\xc3\xa9",
        b"\xe9",
        b"\0",
    ]
)


@settings(max_examples=60, deadline=None)
@given(notes=st.lists(st.lists(_PIECES, max_size=8).map(b"".join), min_size=1, max_size=6))
def test_the_bytes_read_with_a_note_are_what_its_text_was_decoded_from(notes: list[bytes]) -> None:
    """A worker process is sent the bytes and decodes them: the text it parses is the text read."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for n, data in enumerate(notes):
            (root / f"n{n}.md").write_bytes(data)
        result = start_scan(root)
        read = list(read_notes(root, result, max_bytes=1 << 20))
        for text, note, data in read:
            assert data == (root / note.path).read_bytes()
            assert data.decode("utf-8") == text
        good = [f"n{n}.md" for n, data in enumerate(notes) if b"\0" not in data and _utf8(data)]
        assert [note.path for _text, note, _data in read] == good


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_notes_are_named_in_the_vault_as_their_paths_made_relative_name_them(tmp_path: Path) -> None:
    """`read_notes` cuts a note's path in the vault from its file's path: the same names as
    `relative_to`, for the vault and for a folder of it, odd names and symlinks included, and for
    the vault at the file system's root."""
    root = tmp_path / "v"
    for rel in (
        "a.md",
        "b c/ü é.md",
        "b c/d/e.MD",
        "x.y/.hidden.md",
        ".obsidian/n.md",
        "f/g/h/i.md",
        "f/ j .md",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(GOOD, encoding="utf-8")
    (root / "link.md").symlink_to(root / "a.md")
    (root / "linked").symlink_to(root / "f")
    for start in (root, root / "b c", root / "f" / "g"):
        files = list(vault_module.iter_note_paths(start, vault_module.Walk(), vault=root))
        names = [
            os.path.join(*n) for n in vault_module.iter_note_names(start, vault_module.Walk(), vault=root)
        ]
        assert names == list(map(str, files))  # what `read_notes` walks: the Paths' strings
        found = list(vault_module._in_vault(names, root))
        assert found == [(p.relative_to(root).as_posix(), str(p)) for p in files]
        assert found
    top = Path(Path.cwd().anchor)
    files = [top / "a.md", top / "b" / "c.md", *files]
    found = list(vault_module._in_vault(map(str, files), top))
    assert found == [(p.relative_to(top).as_posix(), str(p)) for p in files]
