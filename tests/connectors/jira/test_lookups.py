"""The emulator's read-only look-ups beyond the connector's own calls (issue types, a project's
statuses, users who may browse, property keys, status category "No Category", project `expand`,
the `comment` field) and the refusal of over-long GET searches, over real HTTP."""

from __future__ import annotations

import httpx
import pytest
from jira import JIRA, JIRAError

from connectors.jira.emulator import JiraEmulator


def test_issue_types_are_the_site_wide_list_and_one_by_id(cloud_http, cloud, check_schema):
    listed = cloud_http.get("/rest/api/3/issuetype")
    assert listed.status_code == 200
    shared = [(t["id"], t["name"]) for t in listed.json() if "scope" not in t]
    assert shared == [("10002", "Task"), ("10004", "Bug"), ("10003", "Sub-task")]
    assert [t["subtask"] for t in listed.json() if "scope" not in t] == [False, False, True]
    own = [t for t in listed.json() if "scope" in t]  # the team-managed project's own types
    assert {t["name"] for t in own} == {"Task", "Bug", "Sub-task"}
    assert {t["scope"]["project"]["id"] for t in own} == {cloud.find_project("TEAM").id}
    for entry in listed.json():
        check_schema("IssueTypeDetails", entry)
    one = cloud_http.get("/rest/api/3/issuetype/10004")
    assert one.json() == listed.json()[1]
    missing = cloud_http.get("/rest/api/3/issuetype/99999")
    assert missing.status_code == 404
    assert missing.json()["errorMessages"] == ["The issue type with id '99999' does not exist."]


def test_status_categories_include_no_category(server_http, cloud_http, check_schema):
    body = server_http.get("/rest/api/2/statuscategory").json()
    assert [(c["id"], c["key"], c["name"]) for c in body] == [
        (1, "undefined", "No Category"),
        (2, "new", "To Do"),
        (4, "indeterminate", "In Progress"),
        (3, "done", "Done"),
    ]
    for entry in cloud_http.get("/rest/api/3/statuscategory").json():
        check_schema("StatusCategory", entry)
    assert server_http.get("/rest/api/2/statuscategory/1").json()["colorName"] == "medium-gray"


def test_project_statuses_per_issue_type(server_jira: JIRA, server: JiraEmulator):
    types = server_jira.issue_types_for_project("BRIDGE")
    assert [(t.name, t.subtask) for t in types] == [("Task", False), ("Bug", False), ("Sub-task", True)]
    assert [s.name for s in types[0].statuses] == ["To Do", "In Progress", "Done"]
    with pytest.raises(JIRAError) as refused:
        server_jira.issue_types_for_project("NOPE")
    assert refused.value.status_code == 404


def test_users_who_may_browse_need_an_existing_issue_or_project(cloud_jira: JIRA, cloud: JiraEmulator):
    cloud.add_user("Avery Stone", email="avery@example.com")
    key = cloud.create("Share role descriptions")
    found = cloud_jira.search_allowed_users_for_issue("avery", issueKey=key)
    assert [u.displayName for u in found] == ["Avery Stone"]
    with pytest.raises(JIRAError) as refused:
        cloud_jira.search_allowed_users_for_issue("avery", projectKey="NOPE")
    assert refused.value.status_code == 404


def test_issue_property_keys_and_delete(server_jira: JIRA, server: JiraEmulator, server_http):
    key = server.create("Share role descriptions")
    server_jira.add_issue_property(key, "bridge", {"task": "3fa2"})
    keys = server_http.get(f"/rest/api/2/issue/{key}/properties").json()["keys"]
    assert [k["key"] for k in keys] == ["bridge"]
    assert keys[0]["self"].endswith("/rest/api/2/issue/10001/properties/bridge")
    assert server_http.delete(f"/rest/api/2/issue/{key}/properties/bridge").status_code == 204
    again = server_http.delete(f"/rest/api/2/issue/{key}/properties/bridge")
    assert again.status_code == 404
    assert server_jira.issue_properties(key) == []


def test_project_expand_adds_project_keys(cloud_jira: JIRA, cloud: JiraEmulator):
    assert not hasattr(cloud_jira.project("BRIDGE"), "projectKeys")
    assert cloud_jira.project("BRIDGE", expand="projectKeys").projectKeys == ["BRIDGE"]
    listed = cloud_jira.projects(expand="projectKeys,lead")
    assert [(p.projectKeys, p.lead.displayName) for p in listed] == [
        (["BRIDGE"], "Lior Genzel"),
        (["TEAM"], "Lior Genzel"),
    ]


def test_comment_field_is_all_but_not_navigable(server_http, server: JiraEmulator, cloud_http, cloud):
    server.create("Share role descriptions")
    issue = server_http.get("/rest/api/2/issue/BRIDGE-1").json()
    assert issue["fields"]["comment"] == {"comments": [], "maxResults": 0, "total": 0, "startAt": 0}
    navigable = server_http.get("/rest/api/2/search", params={"jql": "project = BRIDGE"}).json()
    assert "comment" not in navigable["issues"][0]["fields"]
    assert "summary" in navigable["issues"][0]["fields"]
    everything = server_http.get("/rest/api/2/search", params={"jql": "project = BRIDGE", "fields": "*all"})
    assert "comment" in everything.json()["issues"][0]["fields"]
    field = next(f for f in server_http.get("/rest/api/2/field").json() if f["id"] == "comment")
    assert (field["navigable"], field["schema"]) == (False, {"type": "comments-page", "system": "comment"})
    cloud.create("Share role descriptions")
    page = cloud_http.get("/rest/api/3/issue/BRIDGE-1").json()["fields"]["comment"]
    assert page["self"].endswith("/rest/api/3/issue/10001/comment")


@pytest.mark.parametrize("path", ["/rest/api/2/search", "/rest/api/3/search/jql"])
def test_an_over_long_get_search_is_refused_and_post_is_not(path, server_http, cloud_http, server, cloud):
    client: httpx.Client = server_http if "/2/" in path else cloud_http
    site = server if "/2/" in path else cloud
    key = site.create("Share role descriptions")
    site.wait_for_search()  # Cloud's index trails the write
    jql = " or ".join(f"key = {key}" for _ in range(600))
    refused = client.get(path, params={"jql": jql})
    assert refused.status_code == 414
    assert refused.json() == {"errorMessages": ["URI Too Long"], "errors": {}}
    posted = client.post(path, json={"jql": jql, "fields": ["summary"]})
    assert posted.status_code == 200
    assert [i["key"] for i in posted.json()["issues"]] == [key]


def test_users_assignable_in_several_projects_are_those_assignable_in_each(
    server_jira: JIRA, server: JiraEmulator, cloud_http, cloud: JiraEmulator
):
    """`/user/assignable/multiProjectSearch`: Server matches `username` among the users who may be
    assigned in every listed project; Cloud pages its users first and keeps those of the page who
    may be, so a page may come back short."""
    both = server.add_user("Mia Member", name="mia")
    server.add_user("Mia Teamonly", name="miat", projects=("TEAM",))
    server.add_user("Mia Outsider", name="mio", projects=())
    found = server_jira.search_assignable_users_for_projects("mia", "BRIDGE,TEAM")
    assert [u.name for u in found] == [both.name]
    in_team = server_jira.search_assignable_users_for_projects("mia", "TEAM")
    assert [u.name for u in in_team] == ["mia", "miat"]
    with pytest.raises(JIRAError) as refused:
        server_jira.search_assignable_users_for_projects("mia", "BRIDGE,NOPE")
    assert refused.value.status_code == 404

    member = cloud.add_user("Mia Member", email="mia@example.com")
    cloud.add_user("Mia Teamonly", email="miat@example.com", projects=("TEAM",))

    def names(**params: object) -> list[str]:
        answer = cloud_http.get(
            "/rest/api/2/user/assignable/multiProjectSearch", params={"projectKeys": "BRIDGE,TEAM", **params}
        )
        assert answer.status_code == 200
        assert all("emailAddress" not in u for u in answer.json())  # hidden on Cloud
        return [u["displayName"] for u in answer.json()]

    assert names(query="mia") == ["Mia Member"]
    assert names(accountId=member.account_id) == ["Mia Member"]
    assert names(query="mia", startAt=1, maxResults=1) == []  # the page held Mia Teamonly only
