"""Group commit of deliveries: each future answered once its delivery is committed, duplicates
found within a batch as across batches, and a database that cannot store them said so."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from bridge.errors import StateError
from bridge.intake import Intake
from bridge.state import Store


def url_of(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"


def stored_ids(url: str) -> list[str]:
    with Store.open(url) as store:
        return [str(r[0]) for r in store.db.execute("SELECT delivery_id FROM inbox ORDER BY id").rows]


def test_a_batch_finds_its_own_duplicates(tmp_path: Path) -> None:
    with Store.open(url_of(tmp_path)) as store:
        found = store.receive_many(
            [("todoist", "a", b'{"n": 1}'), ("todoist", "a", b'{"n": 2}'), ("todoist", "b", b'{"n": 1}')]
        )
        assert found == [True, False, False]  # the same id; the same body under a new id
        assert store.receive_many([("todoist", "a", b"{}"), ("todoist", "c", b"{}")]) == [False, True]


def test_deliveries_waiting_together_are_committed_together(tmp_path: Path, monkeypatch) -> None:
    url = url_of(tmp_path)
    commits: list[int] = []
    real = Store.receive_many

    def slow(store: Store, deliveries: Sequence[tuple[str, str, bytes]]) -> list[bool]:
        commits.append(len(deliveries))
        time.sleep(0.05)  # a slow commit: the requests behind it queue up meanwhile
        return real(store, deliveries)

    monkeypatch.setattr(Store, "receive_many", slow)
    seen: list[tuple[str, bool]] = []
    intake = Intake(url, seen.extend)
    futures = [intake.put("todoist", f"d{n}", f'{{"n": {n}}}'.encode()) for n in range(200)]
    futures.append(intake.put("todoist", "d7", b'{"n": "again"}'))  # a retry of d7
    results = [f.result(10) for f in futures]
    intake.close()
    assert results == [True] * 200 + [False]
    assert sum(commits) == 201
    assert len(commits) <= 3  # not one transaction per delivery
    assert stored_ids(url) == [f"d{n}" for n in range(200)]
    assert seen == [("todoist", True)] * 200 + [("todoist", False)]


def test_many_threads_each_get_their_own_answer(tmp_path: Path) -> None:
    url = url_of(tmp_path)
    intake = Intake(url, lambda _: None)
    answers: dict[str, bool] = {}

    def send(worker: int) -> None:
        for n in range(50):
            key = f"w{worker}-{n % 25}"  # each id sent twice
            answers[f"{key}/{n}"] = intake.put("todoist", key, key.encode()).result(10)

    threads = [threading.Thread(target=send, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    intake.close()
    assert sum(answers.values()) == 8 * 25  # the first of each id is new, its repeat is not
    assert all(answers[f"w{w}-{n}/{n}"] for w in range(8) for n in range(25))
    assert len(stored_ids(url)) == 200


def test_a_database_that_cannot_store_is_an_error_for_each_request(tmp_path: Path) -> None:
    (tmp_path / "state.db").mkdir()  # not a database: it cannot be opened
    intake = Intake(url_of(tmp_path), lambda _: None)
    futures = [intake.put("todoist", f"d{n}", b"{}") for n in range(3)]
    for future in futures:
        with pytest.raises(StateError):
            future.result(10)
    intake.close()


def test_close_stores_what_was_queued(tmp_path: Path) -> None:
    url = url_of(tmp_path)
    intake = Intake(url, lambda _: None)
    futures = [intake.put("todoist", f"d{n}", f"{n}".encode()) for n in range(50)]
    intake.close()
    assert all(f.done() and f.result() for f in futures)
    assert len(stored_ids(url)) == 50
