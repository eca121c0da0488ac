"""A bulk write (a large sync's commit) takes a larger SQLite page cache for its transaction only:
the rows are the same as without it, and the cache is back to its size afterwards, even when
the transaction fails."""

from __future__ import annotations

import random
import sqlite3
from contextlib import nullcontext
from pathlib import Path

import pytest

from bridge.connector import Fields, RemoteStatus
from bridge.database import BULK_ROWS, Database, SQLiteDatabase
from bridge.model import StatusType
from bridge.state import Base, Store


def _bases(count: int, seed: int) -> list[Base]:
    rng = random.Random(seed)  # noqa: S311 - generated test data
    bases = []
    for i in range(count):
        ref = f"{rng.getrandbits(64):016x}"
        fields = Fields(
            title=f"task {i} " + "x" * rng.randrange(0, 300),
            status=StatusType.TODO,
            due=rng.choice([None, "2026-01-02"]),
            labels=tuple(rng.sample(["a", "b", "c"], rng.randrange(4))),
            path=f"notes/n{i // 10}.md",
        )
        remote_id = f"{rng.getrandbits(64):016x}"
        bases.append(Base(remote_id, ref, fields, RemoteStatus.OPEN, keys=(ref,), version=1))
    return bases


def _rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        found = []
        for table in ("bases", "links", "pending", "settled", "cursors"):
            found += [(table, *r) for r in db.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]  # noqa: S608
        # not the times of writing: the two commits may fall in different seconds
        return [r[:6] if r[0] == "bases" else r[:3] if r[0] in ("cursors", "pending") else r for r in found]


def _commit(path: Path, bases: list[Base]) -> None:
    with Store.open(f"sqlite:///{path}") as store:
        refs = [b.ref for b in bases]
        store.mark_pending("todoist", refs, {})
        links = {b.ref: b.remote_id for b in bases}
        store.commit_sync("todoist", bases=bases, links=links, cursor="token", settled=refs[::2])


@pytest.mark.parametrize("seed", [1, 2])
def test_a_bulk_write_commits_the_same_rows_as_a_plain_one(tmp_path, monkeypatch, seed):
    bases = _bases(3000, seed)
    _commit(tmp_path / "bulk.db", bases)
    monkeypatch.setattr(SQLiteDatabase, "bulk_write", lambda _self, _rows: nullcontext())
    _commit(tmp_path / "plain.db", bases)
    assert _rows(tmp_path / "bulk.db") == _rows(tmp_path / "plain.db")


def test_the_page_cache_is_back_to_its_size_after_a_bulk_write(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.db.execute("PRAGMA cache_size = -1234")
        store.commit_sync("todoist", bases=_bases(10, 3))
        assert store.db.execute("PRAGMA cache_size").rows == [(-1234,)]
        seen = []

        def fail() -> None:
            with store.db.bulk_write(BULK_ROWS):
                seen.extend(store.db.execute("PRAGMA cache_size").rows)
                raise sqlite3.OperationalError("failed")

        with pytest.raises(sqlite3.OperationalError):
            fail()
        assert seen != [(-1234,)]
        assert store.db.execute("PRAGMA cache_size").rows == [(-1234,)]


def test_only_sqlite_changes_its_cache():
    assert isinstance(Database().bulk_write(BULK_ROWS), nullcontext)


def test_a_small_write_keeps_the_cache(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        with store.db.bulk_write(BULK_ROWS - 1):
            assert store.db.execute("PRAGMA cache_size").rows == [(-2000,)]
        with store.db.bulk_write(BULK_ROWS):
            assert store.db.execute("PRAGMA cache_size").rows != [(-2000,)]
