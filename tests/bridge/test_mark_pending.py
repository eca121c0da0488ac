"""Marking creates pending (`bridge.apply._mark_pending`, `Store.mark_pending`) gives the ops,
tokens, pending rows and `pending` answers it gave before each create's token came from
`uuids.for_name`, its copy from `copies.copier` and the rows were inserted in key order: the
former code is kept here, on generated ops (creates, other ops, a ref twice, creates of an
earlier run still pending, adopted refs, tokens in other spellings), in SQLite and PostgreSQL."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from bridge import apply
from bridge.connector import Fields, Op, OpKind
from bridge.copies import replaced
from bridge.model import StatusType
from bridge.state import Store
from bridge.uuids import uuid5


def _old_mark_pending(
    store: Store, connector: str, refs: Iterable[str], earlier: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`Store.mark_pending` as it was: the rows inserted in the order given."""
    now = apply_now()
    refs = list(refs)
    with store.db.bulk_write(len(refs)), store.transaction():
        store.db.execute("DELETE FROM settled WHERE connector = ?", (connector,))
        store.db.execute_many(
            "INSERT INTO pending (connector, ref, since) VALUES (?, ?, ?)"
            " ON CONFLICT (connector, ref) DO NOTHING",
            ((connector, ref, now) for ref in refs),
        )
    if earlier is None:
        return store.pending(connector)
    return {**dict.fromkeys(refs, now), **earlier}


def _old(ops: list[Op], adopting: list[str], store: Store, connector: str) -> list[Op]:
    """`_mark_pending` as it was: a token by `uuid5` and a copy by `replaced`, a create each."""
    creates = [op.ref for op in ops if op.kind is OpKind.CREATE]
    if not creates and not adopting:
        return ops
    earlier = store.pending(connector)
    since = _old_mark_pending(store, connector, [*creates, *adopting], earlier)
    return [
        replaced(op, attempted=earlier.get(op.ref), token=uuid5(op.token, since[op.ref]))
        if op.kind is OpKind.CREATE
        else op
        for op in ops
    ]


_TIMES = iter(())


def apply_now() -> str:
    return next(_TIMES)


def _token(rng: random.Random) -> str:
    token = uuid.UUID(int=rng.getrandbits(128))
    return rng.choice([str(token), str(token), str(token).upper(), f"{{{token}}}", token.hex])


def _ops(rng: random.Random) -> list[Op]:
    fields = Fields("task", StatusType.TODO)
    kinds = [OpKind.CREATE] * 4 + list(OpKind)
    return [
        Op(rng.choice(kinds), f"{rng.getrandbits(16):04x}", _token(rng), fields)
        for _ in range(rng.randrange(40))
    ]


def _answers(store: Store, connector: str) -> list[Any]:
    """What the state's queries of pending creates read, in the order they read it."""
    return [
        list(store.pending(connector).items()),
        store.db.execute("SELECT ref FROM pending WHERE connector = ?", (connector,)).rows,
        store.db.execute(
            "SELECT ref, since FROM pending WHERE connector = ? ORDER BY ref", (connector,)
        ).rows,
    ]


def test_marking_creates_pending_gives_the_former_ops_and_rows(
    state_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    global _TIMES
    with Store.open(state_url) as store:
        for seed in range(60):
            rng = random.Random(seed)  # noqa: S311 - generated test data
            runs = [
                (_ops(rng), [f"{rng.getrandbits(16):04x}" for _ in range(rng.randrange(3))]) for _ in range(3)
            ]
            found = []
            for name, mark in ((f"old{seed}", _old), (f"new{seed}", apply._mark_pending)):
                times = [f"2026-01-0{day}T00:00:00+00:00" for day in (1, 2, 3)]
                _TIMES = iter(times)
                monkeypatch.setattr("bridge.state._now", apply_now)
                got = []
                for ops, adopting in runs[: 1 + seed % 3]:  # earlier runs' creates still pending
                    got.append(mark(ops, adopting, store, name))
                    got.append(_answers(store, name))
                found.append(got)
            assert found[0] == found[1], seed


@pytest.mark.parametrize("refs", [[], ["b", "a", "b"], ["c", "a"]])
def test_mark_pending_returns_what_it_returned(tmp_path: Any, refs: list[str]) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.mark_pending("x", ["z", "a"])
        assert list(store.mark_pending("x", refs).items()) == list(store.pending("x").items())
