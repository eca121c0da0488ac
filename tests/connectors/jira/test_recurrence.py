"""Recurring tasks on Jira, which has none: a new occurrence is a CREATE with `Op.follows`, made
like any create and then linked to the previous occurrence's issue (JIRA_RECURRENCE_LINK); the
link is checked with the unmodified `jira` library, over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from jira import JIRA

from bridge.connector import Fields, Op, OpKind
from bridge.model import StatusType
from connectors.jira.connector import JiraConnector
from connectors.jira.emulator import JiraEmulator
from connectors.jira.settings import JiraSettings
from tests.connectors.jira.conftest import EMAIL, TOKEN


def _connector(url: str, **settings: str) -> JiraConnector:
    return JiraConnector(
        JiraSettings(url=url, email=EMAIL, api_token=TOKEN, project="BRIDGE", max_retries=0, **settings)
    )


@pytest.fixture
def connector(cloud_url: str) -> Iterator[JiraConnector]:
    made = _connector(cloud_url)
    yield made
    made.close()


def _next(ref: str, follows: str | None, due: str = "2026-12-11") -> Op:
    fields = Fields(
        "Water the plants", StatusType.TODO, due=due, note_title="Home", path="home.md", vault="v",
        recurrence="every week",
    )  # fmt: skip
    return Op(OpKind.CREATE, ref, f"00000000-0000-4000-8000-{ref[-12:]}", fields, follows=follows)


def _previous(cloud: JiraEmulator) -> str:
    """The issue of the completed occurrence: made by the bridge, closed in Jira."""
    key = cloud.create("Water the plants", labels=["task-bridge"], duedate="2026-12-04")
    cloud.complete(key)
    return cloud.get_issue(key).id


def test_jira_never_advances_a_recurring_issue():
    assert JiraConnector.recurs is False


def test_a_create_that_follows_an_occurrence_is_made_and_linked_to_it(connector, cloud, cloud_jira: JIRA):
    previous = _previous(cloud)
    connector.pull(None)
    before = connector.requests
    pushed = connector.push([_next("a" * 16, previous), _next("b" * 16, None)])
    assert all(r.ok for r in pushed.results)
    made, plain = (r.remote_id for r in pushed.results)
    # the one bulk create, then the link types once and one link: no link for the other create
    assert connector.requests - before == 3
    links = cloud_jira.issue(made).fields.issuelinks
    assert [(link.type.name, link.outwardIssue.id) for link in links] == [("Relates", previous)]
    back = cloud_jira.issue(previous).fields.issuelinks
    assert [link.inwardIssue.id for link in back] == [made]
    assert cloud_jira.issue(plain).fields.issuelinks == []
    assert cloud_jira.issue(made).fields.duedate == "2026-12-11"


def test_the_link_type_is_a_setting_matched_ignoring_case(cloud_url, cloud, cloud_jira: JIRA):
    previous = _previous(cloud)
    connector = _connector(cloud_url, recurrence_link="cloners")
    connector.pull(None)
    (result,) = connector.push([_next("c" * 16, previous)]).results
    link = cloud_jira.issue(result.remote_id).fields.issuelinks[0]
    assert (link.type.name, link.type.outward, link.outwardIssue.id) == ("Cloners", "clones", previous)
    connector.close()


def test_an_unknown_link_type_is_one_notice_and_the_creates_succeed(cloud_url, cloud, cloud_jira, caplog):
    first, second = _previous(cloud), _previous(cloud)
    connector = _connector(cloud_url, recurrence_link="Follows")
    connector.pull(None)
    with caplog.at_level(logging.WARNING, logger="connectors.jira"):
        pushed = connector.push([_next("d" * 16, first), _next("e" * 16, second)])
    assert all(r.ok and r.remote_id for r in pushed.results)
    notices = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(notices) == 1
    assert "JIRA_RECURRENCE_LINK 'Follows'" in notices[0]
    assert "Blocks, Cloners, Duplicate, Relates" in notices[0]
    assert all(cloud_jira.issue(r.remote_id).fields.issuelinks == [] for r in pushed.results)
    connector.close()


def test_a_failed_link_is_a_notice_and_never_fails_the_create(connector, cloud, cloud_jira, caplog):
    connector.pull(None)
    with caplog.at_level(logging.WARNING, logger="connectors.jira"):
        (result,) = connector.push([_next("f" * 16, "99999")]).results  # the previous one is gone
    assert result.ok
    assert result.remote_id
    assert cloud_jira.issue(result.remote_id).fields.issuelinks == []
    (notice,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "not linked to 99999" in notice
    assert "Issue Does Not Exist" in notice


def test_an_empty_setting_links_nothing(cloud_url, cloud, cloud_jira):
    previous = _previous(cloud)
    connector = _connector(cloud_url, recurrence_link="")
    connector.pull(None)
    before = connector.requests
    (result,) = connector.push([_next("1" * 16, previous)]).results
    assert result.ok
    assert connector.requests - before == 1
    assert cloud_jira.issue(result.remote_id).fields.issuelinks == []
    connector.close()


def test_a_pull_reads_the_due_date_without_another_request(connector, cloud):
    cloud.create("Pay rent", labels=["task-bridge", "bridge-" + "2" * 16], duedate="2026-12-01")
    cloud.wait_for_search()
    pulled = connector.pull(None)
    assert [(t.ref, t.due) for t in pulled.changes] == [("2" * 16, "2026-12-01")]
