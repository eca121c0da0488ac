"""Sub-tasks with Jira, end to end over real HTTP: a task line indented under another becomes a
sub-task of its issue where the project has a sub-task type (else an issue of its own, linked to
its parent's); a line moved under another parent moves its sub-task there; a line moved out of its
parent leaves the sub-task where it is (Jira's REST API makes no sub-task an issue), said once.
Jira is read through the `jira` library."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from jira import JIRA

from bridge.config import BridgeSettings
from bridge.sync import run_sync
from connectors.jira.emulator import JiraEmulator
from tests.connectors.jira.conftest import bridge_env

NOTE = """# Launch

- [ ] Plan the launch 📅 2026-03-01
  - [ ] Book the venue
  - [ ] Write the invitation
  - [ ] Order the food
- [ ] Send the minutes
"""


def sync(vault: Path):
    return run_sync(BridgeSettings(vault=vault), connector_name="jira").report


def issues(client: JIRA, site: JiraEmulator, project: str = "BRIDGE") -> dict:
    site.wait_for_search()
    found = client.search_issues(
        f"project = {project}", maxResults=False, fields="summary,issuetype,parent,issuelinks"
    )
    return {i.fields.summary: i for i in found}


def parent_key(issue) -> str | None:
    parent = getattr(issue.fields, "parent", None)
    return parent.key if parent is not None else None


def writes(site: JiraEmulator, start: int) -> list[tuple[str, str]]:
    """Requests after `start` that change something (a search is a POST that changes nothing)."""
    return [(m, p) for m, p in site.request_log[start:] if m != "GET" and not p.endswith(("/search", "/jql"))]


@pytest.fixture
def vault(tmp_path: Path, env: dict[str, str]) -> Path:
    folder = tmp_path / "v"
    folder.mkdir()
    (folder / "launch.md").write_text(NOTE, encoding="utf-8")
    return folder


def test_a_parent_with_three_children_is_one_issue_with_three_subtasks(vault, cloud, cloud_jira):
    report = sync(vault)
    assert (report.created, report.failed) == (5, 0), report.errors
    found = issues(cloud_jira, cloud)
    parent = found["Plan the launch"]
    assert parent.fields.issuetype.name == "Task"
    assert parent_key(parent) is None
    children = {s for s, i in found.items() if parent_key(i) == parent.key}
    assert children == {"Book the venue", "Write the invitation", "Order the food"}
    assert {found[s].fields.issuetype.name for s in children} == {"Sub-task"}
    assert found["Book the venue"].fields.issuetype.subtask is True
    assert parent_key(found["Send the minutes"]) is None

    start = len(cloud.request_log)
    again = sync(vault)
    assert (again.created, again.updated, again.notes_written) == (0, 0, 0)
    assert writes(cloud, start) == []


def test_a_child_moved_out_stays_a_subtask_said_once_and_the_next_sync_does_nothing(
    vault, cloud, cloud_jira, caplog
):
    sync(vault)
    note = vault / "launch.md"
    note.write_text(NOTE.replace("  - [ ] Order the food", "- [ ] Order the food"), encoding="utf-8")
    start = len(cloud.request_log)
    with caplog.at_level(logging.WARNING, logger="connectors.jira.connector"):
        report = sync(vault)
    assert (report.updated, report.failed) == (1, 0), report.errors
    assert writes(cloud, start) == []  # nothing Jira can do: no request is made
    assert sum("stays a sub-task" in r.getMessage() for r in caplog.records) == 1
    found = issues(cloud_jira, cloud)
    assert parent_key(found["Order the food"]) == found["Plan the launch"].key

    start = len(cloud.request_log)
    again = sync(vault)
    assert (again.created, again.updated, again.notes_written) == (0, 0, 0)
    assert writes(cloud, start) == []


def test_a_child_moved_under_another_parent_is_moved_there(vault, cloud, cloud_jira):
    sync(vault)
    note = vault / "launch.md"
    text = NOTE.replace("  - [ ] Order the food\n", "") + "  - [ ] Order the food\n"
    note.write_text(text, encoding="utf-8")
    report = sync(vault)
    assert (report.updated, report.failed) == (1, 0), report.errors
    found = issues(cloud_jira, cloud)
    assert parent_key(found["Order the food"]) == found["Send the minutes"].key
    assert found["Order the food"].fields.issuetype.name == "Sub-task"
    start = len(cloud.request_log)
    assert sync(vault).updated == 0
    assert writes(cloud, start) == []


def test_a_subtask_of_a_subtask_is_an_issue_of_its_own(vault, cloud, cloud_jira):
    note = vault / "launch.md"
    note.write_text(
        NOTE.replace("  - [ ] Book the venue\n", "  - [ ] Book the venue\n    - [ ] Call the hall\n")
    )
    report = sync(vault)
    assert (report.created, report.failed) == (6, 0), report.errors
    found = issues(cloud_jira, cloud)
    assert parent_key(found["Call the hall"]) is None
    assert found["Call the hall"].fields.issuetype.name == "Task"
    assert sync(vault).created == 0


def test_a_project_without_a_subtask_type_gets_issues_of_their_own(
    vault, cloud, cloud_jira, cloud_url, monkeypatch, tmp_path, caplog
):
    cloud.add_project("FLAT", "Flat", subtasks=False)
    bridge_env(monkeypatch, tmp_path, cloud_url, JIRA_PROJECT="FLAT")
    with caplog.at_level(logging.INFO, logger="connectors.jira.connector"):
        report = sync(vault)
    assert (report.created, report.failed) == (5, 0), report.errors
    found = issues(cloud_jira, cloud, "FLAT")
    assert {i.fields.issuetype.name for i in found.values()} == {"Task"}
    assert all(parent_key(i) is None for i in found.values())
    # each child is linked to its parent's issue ("relates to"), without a warning
    posted = [p for m, p in cloud.request_log if m == "POST" and p.endswith("/issueLink")]
    assert len(posted) == 3
    assert not [r for r in caplog.records if "not under its parent" in r.getMessage()]
    parent = next(i for i in found.values() if len(i.fields.issuelinks) == 3)
    children = [i for i in found.values() if i is not parent and i.fields.issuelinks]
    assert len(children) == 3
    for child in children:
        [link] = child.fields.issuelinks
        assert (link.type.name, link.outwardIssue.id) == ("Relates", parent.id)
    assert sync(vault).created == 0
