"""End to end against configured projects, as real sites have them, in both deployments.

A team-managed project (on Cloud: its own "Task", with its own id; on Server a classic project
with the same trimmed screen) whose screens have no due date and no priority; and a classic
project whose Done transition requires a Resolution and whose owners include one person who may
not be assigned there. In each, every task is created, closed and reopened from the note, and
closed and reopened in Jira, with the notices a person would see; the next sync does nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from jira import JIRA
from starlette.applications import Starlette

from bridge.config import BridgeSettings
from bridge.sync import run_sync
from connectors.jira.emulator import JiraEmulator, Workflow
from tests.connectors.jira.conftest import EMAIL, PAT, TOKEN, bridge_env

NOTE = "2026-12-03 Planning.md"
LINES = [
    "- [ ] Draft the budget @Myself 📅 2026-12-10 ⏫",
    "- [ ] Book the venue @Dana Kim",
    "- [ ] Print the badges @Jason Lee 📅 2026-12-12",
]


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / NOTE).write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return folder


def _site(
    mode: str, project: str, workflow: Workflow | None, servers: dict[str, tuple[Starlette, str]],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> tuple[JiraEmulator, JIRA]:  # fmt: skip
    app, url = servers[mode]
    site = JiraEmulator(mode=mode, email=EMAIL, workflow=workflow)  # type: ignore[arg-type]
    app.state.emulator = site
    site.add_user("Jason Lee", email="jason@example.com", name="jason")
    site.add_user("Dana Kim", email="dana@example.com", name="dana", projects=())  # may not be assigned
    bridge_env(monkeypatch, tmp_path, url, server=mode == "server", JIRA_PROJECT=project)
    if mode == "cloud":
        client = JIRA(server=url, basic_auth=(EMAIL, TOKEN), max_retries=0, timeout=10)
    else:
        client = JIRA(server=url, token_auth=PAT, max_retries=0, timeout=10)
    return site, client


@pytest.fixture
def servers(
    cloud_server: tuple[Starlette, str], server_server: tuple[Starlette, str]
) -> dict[str, tuple[Starlette, str]]:
    return {"cloud": cloud_server, "server": server_server}


def sync(vault: Path) -> Any:
    return run_sync(BridgeSettings(vault=vault), connector_name="jira").report


def mark(vault: Path, text: str, box: str) -> None:
    note = vault / NOTE
    lines = note.read_text(encoding="utf-8").splitlines()
    note.write_text(
        "\n".join(f"- [{box}]" + x[5:] if text in x else x for x in lines) + "\n", encoding="utf-8"
    )


def box(vault: Path, text: str) -> str:
    return next(x for x in (vault / NOTE).read_text(encoding="utf-8").splitlines() if text in x)[3]


def round_trip(site: JiraEmulator, client: JIRA, vault: Path) -> None:
    """Close and reopen every task from the note, then in Jira; each sync settles."""
    keys = {i.summary: i.key for i in site.issues.values()}
    for summary in keys:
        mark(vault, summary, "x")
    report = sync(vault)
    assert (report.closed, report.failed) == (3, 0), report.errors
    assert {client.issue(k).fields.status.statusCategory.key for k in keys.values()} == {"done"}
    for summary in keys:
        mark(vault, summary, " ")
    report = sync(vault)
    assert (report.reopened, report.failed) == (3, 0), report.errors
    assert {client.issue(k).fields.status.statusCategory.key for k in keys.values()} == {"new"}
    for key in keys.values():
        site.complete(key)  # a person closes them in Jira
    site.wait_for_search()
    assert sync(vault).notes_written == 3  # one line each
    assert {box(vault, s) for s in keys} == {"x"}
    for key in keys.values():
        site.reopen(key)
    site.wait_for_search()
    assert sync(vault).notes_written == 3
    assert {box(vault, s) for s in keys} == {" "}
    site.wait_for_search()
    again = sync(vault)
    assert (again.created, again.updated, again.closed, again.reopened, again.notes_written) == (
        0,
        0,
        0,
        0,
        0,
    )


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_a_team_managed_project_without_due_dates_on_its_screen(
    mode, vault, servers, monkeypatch, tmp_path, caplog
):
    site, client = _site(mode, "TEAM", None, servers, monkeypatch, tmp_path)
    team = site.find_project("TEAM")
    assert team is not None
    task = next(t for t in team.issue_types if t.name == "Task")
    with caplog.at_level(logging.WARNING):
        report = sync(vault)
    assert (report.created, report.failed) == (3, 0), report.errors
    kinds = {i.issuetype.id for i in site.issues.values()}
    assert kinds == {task.id}
    if mode == "cloud":  # its own "Task", not the site's
        assert task.id != next(t.id for t in site.find_project("BRIDGE").issue_types if t.name == "Task")
    assert all(i.duedate is None for i in site.issues.values())
    said = [r.getMessage() for r in caplog.records]
    assert sum("not on the create screen" in m and "duedate" in m for m in said) == 1  # said once
    assert sum("Dana Kim" in m and "assign" in m for m in said) == 1
    round_trip(site, client, vault)


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_a_classic_project_whose_done_requires_a_resolution(
    mode, vault, servers, monkeypatch, tmp_path, caplog
):
    site, client = _site(mode, "BRIDGE", Workflow.classic(), servers, monkeypatch, tmp_path)
    with caplog.at_level(logging.WARNING):
        report = sync(vault)
    assert (report.created, report.failed) == (3, 0), report.errors
    owners = {i.summary: (i.assignee.display_name if i.assignee else None) for i in site.issues.values()}
    assert owners == {
        "Draft the budget": site.me.display_name,
        "Book the venue": None,
        "Print the badges": "Jason Lee",
    }
    said = [r.getMessage() for r in caplog.records if "Dana Kim" in r.getMessage()]
    assert len(said) == 1  # one notice a run, however many lines name her
    keys = [i.key for i in site.issues.values()]
    round_trip(site, client, vault)
    assert {client.issue(k).fields.resolution for k in keys} == {None}  # reopened: cleared
