"""A sync after one that planned nothing, from the same notes, with nothing pulled, does not plan
again, and reports exactly what planning would have reported."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import bridge.sync
from bridge.config import BridgeSettings
from bridge.connector import Op, OpKind, OpResult, Push, RemoteStatus, RemoteTask
from bridge.output import print_diagnostics
from bridge.route import Routes
from bridge.state import Store
from bridge.sync import run_sync
from tests.bridge.test_sync_routes import FakeConnector, FakeTracker
from tests.vaults import messy_vault

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
    planned = _sync(settings)  # the first sync planned again from what it committed: nothing to do
    assert calls == []
    assert _sync(settings) == planned
    monkeypatch.setattr(bridge.sync, "_record", lambda *_: None)  # as if nothing were recorded
    assert _sync(settings) == planned
    assert calls == [1]


def test_notices_and_absent_counts_are_reported_again(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    vault, settings = world
    _sync(settings)
    note = vault / "meeting.md"
    note.write_text(NOTE.splitlines(keepends=True)[0] + NOTE.splitlines(keepends=True)[2], encoding="utf-8")
    _age(note)
    _sync(settings)  # the line's base is marked not present; planned again from that, nothing to do
    calls = _planned(monkeypatch)
    skipped = _sync(settings)
    assert skipped["absent"] == 1
    assert skipped["notices"]
    assert calls == []
    with monkeypatch.context() as unrecorded:
        unrecorded.setattr(bridge.sync, "_record", lambda *_: None)
        assert _sync(settings) == skipped
    assert calls == [1]
    assert _sync(settings) == skipped
    assert calls == [1]


def test_a_pull_a_changed_note_or_another_day_plans_again(
    world: Any, fake: FakeTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault, settings = world
    _sync(settings)
    _sync(settings)
    calls = _scanned(monkeypatch)  # a run that plans reads the notes
    rid = next(iter(fake.tasks))
    fake.pending.append(RemoteTask(rid, RemoteStatus.DONE, "2099-01-01T00:00:00Z", fake.tasks[rid]["ref"]))
    assert _sync(settings)["notes_written"] == 1
    assert calls == [1]  # a run that wrote a note records nothing: the note is too recent to stamp
    _sync(settings)
    note = vault / "meeting.md"
    _age(note)
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


# -- what a skipped run reports, on generated messy vaults ------------------------------------------


def _run(settings: BridgeSettings, connector: FakeConnector | None = None) -> tuple[dict[str, Any], str]:
    """A sync's JSON document and the diagnostics it prints, as `bridge sync` prints them."""
    run = run_sync(settings, connector=connector or FakeConnector(), today=TODAY)
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        print_diagnostics(run.root, run.diagnostics)
    return run.to_json(), printed.getvalue()


def _scanned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = bridge.sync.scan

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(bridge.sync, "scan", counted)
    return calls


def _age_all(root: Path) -> None:
    past = time.time() - 3600
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past), follow_symlinks=False)


def _oddities(vault: Path, outside: Path) -> None:
    """Files a scan reports on: unreadable, skipped, symlinked, half-read, a racing save."""
    odd = vault / "odd"
    odd.mkdir()
    (odd / "binary.md").write_bytes(b"- [ ] Send the deck #task\n\x00\x01")
    (odd / "latin.md").write_bytes("- [ ] Pay the caf\u00e9 #task\n".encode("latin-1"))
    (odd / "big.md").write_text("- [ ] A task of a long list #task\n" * 2000, encoding="utf-8")
    (odd / "fence.md").write_text("- [ ] Before the fence #task\n```\n- [ ] Inside #task\n", encoding="utf-8")
    (odd / "date.md").write_text("- [ ] Pay the rent \U0001f4c5 2025-02-30 #task\n", encoding="utf-8")
    (odd / ".fence.md.bridge-saved").write_text("a racing save\n", encoding="utf-8")
    first = sorted(vault.rglob("*.md"))[0]
    (odd / "alias.md").symlink_to(first)
    (outside / "elsewhere.md").write_text("- [ ] Outside #task\n", encoding="utf-8")
    (odd / "outside.md").symlink_to(outside / "elsewhere.md")
    (odd / "broken.md").symlink_to(odd / "nowhere.md")
    (outside / "folder").mkdir()
    (odd / "folder").symlink_to(outside / "folder")
    _age_all(outside)


@pytest.mark.parametrize("routes", [None, "@Dana Kim=fake, @Myself=fake"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_skipped_run_says_what_a_planned_run_says(
    tmp_path: Path, fake: FakeTracker, monkeypatch: pytest.MonkeyPatch, seed: int, routes: str | None
) -> None:
    vault = tmp_path / "vault"
    messy_vault(vault, 30, seed=seed)
    _oddities(vault, tmp_path)
    _age_all(vault)
    state = f"sqlite:///{tmp_path / 'state.db'}"
    settings = BridgeSettings(vault=vault, state_url=state, max_note_bytes=20_000, routes=routes)
    first = _run(settings)
    assert first[0]["created"] > 10
    assert first[1].count("\n") >= 8  # the oddities are reported
    if routes is not None:
        assert first[0]["unrouted"] > 0
    calls, scans = _planned(monkeypatch), _scanned(monkeypatch)
    skipped = _run(settings)
    assert (calls, scans) == ([], [])  # the first sync recorded that the next would do nothing
    with monkeypatch.context() as unrecorded:
        unrecorded.setattr(bridge.sync, "_record", lambda *_: None)
        planned = _run(settings)
    assert (calls, scans) == ([1], [1])
    assert skipped == planned
    assert planned[0]["created"] == planned[0]["updated"] == planned[0]["notes_written"] == 0
    assert _run(settings) == planned
    assert (calls, scans) == ([1], [1])


# -- any change plans again -------------------------------------------------------------------------

OTHER = "# Other\n\n- [ ] Call the caterer #task\n"


def _settled_world(world: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, BridgeSettings, list[int]]:
    vault, settings = world
    (vault / "other.md").write_text(OTHER, encoding="utf-8")
    _age(vault / "other.md")
    _sync(settings)
    calls = _scanned(monkeypatch)  # a run that plans reads the notes
    _sync(settings)
    assert calls == []
    return vault, settings, calls


def _same_size_edit(vault: Path, *, keep_mtime: bool) -> None:
    note = vault / "meeting.md"
    before = note.stat()
    note.write_text(NOTE.replace("Friday", "Monday"), encoding="utf-8")
    assert note.stat().st_size == before.st_size
    if keep_mtime:  # only the inode's change time tells
        os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns))
    else:
        os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns - 1_000_000_000))


def _tasks_settings(vault: Path) -> None:
    settings = vault / ".obsidian/plugins/obsidian-tasks-plugin/data.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"globalFilter": "#task"}', encoding="utf-8")


VAULT_CHANGES: dict[str, Callable[[Path], None]] = {
    "note edited, same size": lambda vault: _same_size_edit(vault, keep_mtime=False),
    "note edited, same size and mtime": lambda vault: _same_size_edit(vault, keep_mtime=True),
    "note added": lambda vault: (vault / "new.md").write_text(OTHER.replace("caterer", "florist")) and None,
    "note removed": lambda vault: (vault / "other.md").unlink(),
    "note renamed": lambda vault: (vault / "other.md").rename(vault / "renamed.md") and None,
    "Obsidian Tasks settings": _tasks_settings,
}


@pytest.mark.parametrize("change", VAULT_CHANGES)
def test_a_changed_vault_plans_again(world: Any, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    vault, settings, calls = _settled_world(world, monkeypatch)
    VAULT_CHANGES[change](vault)
    for path in vault.rglob("*"):
        if path.stat().st_mtime > time.time() - 60:
            _age(path)
    _sync(settings)
    assert calls == [1]


SETTINGS_CHANGES: dict[str, dict[str, Any]] = {
    "hold_proposed": {"hold_proposed": True},
    "absent": {"absent": "close"},
    "max_absent_share": {"max_absent_share": 0.9},
    "conflict": {"conflict": "note"},
    "group_threshold": {"group_threshold": 0.5},
    "group_scope": {"group_scope": "note"},
    "near_duplicates": {"near_duplicates": False},
    "max_note_bytes": {"max_note_bytes": 100_000},
    "routes": {"routes": Routes.parse("*=fake")},
}


@pytest.mark.parametrize("change", SETTINGS_CHANGES)
def test_other_settings_plan_again(world: Any, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    _vault, settings, calls = _settled_world(world, monkeypatch)
    _sync(settings.model_copy(update=SETTINGS_CHANGES[change]))
    assert calls == [1]


def test_another_day_a_pull_or_a_pending_create_plans_again(
    world: Any, fake: FakeTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    _vault, settings, calls = _settled_world(world, monkeypatch)
    run_sync(settings, connector=FakeConnector(), today=TODAY + dt.timedelta(days=1))
    assert calls == [1]
    _sync(settings)  # today again: it plans, and records today's nothing
    assert len(calls) == 2
    rid = next(iter(fake.tasks))
    fake.pending.append(RemoteTask(rid, RemoteStatus.OPEN, "2099-01-01T00:00:00Z", fake.tasks[rid]["ref"]))
    _sync(settings)
    assert len(calls) == 3
    _sync(settings)
    assert len(calls) == 3  # the pulled change committed nothing new: planned again in-process
    with Store.open(str(settings.state_url)) as store:
        store.mark_pending("fake", ["a-dead-run-s-create"])
    _sync(settings)
    assert len(calls) == 4


class Failing(FakeConnector):
    """Refuses to create the tasks whose title holds `refused`."""

    refused = "room"

    def push(self, ops: Sequence[Op]) -> Push:
        refused = [op for op in ops if op.kind is OpKind.CREATE and self.refused in op.fields.title]
        done = super().push([op for op in ops if op not in refused])
        return Push((*done.results, *(OpResult(op.token, False, error="refused") for op in refused)))


def test_a_failed_step_records_nothing(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _vault, settings = world
    calls = _scanned(monkeypatch)  # a run that plans reads the notes
    assert _run(settings, Failing())[0]["failed"] == 1
    assert _run(settings, Failing())[0]["failed"] == 1
    assert len(calls) == 2
    assert _run(settings)[0]["created"] == 1  # planned again; the next plan is empty: recorded
    assert len(calls) == 3
    _run(settings)
    assert len(calls) == 3


def test_a_dry_run_skips_and_reports_as_a_planned_one(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _vault, settings = world
    _sync(settings)
    scans = _scanned(monkeypatch)
    skipped = run_sync(settings, connector=FakeConnector(), today=TODAY, dry_run=True).to_json()
    assert scans == []
    with monkeypatch.context() as unrecorded:
        unrecorded.setattr(bridge.sync, "_record", lambda *_: None)
        planned = run_sync(settings, connector=FakeConnector(), today=TODAY, dry_run=True).to_json()
    assert scans == [1]
    assert skipped == planned
    assert planned["plan"] == []
