"""A cursor is stored as its head and its tail (the text after its first newline), apart.

Whatever the text, `cursor()` returns what was committed last; a commit that changes only the
head leaves the tail's row alone, and an unchanged cursor is not written at all (SQLite triggers
count the writes). A database of the release before, whose cursors have no tail, reads as before.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.migrations import MIGRATIONS
from bridge.state import Store

TEXTS = st.text(alphabet=st.sampled_from('{}"ab\n\\é:,'), max_size=20)


@settings(max_examples=200, deadline=None)
@given(cursors=st.lists(TEXTS, min_size=1, max_size=5))
def test_the_cursor_read_is_the_cursor_committed_last(cursors):
    with Store.open("sqlite:///:memory:") as store:
        for cursor in cursors:
            store.commit_sync("todoist", cursor=cursor)
            assert store.cursor("todoist") == cursor
        assert store.cursor("jira") is None


def _counted(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE writes (part TEXT)")
        for part in ("cursor", "tail"):
            sql = "CREATE TRIGGER %_written AFTER UPDATE OF % ON cursors"
            sql += " BEGIN INSERT INTO writes VALUES ('%'); END"
            db.execute(sql.replace("%", part))


def _writes(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [str(r[0]) for r in db.execute("SELECT part FROM writes ORDER BY rowid")]


def test_only_the_changed_part_of_a_cursor_is_written(tmp_path):
    path = tmp_path / "state.db"
    url = f"sqlite:///{path}"
    with Store.open(url) as store:
        store.commit_sync("todoist", cursor='{"t": 1}\n{"labels": 1}')
    _counted(path)
    with Store.open(url) as store:
        store.commit_sync("todoist", cursor='{"t": 1}\n{"labels": 1}')  # unchanged: not written
        assert _writes(path) == []
        store.commit_sync("todoist", cursor='{"t": 2}\n{"labels": 1}')  # the head only
        assert _writes(path) == ["cursor"]
        store.commit_sync("todoist", cursor='{"t": 2}\n{"labels": 2}')  # the tail (the row anew)
        assert store.cursor("todoist") == '{"t": 2}\n{"labels": 2}'
        store.commit_sync("todoist", cursor='{"t": 2}')  # no tail any more
        assert store.cursor("todoist") == '{"t": 2}'
        store.commit_sync("todoist", cursor='{"t": 2}')
    # the head alone once, then both twice (a trigger's order within one write is not fixed)
    assert sorted(_writes(path)) == ["cursor", "cursor", "cursor", "tail", "tail"]


def test_a_cursor_stored_before_tails_were_kept_reads_as_it_was(tmp_path):
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:  # the release before: no tail column
        db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
        for step in MIGRATIONS[:-1]:
            for statement in step.statements:
                db.execute(statement.replace("{serial}", "INTEGER PRIMARY KEY"))
            db.execute("INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01')", (step.version, step.name))
        db.execute(
            "INSERT INTO cursors (connector, cursor, synced_at) VALUES ('todoist', ?, '2026-01-01')",
            ('{"labels": {"1": ["a"]}, "sync_token": "s"}',),
        )
    with Store.open(f"sqlite:///{path}") as store:
        assert store.schema_version() == MIGRATIONS[-1].version
        assert store.cursor("todoist") == '{"labels": {"1": ["a"]}, "sync_token": "s"}'
