"""A sync whose parse cache is cold parses its notes in worker processes, with the same result.

Each generated messy vault (`tests/vaults.py`) is synced twice from scratch, once with every
note parsed in this process and once with worker processes from the first note (small batches,
few in flight, so parsed notes come back between cached and unreadable ones): the sync's JSON,
its diagnostics in their order, the notes written, the parse cache rows and the settled record
must be the same, byte for byte; and again after some notes changed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bridge.workers
from bridge.cli import app
from bridge.testing import serve_in_thread
from connectors.todoist.emulator import create_app as todoist_app
from tests.vaults import messy_vault

TOKEN = "workers-token-0123456789abcdef"
Outcome = tuple[str, str, dict[str, bytes], list[tuple[object, ...]], list[tuple[object, ...]]]


def _age(*paths: Path) -> None:
    for path in paths:
        os.utime(path, (time.time() - 3600,) * 2)


def _sync(vault: Path, state: Path, url: str) -> tuple[str, str]:
    """One `bridge sync --json` of `vault` against the Todoist emulator at `url`; stdout, stderr."""
    env = {
        "TODOIST_API_TOKEN": TOKEN,
        "TODOIST_BASE_URL": url,
        "TODOIST_PROJECT": "Meetings",
        "BRIDGE_STATE_URL": f"sqlite:///{state}",
        "BRIDGE_MAX_NOTE_BYTES": "2500",  # some notes too large: said between parsed ones
    }
    result = CliRunner().invoke(
        app, ["sync", "--vault", str(vault), "--connector", "todoist", "--json"], env=env
    )
    assert result.exit_code in (0, 1), result.output
    return result.stdout, result.stderr


def _outcome(vault: Path, state: Path, out: tuple[str, str]) -> Outcome:
    notes = {p.relative_to(vault).as_posix(): p.read_bytes() for p in sorted(vault.rglob("*")) if p.is_file()}
    with sqlite3.connect(state) as db:
        files = db.execute("SELECT * FROM files ORDER BY vault, path").fetchall()
        # the record's digest stamps each note's stat (inodes differ between copies): its outcome
        settled = db.execute("SELECT connector, outcome FROM settled ORDER BY connector").fetchall()
    return out[0], out[1], notes, files, settled


def _runs(source: Path, work: Path, edit: bool) -> list[Outcome]:
    """A first sync of a copy of `source` against a fresh emulator and state, then (when `edit`)
    one after every third note changed."""
    vault, state = work / "vault", work / f"state-{len(list(work.glob('state-*.db')))}.db"
    shutil.rmtree(vault, ignore_errors=True)
    shutil.copytree(source, vault)  # the same paths and mtimes for every run
    with serve_in_thread(todoist_app(TOKEN)) as url:
        outcomes = [_outcome(vault, state, _sync(vault, state, url))]
        if edit:
            changed = sorted(vault.rglob("*.md"))[::3]
            for note in changed:
                note.write_bytes(note.read_bytes() + b"\n- [ ] One more thing @Dana Kim\n")
                os.utime(note, (1_700_000_000, 1_700_000_000))
            outcomes.append(_outcome(vault, state, _sync(vault, state, url)))
    return outcomes


@pytest.fixture
def tiny_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of three, few in flight: parsed notes come back between the others."""
    monkeypatch.setattr(bridge.workers, "BATCH", 3)
    monkeypatch.setattr(bridge.workers, "IN_FLIGHT", 4)


@pytest.mark.parametrize(("seed", "notes"), [(20261203, 40), (7, 25), (11, 60)])
def test_notes_parsed_by_workers_sync_as_notes_parsed_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_batches: None, seed: int, notes: int
) -> None:
    source, work = tmp_path / "source", tmp_path / "work"
    work.mkdir()
    written = messy_vault(source, notes, seed=seed)
    for note in written[3::7]:  # over the size limit: said between the notes parsed
        note.write_bytes(note.read_bytes() + b"x" * 3000)
    _age(*written)
    monkeypatch.setattr(bridge.workers, "WORKERS", 1)  # every note parsed here
    here = _runs(source, work, edit=True)
    assert "limit for a note" in here[0][1]
    assert here[0][3], "parse cache rows were written"
    assert here[0][4], "a settled record was written"
    started: list[bool] = []
    start = bridge.workers.InOrder.start

    def counted(self: bridge.workers.InOrder[object]) -> None:
        start(self)
        started.append(self.pool is not None)

    monkeypatch.setattr(bridge.workers.InOrder, "start", counted)
    monkeypatch.setattr(bridge.workers, "WORKERS", 2)
    monkeypatch.setattr(bridge.workers, "PARALLEL_AFTER", 2)  # workers from the second note
    assert _runs(source, work, edit=True) == here
    monkeypatch.setattr(bridge.workers, "PARALLEL_AFTER", notes // 3)  # after a third parsed here
    assert _runs(source, work, edit=False) == here[:1]
    assert started
    assert all(started)


def test_a_small_vault_starts_no_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer cold notes than `PARALLEL_AFTER`: every note is parsed in the sync's own process."""
    source, work = tmp_path / "source", tmp_path / "work"
    work.mkdir()
    _age(*messy_vault(source, 40))

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a worker process was started")

    monkeypatch.setattr(bridge.workers, "WORKERS", 2)
    monkeypatch.setattr(bridge.workers, "_Pool", refused)
    assert _runs(source, work, edit=True)
