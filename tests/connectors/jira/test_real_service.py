"""Jira as real sites behave: who may be assigned, a lagging search read in the user's time zone,
429s on writes, and webhooks that come late and out of order. Over real HTTP, the unmodified
`jira` library on one side and the bridge on the other."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sqlite3
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette

from bridge.config import BridgeSettings
from bridge.errors import LockHeldError
from bridge.serve import create_app as receiver_app
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from bridge.webhook_sender import Disorder
from connectors.jira.emulator import JiraEmulator, create_app
from tests.conftest import EXAMPLE_NOTE
from tests.connectors.jira.conftest import EMAIL, TOKEN


def sync(vault: Path):
    return run_sync(BridgeSettings(vault=vault), connector_name="jira").report


def sync_when_free(vault: Path):
    """A sync once `bridge serve` has applied what it received (it holds the lock meanwhile)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return sync(vault)
        except LockHeldError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def lines(vault: Path, text: str) -> list[str]:
    body = (vault / EXAMPLE_NOTE).read_text(encoding="utf-8")
    return [x for x in body.splitlines() if text in x and "- [" in x]


def tick(vault: Path, text: str, old: str, new: str) -> None:
    note = vault / EXAMPLE_NOTE
    body = note.read_text(encoding="utf-8")
    line = lines(vault, text)[0]
    note.write_text(body.replace(line, line.replace(f"- [{old}]", f"- [{new}]", 1)), encoding="utf-8")


@pytest.fixture
def site(cloud_server: tuple[Starlette, str], cloud_url: str) -> JiraEmulator:
    """A Cloud site whose own user is "Bridge Bot", so that the note's "Lior Genzel" is someone else."""
    fresh = JiraEmulator(mode="cloud", email=EMAIL, display_name="Bridge Bot")
    cloud_server[0].state.emulator = fresh
    return fresh


def forget_written(tmp_path: Path) -> None:
    """The cursor as a run long after the bridge's last writes has it (their marks expired)."""
    with sqlite3.connect(tmp_path / "state.db") as db:
        (cursor,) = db.execute("SELECT cursor FROM cursors WHERE connector = 'jira'").fetchone()
        held = json.loads(cursor)
        held.pop("written", None)
        db.execute("UPDATE cursors SET cursor = ? WHERE connector = 'jira'", (json.dumps(held),))


def issue_of(site: JiraEmulator, text: str):
    return next(i for i in site.issues.values() if text in i.summary)


# -- 4. who may be assigned ----------------------------------------------------------------------


def test_the_emulator_refuses_an_assignee_without_the_permission(cloud, cloud_http, cloud_jira):
    outsider = cloud.add_user("Olive Outsider", email="olive@example.com", projects=())
    member = cloud.add_user("Mia Member", email="mia@example.com")
    task = {"project": {"key": "BRIDGE"}, "issuetype": {"name": "Task"}, "summary": "x"}
    refused = cloud_http.post(
        "/rest/api/2/issue", json={"fields": {**task, "assignee": {"accountId": outsider.account_id}}}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "assignee": f"User '{outsider.account_id}' cannot be assigned issues."
    }
    bulk = cloud_http.post(
        "/rest/api/2/issue/bulk",
        json={
            "issueUpdates": [
                {"fields": task},
                {"fields": {**task, "assignee": {"accountId": outsider.account_id}}},
            ]
        },
    ).json()
    assert [e["failedElementNumber"] for e in bulk["errors"]] == [1]
    assert "cannot be assigned issues" in bulk["errors"][0]["elementErrors"]["errors"]["assignee"]
    # only members come back from the assignable search; the e-mail is hidden on Cloud
    found = cloud_jira.search_assignable_users_for_issues(query="m", project="BRIDGE")
    assert [u.accountId for u in found] == [member.account_id]
    assert "emailAddress" not in found[0].raw
    assert "emailAddress" in cloud_http.get("/rest/api/2/myself").json()  # one's own is shown
    # "-1" is Automatic: the project's default assignee, not unassigned
    cloud.set_default_assignee("BRIDGE", member)
    auto = cloud_jira.create_issue(fields={**task, "assignee": {"accountId": "-1"}})
    assert cloud.get_issue(auto.key).assignee == member
    key = cloud.create("person")
    assert cloud.get_issue(key).assignee == member  # no assignee given: Automatic too
    assert cloud_http.put(f"/rest/api/2/issue/{key}/assignee", json={"accountId": None}).status_code == 204
    assert cloud.get_issue(key).assignee is None
    assert cloud_http.put(f"/rest/api/2/issue/{key}/assignee", json={"accountId": "-1"}).status_code == 204
    assert cloud.get_issue(key).assignee == member


def test_server_names_automatic_and_refuses_non_members(server, server_http):
    outsider = server.add_user("Olive Outsider", name="olive", projects=())
    task = {"project": {"key": "BRIDGE"}, "issuetype": {"name": "Task"}, "summary": "x"}
    refused = server_http.post("/rest/api/2/issue", json={"fields": {**task, "assignee": {"name": "olive"}}})
    assert refused.json()["errors"] == {"assignee": "User 'olive' cannot be assigned issues."}
    server.set_default_assignee("BRIDGE", server.me)
    made = server_http.post("/rest/api/2/issue", json={"fields": {**task, "assignee": {"name": "-1"}}}).json()
    assert server.get_issue(made["key"]).assignee == server.me
    for text in ("o", "l"):  # Olive matches "o" but is no member; the site's own user matches "l"
        users = server_http.get(
            "/rest/api/2/user/assignable/search", params={"username": text, "project": "BRIDGE"}
        )
        assert [u["name"] for u in users.json()] == ([] if text == "o" else [server.me.name])
    assert users.json()[0]["emailAddress"] == server.me.email  # Server shows e-mail addresses
    assert outsider.active


def test_an_owner_who_may_not_be_assigned_is_left_unassigned_once_a_run(vault, env, site, caplog):
    cloud = site
    caplog.set_level(logging.WARNING)
    cloud.add_user("Lior Genzel", email="lior@example.com", projects=())  # in Jira, not in the project
    report = sync(vault)
    assert (report.created, report.failed) == (6, 0)
    lior = [i for i in cloud.issues.values() if i.assignee is None]
    assert len(lior) == 4  # Lior's four groups: created, unassigned; Myself's two assigned
    assert caplog.text.count("owner 'Lior Genzel'") == 1  # one notice a run, one look-up
    lookups = [p for _, p in cloud.request_log if p.endswith("/user/assignable/search")]
    assert len(lookups) == 2  # Lior (a miss, remembered this run) and Myself (a hit)


def test_a_mapped_owner_who_lost_the_permission_is_refused_then_sent_without(vault, env, site, caplog):
    cloud = site
    caplog.set_level(logging.WARNING)
    lior = cloud.add_user("Lior Genzel", email="lior@example.com")
    assert sync(vault).created == 6
    assert sum(i.assignee == lior for i in cloud.issues.values()) == 4
    cloud.set_assignable(lior, "BRIDGE", False)  # the bridge remembers Lior; Jira now refuses him
    note = vault / "later.md"
    note.write_text("- [ ] One more for Lior @Lior Genzel\n- [ ] Another @Lior Genzel\n", encoding="utf-8")
    report = sync(vault)
    assert (report.created, report.failed) == (2, 0)  # not failed on every run: sent again without
    later = [i for i in cloud.issues.values() if i.summary in ("One more for Lior", "Another")]
    assert [i.assignee for i in later] == [None, None]
    assert caplog.text.count("owner 'Lior Genzel' cannot be assigned issues in project BRIDGE") == 1
    assert sum(p.endswith("/issue/bulk") for _, p in cloud.request_log) == 3


def test_an_owner_mapped_to_automatic_gets_the_projects_default_assignee(vault, env, site, monkeypatch):
    cloud = site
    lead = cloud.add_user("Pat Lead", email="pat@example.com")
    cloud.set_default_assignee("BRIDGE", lead)
    monkeypatch.setenv("JIRA_OWNERS", '{"Lior Genzel": "-1"}')
    assert sync(vault).created == 6
    assert sum(i.assignee == lead for i in cloud.issues.values()) == 4
    assert not [p for _, p in cloud.request_log if "/user/" in p and "assignable" in p and "-1" in p]


def test_ten_thousand_tasks_whose_owners_have_no_jira_user_fit_in_250_requests(tmp_path, env, cloud):
    cloud.search_lag = 0.0
    vault = tmp_path / "big"
    vault.mkdir()
    owners = [f"Absent Person{chr(65 + n)}" for n in range(20)]  # nobody in Jira
    for page in range(100):
        words = [hashlib.sha256(f"{page}-{n}".encode()).hexdigest() for n in range(100)]
        body = "".join(
            f"- [ ] {' '.join(w[k : k + 5] for k in range(0, 30, 5))} @{owners[n % 20]}\n"
            for n, w in enumerate(words)
        )
        (vault / f"note {page}.md").write_text(body, encoding="utf-8")
    report = sync(vault)
    assert (report.created, report.failed) == (10_000, 0)
    assert report.requests <= 250, report.requests
    assert len(cloud.issues) == 10_000


# -- 5. lagging search, JQL dates in the user's time zone ----------------------------------------


def test_jql_dates_are_read_in_the_searching_users_time_zone(cloud_server: tuple[Starlette, str], cloud_http):
    now = [dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)]
    site = JiraEmulator(mode="cloud", email=EMAIL, time_zone="Asia/Tokyo", clock=lambda: now[0])
    site.search_lag = 0.0
    cloud_server[0].state.emulator = site
    key = site.create("made at 10:00 UTC, 19:00 in Tokyo")

    def keys(jql: str) -> list[str]:
        answer = cloud_http.post("/rest/api/2/search/jql", json={"jql": jql, "fields": ["key"]})
        return [i["key"] for i in answer.json()["issues"]]

    assert cloud_http.get("/rest/api/2/myself").json()["timeZone"] == "Asia/Tokyo"
    assert keys('project = BRIDGE AND updated >= "2026-12-03 18:59"') == [key]
    assert keys('project = BRIDGE AND updated >= "2026-12-03 19:01"') == []
    assert keys('project = BRIDGE AND updated >= "2026-12-03 10:00"') == [key]  # 01:00 UTC


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/Los_Angeles"])
def test_incremental_reads_see_every_change_with_a_non_utc_user_and_a_lagging_search(
    vault, env, cloud_server: tuple[Starlette, str], zone, tmp_path
):
    site = JiraEmulator(mode="cloud", email=EMAIL, time_zone=zone)
    site.search_lag = 0.5
    cloud_server[0].state.emulator = site
    assert sync(vault).created == 6
    forget_written(tmp_path)  # no read-after-write for issues the bridge did not touch lately
    key = issue_of(site, "Initiate the official candidate process").key
    site.complete(key)  # a person closes it; the next sync starts within the lag and misses it
    first = sync(vault)
    assert first.notes_written == 0
    site.wait_for_search()
    second = sync(vault)  # the `updated` window overlaps: the change is not lost
    assert second.notes_written == 2
    assert all(x.startswith("- [x]") for x in lines(vault, "Initiate the official candidate process"))
    # the bridge's own close is not undone by a search that still shows the issue open
    tick(vault, "Define the interview loop", "?", "x")
    assert sync(vault).closed == 1
    after = sync(vault)  # within the lag
    assert (after.notes_written, after.reopened, after.closed) == (0, 0, 0)
    assert all(x.startswith("- [x]") for x in lines(vault, "Define the interview loop"))
    site.wait_for_search()
    assert sync(vault).notes_written == 0


# -- 6. 429 on every call, never a POST sent twice --------------------------------------------------


def test_a_rate_limited_bulk_create_is_sent_again_after_retry_after(vault, env, cloud, monkeypatch):
    monkeypatch.setenv("JIRA_MAX_RETRIES", "2")
    cloud.fail_next(429, path_prefix="/issue/bulk", retry_after=1)
    report = sync(vault)
    assert (report.created, report.failed) == (6, 0)
    assert cloud.request_log.count(("POST", "/rest/api/2/issue/bulk")) == 2
    assert len(cloud.issues) == 6


@pytest.mark.parametrize("status", [500, 503])
def test_a_bulk_create_that_may_have_been_applied_is_not_sent_again(vault, env, cloud, monkeypatch, status):
    monkeypatch.setenv("JIRA_MAX_RETRIES", "2")
    cloud.fail_next(status, path_prefix="/issue/bulk", retry_after=1)
    report = sync(vault)
    assert (report.created, report.failed) == (0, 6)
    assert cloud.request_log.count(("POST", "/rest/api/2/issue/bulk")) == 1


def test_transitions_are_resent_after_a_429_but_not_after_a_503(vault, env, cloud, monkeypatch):
    monkeypatch.setenv("JIRA_MAX_RETRIES", "2")
    sync(vault)
    issue = issue_of(cloud, "Define the interview loop")
    posted = ("POST", f"/rest/api/2/issue/{issue.id}/transitions")
    tick(vault, "Define the interview loop", "?", "x")
    cloud.fail_next(429, path_prefix=posted[1], method="POST", retry_after=1)
    assert sync(vault).closed == 1
    assert cloud.request_log.count(posted) == 2
    assert cloud.get_issue(issue.id).status.category == "done"
    tick(vault, "Define the interview loop", "x", " ")
    cloud.fail_next(503, path_prefix=posted[1], method="POST", retry_after=1)  # the library would resend it
    report = sync(vault)
    assert (report.reopened, report.failed) == (0, 1)
    assert cloud.request_log.count(posted) == 3


# -- 7. webhooks late and out of order ------------------------------------------------------------


def test_jira_webhook_disorder_is_off_by_default():
    assert JiraEmulator().webhook_disorder is None
    assert JiraEmulator().search_lag > 0
    assert JiraEmulator(mode="server").search_lag == 0


def test_the_bridge_converges_when_webhooks_come_late_and_out_of_order(vault, tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setenv("JIRA_WEBHOOK_SECRET", "hook-secret")
    receiver = receiver_app(BridgeSettings(vault=vault), vault)
    receiver.state.receiver.start()
    try:
        with serve_in_thread(receiver) as served:
            app = create_app(
                mode="cloud",
                email=EMAIL,
                token=TOKEN,
                secret="hook-secret",
                webhook_url=f"{served}/webhooks/jira",
            )
            with serve_in_thread(app) as url:
                for name, value in {"JIRA_URL": url, "JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": TOKEN,
                                    "JIRA_PROJECT": "BRIDGE", "JIRA_MAX_RETRIES": "0"}.items():  # fmt: skip
                    monkeypatch.setenv(name, value)
                site: JiraEmulator = app.state.emulator
                assert sync(vault).created == 6
                assert app.state.webhooks.flush(5)
                disorder = site.webhook_disorder = Disorder(delay=0.8, seed=5)
                define = issue_of(site, "Define the interview loop").key
                share = issue_of(site, "Share role descriptions").key
                site.complete(define)  # closed, reopened and closed again: three deliveries,
                site.reopen(define)  # each held back by up to 0.8 s, so that a later one may
                site.complete(define)  # come before an earlier one
                site.complete(share)
                site.reopen(share)  # … and this one ends open
                assert app.state.webhooks.flush(10)
                sent = [
                    a.delivery_id for a in app.state.webhooks.attempts if a.delivery_id in disorder.decided
                ]
                assert sorted(sent) == sorted(disorder.decided)
                assert len(sent) == 5
                assert sent != disorder.decided  # they did come out of order
                site.wait_for_search()
                sync_when_free(vault)  # whatever the webhooks left, the next sync settles it
                assert all(x.startswith("- [x]") for x in lines(vault, "Define the interview loop"))
                assert all(x[:5] in ("- [?]", "- [ ]") for x in lines(vault, "Share role descriptions"))
                again = sync_when_free(vault)
                assert (again.notes_written, again.closed, again.reopened, again.failed) == (0, 0, 0, 0)
    finally:
        receiver.state.receiver.stop()
