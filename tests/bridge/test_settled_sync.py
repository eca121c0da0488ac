"""A sync after one that planned nothing, from the same notes, with nothing pulled, does not plan
again, and reports exactly what planning would have reported."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import pytest

import bridge.sync
from bridge.config import BridgeSettings
from bridge.connector import RemoteStatus, RemoteTask
from bridge.sync import run_sync
from tests.bridge.test_sync_routes import FakeConnector, FakeTracker

TODAY = dt.date(2025, 10, 1)
NOTE = "# Meeting\n\n- [ ] Send the budget to finance #task\n- [ ] Book the room for Friday #task\n"


def _age(path: Path) -> None:
    past = time.time() - 3600
    os.utime(path, (past, past))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTracker:
    tracker = FakeTracker()
    monkeypatch.setattr(FakeConnector, "tracker", tracker, raising=False)
    return tracker


@pytest.fixture
def world(tmp_path: Path, fake: FakeTracker) -> tuple[Path, BridgeSettings]:
    vault = tmp_path / "vault"
    vault.mkdir()
    note = vault / "meeting.md"
    note.write_text(NOTE, encoding="utf-8")
    _age(note)
    return vault, BridgeSettings(vault=vault, state_url=f"sqlite:///{tmp_path / 'state.db'}")


def _sync(settings: BridgeSettings) -> dict[str, Any]:
    report = run_sync(settings, connector=FakeConnector(), today=TODAY).report.to_json()
    report.pop("requests")
    return report


def _planned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = bridge.sync.plan

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(bridge.sync, "plan", counted)
    return calls


def test_a_settled_sync_is_not_planned_again(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _vault, settings = world
    assert _sync(settings)["created"] == 2
    calls = _planned(monkeypatch)
    planned = _sync(settings)  # plans, and finds nothing to do
    assert calls == [1]
    assert _sync(settings) == planned
    assert _sync(settings) == planned
    assert calls == [1]


def test_notices_and_absent_counts_are_reported_again(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    vault, settings = world
    _sync(settings)
    note = vault / "meeting.md"
    note.write_text(NOTE.splitlines(keepends=True)[0] + NOTE.splitlines(keepends=True)[2], encoding="utf-8")
    _age(note)
    _sync(settings)  # the line's base is marked not present
    calls = _planned(monkeypatch)
    planned = _sync(settings)
    assert planned["absent"] == 1
    assert planned["notices"]
    assert _sync(settings) == planned
    assert calls == [1]


def test_a_pull_a_changed_note_or_another_day_plans_again(
    world: Any, fake: FakeTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault, settings = world
    _sync(settings)
    _sync(settings)
    calls = _planned(monkeypatch)
    rid = next(iter(fake.tasks))
    fake.pending.append(RemoteTask(rid, RemoteStatus.DONE, "2099-01-01T00:00:00Z", fake.tasks[rid]["ref"]))
    assert _sync(settings)["notes_written"] == 1
    assert calls == [1]
    _sync(settings)  # the note was just written: too recent to be trusted unchanged
    note = vault / "meeting.md"
    _age(note)
    _sync(settings)
    _sync(settings)
    settled = len(calls)
    _sync(settings)
    assert len(calls) == settled  # settled
    note.write_text(NOTE.replace("Friday", "Monday"), encoding="utf-8")
    _age(note)
    _sync(settings)
    assert len(calls) == settled + 1
    run_sync(settings, connector=FakeConnector(), today=TODAY + dt.timedelta(days=1))
    assert len(calls) == settled + 2
