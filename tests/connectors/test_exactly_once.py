"""Exactly once under load: 1,000 deliveries, a third of them repeats, 20 at a time, to one receiver
and to two receivers sharing PostgreSQL; then with a receiver killed (SIGKILL) mid-run.

Every event is applied once (one `applied` outcome per task, in the logs and in the inbox), no
note line is written twice (each ticked line carries exactly one ✅, every other byte is as it
was), and nothing acknowledged with 200 is lost, although the sender never resends it.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from bridge.state import Store
from tests.connectors.webhook_load import (
    SECRET,
    Load,
    ReceiverProcess,
    applied_keys,
    check_notes,
    outcomes,
    prepare,
    send,
    send_in_background,
    wait_until_applied,
)

EVENTS, COPIES = 667, 333  # 1,000 deliveries, a third of them repeats


SETUPS = pytest.mark.parametrize(
    ("kind", "count"), [("sqlite", 1), ("postgresql", 1), ("postgresql", 2)], ids=["sqlite", "pg", "pg-2"]
)  # several receivers share PostgreSQL; SQLite is one machine's state


def state_for(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("postgres_url"))


def receivers_for(load: Load, tmp_path: Path, count: int) -> list[ReceiverProcess]:
    found = [
        ReceiverProcess(load.vault, load.state_url, tmp_path / f"receiver-{n}.log") for n in range(count)
    ]
    for receiver in found:
        receiver.start()
    return found


def assert_applied_once(load: Load, receivers: list[ReceiverProcess], *, restarted: bool = False) -> None:
    wait_until_applied(load.state_url, load.events)
    logged = "".join(r.log.read_text(encoding="utf-8", errors="replace") for r in receivers)
    assert SECRET not in logged
    assert not [d for d in load.deliveries[:50] if d.signature in logged]  # nor signatures
    assert check_notes(load) == load.events  # every line ticked once, nothing else touched
    keys = applied_keys(receivers)
    assert max(keys.values()) == 1, keys.most_common(3)  # no task applied twice
    settled = outcomes(load.state_url)
    if restarted:  # a delivery applied just before the kill, and not yet settled, is found done
        assert settled["applied"] + settled["unchanged"] == load.events, settled
    else:
        assert settled == {"applied": load.events}, settled
        assert len(keys) == load.events


@SETUPS
def test_every_event_is_applied_once(tmp_path, request, kind, count):
    load = prepare(tmp_path, state_for(kind, request, tmp_path), events=EVENTS, copies=COPIES)
    assert len(load.deliveries) == 1000
    receivers = receivers_for(load, tmp_path, count)
    try:
        # round robin, as a load balancer does; a repeat often reaches the other receiver
        sent = send(load.deliveries, lambda index, attempt: receivers[(index + attempt) % count].url)
        assert sent.answers == {"200": 1000}
        assert_applied_once(load, receivers)
        answered = [r.get("outcome") for receiver in receivers for r in receiver.records()]
        assert answered.count("duplicate") == COPIES  # each repeat answered 200 and stored nothing
    finally:
        for receiver in receivers:
            assert receiver.stop() in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM when done


@SETUPS
def test_a_receiver_killed_mid_run_loses_nothing_it_acknowledged(tmp_path, request, kind, count):
    load = prepare(tmp_path, state_for(kind, request, tmp_path), events=EVENTS, copies=COPIES)
    receivers = receivers_for(load, tmp_path, count)
    victim = receivers[0]
    try:
        thread, sent = send_in_background(
            load.deliveries, lambda index, attempt: receivers[(index + attempt) % count].url
        )
        deadline = time.monotonic() + 60
        waiting: dict[str, int] = {}
        with Store.open(load.state_url) as store:
            # killed while acknowledged deliveries wait (stored, or claimed by it): the worker
            # keeps up with the burst, so the inbox is looked at until it holds some
            while time.monotonic() < deadline:
                if len(sent.acknowledged) >= 400:
                    waiting = store.inbox_counts()
                    if waiting.get("new", 0) + waiting.get("claimed", 0) > 0:
                        break
                time.sleep(0.002)
            victim.kill()
        assert waiting.get("new", 0) + waiting.get("claimed", 0) > 0, waiting
        victim.start()  # same port, same state: the sender's retries reach it again
        thread.join(120)
        assert not thread.is_alive()
        assert len(sent.acknowledged) == 1000
        assert_applied_once(load, receivers, restarted=True)
    finally:
        for receiver in receivers:
            receiver.stop()


def test_sigterm_mid_run_finishes_the_batch_in_hand_and_a_restart_the_rest(tmp_path):
    load = prepare(tmp_path, f"sqlite:///{tmp_path / 'state.db'}", events=EVENTS, copies=COPIES)
    (receiver,) = receivers_for(load, tmp_path, 1)
    try:
        thread, sent = send_in_background(load.deliveries, lambda index, attempt: receiver.url)
        deadline = time.monotonic() + 60
        while len(sent.acknowledged) < 400 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert receiver.stop() in (0, -signal.SIGTERM)  # as systemd stops it, mid-run
        with Store.open(load.state_url) as store:
            left = store.inbox_counts()
        assert "claimed" not in left, left  # the batch in hand was finished and settled, not dropped
        receiver.start()
        thread.join(120)
        assert len(sent.acknowledged) == 1000
        assert_applied_once(load, [receiver])  # each applied once: nothing half-done at the stop
    finally:
        receiver.stop()
