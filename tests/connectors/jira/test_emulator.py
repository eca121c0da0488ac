"""Fidelity of the Jira emulator, over real HTTP on 127.0.0.1, in Cloud and Server mode.

The unmodified `jira` library must work against it, and paths, field names and types, status codes
and error bodies must match the reference notes (shared/reference/jira-api.md) and, where the
document is present, the schemas of the trimmed OpenAPI document.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import jira.resilientsession
import pytest
from jira import JIRA, JIRAError

from connectors.jira.emulator import JiraEmulator, Transition, Workflow, WorkflowStatus, create_app
from connectors.jira.emulator.errors import JiraError
from tests.connectors.jira.conftest import EMAIL, PAT, TOKEN

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
TASK = {"project": {"key": "BRIDGE"}, "issuetype": {"name": "Task"}}
REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
SEARCH_RESULTS = {  # SearchAndReconcileResults (reference §2); the trimmed document predates it
    "type": "object",
    "additionalProperties": False,
    "required": ["issues", "isLast"],
    "properties": {
        "issues": {"type": "array", "items": {"$ref": "#/components/schemas/IssueBean"}},
        "nextPageToken": {"type": "string"},
        "isLast": {"type": "boolean"},
    },
}


def task(summary: str, **fields: Any) -> dict[str, Any]:
    return {**TASK, "summary": summary, **fields}


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"errorMessages", "errors"}
    assert isinstance(body["errorMessages"], list)
    assert isinstance(body["errors"], dict)
    assert body["errorMessages"] or body["errors"]
    return body


# -- the unmodified `jira` library, Cloud ---------------------------------------------------------


def test_cloud_client_reads_the_site_and_round_trips_an_issue(cloud_jira, cloud, cloud_url):
    info = cloud_jira.server_info()
    assert info["deploymentType"] == "Cloud"
    assert (info["versionNumbers"], info["baseUrl"]) == ([1001, 0, 0], cloud_url)
    assert cloud_jira.myself()["accountId"] == cloud.me.account_id
    assert cloud_jira.myself()["displayName"] == "Lior Genzel"
    assert [p.key for p in cloud_jira.projects()] == ["BRIDGE", "TEAM"]
    assert [t.name for t in cloud_jira.project("BRIDGE").issueTypes] == ["Task", "Bug", "Sub-task"]
    assert [p.name for p in cloud_jira.priorities()] == ["Highest", "High", "Medium", "Low", "Lowest"]
    assert {"labels", "duedate", "updated"} <= {f["id"] for f in cloud_jira.fields()}

    issue = cloud_jira.create_issue(
        fields=task("Share role descriptions", labels=["bridge-3fa2", "proposed"], duedate="2025-10-26",
                    priority={"name": "High"}, description="From the note",
                    assignee={"accountId": cloud.me.account_id})
    )  # fmt: skip
    assert (issue.key, issue.id) == ("BRIDGE-1", "10001")
    assert issue.self == f"{cloud_url}/rest/api/2/issue/10001"
    fields = issue.fields
    assert (fields.summary, fields.description) == ("Share role descriptions", "From the note")
    assert fields.duedate == "2025-10-26"
    assert fields.labels == ["bridge-3fa2", "proposed"]
    assert (fields.priority.name, fields.priority.id) == ("High", "2")
    assert fields.status.name == "To Do"
    assert (fields.status.statusCategory.key, fields.status.statusCategory.id) == ("new", 2)
    assert fields.assignee.accountId == cloud.me.account_id
    assert fields.resolution is None
    assert STAMP.match(fields.created)
    assert STAMP.match(fields.updated)

    before = fields.updated
    time.sleep(0.002)
    issue.update(fields={"summary": "Share the role descriptions", "labels": ["bridge-3fa2"]}, notify=False)
    assert (issue.fields.summary, issue.fields.labels) == ("Share the role descriptions", ["bridge-3fa2"])
    assert issue.fields.updated > before
    issue.add_field_value("labels", "in-progress")
    assert cloud_jira.issue("bridge-1").fields.labels == ["bridge-3fa2", "in-progress"]  # any case
    only = cloud_jira.issue("BRIDGE-1", fields="summary").raw["fields"]
    assert only == {"summary": "Share the role descriptions"}

    cloud_jira.assign_issue(issue.key, "lior")  # Cloud resolves the name through user/search?query=
    assert cloud_jira.issue(issue.key).fields.assignee.accountId == cloud.me.account_id
    cloud_jira.assign_issue(issue.key, None)
    assert cloud_jira.issue(issue.key).fields.assignee is None


def test_bulk_create_reports_partial_failures_by_element_number(cloud_jira, cloud, cloud_http, cloud_url):
    results = cloud_jira.create_issues(
        [task("first"), task(""), task("third", labels=["has space"])], prefetch=False
    )
    assert [r["status"] for r in results] == ["Success", "Error", "Error"]
    assert results[0]["issue"].key == "BRIDGE-1"
    assert results[1]["error"] == {"summary": "You must specify a summary of the issue."}
    assert "labels" in results[2]["error"]

    raw = cloud_http.post(
        "/rest/api/2/issue/bulk", json={"issueUpdates": [{"fields": task("ok")}, {"fields": {}}]}
    )
    assert raw.status_code == 201
    body = raw.json()
    assert body["issues"] == [
        {"id": "10002", "key": "BRIDGE-2", "self": f"{cloud_url}/rest/api/2/issue/10002"}
    ]
    [failure] = body["errors"]
    assert (failure["status"], failure["failedElementNumber"]) == (400, 1)
    assert set(failure["elementErrors"]["errors"]) == {"project", "summary"}

    everyone_failed = cloud_jira.create_issues(
        [task(""), task("x", priority={"name": "Urgent"})], prefetch=False
    )
    assert [r["status"] for r in everyone_failed] == ["Error", "Error"]
    assert everyone_failed[1]["error"] == {"priority": "The priority selected is invalid."}
    assert (
        cloud_http.post("/rest/api/2/issue/bulk", json={"issueUpdates": [{"fields": task("")}]}).status_code
        == 400
    )

    too_many = {"issueUpdates": [{"fields": task(f"n{n}")} for n in range(51)]}
    error_of(cloud_http.post("/rest/api/2/issue/bulk", json=too_many), 400)
    assert cloud.keys() == ["BRIDGE-1", "BRIDGE-2"]  # nothing of the refused request was created


def test_default_workflow_transitions_set_and_clear_the_resolution(cloud_jira, cloud, cloud_http):
    key = cloud.create("Ship it")
    offered = cloud_jira.transitions(key)
    assert [(t["id"], t["name"], t["to"]["statusCategory"]["key"]) for t in offered] == [
        ("11", "To Do", "new"),  # global transitions are offered from their own target too
        ("21", "In Progress", "indeterminate"),
        ("31", "Done", "done"),
    ]
    assert not any(t["hasScreen"] for t in offered)
    cloud_jira.transition_issue(key, "Done")  # by name: the library looks the id up first
    done = cloud_jira.issue(key).fields
    assert (done.status.name, done.status.statusCategory.key, done.resolution.name) == (
        "Done",
        "done",
        "Done",
    )
    assert STAMP.match(done.resolutiondate)
    assert STAMP.match(done.statuscategorychangedate)

    cloud_jira.transition_issue(key, "11")  # by id: sent as an int; Done -> To Do reopens
    reopened = cloud_jira.issue(key).fields
    assert (reopened.status.name, reopened.resolution, reopened.resolutiondate) == ("To Do", None, None)
    with pytest.raises(JIRAError) as raised:  # no screen: only the post-function sets a resolution
        cloud_jira.transition_issue(key, "31", resolution={"name": "Won't Do"})
    assert raised.value.status_code == 400
    assert "Field 'resolution' cannot be set" in raised.value.text
    assert cloud_jira.issue(key).fields.status.name == "To Do"
    born = cloud_http.post("/rest/api/2/issue", json={"fields": task("born done"), "transition": {"id": 31}})
    assert cloud.get_issue(born.json()["key"]).status.name == "Done"
    refused = cloud_http.post("/rest/api/2/issue", json={"fields": task("no"), "transition": {"id": "99"}})
    error_of(refused, 400)  # no such transition; nothing is created
    assert len(cloud.issues) == 2


def test_a_stepwise_workflow_needs_two_transitions_to_reach_done(cloud_server, cloud_jira, cloud_http):
    site = JiraEmulator(mode="cloud", email=EMAIL, workflow=Workflow.stepwise())
    cloud_server[0].state.emulator = site
    key = site.create("Two steps")
    assert [t["name"] for t in cloud_jira.transitions(key)] == ["Start progress"]
    refused = cloud_http.post(f"/rest/api/2/issue/{key}/transitions", json={"transition": {"id": "31"}})
    assert error_of(refused, 400)["errorMessages"] == ["Transition id '31' is not valid for this issue."]
    with pytest.raises(JIRAError) as raised:
        cloud_jira.transition_issue(key, "31")
    assert raised.value.status_code == 400
    error_of(cloud_http.post(f"/rest/api/2/issue/{key}/transitions", json={"fields": {}}), 400)

    cloud_jira.transition_issue(key, "Start progress")
    cloud_jira.transition_issue(key, "Done")
    assert cloud_jira.issue(key).fields.status.statusCategory.key == "done"

    other = site.create("Clicked through")
    site.complete(other)  # the person helper walks the shortest path
    statuses = [item["toString"] for e in site.events for item in e.get("changelog", {}).get("items", [])
                if e["issue"]["key"] == other and item["field"] == "status"]  # fmt: skip
    assert statuses == ["In Progress", "Done"]
    stuck = JiraEmulator(
        workflow=Workflow([WorkflowStatus("Open", "new"), WorkflowStatus("Closed", "done")], [])
    )
    with pytest.raises(ValueError, match="cannot reach"):
        stuck.complete(stuck.create("no way out"))


def test_custom_workflows_are_checked_when_built():
    with pytest.raises(ValueError, match="unknown status"):
        Workflow([WorkflowStatus("Open", "new")], [Transition("Go", "Nowhere")])
    with pytest.raises(ValueError, match="category"):
        Workflow([WorkflowStatus("Open", "started")], [])  # type: ignore[arg-type]
    custom = Workflow(
        [
            WorkflowStatus("Backlog", "new"),
            WorkflowStatus("Review", "indeterminate"),
            WorkflowStatus("Shipped", "done"),
        ],
        [Transition("Review", "Review", ("Backlog",)), Transition("Ship", "Shipped", ("Review",), id="501")],
    )
    assert [s.id for s in custom.statuses] == ["10000", "10001", "10002"]
    assert [t.id for t in custom.transitions] == ["11", "501"]
    assert [t.name for t in custom.path(custom.initial.id, custom.statuses[2]) or []] == ["Review", "Ship"]


# -- search -----------------------------------------------------------------------------------------


def test_cloud_search_pages_by_next_page_token(cloud_jira, cloud):
    keys = [cloud.create(f"task {n}", labels=["bridge"]) for n in range(7)]
    cloud.wait_for_search()
    first = cloud_jira.search_issues("project = BRIDGE ORDER BY key ASC", maxResults=3)
    assert [i.key for i in first] == keys[:3]
    assert first.nextPageToken
    second = cloud_jira.enhanced_search_issues(
        "project = BRIDGE ORDER BY key ASC", maxResults=3, nextPageToken=first.nextPageToken
    )
    assert [i.key for i in second] == keys[3:6]
    cloud.max_results = 3  # the library fetches all in pages of 100; a small cap makes several pages
    cloud.request_log.clear()
    everything = cloud_jira.search_issues('labels = "bridge" ORDER BY key DESC', maxResults=False)
    assert [i.key for i in everything] == keys[::-1]
    assert everything[0].fields.summary == "task 6"
    assert cloud.request_log == [("GET", "/rest/api/2/search/jql")] * 3
    posted = cloud_jira.enhanced_search_issues("project = BRIDGE", maxResults=False, use_post=True)
    assert len(posted) == 7
    assert cloud.request_log[-1] == ("POST", "/rest/api/2/search/jql")


def test_cloud_search_wire_format(cloud_http, cloud):
    key = cloud.create("one")
    cloud.create("two")
    cloud.wait_for_search()
    page = cloud_http.get(
        "/rest/api/3/search/jql", params={"jql": "project = BRIDGE", "maxResults": 1}
    ).json()
    assert page["issues"] == [{"id": "10002"}]  # fields default to id only; default order newest first
    assert page["isLast"] is False
    assert "total" not in page
    last = cloud_http.get(
        "/rest/api/3/search/jql",
        params={
            "jql": "project = BRIDGE",
            "maxResults": 1,
            "nextPageToken": page["nextPageToken"],
            "fields": "summary",
        },
    ).json()
    assert (last["isLast"], "nextPageToken" in last, last["issues"][0]["key"]) == (True, False, key)
    assert last["issues"][0]["fields"] == {"summary": "one"}
    moved = {"jql": "project = bridge", "nextPageToken": page["nextPageToken"]}
    error_of(cloud_http.get("/rest/api/3/search/jql", params=moved), 400)  # a token belongs to its query
    unbounded = error_of(cloud_http.post("/rest/api/3/search/jql", json={"jql": "order by key"}), 400)
    assert "Unbounded JQL" in unbounded["errorMessages"][0]


def test_cloud_answers_410_on_the_removed_search(cloud_http, cloud, cloud_url):
    for version in ("2", "3", "latest"):
        gone = error_of(
            cloud_http.get(f"/rest/api/{version}/search", params={"jql": "project = BRIDGE"}), 410
        )
        assert gone == {"errorMessages": [REMOVED], "errors": {}}
        error_of(cloud_http.post(f"/rest/api/{version}/search", json={"jql": "project = BRIDGE"}), 410)
    blind = JIRA(server=cloud_url, basic_auth=(EMAIL, TOKEN), get_server_info=False, max_retries=0)
    try:
        with pytest.raises(JIRAError) as raised:
            blind.search_issues("project = BRIDGE")  # without server info the library takes Cloud for Server
        assert raised.value.status_code == 410
    finally:
        blind.close()


def test_jql_subset(cloud_server, cloud_http):
    now = [datetime(2025, 10, 20, 9, 0, tzinfo=UTC)]
    site = JiraEmulator(mode="cloud", email=EMAIL, clock=lambda: now[0])
    cloud_server[0].state.emulator = site
    a = site.create("alpha", labels=["bridge-a", "x"], priority="High")
    now[0] += timedelta(minutes=5)
    b = site.create("beta", labels=["bridge-b"], duedate="2025-10-26")
    now[0] += timedelta(minutes=5)
    c = site.create("gamma")
    now[0] += timedelta(minutes=1)
    site.update(a, summary="alpha again")
    now[0] += timedelta(minutes=1)
    site.complete(b)  # updated: c 09:10, a 09:11, b 09:12
    site.wait_for_search()

    def keys(jql: str) -> list[str]:
        response = cloud_http.post("/rest/api/2/search/jql", json={"jql": jql, "fields": ["key"]})
        assert response.status_code == 200, response.text
        return [i["key"] for i in response.json()["issues"]]

    assert keys('project = BRIDGE AND labels = "bridge-a"') == [a]
    assert keys("labels in (bridge-a, 'bridge-b') ORDER BY key ASC") == [a, b]
    assert keys('project = BRIDGE AND updated >= "2025-10-20 09:10" ORDER BY updated ASC') == [c, a, b]
    assert keys('updated > "2025-10-20 09:11" OR created = "2025-10-20 09:00"') == [b, a]
    assert keys('updated < "2025/10/20 09:05"') == []
    assert keys("project = BRIDGE ORDER BY updated DESC, key ASC") == [b, a, c]
    assert keys("project = BRIDGE ORDER BY priority DESC, key DESC") == [a, c, b]
    assert keys(f"key in ({a}, {c}) ORDER BY key") == [a, c]
    assert keys("statusCategory = done") == [b]
    assert keys("statusCategory != done AND labels is EMPTY") == [c]
    assert keys("labels != x ORDER BY key") == [b]  # != never matches an empty field
    assert keys('status = "To Do" AND (priority = High OR duedate <= "2025-10-26") ORDER BY key') == [a]
    assert keys("resolution = Unresolved AND summary ~ gamma") == [c]
    assert keys("assignee is EMPTY AND reporter = currentUser() AND created >= -1d ORDER BY key") == [a, b, c]
    for jql, message in [
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("key in (BRIDGE-99)", "An issue with key 'BRIDGE-99' does not exist for field 'key'."),
        ("colour = red", "Field 'colour' does not exist or you do not have permission to view it."),
        ('updated >= "yesterday"', "Date value 'yesterday' for field 'updated' is invalid."),
        ("project = BRIDGE AND", "Error in the JQL Query"),
    ]:
        body = error_of(cloud_http.post("/rest/api/2/search/jql", json={"jql": jql}), 400)
        assert body["errorMessages"][0].startswith(message), body


def test_cloud_search_lags_behind_writes_unless_reconciled(cloud_http, cloud):
    assert cloud.search_lag > 0  # on by default in Cloud mode
    cloud.search_lag_searches, cloud.search_lag = 1, 0.0  # first the lag counted in searches alone

    def found(**extra: Any) -> list[str]:
        body = {"jql": "project = BRIDGE", "fields": ["key"], **extra}
        return [i["key"] for i in cloud_http.post("/rest/api/2/search/jql", json=body).json()["issues"]]

    key = cloud.create("fresh")
    assert found() == []
    assert found() == [key]
    cloud.update(key, labels=["late"])
    assert found(jql='labels = "late"') == []
    assert found(jql='labels = "late"') == [key]
    other = cloud.create("another")
    assert found(reconcileIssues=[int(cloud.get_issue(other).id)]) == [other, key]  # read-after-write
    cloud.search_lag_searches, cloud.search_lag = 0, 0.2
    third = cloud.create("slow")
    assert third not in found()
    time.sleep(0.25)
    assert third in found()


# -- auth, rate limits, injected failures -----------------------------------------------------------


def test_only_the_exact_credentials_are_accepted(cloud_url, server_url, cloud, server):
    with pytest.raises(JIRAError) as raised:
        JIRA(server=cloud_url, basic_auth=(EMAIL, "wrong-token"), max_retries=0)
    assert raised.value.status_code == 401
    unauthenticated = "You are not authenticated. Authentication required to perform this operation."
    with httpx.Client(base_url=cloud_url) as client:
        for auth in [None, (EMAIL.upper(), TOKEN), (EMAIL, TOKEN + "x")]:
            body = error_of(client.get("/rest/api/2/myself", auth=auth), 401)
            assert body == {"errorMessages": [unauthenticated], "errors": {}}
        error_of(client.get("/rest/api/2/myself", headers={"Authorization": f"Bearer {TOKEN}"}), 401)
    with httpx.Client(base_url=server_url) as client:
        error_of(client.get("/rest/api/2/myself", auth=("bridge", PAT)), 401)
        error_of(client.get("/rest/api/2/myself", headers={"Authorization": "Bearer nope"}), 401)
        assert client.get("/rest/api/2/myself", headers={"Authorization": f"bearer {PAT}"}).status_code == 200
    with pytest.raises(ValueError, match="Cloud mode needs"):
        create_app(mode="cloud", email=EMAIL)
    with pytest.raises(ValueError, match="server mode"):
        create_app(mode="cloud", email=EMAIL, token=TOKEN, emulator=JiraEmulator(mode="server"))


def test_rate_limit_answers_429_with_retry_after(cloud_jira, cloud, cloud_http):
    cloud.rate_limit, cloud.rate_window = 2, 30
    assert cloud_http.get("/rest/api/2/myself").status_code == 200
    assert cloud_http.get("/rest/api/2/myself").status_code == 200
    refused = cloud_http.get("/rest/api/2/myself")
    assert error_of(refused, 429) == {"errorMessages": ["Rate limit exceeded."], "errors": {}}
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert refused.headers["RateLimit-Reason"] == "jira-burst-based"
    with pytest.raises(JIRAError) as raised:
        cloud_jira.myself()
    assert raised.value.status_code == 429


def test_the_library_retries_injected_429_and_503_with_retry_after(cloud_url, cloud, monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr(jira.resilientsession, "time", SimpleNamespace(sleep=sleeps.append))
    client = JIRA(server=cloud_url, basic_auth=(EMAIL, TOKEN), max_retries=2)
    try:
        cloud.fail_next(429, count=1, path_prefix="/myself")
        cloud.fail_next(503, count=1, path_prefix="/rest/api/2/priority", retry_after=3)
        assert client.myself()["accountId"] == cloud.me.account_id
        assert len(client.priorities()) == 5
        assert len(sleeps) == 2  # 2 x Retry-After x U(0.5, 1) (reference §4)
        assert 1 <= sleeps[0] <= 2
        assert 3 <= sleeps[1] <= 6
        assert cloud.request_log.count(("GET", "/rest/api/2/myself")) == 2
        cloud.fail_next(500, count=1, path_prefix="/field")
        with pytest.raises(JIRAError) as raised:
            client.fields()  # 5xx other than 503 is not retried
        assert raised.value.status_code == 500
    finally:
        client.close()


def test_latency_and_the_after_bulk_create_hook(cloud_jira, cloud, cloud_http):
    seen: list[list[str]] = []
    cloud.after_bulk_create = seen.append
    cloud_jira.create_issues([task("a"), task("b")], prefetch=False)
    assert seen == [["BRIDGE-1", "BRIDGE-2"]]

    def crash(keys: list[str]) -> None:
        raise RuntimeError("killed after the write")

    cloud.after_bulk_create = crash
    crashed = cloud_http.post("/rest/api/2/issue/bulk", json={"issueUpdates": [{"fields": task("c")}]})
    assert error_of(crashed, 500)["errorMessages"]
    assert cloud.keys() == ["BRIDGE-1", "BRIDGE-2", "BRIDGE-3"]  # created although the client saw 500
    cloud.latency = 0.1
    started = time.monotonic()
    cloud_http.get("/rest/api/2/myself")
    assert time.monotonic() - started >= 0.1


# -- Server / Data Center ------------------------------------------------------------------------


def test_server_client_pages_by_start_at_and_names_people(server_jira, server, server_http):
    assert server_jira.server_info()["deploymentType"] == "Server"
    me = server_jira.myself()
    assert (me["name"], "accountId" in me) == ("lior.genzel", False)
    keys = [server_jira.create_issue(fields=task(f"s{n}"), prefetch=False).key for n in range(5)]
    page = server_jira.search_issues("project = BRIDGE ORDER BY key ASC", startAt=1, maxResults=2)
    assert ([i.key for i in page], page.total, page.startAt) == (keys[1:3], 5, 1)
    server.max_results = 2
    assert [
        i.key for i in server_jira.search_issues("project = BRIDGE ORDER BY key", maxResults=False)
    ] == keys
    raw = server_http.get("/rest/api/2/search", params={"jql": "project = BRIDGE", "maxResults": 0}).json()
    assert (raw["total"], raw["issues"], raw["startAt"]) == (5, [], 0)
    error_of(server_http.get("/rest/api/2/search/jql", params={"jql": "project = BRIDGE"}), 404)
    error_of(server_http.get("/rest/api/3/myself"), 404)  # Data Center has no REST v3

    bob = server.add_user("Bob Builder")
    assert [u.name for u in server_jira.search_users(user="bob")] == ["bob.builder"]
    server_jira.assign_issue(keys[0], "bob.builder")
    issue = server_jira.issue(keys[0])
    assert (issue.fields.assignee.name, issue.fields.assignee.key) == (bob.name, bob.key)
    issue.update(assignee="lior.genzel")  # the library's string form: {"name": …}
    assert server_jira.issue(keys[0]).fields.assignee.name == "lior.genzel"
    with pytest.raises(JIRAError) as raised:  # Server's Done has a screen that requires a Resolution
        server_jira.transition_issue(keys[0], "Done")
    assert (raised.value.status_code, raised.value.text) == (400, "Field Resolution is required.")
    server_jira.transition_issue(keys[0], "Done", resolution={"name": "Done"})
    assert server_jira.issue(keys[0]).fields.resolution.name == "Done"


def test_user_search_follows_each_deployment(cloud_jira, cloud, cloud_http):
    dana = cloud.add_user("Dana Scully", email="dana@fbi.example")
    assert [u.accountId for u in cloud_jira.search_users(query="scu")] == [dana.account_id]
    # Cloud hides the e-mail address (the default privacy setting): only the whole address finds her
    assert cloud_jira.search_users(query="dana@") == []
    found = cloud_jira.search_users(query="dana@fbi.example")
    assert [u.displayName for u in found] == ["Dana Scully"]
    assert "emailAddress" not in found[0].raw
    by_id = cloud_http.get("/rest/api/2/user/search", params={"accountId": dana.account_id}).json()
    assert [u["displayName"] for u in by_id] == ["Dana Scully"]
    assert by_id[0]["self"].endswith(f"/rest/api/2/user?accountId={dana.account_id}")
    error_of(cloud_http.get("/rest/api/2/user/search"), 400)
    both = {"query": "d", "accountId": dana.account_id}
    error_of(cloud_http.get("/rest/api/2/user/search", params=both), 400)
    cloud_jira.create_issue(fields=task("for dana", assignee={"accountId": dana.account_id}))
    refused = cloud_http.post("/rest/api/2/issue", json={"fields": task("x", assignee={"name": "dana"})})
    assert error_of(refused, 400)["errors"] == {"assignee": "User 'dana' does not exist."}


# -- the wire: REST v3, validation, errors, self links ------------------------------------------


def test_v3_takes_and_gives_descriptions_as_adf(cloud_http, cloud, cloud_url):
    doc = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "line one"}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "line two"}]},
    ]}  # fmt: skip
    created = cloud_http.post("/rest/api/3/issue", json={"fields": task("adf", description=doc)})
    assert created.status_code == 201
    assert created.json()["self"] == f"{cloud_url}/rest/api/3/issue/10001"
    assert cloud_http.get("/rest/api/3/issue/BRIDGE-1").json()["fields"]["description"] == doc
    assert (
        cloud_http.get("/rest/api/2/issue/BRIDGE-1").json()["fields"]["description"] == "line one\nline two"
    )
    plain = cloud_http.post("/rest/api/3/issue", json={"fields": task("plain", description="text")})
    assert "Atlassian Document" in error_of(plain, 400)["errors"]["description"]
    edited = cloud_http.put("/rest/api/latest/issue/BRIDGE-1", json={"fields": {"description": "v2 text"}})
    assert (edited.status_code, edited.content) == (204, b"")
    assert cloud.get_issue("BRIDGE-1").description == "v2 text"


def test_create_and_edit_validate_every_field(cloud_http, cloud):
    body = error_of(cloud_http.post("/rest/api/2/issue", json={"fields": {"summary": "x"}}), 400)
    assert body["errors"] == {"project": "Specify a valid project ID or key"}
    bad = task("a\nb", duedate="2025-13-45", priority={"id": "9"}, issuetype={"name": "Epic"}, colour="red")
    body = error_of(cloud_http.post("/rest/api/2/issue", json={"fields": bad}), 400)
    assert body["errors"] == {
        "summary": "The summary is invalid because it contains newline characters.",
        "duedate": "Error parsing date string: 2025-13-45",
        "priority": "The priority selected is invalid.",
        "issuetype": "issue type is required",  # no type of the site has that name
        "colour": "Field 'colour' cannot be set. It is not on the appropriate screen, or unknown.",
    }
    key = cloud.create("editable")
    for payload, field in [
        ({"fields": {"status": {"name": "Done"}}}, "status"),
        ({"fields": {"labels": ["a"]}, "update": {"labels": [{"add": "b"}]}}, "labels"),
        ({"fields": {"summary": ""}}, "summary"),
        ({"update": {"summary": [{"add": "x"}]}}, "summary"),
    ]:
        assert field in error_of(cloud_http.put(f"/rest/api/2/issue/{key}", json=payload), 400)["errors"]
    error_of(cloud_http.put(f"/rest/api/2/issue/{key}", content=b""), 400)
    error_of(cloud_http.put(f"/rest/api/2/issue/{key}", content=b"{not json"), 400)
    ops = {
        "update": {
            "labels": [{"add": "b"}, {"add": "a"}, {"remove": "b"}],
            "duedate": [{"set": "2025-01-02"}],
        }
    }
    changed = cloud_http.put(f"/rest/api/2/issue/{key}", params={"returnIssue": "true"}, json=ops)
    assert (changed.json()["fields"]["labels"], changed.json()["fields"]["duedate"]) == (["a"], "2025-01-02")


def test_unknown_issues_and_deletion(cloud_http, cloud):
    missing = error_of(cloud_http.get("/rest/api/2/issue/BRIDGE-9"), 404)
    assert missing["errorMessages"] == ["Issue does not exist or you do not have permission to see it."]
    error_of(cloud_http.get("/rest/api/2/project/NOPE"), 404)
    error_of(cloud_http.get("/rest/api/2/no/such/path"), 404)
    key = cloud.create("doomed")
    issue_id = cloud.get_issue(key).id
    assert cloud_http.get(f"/rest/api/2/issue/{issue_id}").json()["key"] == key  # by id as by key
    deleted = cloud_http.delete(f"/rest/api/2/issue/{key}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    error_of(cloud_http.get(f"/rest/api/2/issue/{key}"), 404)
    error_of(cloud_http.delete(f"/rest/api/2/issue/{key}"), 404)
    assert cloud.create("next") == "BRIDGE-2"  # keys are never reused
    assert [e["webhookEvent"] for e in cloud.events] == [
        "jira:issue_created",
        "jira:issue_deleted",
        "jira:issue_created",
    ]


def test_issue_properties_and_changelog_expansion(cloud_http, cloud):
    key = cloud.create("props")
    path = f"/rest/api/2/issue/{key}/properties/bridge"
    assert cloud_http.put(path, json={"note": "a.md"}).status_code == 201
    assert cloud_http.put(path, json={"note": "b.md"}).status_code == 200
    assert cloud_http.get(path).json() == {"key": "bridge", "value": {"note": "b.md"}}
    error_of(cloud_http.get(f"/rest/api/2/issue/{key}/properties/other"), 404)
    cloud.transition_to(key, "In Progress")
    issue = cloud_http.get(
        f"/rest/api/2/issue/{key}", params={"expand": "changelog", "properties": "bridge"}
    ).json()
    assert issue["properties"] == {"bridge": {"note": "b.md"}}
    [history] = issue["changelog"]["histories"]
    assert history["items"] == [
        {"field": "status", "fieldtype": "jira", "from": "10000", "fromString": "To Do", "to": "10001",
         "toString": "In Progress"}
    ]  # fmt: skip


def test_events_carry_what_webhooks_would(cloud, cloud_url, cloud_jira):
    issue = cloud_jira.create_issue(fields=task("evented", labels=["a"]))
    issue.update(fields={"labels": ["a", "bridge-1"], "priority": {"name": "Low"}})
    cloud.transition_to(issue.key, "Done")
    created, updated, transitioned = cloud.events
    assert (created["webhookEvent"], created["issue_event_type_name"], "changelog" in created) == (
        "jira:issue_created", "issue_created", False,
    )  # fmt: skip
    assert created["issue"]["self"] == f"{cloud_url}/rest/api/2/issue/{issue.id}"
    assert created["user"]["accountId"] == cloud.me.account_id
    assert isinstance(created["timestamp"], int)
    assert {i["field"]: (i["fromString"], i["toString"]) for i in updated["changelog"]["items"]} == {
        "labels": ("a", "a bridge-1"),
        "priority": ("Medium", "Low"),
    }
    assert transitioned["issue_event_type_name"] == "issue_generic"
    assert [(i["field"], i["toString"]) for i in transitioned["changelog"]["items"]] == [
        ("status", "Done"), ("resolution", "Done"),
    ]  # fmt: skip
    assert transitioned["issue"]["fields"]["status"]["statusCategory"]["key"] == "done"
    signature = cloud.sign(b'{"a":1}')
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", signature)


def test_person_helpers_act_as_jira_users_would(cloud):
    key = cloud.create("by hand", labels=["x"], priority="Highest", duedate="2025-10-26", assignee=EMAIL)
    issue = cloud.get_issue(key)
    assert (issue.priority and issue.priority.name, issue.assignee, issue.duedate) == (
        "Highest", cloud.me, "2025-10-26",
    )  # fmt: skip
    cloud.update(key, summary="renamed", assignee=None, labels=[])
    assert (cloud.get_issue(key).summary, cloud.get_issue(key).assignee, cloud.get_issue(key).labels) == (
        "renamed", None, [],
    )  # fmt: skip
    cloud.complete(key)
    assert cloud.get_issue(key).status.category == "done"
    cloud.reopen(key)
    assert cloud.get_issue(key).resolution is None
    cloud.delete(key)
    with pytest.raises(JiraError, match="does not exist"):
        cloud.get_issue(key)


# -- schemas of the OpenAPI document ------------------------------------------------------------------


def test_responses_match_the_openapi_schemas(cloud_http, cloud, check_schema, response_schema):
    def check(method: str, path: str, status: int, response: httpx.Response) -> Any:
        assert response.status_code == status, response.text
        check_schema(response_schema(method, f"/rest/api/3{path}", status), response.json())
        return response.json()

    for path in ("/serverInfo", "/field", "/myself", "/project", "/priority", "/resolution", "/status",
                 "/statuscategory"):  # fmt: skip
        check("get", path, 200, cloud_http.get(f"/rest/api/3{path}"))
    check("get", "/project/{projectIdOrKey}", 200, cloud_http.get("/rest/api/3/project/BRIDGE"))
    check("get", "/user/search", 200, cloud_http.get("/rest/api/3/user/search", params={"query": "lior"}))
    created = check("post", "/issue", 201, cloud_http.post("/rest/api/3/issue", json={"fields": task("s")}))
    bulk = {"issueUpdates": [{"fields": task("t", labels=["l"], duedate="2025-10-26")}, {"fields": {}}]}
    check("post", "/issue/bulk", 201, cloud_http.post("/rest/api/3/issue/bulk", json=bulk))
    check("post", "/issue/bulk", 400, cloud_http.post("/rest/api/3/issue/bulk", json={"issueUpdates": [{}]}))
    cloud.update("BRIDGE-2", assignee=EMAIL)
    cloud.complete("BRIDGE-2")
    for key in (created["key"], "BRIDGE-2"):
        issue = check("get", "/issue/{issueIdOrKey}", 200, cloud_http.get(f"/rest/api/3/issue/{key}"))
        fields = issue["fields"]
        for name, schema in [("status", "StatusDetails"), ("priority", "Priority"), ("reporter", "User"),
                             ("issuetype", "IssueTypeDetails"), ("project", "ProjectDetails")]:  # fmt: skip
            check_schema(schema, fields[name])
        assert STAMP.match(fields["updated"])
    check_schema("User", cloud_http.get("/rest/api/3/issue/BRIDGE-2").json()["fields"]["assignee"])
    check_schema("Resolution", cloud_http.get("/rest/api/3/issue/BRIDGE-2").json()["fields"]["resolution"])
    check(
        "get",
        "/issue/{issueIdOrKey}/transitions",
        200,
        cloud_http.get("/rest/api/3/issue/BRIDGE-1/transitions"),
    )
    page = cloud_http.get(
        "/rest/api/3/search/jql", params={"jql": "project = BRIDGE", "fields": "*all", "maxResults": 1}
    )
    check_schema(SEARCH_RESULTS, page.json())
    check_schema("ErrorCollection", cloud_http.get("/rest/api/3/search").json())
    check_schema("ErrorCollection", cloud_http.get("/rest/api/3/issue/NOPE-1").json())


def test_server_search_matches_the_search_results_schema(server_http, server, check_schema, response_schema):
    server.create("one")
    body = server_http.get(
        "/rest/api/2/search", params={"jql": "project = BRIDGE", "validateQuery": "True"}
    ).json()
    check_schema(response_schema("get", "/rest/api/3/search", 200), body)
    check_schema("User", server_http.get("/rest/api/2/myself").json())
