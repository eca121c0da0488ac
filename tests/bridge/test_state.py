"""The state database: migrations recorded, newer schemas refused, a sync committed all at once."""

from __future__ import annotations

import sqlite3

import pytest

from bridge.connector import Fields, RemoteStatus
from bridge.errors import ConfigError, StateError
from bridge.migrations import MIGRATIONS
from bridge.model import StatusType
from bridge.state import Base, Store, sqlite_path


def test_new_database_is_migrated_to_the_newest_schema_in_wal_mode(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    assert store.schema_version() == MIGRATIONS[-1].version
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    again = Store.open(f"sqlite:///{tmp_path / 'state.db'}")  # migrating twice is a no-op
    assert again.schema_version() == MIGRATIONS[-1].version
    again.close()


def test_database_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "state.db"
    Store.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x')")
    with pytest.raises(StateError, match="newer than this release"):
        Store.open(f"sqlite:///{path}")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///rel.db", "rel.db"),
        ("sqlite:////abs/s.db", "/abs/s.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_urls(url, path):
    assert sqlite_path(url) == path


@pytest.mark.parametrize("url", ["mysql://x", "sqlite://", "state.db"])
def test_bad_state_url_names_the_setting(url):
    with pytest.raises(ConfigError, match="BRIDGE_STATE_URL"):
        Store.open(url)


def test_commit_sync_stores_links_bases_cursor_and_report_together():
    store = Store.open("sqlite:///:memory:")
    base = Base(
        "r1",
        "ref1",
        Fields("Do it", StatusType.TODO, due="2026-01-02"),
        RemoteStatus.OPEN,
        None,
        ("k1", "k2"),
        "do it",
        1,
    )
    store.commit_sync(
        "todoist", bases=[base], links={"k1": "r1", "k2": "r1"}, cursor="c1", report={"created": 1}
    )
    assert store.links("todoist") == {"k1": "r1", "k2": "r1"}
    assert store.bases("todoist") == {"r1": base}
    assert store.cursor("todoist") == "c1"
    assert store.summary()["todoist"]["links"] == 2
    assert store.links("jira") == {}
    assert store.cursor("jira") is None


def test_failed_commit_leaves_the_previous_state_whole():
    store = Store.open("sqlite:///:memory:")
    store.commit_sync("todoist", links={"k1": "r1"}, cursor="c1")
    bad = Base("r2", "ref", Fields("x", StatusType.TODO), RemoteStatus.OPEN)
    object.__setattr__(bad, "remote_id", None)  # violates NOT NULL inside the transaction
    with pytest.raises(sqlite3.IntegrityError):
        store.commit_sync("todoist", links={"k2": "r2"}, bases=[bad], cursor="c2")
    assert store.links("todoist") == {"k1": "r1"}
    assert store.cursor("todoist") == "c1"


def test_pending_creates_keep_their_first_attempt_and_settle_on_commit(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    store.mark_pending("jira", ["aaaa", "bbbb"])
    first = store.pending("jira")
    assert set(first) == {"aaaa", "bbbb"}
    store.mark_pending("jira", ["aaaa"])  # a second attempt keeps the time of the first
    assert store.pending("jira") == first
    assert store.pending("todoist") == {}
    store.commit_sync("jira", settled=["aaaa"])
    assert set(store.pending("jira")) == {"bbbb"}
    store.close()


def test_a_version_1_database_gains_the_pending_table(tmp_path):
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:  # what the first release wrote: only migration 1
        db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
        for statement in MIGRATIONS[0].statements:
            db.execute(statement)
        db.execute("INSERT INTO schema_migrations VALUES (1, 'v1', '2026-01-01')")
        db.execute("INSERT INTO links VALUES ('todoist', 'k1', 'r1')")
    store = Store.open(f"sqlite:///{path}")
    assert store.schema_version() == MIGRATIONS[-1].version
    assert store.links("todoist") == {"k1": "r1"}
    store.mark_pending("jira", ["cccc"])
    assert set(store.pending("jira")) == {"cccc"}
    store.close()
