"""The state database: migrations recorded, newer schemas refused, a sync committed all at once."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from bridge.connector import Fields, RemoteStatus
from bridge.errors import ConfigError, LockHeldError, StateError
from bridge.migrations import MIGRATIONS
from bridge.model import StatusType
from bridge.state import Base, Store, sqlite_path
from tests.conftest import EXAMPLE_NOTE


def test_new_database_is_migrated_to_the_newest_schema_in_wal_mode(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    assert store.schema_version() == MIGRATIONS[-1].version
    assert store.db.execute("PRAGMA journal_mode").rows[0][0] == "wal"
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


def test_commit_sync_stores_links_bases_cursor_and_report_together(state_url):
    with Store.open(state_url) as store:
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


def test_failed_commit_leaves_the_previous_state_whole(state_url):
    with Store.open(state_url) as store:
        store.commit_sync("todoist", links={"k1": "r1"}, cursor="c1")
        bad = Base("r2", "ref", Fields("x", StatusType.TODO), RemoteStatus.OPEN)
        object.__setattr__(bad, "remote_id", None)  # violates NOT NULL inside the transaction
        with pytest.raises(StateError, match=r"(?i)not[ -]null"):
            store.commit_sync("todoist", links={"k2": "r2"}, bases=[bad], cursor="c2")
        assert store.links("todoist") == {"k1": "r1"}
        assert store.cursor("todoist") == "c1"


def test_pending_creates_keep_their_first_attempt_and_settle_on_commit(state_url):
    store = Store.open(state_url)
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


# -- the webhook inbox, on both databases ------------------------------------------------------------


def test_a_delivery_is_stored_once_by_id_and_once_by_body(state_url):
    store = Store.open(state_url)
    assert store.receive("todoist", "d1", b'{"a": 1}') is True
    assert store.receive("todoist", "d1", b'{"a": 2}') is False  # a retry keeps its id
    assert store.receive("todoist", "d2", b'{"a": 1}') is False  # the same event under a new id
    assert store.receive("jira", "d1", b'{"a": 1}') is True  # another connector's own ids
    assert store.inbox_counts() == {"new": 2}
    store.close()


def test_claimed_deliveries_are_not_claimed_again_until_settled(state_url):
    store = Store.open(state_url)
    for n in range(5):
        store.receive("todoist", f"d{n}", f'{{"n": {n}}}'.encode())
    first = store.claim(f"{os.uname().nodename}:{os.getpid()}:a", limit=3)
    assert [e.delivery_id for e in first] == ["d0", "d1", "d2"]
    second = store.claim(f"{os.uname().nodename}:{os.getpid()}:b", limit=10)
    assert [e.delivery_id for e in second] == ["d3", "d4"]  # a live worker's claims are left alone
    assert store.claim("other:1:c") == []
    store.settle((e.id, "applied") for e in first + second)
    assert store.inbox_counts() == {"done": 5}
    assert store.waiting() is False
    store.close()


def test_claims_of_a_dead_process_are_taken_back_at_once(state_url):
    store = Store.open(state_url)
    store.receive("todoist", "d1", b"{}")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    gone = f"{os.uname().nodename}:{dead.stdout.strip()}:x"
    assert [e.delivery_id for e in store.claim(gone)] == ["d1"]
    elsewhere = store.claim("another-host:1:y")
    assert [e.delivery_id for e in elsewhere] == ["d1"]  # its process no longer runs
    assert store.claim(f"{os.uname().nodename}:{os.getpid()}:z") == []  # another host's: leased
    assert [e.delivery_id for e in store.claim("me:2:z", stale_after=-1)] == ["d1"]  # lease over
    store.close()


def test_two_connections_never_claim_the_same_delivery(state_url):
    stores = [Store.open(state_url) for _ in range(4)]
    for n in range(200):
        stores[0].receive("todoist", f"d{n}", f'{{"n": {n}}}'.encode())
    me = f"{os.uname().nodename}:{os.getpid()}"
    taken: list[list[int]] = [[] for _ in stores]

    def drain(i: int) -> None:
        while events := stores[i].claim(f"{me}:{i}", limit=7):
            taken[i].extend(e.id for e in events)

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    every = [i for ids in taken for i in ids]
    assert len(every) == len(set(every)) == 200
    for store in stores:
        store.close()


def test_the_writer_lock_admits_one_holder_across_connections(state_url):
    first, second = Store.open(state_url), Store.open(state_url)
    with first.writer_lock(), pytest.raises(LockHeldError), second.writer_lock(wait=0.2):
        pass
    with second.writer_lock():  # released with the block
        pass
    first.close()
    second.close()


def test_stores_opened_together_migrate_once(state_url):
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            Store.open(state_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    store = Store.open(state_url)
    versions = store.db.execute("SELECT version FROM schema_migrations ORDER BY version").rows
    assert [v for (v,) in versions] == [m.version for m in MIGRATIONS]
    store.close()


def test_a_sync_on_postgresql_links_writes_back_and_takes_the_shared_lock(vault, postgres_url, monkeypatch):
    from bridge.config import BridgeSettings
    from bridge.errors import LockHeldError
    from bridge.sync import run_sync
    from bridge.testing import serve_in_thread
    from connectors.todoist.emulator import create_app

    app = create_app("pg-token")
    with serve_in_thread(app) as url:
        monkeypatch.setenv("TODOIST_API_TOKEN", "pg-token")
        monkeypatch.setenv("TODOIST_BASE_URL", url)
        settings = BridgeSettings(vault=vault, state_url=postgres_url, routes=None)
        assert run_sync(settings, connector_name="todoist").report.created == 6
        again = run_sync(settings, connector_name="todoist").report
        assert (again.created, again.updated, again.closed) == (0, 0, 0)
        emulator = app.state.emulator
        task = next(t for t in emulator.tasks.values() if "Define the interview loop" in t["content"])
        emulator.complete(task["id"])
        other = Store.open(postgres_url)  # another machine's receiver, applying deliveries
        with other.writer_lock(), pytest.raises(LockHeldError, match="postgresql://"):
            run_sync(settings, connector_name="todoist")
        other.close()
        assert run_sync(settings, connector_name="todoist").report.notes_written == 1
    assert "- [x] Define the interview loop" in (vault / EXAMPLE_NOTE).read_text(encoding="utf-8")
    with Store.open(postgres_url) as store:
        assert len(store.links("todoist")) == 9


def test_status_shows_the_inbox_and_never_a_postgresql_password(postgres_url, tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from bridge.cli import app

    secret_url = postgres_url.replace("postgresql://bridge@", "postgresql://bridge:hunter2@")
    with Store.open(secret_url) as store:
        store.receive("todoist", "d1", b"{}")
        store.receive("todoist", "d2", b"[]")
        store.settle((e.id, "unknown") for e in store.claim("me:1:a", limit=1))
    monkeypatch.setenv("BRIDGE_STATE_URL", secret_url)
    monkeypatch.chdir(tmp_path)
    shown = CliRunner().invoke(app, ["status", "--json", "--vault", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert "hunter2" not in shown.output
    document = json.loads(shown.stdout)
    assert document["inbox"] == {"new": 1, "done": 1}
    assert document["state"].startswith("postgresql://bridge@")
    table = CliRunner().invoke(app, ["status", "--vault", str(tmp_path)])
    assert "webhook inbox: 1 waiting, 1 applied" in table.output  # on stderr when piped
    assert "hunter2" not in table.output


def test_pruning_forgets_only_applied_deliveries_older_than_asked(state_url):
    import datetime as dt

    with Store.open(state_url) as store:
        for n in range(4):
            store.receive("todoist", f"d{n}", f'{{"n": {n}}}'.encode())
        store.settle((e.id, "applied") for e in store.claim("me:1:a", limit=3))
        old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=8)).isoformat(timespec="microseconds")
        store.db.execute("UPDATE inbox SET received_at = ? WHERE delivery_id IN ('d0', 'd1', 'd3')", (old,))
        assert store.prune_inbox(dt.timedelta(days=7)) == 2  # d0, d1: applied and old
        assert store.inbox_counts() == {"done": 1, "new": 1}  # d2 is recent; d3 still waits
        assert store.receive("todoist", "d0", b'{"n": 0}') is True  # forgotten: stored again
