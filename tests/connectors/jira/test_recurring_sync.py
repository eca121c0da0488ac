"""Recurring tasks round trip with Jira, which has no recurrence: each occurrence is an issue, and
the next one is created linked to the completed one. `bridge sync` against the emulator over real
HTTP; the Jira side driven through the unmodified `jira` library.

The promise: an occurrence completed on either side is applied once on the other; the note then
holds the done occurrences and one open line, Jira one open issue of the chain, and the next sync
does nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from pathlib import Path

import pytest
from jira import JIRA

from bridge.config import BridgeSettings
from bridge.parse import parse_note
from bridge.serve import Receiver
from bridge.serve import create_app as receiver_app
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from connectors.jira.emulator import JiraEmulator
from connectors.jira.emulator import create_app as jira_app
from tests.connectors.jira.conftest import EMAIL, TOKEN, bridge_env

RULE = "every week on Friday"
TODAY = dt.date(2026, 12, 4)  # a Friday
NOTE = "Weekly.md"


def line(status: str, due: str, done: str | None = None) -> str:
    return f"- [{status}] Send the weekly report 🔁 {RULE} 📅 {due}" + (f" ✅ {done}" if done else "")


def sync(vault: Path, site: JiraEmulator, today: dt.date = TODAY):
    site.wait_for_search()
    report = run_sync(BridgeSettings(vault=vault), connector_name="jira", today=today).report
    assert (report.failed, report.errors) == (0, [])
    return report


def lines(vault: Path) -> list[str]:
    return [x for x in (vault / NOTE).read_text(encoding="utf-8").splitlines() if x.startswith("- [")]


def chain(client: JIRA, site: JiraEmulator) -> list:
    """The report's issues, oldest first, as the jira library reads them."""
    site.wait_for_search()
    found = client.search_issues('project = BRIDGE AND summary ~ "weekly report"', maxResults=False)
    return sorted((client.issue(i.key) for i in found), key=lambda i: int(i.id))


def is_done(issue) -> bool:
    return issue.fields.status.statusCategory.key == "done"


def complete_in_jira(client: JIRA, issue) -> None:
    [done] = [
        t
        for t in client.transitions(issue, expand="transitions.fields")
        if t["to"]["statusCategory"]["key"] == "done"
    ]
    fields = {"resolution": {"name": "Done"}} if "resolution" in done.get("fields", {}) else None
    client.transition_issue(issue, done["id"], fields=fields)


def tick_in_obsidian(vault: Path, today: dt.date) -> None:
    """What Obsidian Tasks does on a click: the next occurrence above, the line ticked."""
    text = (vault / NOTE).read_text(encoding="utf-8")
    [open_line] = [x for x in text.splitlines() if x.startswith("- [ ]")]
    tasks, _ = parse_note(text, NOTE)
    due = dt.date.fromisoformat(next(t.due for t in tasks if t.status == " "))
    new = open_line.replace(f"📅 {due}", f"📅 {due + dt.timedelta(days=7)}")
    done = open_line.replace("- [ ]", "- [x]") + f" ✅ {today}"
    (vault / NOTE).write_text(text.replace(open_line, f"{new}\n{done}"), encoding="utf-8")


def settled(vault: Path, site: JiraEmulator) -> None:
    before = (vault / NOTE).read_bytes()
    report = sync(vault, site)
    assert (report.created, report.updated, report.closed, report.reopened, report.notes_written) == (0,) * 5
    assert (vault / NOTE).read_bytes() == before


def worked_off(receiver: Receiver, seconds: float = 5.0) -> bool:
    """Whether the receiver's worker has taken every stored delivery within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        counts = receiver.read(lambda store: store.inbox_counts())
        if not counts.get("new") and not counts.get("claimed"):
            return True
        time.sleep(0.02)
    return False


def linked_to(issue, previous) -> bool:
    return any(
        getattr(link, "outwardIssue", None) and link.outwardIssue.id == previous.id
        for link in issue.fields.issuelinks
    )


@pytest.fixture(params=["cloud", "server"])
def site(request, monkeypatch, tmp_path) -> tuple[JiraEmulator, JIRA, Path]:
    kind = request.param
    emulator = request.getfixturevalue(kind)
    bridge_env(monkeypatch, tmp_path, request.getfixturevalue(f"{kind}_url"), server=kind == "server")
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / NOTE).write_text(f"# Weekly\n\n{line(' ', '2026-12-04')}\n\nNotes after.\n", encoding="utf-8")
    return emulator, request.getfixturevalue(f"{kind}_jira"), vault


def test_completed_in_jira_the_note_gets_both_lines_and_the_next_issue_is_linked(site):
    emulator, client, vault = site
    assert sync(vault, emulator).created == 1
    [first] = chain(client, emulator)
    assert first.fields.duedate == "2026-12-04"
    complete_in_jira(client, first)
    report = sync(vault, emulator)
    assert (report.created, report.notes_written) == (1, 1)
    assert lines(vault) == [line(" ", "2026-12-11"), line("x", "2026-12-04", "2026-12-04")]
    old, new = chain(client, emulator)
    assert (is_done(old), is_done(new), new.fields.duedate) == (True, False, "2026-12-11")
    assert linked_to(new, old)
    settled(vault, emulator)


def test_ticked_in_obsidian_closes_the_issue_and_creates_the_next(site):
    emulator, client, vault = site
    sync(vault, emulator)
    tick_in_obsidian(vault, TODAY)
    report = sync(vault, emulator)
    assert (report.created, report.closed, report.notes_written, report.reopened) == (1, 1, 0, 0)
    old, new = chain(client, emulator)
    assert (is_done(old), is_done(new), new.fields.duedate) == (True, False, "2026-12-11")
    assert linked_to(new, old)
    assert lines(vault) == [line(" ", "2026-12-11"), line("x", "2026-12-04", "2026-12-04")]
    settled(vault, emulator)


def test_five_occurrences_alternating_sides_end_with_five_done_lines_and_one_open_issue(site):
    emulator, client, vault = site
    sync(vault, emulator)
    for n in range(5):
        day = TODAY + dt.timedelta(days=7 * n)
        if n % 2 == 0:
            complete_in_jira(client, chain(client, emulator)[-1])
        else:
            tick_in_obsidian(vault, day)
        sync(vault, emulator, day)
        settled(vault, emulator)
    found = lines(vault)
    assert found[0] == line(" ", "2027-01-08")
    assert [x[:5] for x in found] == ["- [ ]"] + ["- [x]"] * 5
    issues = chain(client, emulator)
    assert [is_done(i) for i in issues] == [True] * 5 + [False]
    assert [i.fields.duedate for i in issues] == [str(TODAY + dt.timedelta(days=7 * n)) for n in range(6)]
    assert all(linked_to(new, old) for old, new in itertools.pairwise(issues))


def test_a_completion_delivered_by_webhook_waits_for_the_sync_that_creates_the_next_issue(
    tmp_path, monkeypatch
):
    """The receiver cannot create the next issue (only `bridge sync` writes to the tracker), so
    it leaves the whole occurrence, closed issue and note alike, to the next sync."""
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / NOTE).write_text(f"# Weekly\n\n{line(' ', '2026-12-04')}\n", encoding="utf-8")
    monkeypatch.setenv("JIRA_WEBHOOK_SECRET", "loop-secret")
    monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    receiver = receiver_app(BridgeSettings(vault=vault), vault)
    receiver.state.receiver.start()
    try:
        with serve_in_thread(receiver) as served:
            app = jira_app(
                mode="cloud",
                email=EMAIL,
                token=TOKEN,
                secret="loop-secret",
                webhook_url=f"{served}/webhooks/jira",
            )
            with serve_in_thread(app) as url:
                bridge_env(monkeypatch, tmp_path, url)
                emulator: JiraEmulator = app.state.emulator
                sync(vault, emulator)
                client = JIRA(server=url, basic_auth=(EMAIL, TOKEN), max_retries=0, timeout=10)
                complete_in_jira(client, chain(client, emulator)[0])
                assert app.state.webhooks.flush(5)
                assert all(a.status == 200 for a in app.state.webhooks.attempts)
                assert worked_off(receiver.state.receiver)
                assert lines(vault) == [line(" ", "2026-12-04")]  # left to the sync
                report = sync(vault, emulator)
                assert (report.created, report.notes_written, report.reopened) == (1, 1, 0)
                assert lines(vault) == [line(" ", "2026-12-11"), line("x", "2026-12-04", str(TODAY))]
                old, new = chain(client, emulator)
                assert (is_done(old), is_done(new), linked_to(new, old)) == (True, False, True)
                settled(vault, emulator)
                client.close()
    finally:
        receiver.state.receiver.stop()
