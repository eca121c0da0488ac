"""Two-way sync with Jira, end to end: the bridge against the Jira emulator over real HTTP on 127.0.0.1.

The Jira side is read and driven through the unmodified `jira` library, as a person's tools would,
or through the emulator's person helpers (a click in Jira's UI).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from jira import JIRA
from starlette.applications import Starlette

from bridge.config import BridgeSettings
from bridge.state import Store
from bridge.sync import run_sync
from connectors.jira.emulator import JiraEmulator, Workflow
from tests.conftest import EXAMPLE_NOTE, dates_since, local_today
from tests.connectors.jira.conftest import EMAIL, PAT

GROUPS_WITH_HIGH = 4


def sync(vault: Path, **kw):
    return run_sync(BridgeSettings(vault=vault), connector_name="jira", **kw).report


def digest(vault: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(vault.rglob("*.md")))).hexdigest()


def note_lines(vault: Path) -> list[str]:
    return [line for line in (vault / EXAMPLE_NOTE).read_text(encoding="utf-8").splitlines() if "- [" in line]


def bridge_issues(client: JIRA, site: JiraEmulator) -> list:
    """The bridge's issues as search shows them once Cloud's lagging index has caught up."""
    site.wait_for_search()
    return list(client.search_issues('project = BRIDGE AND labels = "task-bridge"', maxResults=False))


def linked_key(site: JiraEmulator, vault: Path, line_text: str) -> str:
    """The Jira key of the issue linked to the first note line containing `line_text`."""
    summary = next(i for i in site.issues.values() if line_text in i.summary)
    return summary.key


def transitions_posted(site: JiraEmulator, start: int = 0) -> int:
    return sum(1 for m, p in site.request_log[start:] if m == "POST" and p.endswith("/transitions"))


def test_first_sync_creates_six_issues_with_fields_labels_and_link(
    vault, env, cloud, cloud_jira, monkeypatch
):
    # the site's own user is also a "Lior Genzel": the owner map names which one is meant
    lior = cloud.add_user("Lior Genzel", email="lior@example.com")
    monkeypatch.setenv("JIRA_OWNERS", '{"Lior Genzel": "lior@example.com"}')
    start = len(cloud.request_log)
    report = sync(vault)
    sent = cloud.request_log[start:]
    assert (report.created, report.failed, report.linked) == (6, 0, 9)
    assert report.requests == len(sent)
    issues = bridge_issues(cloud_jira, cloud)
    assert len(issues) == 6
    for issue in issues:
        fields = issue.fields
        assert fields.duedate == "2025-10-26"
        assert {"task", "proposed", "auto", "task-bridge"} <= set(fields.labels)
        assert sum(label.startswith("bridge-") for label in fields.labels) == 1
        assert fields.issuetype.name == "Task"
        assert "obsidian://open?vault=vault&file=2025-09-16%20Lior%20Genzel%20intro%20call.md" in (
            fields.description
        )
        assert "📅" not in fields.summary
        assert "2025-10-26" not in fields.summary
    assert sorted(i.fields.priority.name for i in issues).count("High") == GROUPS_WITH_HIGH
    # the mapped e-mail is found by user search (accountId on Cloud); "@Myself" is the token's user
    assignees = {i.fields.assignee.accountId for i in issues}
    assert assignees == {lior.account_id, cloud.me.account_id}
    assert sum(m == "POST" and p.endswith("/issue/bulk") for m, p in sent) == 1


def test_second_sync_is_one_search_and_changes_nothing(vault, env, cloud):
    sync(vault)
    before, start = digest(vault), len(cloud.request_log)
    report = sync(vault)
    writes = (report.created, report.updated, report.closed, report.reopened, report.notes_written)
    assert writes == (0, 0, 0, 0, 0)
    assert digest(vault) == before
    sent = cloud.request_log[start:]
    assert report.requests == len(sent) <= 2
    assert all(m == "GET" or p.endswith("/search/jql") for m, p in sent), sent


def test_issue_done_in_jira_ticks_every_line_of_its_group(vault, env, cloud, cloud_jira):
    start = local_today()
    sync(vault)
    key = linked_key(cloud, vault, "Initiate the official candidate process")
    cloud_jira.transition_issue(key, "Done")
    cloud.wait_for_search()  # the next sync comes after Cloud's index has caught up
    report = sync(vault)
    assert (report.notes_written, report.closed, report.failed) == (2, 0, 0)
    ticked = [line for line in note_lines(vault) if line.startswith("- [x]")]
    assert len(ticked) == 2
    assert all("Initiate the official candidate process" in line for line in ticked)
    stamps = tuple(f"✅ {day}".encode().decode("mac_roman") for day in dates_since(start))
    assert all(line.endswith(stamps) for line in ticked)
    again = sync(vault)
    assert (again.notes_written, again.closed, again.updated) == (0, 0, 0)


def test_box_ticked_in_the_note_walks_a_two_step_workflow_to_done(
    vault, env, cloud_server: tuple[Starlette, str], cloud_jira
):
    site = JiraEmulator(mode="cloud", email=EMAIL, workflow=Workflow.stepwise())
    cloud_server[0].state.emulator = site
    sync(vault)
    note = vault / EXAMPLE_NOTE
    text = note.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if "Share role descriptions" in x)
    note.write_text(text.replace(line, line.replace("- [?]", "- [x]", 1)), encoding="utf-8")
    start = len(site.request_log)
    report = sync(vault)
    assert (report.closed, report.failed) == (1, 0)
    key = linked_key(site, vault, "Share role descriptions")
    issue = cloud_jira.issue(key)
    assert issue.fields.status.statusCategory.key == "done"
    assert issue.fields.resolution.name == "Done"
    assert transitions_posted(site, start) == 2  # To Do → In Progress → Done
    moves = [i["toString"] for h in site.issues[issue.id].history for i in h.items if i["field"] == "status"]
    assert moves == ["In Progress", "Done"]


def test_reopened_in_jira_reopens_the_line_and_reopened_in_the_note_reopens_the_issue(
    vault, env, cloud, cloud_jira
):
    sync(vault)
    key = linked_key(cloud, vault, "Define the interview loop")
    cloud.complete(key)
    cloud.wait_for_search()
    sync(vault)
    assert any(x.startswith("- [x]") and "Define the interview loop" in x for x in note_lines(vault))
    cloud.reopen(key)
    cloud.wait_for_search()
    report = sync(vault)
    assert report.notes_written == 1
    line = next(x for x in note_lines(vault) if "Define the interview loop" in x)
    assert line.startswith("- [ ]")
    assert "✅" not in line
    assert "\u2705".encode().decode("mac_roman") not in line

    note = vault / EXAMPLE_NOTE
    text = note.read_text(encoding="utf-8")
    note.write_text(text.replace(line, line.replace("- [ ]", "- [x]", 1)), encoding="utf-8")
    assert sync(vault).closed == 1
    assert cloud_jira.issue(key).fields.status.statusCategory.key == "done"
    text = note.read_text(encoding="utf-8")
    ticked = next(x for x in text.splitlines() if "Define the interview loop" in x)
    note.write_text(text.replace(ticked, ticked.replace("- [x]", "- [ ]", 1)), encoding="utf-8")
    assert sync(vault).reopened == 1
    assert cloud_jira.issue(key).fields.status.statusCategory.key == "new"


def test_in_progress_and_cancelled_lines_map_to_categories_and_done_without_wont_do(
    vault, env, cloud, cloud_jira, caplog
):
    sync(vault)
    note = vault / EXAMPLE_NOTE
    text = note.read_text(encoding="utf-8")
    share = next(x for x in text.splitlines() if "Share role descriptions" in x)
    engage = next(x for x in text.splitlines() if "Engage Microsoft Azure" in x)
    text = text.replace(share, share.replace("- [?]", "- [/]", 1))
    text = text.replace(engage, engage.replace("- [?]", "- [-]", 1))
    note.write_text(text, encoding="utf-8")
    report = sync(vault)
    assert report.failed == 0
    share_issue = cloud_jira.issue(linked_key(cloud, vault, "Share role descriptions"))
    assert share_issue.fields.status.statusCategory.key == "indeterminate"
    engage_issue = cloud_jira.issue(linked_key(cloud, vault, "Engage Microsoft Azure"))
    assert engage_issue.fields.status.statusCategory.key == "done"
    # Cloud's simplified Done has no screen: its post-function resolves as Done, said in a notice
    assert engage_issue.fields.resolution.name == "Done"
    assert 'without the resolution "Won\'t Do"' in caplog.text


def test_due_date_edited_in_the_note_updates_the_issue_and_jira_labels_survive(vault, env, cloud, cloud_jira):
    sync(vault)
    key = linked_key(cloud, vault, "Define the interview loop")
    cloud_jira.issue(key).update(fields={"labels": [*cloud_jira.issue(key).fields.labels, "team-a"]})
    note = vault / EXAMPLE_NOTE
    text = note.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if "Define the interview loop" in x)
    note.write_text(text.replace(line, line.replace("2025-10-26", "2025-11-02")), encoding="utf-8")
    report = sync(vault)
    assert (report.updated, report.failed) == (1, 0)
    issue = cloud_jira.issue(key)
    assert issue.fields.duedate == "2025-11-02"
    assert "team-a" in issue.fields.labels


def test_run_killed_after_the_bulk_create_creates_no_duplicate(vault, env, cloud, cloud_jira):
    cloud.search_lag = 1.5  # the rerun's first searches miss the issues, as Cloud's lagging index does
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "sync", "--vault", str(vault), "--connector", "jira"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    cloud.after_bulk_create = lambda keys: os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    cloud.after_bulk_create = None
    assert len(cloud.issues) == 6
    store = Store.open(env["BRIDGE_STATE_URL"])
    assert store.links("jira") == {}
    assert len(store.pending("jira")) == 6  # recorded before the create was sent
    store.close()

    report = sync(vault)
    assert (report.created, report.failed, report.linked) == (6, 0, 9)  # linked to the found issues
    assert len(cloud.issues) == 6
    assert sum(p.endswith("/issue/bulk") for _, p in cloud.request_log) == 1
    store = Store.open(env["BRIDGE_STATE_URL"])
    assert store.pending("jira") == {}
    store.close()
    start = len(cloud.request_log)
    again = sync(vault)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert len(cloud.request_log) - start <= 2


def test_an_ambiguous_owner_is_left_unassigned_with_a_warning(vault, env, cloud, cloud_jira, caplog):
    cloud.add_user("Lior Genzel", email="lior@example.com")
    assert sync(vault).created == 6
    assert "owner 'Lior Genzel': 2 of the project's assignable users match 'Lior Genzel'" in caplog.text
    unassigned = [i for i in bridge_issues(cloud_jira, cloud) if i.fields.assignee is None]
    assert len(unassigned) == 4  # the groups owned by Lior; Myself's two are assigned


def test_a_second_machine_with_its_own_state_finds_the_issues_by_label(
    vault, env, cloud, tmp_path, monkeypatch
):
    sync(vault)
    cloud.wait_for_search()  # a second machine syncing within Cloud's search lag would not see them
    monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{tmp_path / 'laptop.db'}")
    start = len(cloud.request_log)
    report = sync(vault)
    assert (report.created, report.failed, report.linked) == (0, 0, 9)
    assert len(cloud.issues) == 6
    assert not [p for _, p in cloud.request_log[start:] if p.endswith("/issue/bulk")]


def test_server_mode_with_a_personal_access_token(vault, env, server, server_url, server_jira, monkeypatch):
    monkeypatch.setenv("JIRA_URL", server_url)
    monkeypatch.delenv("JIRA_EMAIL")
    monkeypatch.delenv("JIRA_API_TOKEN")
    monkeypatch.setenv("JIRA_PAT", PAT)
    report = sync(vault)
    assert (report.created, report.failed) == (6, 0)
    issues = list(server_jira.search_issues("project = BRIDGE", maxResults=False))
    assert len(issues) == 6
    assert {i.fields.assignee.name for i in issues} == {server.me.name}  # names, not accountIds
    assert all(p.endswith("/search") for m, p in server.request_log if "search" in p)
    server.complete(issues[0].key)
    start = len(server.request_log)
    assert sync(vault).notes_written >= 1
    assert len(server.request_log) - start <= 2


@pytest.mark.parametrize("style", ["cloud", "server"])
def test_a_wrong_token_exits_2_with_a_clear_message(vault, env, cloud_url, server_url, server, style):
    changed = (
        {"JIRA_API_TOKEN": "wrong"} if style == "cloud" else {"JIRA_URL": server_url, "JIRA_PAT": "wrong"}
    )
    run_env = {**os.environ, **env, **changed}
    if style == "server":
        run_env.pop("JIRA_EMAIL")
        run_env.pop("JIRA_API_TOKEN")
    result = subprocess.run(
        [sys.executable, "-m", "bridge", "sync", "--vault", str(vault), "--connector", "jira", "--json"],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "refused the credentials" in result.stderr
    assert ("JIRA_PAT" if style == "server" else "JIRA_API_TOKEN") in result.stderr
    assert "wrong" not in result.stderr  # the secret is never printed


def test_missing_settings_name_the_variables(vault, env, monkeypatch):
    from bridge.errors import ConfigError

    monkeypatch.delenv("JIRA_PROJECT")
    with pytest.raises(ConfigError, match="JIRA_PROJECT"):
        sync(vault)
    monkeypatch.setenv("JIRA_PROJECT", "BRIDGE")
    monkeypatch.setenv("JIRA_PAT", "x")
    with pytest.raises(ConfigError, match="not both"):
        sync(vault)


def test_creates_go_in_bulk_requests_of_at_most_fifty(tmp_path, env, cloud):
    vault = tmp_path / "many"
    vault.mkdir()
    words = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(120)]
    lines = "\n".join(f"- [ ] {w[:7]} {w[7:14]} {w[14:21]}" for w in words)  # no two alike
    (vault / "big.md").write_text(lines + "\n", encoding="utf-8")
    report = sync(vault)
    assert (report.created, report.failed) == (120, 0)
    assert sum(p.endswith("/issue/bulk") for _, p in cloud.request_log) == 3
    assert len(cloud.issues) == 120


def test_a_refused_element_of_a_bulk_create_fails_only_its_task(vault, env, cloud, monkeypatch):
    monkeypatch.setenv("JIRA_PRIORITIES", '{"high": "No Such Priority"}')
    report = sync(vault)
    assert (report.created, report.failed) == (2, GROUPS_WITH_HIGH)
    assert any("priority" in e.lower() for e in report.errors)
    monkeypatch.delenv("JIRA_PRIORITIES")
    retry = sync(vault)
    assert (retry.created, retry.failed) == (GROUPS_WITH_HIGH, 0)
    assert len(cloud.issues) == 6


def test_rest_v3_sends_the_description_as_adf(vault, env, cloud, monkeypatch, cloud_http):
    monkeypatch.setenv("JIRA_API_VERSION", "3")
    assert sync(vault).created == 6
    issue_id = next(iter(cloud.issues))
    body = cloud_http.get(f"/rest/api/3/issue/{issue_id}").json()
    description = body["fields"]["description"]
    assert description["type"] == "doc"
    assert "obsidian://open?vault=vault" in str(description)
    assert all("/rest/api/3/" in p for _, p in cloud.request_log if "issue" in p or "search" in p)


def test_a_rate_limited_read_is_retried_after_retry_after(vault, env, cloud, monkeypatch):
    monkeypatch.setenv("JIRA_MAX_RETRIES", "2")
    cloud.fail_next(429, path_prefix="/search/jql", retry_after=1)
    report = sync(vault)
    assert (report.created, report.failed) == (6, 0)
    assert report.requests == len(cloud.request_log)  # the refused search counts too
    assert cloud.request_log.count(("POST", "/rest/api/2/search/jql")) == 2


def test_the_workflow_walk_never_returns_to_where_it_started(
    vault, env, cloud_server: tuple[Starlette, str], cloud_jira
):
    from connectors.jira.emulator import Transition, WorkflowStatus

    workflow = Workflow(
        [
            WorkflowStatus("To Do", "new"),
            WorkflowStatus("In Progress", "indeterminate"),
            WorkflowStatus("Waiting", "new"),
            WorkflowStatus("Done", "done"),
        ],
        [
            Transition("Start", "In Progress", ("To Do",)),
            Transition("Back", "To Do", ("In Progress",)),
            Transition("Wait", "Waiting", ("In Progress",)),
            Transition("Finish", "Done", ("Waiting",)),
            Transition("Reopen", "To Do", ("Done",)),
        ],
    )
    site = JiraEmulator(mode="cloud", email=EMAIL, workflow=workflow)
    cloud_server[0].state.emulator = site
    sync(vault)
    note = vault / EXAMPLE_NOTE
    text = note.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if "Share role descriptions" in x)
    note.write_text(text.replace(line, line.replace("- [?]", "- [x]", 1)), encoding="utf-8")
    report = sync(vault)
    assert (report.closed, report.failed) == (1, 0)
    issue = site.issues[cloud_jira.issue(linked_key(site, vault, "Share role descriptions")).id]
    moves = [i["toString"] for h in issue.history for i in h.items if i["field"] == "status"]
    assert moves == ["In Progress", "Waiting", "Done"]


def test_an_owner_added_to_the_map_later_is_looked_up_again(
    vault, env, cloud, cloud_jira, monkeypatch, tmp_path
):
    monkeypatch.setenv("JIRA_OWNERS", '{"Lior Genzel": "lior@example.com"}')
    assert sync(vault).created == 6  # nobody has that e-mail yet: Lior's issues are unassigned
    assert sum(i.fields.assignee is None for i in bridge_issues(cloud_jira, cloud)) == 4
    lior = cloud.add_user("Lior Genzel", email="lior@example.com")
    note = vault / "later.md"
    note.write_text("- [ ] Review the offer letter draft @Lior Genzel\n", encoding="utf-8")
    assert sync(vault).created == 1
    later = next(
        i for i in bridge_issues(cloud_jira, cloud) if i.fields.summary == "Review the offer letter draft"
    )
    assert later.fields.assignee.accountId == lior.account_id
