"""A first sync that only created records, without planning again, the settled record that
planning again from the state it committed gives (`bridge.settled.after_creates`).

Every run below plans again anyway, right after the real `_remember`, from the same notes and the
state as committed, and checks that plan is quiet and that the record written is the one it would
have given, byte for byte. The vaults: generated messy vaults over the Todoist and Jira emulators,
and hypothesis-built notes (sub-tasks, proposals held or not, lines done when first seen, repeated
and recurring lines, owners, dates) over the Todoist emulator and an in-memory tracker.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bridge.sync
from bridge.config import BridgeSettings
from bridge.plan import Plan
from bridge.settled import Settled, quiet
from bridge.state import Store
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from connectors.todoist.emulator import create_app as todoist_app
from tests.bridge.test_sync_routes import FakeConnector, FakeTracker
from tests.connectors.test_messy_vaults import TOKEN
from tests.connectors.test_messy_vaults import tracker as tracker  # the fixture
from tests.vaults import messy_vault

TODAY = dt.date(2026, 3, 4)


def _age(vault: Path) -> None:
    past = time.time() - 3600
    for path in vault.rglob("*"):
        os.utime(path, (past, past))


@contextlib.contextmanager
def _checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Plan]]:
    """Each record a first sync wrote without planning again, checked against planning again."""
    shortcuts: list[Plan] = []
    real = bridge.sync._remember

    def remember(notes: Any, store: Store, options: Any, report: Any, settling: Any, *rest: Any) -> None:
        real(notes, store, options, report, settling, *rest)
        first = rest[1] if len(rest) > 1 else None
        clean = not (report.failed or report.errors or report.notes_written or settling.written)
        if first is None or rest[0] is not None or not clean or store.pending(options.connector):
            return
        again = notes.plan(store, options, {}, {})
        assert quiet(again)
        told = notes.told(None)
        found = store.quiet(options.connector)
        assert found is not None
        assert found == (str(settling.inputs), Settled(again, told.diagnostics, told.unrouted).encode())
        shortcuts.append(first)

    with monkeypatch.context() as patched:
        patched.setattr(bridge.sync, "_remember", remember)
        yield shortcuts


def test_messy_vaults_record_what_planning_again_records(tracker, tmp_path: Path, monkeypatch):
    name, _side = tracker
    calls: list[int] = []
    real = bridge.sync.plan

    def counted(*args: Any, **kwargs: Any) -> Plan:
        calls.append(1)
        return real(*args, **kwargs)

    for seed in (3, 20261203):
        vault = tmp_path / f"vault{seed}"
        messy_vault(vault, 60, seed=seed)
        _age(vault)
        state = f"sqlite:///{tmp_path / f'state{seed}.db'}"
        monkeypatch.setenv("TODOIST_PROJECT", f"Meetings {seed}")
        monkeypatch.setenv("JIRA_PROJECT", "BRIDGE")
        with _checked(monkeypatch) as shortcuts:
            report = run_sync(BridgeSettings(vault=vault, state_url=state), connector_name=name).report
        assert report.created > 20
        if name == "jira":  # owners without a Jira user are warned of: no record, either way
            assert len(shortcuts) <= 1
            continue
        assert len(shortcuts) == 1
        with monkeypatch.context() as patched:  # the next run skips planning, as after planning again
            patched.setattr(bridge.sync, "plan", counted)
            run_sync(BridgeSettings(vault=vault, state_url=state), connector_name=name)
        assert calls == []


_LINE = st.tuples(
    st.sampled_from(["", "  ", "    "]),  # nesting: sub-tasks and their parents
    st.sampled_from([" ", " ", "x", "-", "?", "/"]),
    st.sampled_from(["Send the deck", "Send the deck.", "Book the room", "Call Ana", "Fix the build"]),
    st.sampled_from(["", " @ana", " @bo"]),
    st.sampled_from(["", " 📅 2026-03-02", " 📅 2026-03-09", " 🔁 every week 📅 2026-03-06"]),
)
_NOTES = st.lists(st.lists(_LINE, min_size=1, max_size=8), min_size=1, max_size=3)


def _write(vault: Path, notes: list[list[tuple[str, str, str, str, str]]]) -> None:
    vault.mkdir()
    for n, lines in enumerate(notes):
        text = "\n".join(f"{pad}- [{mark}] {words}{who}{due}" for pad, mark, words, who, due in lines)
        (vault / f"n{n}.md").write_text(f"# Note {n}\n\n{text}\n", encoding="utf-8")
    _age(vault)


@settings(max_examples=60, deadline=None)
@given(notes=_NOTES, hold=st.booleans())
def test_generated_notes_record_what_planning_again_records_in_memory(
    notes: list[list[tuple[str, str, str, str, str]]], hold: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(FakeConnector, "tracker", FakeTracker(), raising=False)
        vault = Path(tmp, "vault")
        _write(vault, notes)
        config = BridgeSettings(vault=vault, state_url=f"sqlite:///{tmp}/state.db", hold_proposed=hold)
        with _checked(monkeypatch) as shortcuts:
            report = run_sync(config, connector=FakeConnector(), today=TODAY).report
        assert len(shortcuts) == 1 or report.created == 0 or report.notes_written


@pytest.fixture(scope="module")
def todoist() -> Iterator[str]:
    with serve_in_thread(todoist_app(TOKEN)) as url:
        yield url


def test_generated_notes_record_what_planning_again_records_on_todoist(
    todoist: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TODOIST_API_TOKEN", TOKEN)
    monkeypatch.setenv("TODOIST_BASE_URL", todoist)
    rng = random.Random(11)  # noqa: S311 - reproducible test data
    seen = 0
    for n in range(25):
        notes = [[_pick(rng) for _ in range(rng.randint(1, 8))] for _ in range(rng.randint(1, 3))]
        vault = tmp_path / f"vault{n}"
        _write(vault, notes)
        monkeypatch.setenv("TODOIST_PROJECT", f"Generated {n}")
        config = BridgeSettings(
            vault=vault, state_url=f"sqlite:///{tmp_path}/state{n}.db", hold_proposed=n % 2 == 1
        )
        with _checked(monkeypatch) as shortcuts:
            report = run_sync(config, connector_name="todoist", today=TODAY).report
        assert (report.failed, report.errors) == (0, [])
        seen += len(shortcuts)
    assert seen > 10


def _pick(rng: random.Random) -> tuple[str, str, str, str, str]:
    return (
        rng.choice(["", "  ", "    "]),
        rng.choice([" ", " ", "x", "-", "?", "/"]),
        rng.choice(["Send the deck", "Send the deck.", "Book the room", "Call Ana", "Fix the build"]),
        rng.choice(["", " @ana", " @bo"]),
        rng.choice(["", " 📅 2026-03-02", " 📅 2026-03-09", " 🔁 every week 📅 2026-03-06"]),
    )
