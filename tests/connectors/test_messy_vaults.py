"""One sync settles a generated messy vault and the next does nothing, with each tracker.

The vault (`tests/vaults.py`) is shaped like a real export: weekly notes carrying items forward,
near-duplicates, the same sentence for two people, done history, mojibake, Dataview, code fences
and an impossible date. `tests/benchmarks/bench_messy.py` runs the same at 2,000 notes.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

import bridge.sync
from bridge.apply import Report
from bridge.config import BridgeSettings
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from connectors.jira.emulator import create_app as jira_app
from connectors.todoist.emulator import create_app as todoist_app
from tests.connectors.sync_machine import SITE_EMAIL, JiraSite, TodoistApp, Tracker, check_settled
from tests.vaults import messy_vault

TOKEN = "messy-token-0123456789abcdef"
NOTES = 120


def digest(vault: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(vault.rglob("*.md")))).hexdigest()


@pytest.fixture(params=["todoist", "jira"])
def tracker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Tracker]]:
    """A fresh emulator for one tracker, served on 127.0.0.1, with the settings pointing at it."""
    name: str = request.param
    app: Starlette = (
        todoist_app(TOKEN) if name == "todoist" else jira_app(mode="cloud", email=SITE_EMAIL, token=TOKEN)
    )
    with serve_in_thread(app) as url:
        if name == "todoist":
            side: Tracker = TodoistApp(app)
            env = {"TODOIST_API_TOKEN": TOKEN, "TODOIST_BASE_URL": url, "TODOIST_PROJECT": "Meetings"}
        else:
            side = JiraSite(app)
            env = {
                "JIRA_URL": url,
                "JIRA_EMAIL": SITE_EMAIL,
                "JIRA_API_TOKEN": TOKEN,
                "JIRA_PROJECT": "BRIDGE",
            }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield name, side


def test_a_messy_vault_settles_in_one_sync_and_stays_settled(tracker, tmp_path: Path, monkeypatch):
    name, side = tracker
    vault = tmp_path / "vault"
    messy_vault(vault, NOTES)
    state = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("BRIDGE_STATE_URL", state)

    def sync():
        return run_sync(BridgeSettings(vault=vault), connector_name=name).report

    def settles() -> Report:
        """One sync, then one that does nothing and leaves every byte, all in agreement."""
        done = sync()
        assert (done.failed, done.errors) == (0, [])
        settled = digest(vault)
        again = sync()
        assert (again.created, again.updated, again.closed, again.reopened, again.notes_written) == (0,) * 5
        assert digest(vault) == settled
        check_settled(side, state, name, vault)
        return done

    assert settles().created > 100

    # a week of use on both sides: completions in the tracker, boxes ticked in the notes
    rng = random.Random(7)  # noqa: S311 - reproducible test data
    for rid, (status, _) in list(side.tasks().items()):
        if status.value == "open" and rng.random() < 0.1:
            side.complete(rid)
    for path in sorted(vault.rglob("*.md"))[::7]:
        text = path.read_bytes().decode("utf-8")
        path.write_bytes(text.replace("- [?] ", "- [x] ", 1).encode("utf-8"))
    week = settles()
    assert week.closed > 0
    assert week.notes_written > 0


# Todoist only: Jira's read brings back what changed in the last five minutes, so a sync soon after
# another has something pulled and plans.
@pytest.mark.parametrize("tracker", ["todoist"], indirect=True)
def test_a_settled_messy_vault_is_not_read_again(tracker, tmp_path: Path, monkeypatch):
    """With notes older than the parse cache's two seconds, a sync after a settled one skips
    planning and reading the notes, and says what a sync made to plan says."""
    name, side = tracker
    vault = tmp_path / "vault"
    messy_vault(vault, NOTES)
    past = time.time() - 3600
    for path in vault.rglob("*"):
        os.utime(path, (past, past))
    state = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("BRIDGE_STATE_URL", state)

    def sync():
        run = run_sync(BridgeSettings(vault=vault), connector_name=name)
        return {**run.to_json(), "requests": None}, run.diagnostics

    assert sync()[0]["created"] > 100
    sync()  # what the tracker's read brings back of the first sync's writes, if anything
    scans: list[Path] = []
    real = bridge.sync.scan
    monkeypatch.setattr(bridge.sync, "scan", lambda path, **kw: scans.append(path) or real(path, **kw))
    skipped = sync()
    assert scans == []
    with monkeypatch.context() as unrecorded:
        unrecorded.setattr(bridge.sync, "_record", lambda *_: None)
        planned = sync()
    assert scans == [vault]
    assert skipped == planned
    assert planned[1]  # the vault's diagnostics, said again
    check_settled(side, state, name, vault)
