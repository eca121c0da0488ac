"""Issue links on the emulator, with the unmodified `jira` library over real HTTP: the default
link types, a link made with `create_issue_link` and seen from both issues, one link read and
deleted, and Jira's refusals of an unknown type or issue."""

from __future__ import annotations

import httpx
import pytest
from jira import JIRA, JIRAError

from connectors.jira.emulator import JiraEmulator

DEFAULTS = [
    ("Blocks", "is blocked by", "blocks"),
    ("Cloners", "is cloned by", "clones"),
    ("Duplicate", "is duplicated by", "duplicates"),
    ("Relates", "relates to", "relates to"),
]


@pytest.fixture(params=["cloud", "server"])
def site(request: pytest.FixtureRequest) -> tuple[JIRA, JiraEmulator]:
    """The `jira` client and the site behind it, in each mode."""
    mode = request.param
    return request.getfixturevalue(f"{mode}_jira"), request.getfixturevalue(mode)


def test_a_new_site_has_jiras_default_link_types(site):
    jira, _ = site
    types = jira.issue_link_types()
    assert [(t.name, t.inward, t.outward) for t in types] == DEFAULTS
    one = jira.issue_link_type(types[1].id)
    assert (one.id, one.name) == (types[1].id, "Cloners")
    with pytest.raises(JIRAError) as refused:
        jira.issue_link_type("99999")
    assert refused.value.status_code == 404


def test_a_link_shows_on_both_issues_with_the_other_issues_fields(site):
    jira, em = site
    earlier, later = em.create("Water the plants"), em.create("Water the plants again", priority="High")
    answer = jira.create_issue_link("Cloners", later, earlier)
    assert (answer.status_code, answer.text) == (201, "")
    source = jira.issue(later).fields.issuelinks
    assert len(source) == 1
    link = source[0]
    assert (link.type.name, link.type.outward) == ("Cloners", "clones")
    assert not hasattr(link, "inwardIssue")
    assert link.outwardIssue.key == earlier  # `later` clones `earlier`
    assert link.outwardIssue.fields.summary == "Water the plants"
    assert link.outwardIssue.fields.status.name == "To Do"
    assert link.outwardIssue.fields.issuetype.name == "Task"
    destination = jira.issue(earlier).fields.issuelinks
    assert [(entry.id, entry.inwardIssue.key) for entry in destination] == [(link.id, later)]
    assert destination[0].inwardIssue.fields.priority.name == "High"
    assert not hasattr(destination[0], "outwardIssue")
    em.complete(earlier)  # a link shows the far issue as it is now
    assert jira.issue(later).fields.issuelinks[0].outwardIssue.fields.status.name == "Done"


def test_one_link_read_and_deleted_by_id(site):
    jira, em = site
    first, second = em.create("One"), em.create("Two")
    jira.create_issue_link("Relates", first, second)
    link_id = jira.issue(first).fields.issuelinks[0].id
    link = jira.issue_link(link_id)
    assert (link.type.name, link.inwardIssue.key, link.outwardIssue.key) == ("Relates", first, second)
    jira.create_issue_link("Relates", first, second)  # the same link again is answered as made
    assert len(jira.issue(second).fields.issuelinks) == 1
    jira.delete_issue_link(link_id)
    assert jira.issue(first).fields.issuelinks == []
    assert jira.issue(second).fields.issuelinks == []
    with pytest.raises(JIRAError) as refused:
        jira.issue_link(link_id)
    assert refused.value.status_code == 404


def test_an_unknown_link_type_or_issue_is_refused_as_jira_words_it(site):
    jira, em = site
    first, second = em.create("One"), em.create("Two")
    with pytest.raises(JIRAError) as unknown_type:
        jira.create_issue_link("Follows", first, second)
    assert unknown_type.value.status_code == 404
    assert unknown_type.value.text == "No issue link type with name 'Follows' found."
    with pytest.raises(JIRAError) as unknown_issue:
        jira.create_issue_link("Relates", first, "BRIDGE-999")
    assert unknown_issue.value.status_code == 404
    assert unknown_issue.value.text == "Issue Does Not Exist"
    assert jira.issue(first).fields.issuelinks == []


def test_links_over_rest_v3_and_a_body_without_a_type(cloud_http: httpx.Client, cloud: JiraEmulator):
    first, second = cloud.create("One"), cloud.create("Two")
    body = {"type": {"id": "10000"}, "inwardIssue": {"key": first}, "outwardIssue": {"key": second}}
    made = cloud_http.post("/rest/api/3/issueLink", json=body)
    assert (made.status_code, made.content) == (201, b"")
    fields = cloud_http.get(f"/rest/api/3/issue/{first}", params={"fields": "issuelinks"}).json()["fields"]
    assert list(fields) == ["issuelinks"]
    (entry,) = fields["issuelinks"]
    assert entry["self"].endswith(f"/rest/api/3/issueLink/{entry['id']}")
    assert entry["type"] == {
        "id": "10000",
        "name": "Blocks",
        "inward": "is blocked by",
        "outward": "blocks",
        "self": entry["type"]["self"],
    }
    assert entry["type"]["self"].endswith("/rest/api/3/issueLinkType/10000")
    assert set(entry["outwardIssue"]) == {"id", "key", "self", "fields"}
    assert set(entry["outwardIssue"]["fields"]) == {"summary", "status", "priority", "issuetype"}
    untyped = cloud_http.post("/rest/api/3/issueLink", json={**body, "type": {}})
    assert untyped.status_code == 400
    listed = cloud_http.get("/rest/api/3/field").json()
    assert {"id": "issuelinks", "name": "Linked Issues"}.items() <= next(
        f for f in listed if f["id"] == "issuelinks"
    ).items()


def test_a_link_is_in_both_changelogs_and_an_issuelink_event(cloud: JiraEmulator, cloud_jira: JIRA):
    first, second = cloud.create("One"), cloud.create("Two")
    cloud_jira.create_issue_link("Blocks", first, second)
    history = cloud.get_issue(first).history[-1].items
    assert [(i["field"], i["to"], i["toString"]) for i in history] == [
        ("Link", second, f"This issue blocks {second}")
    ]
    other = cloud.get_issue(second).history[-1].items
    assert other[0]["toString"] == f"This issue is blocked by {first}"
    event = cloud.events[-1]
    assert event["webhookEvent"] == "issuelink_created"
    assert event["issueLink"]["sourceIssueId"] == int(cloud.get_issue(first).id)
    cloud.delete(second)  # an issue's links go with it
    assert cloud_jira.issue(first).fields.issuelinks == []
    assert cloud.links == {}
