"""What a person sees when the setup is broken: one line naming the file, setting or row, exit 2.

Each case is a state database, lock file or `.env` damaged the way disks, sync tools and editors
damage them, run through the real `bridge` command in a child process.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from bridge.cli import EXIT_FAILED, EXIT_LOCKED, EXIT_USAGE
from bridge.connector import Fields, RemoteStatus
from bridge.errors import ConnectorError, LockHeldError, StateError
from bridge.exits import exit_status
from bridge.model import StatusType
from bridge.state import Base, Store
from tests.cli import error_line, run_bridge


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A vault of one note, the path of its (not yet made) state database, and the settings."""
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "note.md").write_text("- [ ] Call Dana\n", encoding="utf-8")
    state = tmp_path / "state" / "bridge.db"
    env = {"BRIDGE_STATE_URL": f"sqlite:///{state}", "TODOIST_API_TOKEN": "unused"}
    return vault, state, env


def _sync(vault: Path) -> tuple[str, ...]:
    return ("sync", "--vault", str(vault), "--connector", "todoist")


def test_a_state_error_is_a_setup_problem_exit_2():
    assert exit_status(StateError("state database x: disk I/O error")) == EXIT_USAGE
    assert exit_status(LockHeldError("held")) == EXIT_LOCKED
    assert exit_status(ConnectorError("todoist", "HTTP 500")) == EXIT_FAILED


@pytest.mark.parametrize("command", ["sync", "status"])
def test_an_empty_state_database_is_refused_not_started_over(setup, command):
    vault, state, env = setup
    state.parent.mkdir()
    state.write_bytes(b"")  # truncated: every link it held is gone
    args = _sync(vault) if command == "sync" else ("status", "--vault", str(vault))
    line = error_line(run_bridge(*args, env=env, cwd=vault.parent), EXIT_USAGE)
    assert f"state database {state} is empty (0 bytes)" in line
    assert "restore it from a backup" in line
    assert "delete it to start over" in line
    assert state.read_bytes() == b""  # not quietly made into a new database


def test_a_state_file_that_is_not_a_database_is_refused(setup):
    vault, state, env = setup
    state.parent.mkdir()
    junk = bytes(range(256)) * 20
    state.write_bytes(junk)
    line = error_line(run_bridge(*_sync(vault), env=env, cwd=vault.parent), EXIT_USAGE)
    assert f"state database {state} is not a readable SQLite database" in line
    assert "restore it from a backup" in line
    assert state.read_bytes() == junk


def test_a_new_state_database_appears_whole(setup):
    _, state, env = setup
    Store.open(env["BRIDGE_STATE_URL"]).close()
    assert state.stat().st_size > 0  # never an empty file that a second process could take for damage
    assert [p.name for p in state.parent.iterdir() if ".new-" in p.name] == []


def test_a_folder_where_the_lock_file_goes_names_the_lock(setup):
    vault, state, env = setup
    lock = Path(f"{state}.lock")
    lock.mkdir(parents=True)
    line = error_line(run_bridge(*_sync(vault), env=env, cwd=vault.parent), EXIT_USAGE)
    assert f"lock file {lock}" in line
    assert "Is a directory" in line


def test_a_dotenv_that_is_not_utf8_names_the_file_and_line(tmp_path):
    (tmp_path / ".env").write_bytes(b"BRIDGE_GROUP_SCOPE=note\n# caf\xe9 notes\n")
    line = error_line(run_bridge("tasks", str(tmp_path), cwd=tmp_path), EXIT_USAGE)
    assert line == "bridge: .env: not UTF-8 (byte 0xe9 on line 2, offset 29); save it as UTF-8"


def _linked_state(url: str) -> None:
    """A state where todoist task 123 is linked, as a sync would leave it."""
    base = Base("123", "0123456789abcdef", Fields("Call Dana", StatusType.TODO), RemoteStatus.OPEN)
    with Store.open(url) as store:
        store.commit_sync("todoist", bases=[base], links={"k1": "123"}, cursor="{}")


GOOD = json.dumps({"fields": {"title": "Call Dana", "status": "TODO"}, "remote_status": "open"})


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ("{not json", "not JSON: "),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"fields": {"title": "Call Dana", "status": "TODO"}}), "no 'remote_status' in it"),
        (GOOD.replace('"open"', '"bogus"'), "remote_status 'bogus' is not one of open, done, deleted"),
        (GOOD.replace('"TODO"', '"someday"'), "fields: 'someday' is not a valid StatusType"),
        (GOOD[:-1] + ', "spots": {"k1": 5}}', "a value of the wrong type"),
    ],
    ids=["not-json", "array", "missing-key", "bad-remote-status", "bad-note-status", "wrong-type"],
)
def test_an_unreadable_base_names_its_row_and_the_way_out(setup, data, why):
    vault, state, env = setup
    _linked_state(env["BRIDGE_STATE_URL"])
    with sqlite3.connect(state) as db:
        db.execute("UPDATE bases SET data = ? WHERE remote_id = '123'", (data,))
    line = error_line(run_bridge("status", "--vault", str(vault), env=env, cwd=vault.parent), EXIT_USAGE)
    assert line.startswith(f"bridge: state {state}: base of todoist task 123 is unreadable (")
    assert why in line
    assert "restore the state database from a backup, or delete that row of its bases table" in line


def test_a_cursor_that_is_not_text_names_the_connector(setup):
    _, state, env = setup
    _linked_state(env["BRIDGE_STATE_URL"])
    with sqlite3.connect(state) as db:
        db.execute("UPDATE cursors SET cursor = X'00ff' WHERE connector = 'todoist'")
    with Store.open(env["BRIDGE_STATE_URL"]) as store, pytest.raises(StateError) as caught:
        store.cursor("todoist")
    assert "cursor of todoist is unreadable (not text but bytes); delete that row" in str(caught.value)


def test_an_unreadable_run_report_is_only_warned_about(setup):
    vault, state, env = setup
    _linked_state(env["BRIDGE_STATE_URL"])
    with sqlite3.connect(state) as db:
        db.execute("INSERT INTO runs (connector, finished_at, report) VALUES ('todoist', 'now', 'garbage')")
    result = run_bridge("status", "--vault", str(vault), "--json", env=env, cwd=vault.parent)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["connectors"]["todoist"]["last_report"] == {}
    assert "the last run report of todoist is unreadable" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_lock_file_beside_a_readable_database_still_works(setup):
    """The lock's error handling leaves the ordinary case alone: the file is made and reused."""
    _, state, env = setup
    with Store.open(env["BRIDGE_STATE_URL"]) as store, store.writer_lock():
        assert Path(f"{state}.lock").read_text() == str(os.getpid())
