"""Transitions as configured sites have them, end to end: the bridge syncs a note against the Jira
emulator over real HTTP on 127.0.0.1, and the issues are read back with the unmodified `jira`
library.

A transition may have a screen (Resolution required on a classic "Resolve Issue"), validators that
refuse it, and post-functions that set the resolution (Cloud's simplified "Done", where sending
one is refused). Global transitions are offered from their own target too, and a status may have
no category at all (`undefined`, id 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jira import JIRA
from starlette.applications import Starlette

from bridge.config import BridgeSettings
from bridge.sync import run_sync
from connectors.jira.emulator import JiraEmulator, Transition, Validator, Workflow, WorkflowStatus
from tests.connectors.jira.conftest import EMAIL, PAT, TOKEN

NOTE = "tasks.md"
LINES = ["- [ ] Draft the budget @Myself", "- [ ] Book the venue", "- [ ] Print the badges @Myself"]


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / NOTE).write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return folder


Site = Callable[..., tuple[JiraEmulator, JIRA]]


@pytest.fixture
def site(
    cloud_server: tuple[Starlette, str],
    server_server: tuple[Starlette, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Site]:
    """`site(mode, workflow)`: a fresh emulated site the bridge's settings point at, and a `jira`
    client on it."""
    clients: list[JIRA] = []

    def make(mode: str = "cloud", workflow: Workflow | None = None) -> tuple[JiraEmulator, JIRA]:
        app, url = cloud_server if mode == "cloud" else server_server
        emulated = JiraEmulator(mode="cloud" if mode == "cloud" else "server", email=EMAIL, workflow=workflow)
        app.state.emulator = emulated
        monkeypatch.setenv("JIRA_URL", url)
        monkeypatch.setenv("JIRA_PROJECT", "BRIDGE")
        monkeypatch.setenv("JIRA_MAX_RETRIES", "0")
        monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
        if mode == "cloud":
            monkeypatch.setenv("JIRA_EMAIL", EMAIL)
            monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
            client = JIRA(server=url, basic_auth=(EMAIL, TOKEN), max_retries=0, timeout=10)
        else:
            monkeypatch.setenv("JIRA_PAT", PAT)
            client = JIRA(server=url, token_auth=PAT, max_retries=0, timeout=10)
        clients.append(client)
        return emulated, client

    yield make
    for client in clients:
        client.close()


def sync(vault: Path) -> Any:
    return run_sync(BridgeSettings(vault=vault), connector_name="jira").report


def mark(vault: Path, text: str, box: str) -> None:
    """Set the box of the line holding `text` ("x", "-", "/", " ")."""
    note = vault / NOTE
    lines = note.read_text(encoding="utf-8").splitlines()
    lines = [f"- [{box}]" + line[5:] if text in line else line for line in lines]
    note.write_text("\n".join(lines) + "\n", encoding="utf-8")


def line(vault: Path, text: str) -> str:
    return next(x for x in (vault / NOTE).read_text(encoding="utf-8").splitlines() if text in x)


def key_of(emulated: JiraEmulator, summary: str) -> str:
    return next(i.key for i in emulated.issues.values() if i.summary == summary)


def posted(emulated: JiraEmulator, start: int = 0) -> int:
    """Transition requests sent since `start` in the request log."""
    return sum(1 for m, p in emulated.request_log[start:] if m == "POST" and p.endswith("/transitions"))


def statuses(emulated: JiraEmulator, key: str) -> list[str]:
    issue = emulated.get_issue(key)
    return [
        i["toString"] for h in emulated.issues[issue.id].history for i in h.items if i["field"] == "status"
    ]


# -- classic workflows: a screen that requires a Resolution ------------------------------------------


@pytest.mark.parametrize("mode", ["cloud", "server"])
@pytest.mark.parametrize("workflow", [Workflow.classic, Workflow.server_default])
def test_a_done_transition_that_requires_a_resolution_closes_and_reopens(
    site: Site, vault: Path, mode: str, workflow: Callable[[], Workflow]
) -> None:
    emulated, client = site(mode, workflow())
    assert (sync(vault).created, len(emulated.issues)) == (3, 3)
    budget = key_of(emulated, "Draft the budget")

    mark(vault, "Draft the budget", "x")
    start = len(emulated.request_log)
    report = sync(vault)
    assert (report.closed, report.failed) == (1, 0), report.errors
    assert posted(emulated, start) == 1  # the resolution went with the first request, not after a 400
    fields = client.issue(budget).fields
    assert fields.status.statusCategory.key == "done"
    assert fields.resolution.name == "Done"

    mark(vault, "Draft the budget", " ")
    assert (sync(vault).reopened, sync(vault).failed) == (1, 0)
    fields = client.issue(budget).fields
    assert (fields.status.statusCategory.key, fields.resolution) == ("new", None)

    emulated.complete(budget)  # closed in Jira, through the same screen
    assert sync(vault).notes_written == 1
    assert line(vault, "Draft the budget").startswith("- [x]")
    emulated.reopen(budget)
    assert sync(vault).notes_written == 1
    assert line(vault, "Draft the budget").startswith("- [ ]")


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_cancelled_is_wont_do_where_the_screen_offers_it(site: Site, vault: Path, mode: str) -> None:
    emulated, client = site(mode, Workflow.classic())
    sync(vault)
    mark(vault, "Book the venue", "-")
    start = len(emulated.request_log)
    report = sync(vault)
    assert (report.closed, report.failed) == (1, 0), report.errors
    assert posted(emulated, start) == 1
    fields = client.issue(key_of(emulated, "Book the venue")).fields
    assert (fields.status.statusCategory.key, fields.resolution.name) == ("done", "Won't Do")


def test_cancelled_degrades_to_the_workflows_resolution_with_one_notice(
    site: Site, vault: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulated, client = site("cloud")  # Cloud's simplified workflow: Done has no screen
    sync(vault)
    mark(vault, "Book the venue", "-")
    mark(vault, "Print the badges", "-")
    start = len(emulated.request_log)
    report = sync(vault)
    assert (report.closed, report.failed) == (2, 0), report.errors
    assert posted(emulated, start) == 2  # no resolution sent, so nothing refused and resent
    for summary in ("Book the venue", "Print the badges"):
        fields = client.issue(key_of(emulated, summary)).fields
        assert (fields.status.statusCategory.key, fields.resolution.name) == ("done", "Done")
    notices = [r.getMessage() for r in caplog.records if "Won't Do" in r.getMessage()]
    assert len(notices) == 1  # once a run, not once a task
    assert 'transition "Done"' in notices[0]
    assert "no Resolution on its screen" in notices[0]


def test_cancelled_where_the_screen_lacks_wont_do_sends_done_with_a_notice(
    site: Site, vault: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulated, client = site("server")
    emulated.resolutions = tuple(r for r in emulated.resolutions if r.name != "Won't Do")
    sync(vault)
    mark(vault, "Book the venue", "-")
    report = sync(vault)
    assert (report.closed, report.failed) == (1, 0), report.errors
    assert client.issue(key_of(emulated, "Book the venue")).fields.resolution.name == "Done"
    assert "does not offer that resolution" in caplog.text


# -- validators --------------------------------------------------------------------------------------


@pytest.mark.parametrize("keyed", [True, False])
def test_a_validator_refusing_fails_only_its_task_and_names_the_field(
    site: Site, vault: Path, keyed: bool
) -> None:
    statuses_ = [WorkflowStatus("To Do", "new"), WorkflowStatus("Done", "done")]
    message = "Someone must own it before it is closed." if keyed else "Field Assignee is required."
    workflow = Workflow(
        statuses_,
        [
            Transition("Reopen", "To Do", ("Done",), clears_resolution=True),
            Transition(
                "Close",
                "Done",
                ("To Do",),
                sets_resolution="Done",
                validators=(Validator("assignee", message, keyed=keyed),),
            ),
        ],
    )
    emulated, client = site("cloud", workflow)
    sync(vault)
    mark(vault, "Draft the budget", "x")  # assigned to Myself
    mark(vault, "Book the venue", "x")  # no owner: the validator refuses
    report = sync(vault)
    assert (report.closed, report.failed) == (1, 1)
    [error] = report.errors
    assert "Book the venue" in error
    assert ("assignee: " if keyed else "") + message in error  # Jira's key for the field, when it gives one
    assert client.issue(key_of(emulated, "Draft the budget")).fields.status.name == "Done"
    venue = client.issue(key_of(emulated, "Book the venue")).fields
    assert (venue.status.name, venue.resolution) == ("To Do", None)
    assert line(vault, "Book the venue").startswith("- [x]")  # the note keeps what the person wrote


# -- global transitions and status categories ----------------------------------------------------------


def test_a_global_transition_back_to_the_current_status_is_never_taken(site: Site, vault: Path) -> None:
    emulated, client = site("cloud")
    sync(vault)
    key = key_of(emulated, "Book the venue")
    emulated.transition_to(key, "In Progress")  # someone started it in Jira; the note is not told
    offered = [t["to"]["name"] for t in client.transitions(key)]
    assert "In Progress" in offered  # Jira offers the loop
    mark(vault, "Book the venue", "/")
    start, before = len(emulated.request_log), emulated.get_issue(key).updated
    report = sync(vault)
    assert (report.updated, report.failed) == (1, 0), report.errors
    assert posted(emulated, start) == 0
    assert statuses(emulated, key) == ["In Progress"]
    assert emulated.get_issue(key).updated == before


def test_a_status_without_a_category_is_open_work(site: Site, vault: Path) -> None:
    workflow = Workflow(
        [
            WorkflowStatus("Triage", "undefined"),
            WorkflowStatus("Backlog", "new"),
            WorkflowStatus("Doing", "indeterminate"),
            WorkflowStatus("Done", "done"),
        ],
        [
            Transition("Accept", "Backlog", ("Triage",)),
            Transition("Start", "Doing", ("Triage", "Backlog")),
            Transition("Finish", "Done", ("Doing",), sets_resolution="Done"),
            Transition("Reopen", "Triage", ("Done",), clears_resolution=True),
        ],
    )
    emulated, client = site("cloud", workflow)
    start = len(emulated.request_log)
    assert sync(vault).created == 3
    assert posted(emulated, start) == 0  # a new issue in Triage is already where a [ ] line is
    key = key_of(emulated, "Draft the budget")
    status = client.issue(key).fields.status
    assert (status.name, status.statusCategory.key, status.statusCategory.id) == ("Triage", "undefined", 1)
    emulated.wait_for_search()
    found = client.search_issues("statusCategory = undefined ORDER BY key ASC", maxResults=False)
    assert [i.key for i in found] == emulated.keys()

    mark(vault, "Draft the budget", "x")
    assert (sync(vault).closed, sync(vault).failed) == (1, 0)
    assert statuses(emulated, key) == ["Doing", "Done"]
    mark(vault, "Draft the budget", " ")
    report = sync(vault)
    assert (report.reopened, report.failed) == (1, 0), report.errors
    assert client.issue(key).fields.status.name == "Triage"  # the only way back; open work
    assert sync(vault).notes_written == 0  # and the line stays open


# -- the emulator's wire format --------------------------------------------------------------------


def test_transition_screens_are_listed_with_expand_and_enforced(
    site: Site, check_schema: Callable[[Any, Any], None]
) -> None:
    emulated, client = site("server", Workflow.classic())
    key = emulated.create("Screens")
    plain = client.transitions(key)
    assert [(t["id"], t["name"], t["hasScreen"]) for t in plain] == [
        ("4", "Start Progress", False),
        ("5", "Resolve Issue", True),
        ("2", "Close Issue", True),
    ]
    assert all("fields" not in t for t in plain)
    expanded = client.transitions(key, expand="transitions.fields")
    resolve = next(t for t in expanded if t["name"] == "Resolve Issue")
    field = resolve["fields"]["resolution"]
    assert (field["required"], field["name"], field["schema"]["type"]) == (True, "Resolution", "resolution")
    assert "Won't Do" in [v["name"] for v in field["allowedValues"]]
    assert next(t for t in expanded if t["name"] == "Start Progress")["fields"] == {}
    for transition in expanded:
        check_schema("IssueTransition", transition)
    issue = client.issue(key, fields="status", expand="transitions.fields")
    assert [t["id"] for t in issue.raw["transitions"]] == ["4", "5", "2"]

    with httpx.Client(base_url=client.server_url, headers={"Authorization": f"Bearer {PAT}"}) as http:
        url = f"/rest/api/2/issue/{key}/transitions"
        missing = http.post(url, json={"transition": {"id": "5"}, "fields": {}})
        assert (missing.status_code, missing.json()["errorMessages"]) == (
            400,
            ["Field Resolution is required."],
        )
        offscreen = http.post(
            url, json={"transition": {"id": "4"}, "fields": {"resolution": {"name": "Done"}}}
        )
        assert offscreen.status_code == 400
        assert offscreen.json()["errors"] == {
            "resolution": "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown."
        }
        assert emulated.get_issue(key).status.name == "Open"
        made = http.post(
            url, json={"transition": {"id": "5"}, "fields": {"resolution": {"name": "Won't Do"}}}
        )
        assert made.status_code == 204
    assert client.issue(key).fields.resolution.name == "Won't Do"
    client.transition_issue(key, "Reopen Issue")  # the post-function clears it
    assert (client.issue(key).fields.status.name, client.issue(key).fields.resolution) == ("Reopened", None)


def test_without_a_post_function_a_resolution_stays_as_real_jira_leaves_it(site: Site) -> None:
    workflow = Workflow(
        [WorkflowStatus("Open", "new"), WorkflowStatus("Closed", "done")],
        [Transition("Close", "Closed", ("Open",)), Transition("Back", "Open", ("Closed",))],
    )
    emulated, client = site("cloud", workflow)
    key = emulated.create("Unresolved but closed")
    client.transition_issue(key, "Close")
    assert (client.issue(key).fields.status.name, client.issue(key).fields.resolution) == ("Closed", None)


def test_status_categories_include_undefined(site: Site) -> None:
    _, client = site("cloud")
    listed = client._get_json("statuscategory")
    assert [(c["id"], c["key"]) for c in listed] == [
        (1, "undefined"),
        (2, "new"),
        (4, "indeterminate"),
        (3, "done"),
    ]
    assert client._get_json("statuscategory/1")["name"] == "No Category"
