"""Recurring tasks on Jira under generated histories, over real HTTP: rules and completion sequences
drawn by hypothesis, each occurrence completed in Jira (the jira library), in Obsidian (Tasks adds
the next line) or by hand (no next line), and synced.

Invariants after every sync: the next sync changes nothing; the note holds one done line per
completion and one open line; Jira holds one issue per occurrence, all done but the last, whose
due date is the open line's, each linked to the one before; no byte outside the task lines changed.
CI runs 8 derandomized examples; BRIDGE_RECURRING_EXAMPLES=N hunts with N random ones.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jira import JIRA
from starlette.applications import Starlette

from bridge.config import BridgeSettings
from bridge.occurrences import next_dates
from bridge.parse import parse_note
from bridge.sync import run_sync
from connectors.jira.emulator import JiraEmulator
from tests.connectors.jira.conftest import EMAIL, SECRET, TOKEN, bridge_env
from tests.connectors.jira.test_recurring_sync import complete_in_jira, is_done, linked_to

RULES = (
    "every day",
    "every week",
    "every 2 weeks",
    "every weekday",
    "every month on the 15th",
    "every 3 days when done",
)
START = dt.date(2026, 1, 15)  # a Thursday, the 15th
HEAD = "# Routine\r\n\r\n"
TAIL = "\r\nAfter.\r\n"


def _sync(vault: Path, site: JiraEmulator, today: dt.date):
    site.wait_for_search()
    report = run_sync(BridgeSettings(vault=vault), connector_name="jira", today=today).report
    assert (report.failed, report.errors) == (0, [])
    return report


@settings(
    max_examples=int(os.environ.get("BRIDGE_RECURRING_EXAMPLES", "8")),
    deadline=None,
    derandomize="BRIDGE_RECURRING_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rule=st.sampled_from(RULES),
    actions=st.lists(st.sampled_from(["jira", "obsidian", "hand", "wait"]), min_size=1, max_size=5),
)
def test_every_completion_is_one_closed_issue_and_one_new_linked_one(
    cloud_server: tuple[Starlette, str], monkeypatch: pytest.MonkeyPatch, rule: str, actions: list[str]
) -> None:
    app, url = cloud_server
    site = JiraEmulator(mode="cloud", email=EMAIL)
    site.secret = SECRET
    app.state.emulator = site
    today = START
    with tempfile.TemporaryDirectory() as tmp:
        bridge_env(monkeypatch, Path(tmp), url)
        vault = Path(tmp) / "v"
        vault.mkdir()
        note = vault / "Routine.md"
        note.write_bytes(f"{HEAD}- [ ] Do the rounds 🔁 {rule} 📅 {START}{TAIL}".encode())
        _sync(vault, site, today)
        client = JIRA(server=url, basic_auth=(EMAIL, TOKEN), max_retries=0, timeout=10)
        completions = 0
        for action in actions:
            text = note.read_bytes().decode("utf-8")
            [line] = [t for t in parse_note(text, "Routine.md")[0] if t.status == " "]
            open_line = note.read_bytes()[line.source.start : line.source.end].decode("utf-8")  # byte offsets
            if action == "jira":
                site.wait_for_search()
                [current] = [i for i in site.issues.values() if not is_done(client.issue(i.key))]
                complete_in_jira(client, client.issue(current.key))
            elif action in ("obsidian", "hand"):
                done = open_line.replace("- [ ]", "- [x]", 1) + f" ✅ {today}"
                if action == "obsidian":
                    [following] = next_dates(line, 1, today)
                    new = open_line.replace(f"📅 {line.due}", f"📅 {following.due}")
                    done = f"{new}\r\n{done}"
                note.write_bytes(text.replace(open_line, done).encode())
            completions += action != "wait"
            _sync(vault, site, today)
            before = note.read_bytes()
            again = _sync(vault, site, today)
            assert (again.created, again.updated, again.closed, again.notes_written) == (0, 0, 0, 0)
            assert note.read_bytes() == before
            text = before.decode("utf-8")
            assert text.startswith(HEAD)
            assert text.endswith(TAIL)
            tasks = parse_note(text, "Routine.md")[0]
            assert len(tasks) == completions + 1
            [open_due] = [t.due for t in tasks if t.status == " "]
            site.wait_for_search()
            chain = sorted((client.issue(i.key) for i in site.issues.values()), key=lambda i: int(i.id))
            assert [is_done(i) for i in chain] == [True] * completions + [False]
            assert chain[-1].fields.duedate == open_due
            assert all(linked_to(new, old) for old, new in itertools.pairwise(chain))
            today += dt.timedelta(days=2)
        client.close()
