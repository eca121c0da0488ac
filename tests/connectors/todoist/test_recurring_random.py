"""Recurring tasks under generated histories, over real HTTP: rules and completion sequences drawn
by hypothesis, each occurrence completed in Todoist (the SDK), in Obsidian (Tasks adds the next
line) or by hand (no next line), and synced.

Invariants after every sync: the next sync changes nothing; the note holds one done line per
completion and one open line whose date is Todoist's; Todoist holds one active task whose
completion count is the number of completions; no byte outside the task lines changed.
CI runs 12 derandomized examples; BRIDGE_RECURRING_EXAMPLES=N hunts with N random ones.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from todoist_api_python.api import TodoistAPI

from bridge.config import BridgeSettings
from bridge.occurrences import next_dates
from bridge.parse import parse_note
from bridge.sync import run_sync
from bridge.transport import make_http_client
from connectors.todoist.emulator import Emulator
from tests.connectors.todoist.conftest import CLIENT_SECRET, TOKEN

RULES = (
    "every day",
    "every 3 days",
    "every week",
    "every 2 weeks",
    "every week on Monday, Thursday",
    "every weekday",
    "every month on the 15th",
    "every month",
    "every 3 days when done",
)
START = dt.date(2026, 1, 15)  # a Thursday, the 15th: a first date every rule below fits
HEAD = "# Routine\n\nSome text before.\n\n"
TAIL = "\nAnd after, with trailing spaces   \n"


def _sync(vault: Path, today: dt.date) -> object:
    report = run_sync(BridgeSettings(vault=vault), connector_name="todoist", today=today).report
    assert (report.failed, report.errors) == (0, [])
    return report


def _task_lines(text: str) -> list[str]:
    return [x for x in text.splitlines() if x.startswith("- [")]


@settings(
    max_examples=int(os.environ.get("BRIDGE_RECURRING_EXAMPLES", "12")),
    deadline=None,
    derandomize="BRIDGE_RECURRING_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rule=st.sampled_from(RULES),
    actions=st.lists(st.sampled_from(["todoist", "obsidian", "hand", "wait"]), min_size=1, max_size=6),
)
def test_every_completion_is_applied_once_on_the_other_side(
    todoist_server: tuple[Starlette, str], monkeypatch: pytest.MonkeyPatch, rule: str, actions: list[str]
) -> None:
    app, url = todoist_server
    emulator = Emulator()
    emulator.client_secret = CLIENT_SECRET
    app.state.emulator = emulator
    today = START
    emulator.clock = lambda: dt.datetime.combine(today, dt.time(12), dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "v"
        vault.mkdir()
        for name, value in {
            "TODOIST_API_TOKEN": TOKEN,
            "TODOIST_BASE_URL": url,
            "TODOIST_PROJECT": "Bridge",
            "BRIDGE_STATE_URL": f"sqlite:///{Path(tmp) / 'state.db'}",
        }.items():
            monkeypatch.setenv(name, value)
        note = vault / "Routine.md"
        note.write_text(f"{HEAD}- [ ] Do the rounds 🔁 {rule} 📅 {START}{TAIL}", encoding="utf-8")
        _sync(vault, today)
        [task] = emulator.tasks.values()
        client = make_http_client(base_url=url, origin="https://api.todoist.com", sleep=lambda _: None)
        completions = 0
        with TodoistAPI(TOKEN, client=client) as sdk:
            for action in actions:
                text = note.read_text(encoding="utf-8")
                [open_line] = [x for x in _task_lines(text) if x.startswith("- [ ]")]
                if action == "todoist":
                    assert sdk.complete_task(task["id"])
                elif action in ("obsidian", "hand"):
                    [line] = [t for t in parse_note(text, "Routine.md")[0] if t.status == " "]
                    done = open_line.replace("- [ ]", "- [x]", 1) + f" ✅ {today}"
                    if action == "obsidian":
                        [following] = next_dates(line, 1, today)
                        assert following.due is not None
                        new = open_line.replace(f"📅 {line.due}", f"📅 {following.due}")
                        done = f"{new}\n{done}"
                    note.write_text(text.replace(open_line, done), encoding="utf-8")
                completions += action != "wait"
                _sync(vault, today)
                before = note.read_bytes()
                again = _sync(vault, today)
                assert (again.created, again.updated, again.closed, again.notes_written) == (0, 0, 0, 0)  # type: ignore[attr-defined]
                assert note.read_bytes() == before
                text = before.decode("utf-8")
                assert text.startswith(HEAD)
                assert text.endswith(TAIL)
                found = _task_lines(text)
                assert len(found) == completions + 1
                assert sum(x.startswith("- [ ]") for x in found) == 1
                open_due = next(t.due for t in parse_note(text, "Routine.md")[0] if t.status == " ")
                active = [t for page in sdk.get_tasks() for t in page]
                assert len(active) == 1
                assert active[0].due is not None
                assert str(active[0].due.date) == open_due
                assert emulator.tasks[task["id"]]["completed_count"] == completions
                today += dt.timedelta(days=2)
