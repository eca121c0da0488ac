"""Issue types found in the project and fields sent only when the screens show them, end to end:
the bridge against the emulator over real HTTP, Cloud and Server, with a configured project.

The emulated site has, besides `BRIDGE`, a project `TEAM`: on Cloud team-managed, with its own
"Task" (another id than the site's), and on both a screen without due date or priority.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from jira import JIRA

from bridge.cli import EXIT_USAGE
from bridge.config import BridgeSettings
from bridge.errors import ConfigError
from bridge.sync import run_sync
from connectors.jira.emulator import JiraEmulator
from connectors.jira.emulator.records import CLASSIC_SCREEN
from tests.cli import run_bridge
from tests.connectors.jira.conftest import bridge_env

NOTE = (
    "- [ ] Call Dana about the venue 📅 2025-10-26 ⏫ #task\n"
    "- [ ] Book the room 📅 2025-10-27 #task\n"
    "- [/] Draft the agenda 🔽\n"
)


def _vault(tmp_path: Path, text: str = NOTE) -> Path:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "Plan.md").write_text(text, encoding="utf-8")
    return vault


def _env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, *, server: bool, **extra: str
) -> dict[str, str]:
    return bridge_env(monkeypatch, tmp_path, url, server=server, **{"JIRA_PROJECT": "TEAM", **extra})


def sync(vault: Path):
    return run_sync(BridgeSettings(vault=vault), connector_name="jira").report


def _count(site: JiraEmulator, start: int, method: str, end: str) -> int:
    return sum(1 for m, p in site.request_log[start:] if m == method and p.endswith(end))


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_a_project_with_its_own_task_and_no_due_date_on_its_screen_gets_every_task(
    mode, request, monkeypatch, tmp_path, caplog
):
    """Before: the type went by name (refused: "issue type is required" on Cloud's team-managed
    project) and due date and priority were sent (refused: not on the screen), so no task was made."""
    site: JiraEmulator = request.getfixturevalue(mode)
    url = request.getfixturevalue(f"{mode}_url")
    team = site.find_project("TEAM")
    assert team is not None
    task = next(t for t in team.issue_types if t.name == "Task")
    assert (task.id != "10002") is (mode == "cloud")  # Cloud: team-managed, its own "Task"
    _env(monkeypatch, tmp_path, url, server=mode == "server")
    vault = _vault(tmp_path)
    start = len(site.request_log)
    with caplog.at_level(logging.WARNING, logger="connectors.jira"):
        report = sync(vault)
    assert (report.created, report.failed, report.errors) == (3, 0, [])
    made = [i for i in site.issues.values() if i.project.key == "TEAM"]
    assert {i.issuetype.id for i in made} == {task.id}
    assert all(i.duedate is None for i in made)
    assert {i.status.category for i in made} == {"new", "indeterminate"}
    # one warning a run names what the notes lose; metadata asked for once
    said = [r.getMessage() for r in caplog.records if "not on the create screen" in r.getMessage()]
    assert len(said) == 1
    assert "duedate, priority" in said[0]
    assert "due dates, priorities" in said[0]
    assert "TEAM" in said[0]
    assert _count(site, start, "GET", "/issue/createmeta/TEAM/issuetypes") == 1
    assert _count(site, start, "GET", f"/issue/createmeta/TEAM/issuetypes/{task.id}") == 1

    # a later run keeps the metadata in its cursor: an edit of the due date sends nothing refused,
    # the edit screen is asked for once, and a no-op sync is still two requests
    (vault / "Plan.md").write_text(
        NOTE.replace("Book the room 📅 2025-10-27", "Book the big room 📅 2025-10-28"), encoding="utf-8"
    )
    start = len(site.request_log)
    report = sync(vault)
    assert (report.updated, report.failed) == (1, 0), report.errors
    assert any(i.summary == "Book the big room" for i in site.issues.values())
    assert _count(site, start, "GET", "/editmeta") == 1
    assert _count(site, start, "GET", "/issuetypes") == 0
    start = len(site.request_log)
    report = sync(vault)
    assert report.requests == len(site.request_log) - start <= 2


def test_a_wrong_issue_type_is_a_configuration_error_listing_the_projects_types(
    cloud, cloud_url, monkeypatch, tmp_path
):
    env = _env(monkeypatch, tmp_path, cloud_url, server=False, JIRA_ISSUE_TYPE="Story")
    vault = _vault(tmp_path)
    with pytest.raises(ConfigError) as caught:
        sync(vault)
    team = cloud.find_project("TEAM")
    assert team is not None
    listed = ", ".join(f"{t.name} (id {t.id})" for t in team.issue_types if not t.subtask)  # no sub-task type
    assert str(caught.value) == (
        f"JIRA_ISSUE_TYPE 'Story' is not an issue type of project TEAM; its types are: {listed}"
    )
    result = run_bridge("sync", "--vault", str(vault), "--connector", "jira", env=env, cwd=tmp_path)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "its types are: Task (id" in result.stderr
    assert not cloud.issues


def test_a_translated_site_takes_the_type_by_id_or_a_name_in_any_case(
    cloud, cloud_url, monkeypatch, tmp_path
):
    team = cloud.find_project("TEAM")
    assert team is not None
    bug = next(t for t in team.issue_types if t.name == "Bug")
    _env(monkeypatch, tmp_path, cloud_url, server=False, JIRA_ISSUE_TYPE=bug.id)
    assert sync(_vault(tmp_path)).created == 3
    assert {i.issuetype.id for i in cloud.issues.values()} == {bug.id}


def test_a_required_custom_field_is_named_and_filled_from_jira_fields(
    cloud, cloud_url, monkeypatch, tmp_path
):
    field = cloud.add_custom_field("Team")
    cloud.set_screen("BRIDGE", "Task", create=(*CLASSIC_SCREEN.create, field.id), required=(field.id,))
    _env(monkeypatch, tmp_path, cloud_url, server=False, JIRA_PROJECT="BRIDGE")
    vault = _vault(tmp_path)
    report = sync(vault)
    assert (report.created, report.failed) == (0, 3)
    assert f"Jira requires Team ({field.id}) to create Task issues in BRIDGE" in report.errors[0]
    assert f'JIRA_FIELDS={{"{field.id}": "…"}}' in report.errors[0]
    assert not cloud.issues  # not sent: the answer is known
    monkeypatch.setenv("JIRA_FIELDS", '{"team": "Platform"}')  # by name, any case
    report = sync(vault)
    assert (report.created, report.failed) == (3, 0), report.errors
    assert {i.custom.get(field.id) for i in cloud.issues.values()} == {"Platform"}


def test_jira_fields_naming_no_field_of_the_screen_is_a_configuration_error(
    cloud, cloud_url, monkeypatch, tmp_path
):
    _env(monkeypatch, tmp_path, cloud_url, server=False, JIRA_FIELDS='{"Story Points": 3}')
    with pytest.raises(ConfigError, match=r"JIRA_FIELDS: 'Story Points' is not a field of the create screen"):
        sync(_vault(tmp_path))


def test_a_screen_changed_since_it_was_learned_is_learned_again_and_the_create_resent(
    cloud, cloud_url, monkeypatch, tmp_path, caplog
):
    _env(monkeypatch, tmp_path, cloud_url, server=False, JIRA_PROJECT="BRIDGE")
    vault = _vault(tmp_path)
    assert sync(vault).created == 3
    assert {i.duedate for i in cloud.issues.values()} == {"2025-10-26", "2025-10-27", None}
    no_due = tuple(f for f in CLASSIC_SCREEN.create if f != "duedate")
    cloud.set_screen("BRIDGE", "Task", create=no_due)
    with (vault / "Plan.md").open("a", encoding="utf-8") as note:
        note.write("- [ ] Order the badges 📅 2025-11-02\n")
    start = len(cloud.request_log)
    with caplog.at_level(logging.WARNING, logger="connectors.jira"):
        report = sync(vault)
    assert (report.created, report.failed) == (1, 0), report.errors
    assert _count(cloud, start, "POST", "/issue/bulk") == 2  # refused, learned again, resent
    assert _count(cloud, start, "GET", "/issue/createmeta/BRIDGE/issuetypes") == 1
    badge = next(i for i in cloud.issues.values() if i.summary == "Order the badges")
    assert badge.duedate is None
    assert any("duedate not on the create screen" in r.getMessage() for r in caplog.records)


def test_an_edit_screen_without_a_field_leaves_it_out_and_says_so(
    cloud, cloud_url, monkeypatch, tmp_path, caplog
):
    _env(monkeypatch, tmp_path, cloud_url, server=False, JIRA_PROJECT="BRIDGE")
    vault = _vault(tmp_path)
    assert sync(vault).created == 3
    cloud.set_screen("BRIDGE", "Task", edit=("summary", "description", "labels", "assignee"))
    (vault / "Plan.md").write_text(
        NOTE.replace("2025-10-27 #task", "2025-11-30 #task #venue"), encoding="utf-8"
    )
    with caplog.at_level(logging.WARNING, logger="connectors.jira"):
        report = sync(vault)
    assert (report.updated, report.failed) == (1, 0), report.errors
    room = next(i for i in cloud.issues.values() if i.summary == "Book the room")
    assert room.duedate == "2025-10-27"
    assert "venue" in room.labels
    said = [r.getMessage() for r in caplog.records if "not on the edit screen" in r.getMessage()]
    assert len(said) == 1
    assert "due dates" in said[0]


def test_a_refusal_given_only_as_an_element_message_is_reported_with_its_text(
    cloud, cloud_url, monkeypatch, tmp_path
):
    """Before: the library keeps only `elementErrors.errors`, so the task failed as "refused"."""
    why = "Only members of the Planning role may create issues here."
    cloud.create_validator = lambda changes: why if "Book" in changes["summary"] else None
    _env(monkeypatch, tmp_path, cloud_url, server=False, JIRA_PROJECT="BRIDGE")
    report = sync(_vault(tmp_path))
    assert (report.created, report.failed) == (2, 1)
    assert len(report.errors) == 1
    assert f"Jira refused it: {why}" in report.errors[0]


def test_the_library_reads_the_screens_and_types_the_emulator_serves(
    server_jira: JIRA, cloud_jira: JIRA, server, cloud
):
    """The `jira` library's own metadata calls (Server: the 8.4+ createmeta; both: editmeta)."""
    types = server_jira.project_issue_types("TEAM")
    assert [t.name for t in types] == ["Task", "Bug", "Sub-task"]
    fields = {f.fieldId: f for f in server_jira.project_issue_fields("TEAM", types[0].id)}
    assert "duedate" not in fields
    assert "priority" not in fields
    assert fields["summary"].required
    assert not fields["labels"].required
    with pytest.deprecated_call():  # the library's older name for the same request
        raw = server_jira.createmeta_fieldtypes("BRIDGE", "10002")
    assert {"duedate", "priority"} <= {f["fieldId"] for f in raw["values"]}
    assert raw["isLast"]
    key = server.create("Call Dana", project="TEAM")
    assert set(server_jira.editmeta(key)["fields"]) == set(
        server.find_project("TEAM").screen(types[0].id).edit
    )
    # Cloud: the site's types include a team-managed project's own, scoped to it
    team = cloud.find_project("TEAM")
    assert team is not None
    listed = cloud_jira.issue_types()
    assert [t.name for t in listed].count("Task") == 2
    scoped = [t.raw for t in listed if "scope" in t.raw]
    assert {t["scope"]["project"]["id"] for t in scoped} == {team.id}
    issue = cloud_jira.issue(cloud.create("Call Dana", project="TEAM"), expand="names,schema,editmeta")
    assert issue.raw["names"]["summary"] == "Summary"
    assert issue.raw["schema"]["duedate"] == {"type": "date", "system": "duedate"}
    assert "duedate" not in issue.raw["editmeta"]["fields"]
    cloud.wait_for_search()  # Cloud's index trails the write
    found = cloud_jira.enhanced_search_issues(
        "project = TEAM", fields=["summary"], expand="names", json_result=True
    )
    assert found["names"] == {"summary": "Summary"}


def test_a_create_by_type_name_in_a_team_managed_project_is_refused_as_jira_does(cloud_http, cloud):
    body = {"fields": {"project": {"key": "TEAM"}, "issuetype": {"name": "Task"}, "summary": "x"}}
    answer = cloud_http.post("/rest/api/2/issue", json=body)
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"issuetype": "issue type is required"}
    team = cloud.find_project("TEAM")
    assert team is not None
    own = {"id": team.issue_types[0].id}
    answer = cloud_http.post(
        "/rest/api/2/issue", json={"fields": {**body["fields"], "issuetype": own, "duedate": "2025-10-26"}}
    )
    assert answer.json()["errors"] == {
        "duedate": "Field 'duedate' cannot be set. It is not on the appropriate screen, or unknown."
    }
    assert (
        cloud_http.post(
            "/rest/api/2/issue", json={"fields": {**body["fields"], "issuetype": own}}
        ).status_code
        == 201
    )


def test_a_data_center_before_8_4_is_read_through_the_older_createmeta(
    server, server_url, monkeypatch, tmp_path
):
    """No `issue/createmeta/{KEY}/issuetypes` there (404): the types and the create screen come
    from the older `issue/createmeta?expand=projects.issuetypes.fields`, in one request."""
    server.fail_next(404, path_prefix="/rest/api/2/issue/createmeta/TEAM/issuetypes")
    _env(monkeypatch, tmp_path, server_url, server=True)
    start = len(server.request_log)
    report = sync(_vault(tmp_path))
    assert (report.created, report.failed, report.errors) == (3, 0, [])
    made = [i for i in server.issues.values() if i.project.key == "TEAM"]
    assert all(i.duedate is None for i in made)  # the screen was learned all the same
    assert _count(server, start, "GET", "/issue/createmeta") == 1
