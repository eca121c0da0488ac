"""Recurring tasks with Jira at their edges, over real HTTP: a recurring parent with sub-tasks, a
note that cannot be written when an occurrence is completed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bridge.config import BridgeSettings
from bridge.sync import run_sync
from connectors.jira.emulator import JiraEmulator
from tests.connectors.jira.conftest import bridge_env
from tests.connectors.jira.test_recurring_sync import complete_in_jira

TODAY = dt.date(2026, 12, 4)


def sync(vault: Path, site: JiraEmulator, *, check: bool = True):
    site.wait_for_search()
    report = run_sync(BridgeSettings(vault=vault), connector_name="jira", today=TODAY).report
    if check:
        assert (report.failed, report.errors) == (0, [])
    return report


@pytest.fixture
def site(cloud, cloud_url, cloud_jira, monkeypatch, tmp_path):
    bridge_env(monkeypatch, tmp_path, cloud_url)
    vault = tmp_path / "v"
    vault.mkdir()
    return cloud, cloud_jira, vault


@pytest.mark.xfail(
    reason="open finding: sub-tasks follow a new occurrence's issue one sync late", strict=True
)
def test_recurring_parent_completed_in_jira_settles_in_one_sync(site):
    """A recurring parent with a sub-task: its occurrence is completed in Jira; the next occurrence
    is a new issue, and the sub-task belongs under it within the same sync."""
    emulator, client, vault = site
    (vault / "a.md").write_text(
        "- [ ] Plan sprint 🔁 every week 📅 2026-12-11\n  - [ ] Groom backlog 📅 2026-12-10\n",
        encoding="utf-8",
    )
    sync(vault, emulator)
    emulator.wait_for_search()
    [parent] = client.search_issues('project = BRIDGE AND summary ~ "Plan sprint"')
    complete_in_jira(client, parent)
    first = sync(vault, emulator)
    assert (first.created, first.notes_written) == (1, 1)
    second = sync(vault, emulator)
    assert (second.created, second.updated, second.closed, second.notes_written) == (0, 0, 0, 0)


def test_hand_tick_in_a_read_only_note_gets_its_next_line_once_writable(site):
    """Ticked by hand, note read-only: the issue is closed and the next occurrence's issue created,
    the note cannot get its next line: once writable, it is written, and no further issue is made."""
    emulator, _client, vault = site
    note = vault / "a.md"
    note.write_text("- [ ] Rotate keys 🔁 every week 📅 2026-12-07\n", encoding="utf-8")
    sync(vault, emulator)
    note.write_text("- [x] Rotate keys 🔁 every week 📅 2026-12-07 ✅ 2026-12-04\n", encoding="utf-8")
    note.chmod(0o444)
    try:
        sync(vault, emulator, check=False)
    finally:
        note.chmod(0o644)
    sync(vault, emulator)
    assert "- [ ] Rotate keys 🔁 every week 📅 2026-12-14" in note.read_text(encoding="utf-8")
