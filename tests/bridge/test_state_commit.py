"""`Store.commit_sync` writes the rows the plain upserts and one-row deletes it replaced wrote, in
the same order: a first sync's plain inserts and its one pending delete, and every other case
(rows already there, a remote id twice, refs settled that were not all pending), on generated
states and commits, in SQLite and in PostgreSQL."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from bridge.connector import Fields, RemoteStatus
from bridge.model import StatusType
from bridge.state import Base, Store

_NOW = "2026-01-02T03:04:05Z"


def _old_commit(
    store: Store,
    connector: str,
    *,
    bases: Sequence[Base],
    links: Mapping[str, str],
    cursor: str | None,
    report: Mapping[str, Any] | None,
    settled: Sequence[str],
) -> None:
    """`commit_sync` as it was: each row upserted, each settled ref's pending row deleted alone."""
    db = store.db
    with db.bulk_write(len(bases) + len(settled) + len(links)), store.transaction():
        db.execute("DELETE FROM settled WHERE connector = ?", (connector,))
        db.execute_many(
            "DELETE FROM pending WHERE connector = ? AND ref = ?", ((connector, ref) for ref in settled)
        )
        db.execute_many(
            "INSERT INTO bases (connector, remote_id, ref, data, version, synced_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (connector, remote_id) DO UPDATE SET"
            " ref = excluded.ref, data = excluded.data, version = excluded.version,"
            " synced_at = excluded.synced_at",
            ((connector, b.remote_id, b.ref, b.to_json(), b.version, _NOW) for b in bases),
        )
        db.execute_many(
            "INSERT INTO links (connector, key, remote_id) VALUES (?, ?, ?)"
            " ON CONFLICT (connector, key) DO UPDATE SET remote_id = excluded.remote_id",
            ((connector, key, remote_id) for key, remote_id in links.items()),
        )
        if cursor is not None:
            store._write_cursor(connector, cursor)
        if report is not None:
            db.execute(
                "INSERT INTO runs (connector, finished_at, report) VALUES (?, ?, ?)"
                " ON CONFLICT (connector) DO UPDATE SET finished_at = excluded.finished_at,"
                " report = excluded.report",
                (connector, _NOW, json.dumps(report, sort_keys=True)),
            )


def _base(rng: random.Random, remote_id: str) -> Base:
    ref = f"ref{rng.randrange(30)}"
    fields = Fields(
        f"task {rng.randrange(1000)}", rng.choice(list(StatusType)), due=rng.choice([None, "2026-05-01"])
    )
    return Base(remote_id, ref, fields, rng.choice(list(RemoteStatus)), keys=(ref,), version=rng.randrange(3))


def _commit_args(rng: random.Random) -> dict[str, Any]:
    ids = [f"r{i}" for i in range(rng.choice([3, 40]))]  # few ids: the same one twice, at times
    return {
        "bases": [_base(rng, rng.choice(ids)) for _ in range(rng.randrange(25))],
        "links": {f"k{rng.randrange(60)}": rng.choice(ids) for _ in range(rng.randrange(25))},
        "cursor": rng.choice([None, "c1", "c2\ntail"]),
        "report": rng.choice([None, {"created": rng.randrange(9)}]),
        "settled": [f"ref{rng.randrange(30)}" for _ in range(rng.randrange(25))],
    }


def _run(store: Store, connector: str, seed: int, commit: Any) -> None:
    """A generated state of `connector` (empty, at times) and then a generated commit of it."""
    rng = random.Random(seed)  # noqa: S311 - generated test data
    pending = [f"ref{rng.randrange(30)}" for _ in range(rng.randrange(25))]
    store.mark_pending(connector, pending)
    for _ in range(rng.randrange(3)):  # earlier syncs: rows already there
        _old_commit(store, connector, **_commit_args(rng))
    settled = list(dict.fromkeys(pending)) if rng.random() < 0.5 else []
    args = _commit_args(rng)
    args["settled"] = rng.sample(settled, len(settled)) + args["settled"][: rng.randrange(3)]
    commit(store, connector, **args)


def _rows(store: Store, connector: str, order: str) -> list[tuple[Any, ...]]:
    """Every row of the connector (its name left out), each table's in key order or `order`."""
    found = []
    for table, keys in _TABLES:
        sql = f"SELECT * FROM {table} WHERE connector = ? ORDER BY {order or keys}"  # noqa: S608
        found += [(table, *row[1:]) for row in store.db.execute(sql, (connector,)).rows]
    return found


_TABLES = [
    ("bases", "remote_id"),
    ("links", "key"),
    ("pending", "ref"),
    ("cursors", "connector"),
    ("runs", "connector"),
    ("settled", "connector"),
]


def test_a_commit_writes_the_rows_the_upserts_wrote(state_url, monkeypatch):
    monkeypatch.setattr("bridge.state._now", lambda: _NOW)
    with Store.open(state_url) as store:
        order = "rowid" if state_url.startswith("sqlite") else ""  # SQLite: the order written too
        store.mark_pending("other", [f"ref{i}" for i in range(30)])
        _old_commit(store, "other", **_commit_args(random.Random(0)))  # noqa: S311  # another connector's rows
        for seed in range(40):
            _run(store, f"old{seed}", seed, _old_commit)
            _run(store, f"new{seed}", seed, Store.commit_sync)
            assert _rows(store, f"new{seed}", order) == _rows(store, f"old{seed}", order), seed


@pytest.mark.parametrize("settled", [["a", "b", "c"], ["a", "b", "c", "d"], ["a", "b"], []])
def test_pending_rows_are_deleted_only_when_settled(tmp_path, settled):
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.mark_pending("todoist", ["a", "b", "c"])
        store.mark_pending("jira", ["a"])
        store.commit_sync("todoist", settled=settled)
        assert sorted(store.pending("todoist")) == sorted({"a", "b", "c"} - set(settled))
        assert list(store.pending("jira")) == ["a"]
