"""The full loop on one machine: a tracker emulator delivering signed webhooks to `bridge serve`.

A task completed through the official client reaches the note within two seconds, without a
`bridge sync` run; both sides talk real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from jira import JIRA
from todoist_api_python.api import TodoistAPI

from bridge.config import BridgeSettings
from bridge.serve import Receiver
from bridge.serve import create_app as receiver_app
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from bridge.transport import make_http_client
from connectors.jira.emulator import create_app as jira_app
from connectors.todoist.emulator import create_app as todoist_app
from tests.conftest import EXAMPLE_NOTE, dates_since, local_today

SECRET = "loop-secret"


@pytest.fixture
def served(vault: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """`bridge serve` for the vault, running; yields its base URL."""
    monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setenv("TODOIST_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("JIRA_WEBHOOK_SECRET", SECRET)
    app = receiver_app(BridgeSettings(vault=vault), vault)
    receiver: Receiver = app.state.receiver
    receiver.start()
    with serve_in_thread(app) as url:
        yield url
    receiver.stop()


def ticked(vault: Path, text: str) -> list[str]:
    lines = (vault / EXAMPLE_NOTE).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.startswith("- [x]") and text in line]


def within(seconds: float, check: Callable[[], bool]) -> float | None:
    """How long `check` took to hold, or None if it did not within `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if check():
            return time.monotonic() - start
        time.sleep(0.01)
    return None


def test_todoist_completion_reaches_the_note_without_a_sync(vault, served, monkeypatch):
    start = local_today()
    app = todoist_app("loop-token", client_secret=SECRET, webhook_url=f"{served}/webhooks/todoist")
    with serve_in_thread(app) as url:
        monkeypatch.setenv("TODOIST_API_TOKEN", "loop-token")
        monkeypatch.setenv("TODOIST_BASE_URL", url)
        assert run_sync(BridgeSettings(vault=vault), connector_name="todoist").report.created == 6
        emulator = app.state.emulator
        task = next(t for t in emulator.tasks.values() if "Define the interview loop" in t["content"])
        client = make_http_client(base_url=url, origin="https://api.todoist.com", sleep=lambda _: None)
        with TodoistAPI("loop-token", client=client) as sdk:
            assert sdk.complete_task(task["id"])
        took = within(2.0, lambda: bool(ticked(vault, "Define the interview loop")))
        assert took is not None, "the completion did not reach the note within 2 s"
        stamps = tuple(f"✅ {day}".encode().decode("mac_roman") for day in dates_since(start))
        assert ticked(vault, "Define the interview loop")[0].endswith(stamps)
        assert app.state.webhooks.flush(5)
        assert all(a.status == 200 for a in app.state.webhooks.attempts)


def test_jira_completion_reaches_the_note_without_a_sync(vault, served, monkeypatch):
    app = jira_app(
        mode="cloud", email="me@example.com", token="t", secret=SECRET, webhook_url=f"{served}/webhooks/jira"
    )
    with serve_in_thread(app) as url:
        for name, value in {
            "JIRA_URL": url,
            "JIRA_EMAIL": "me@example.com",
            "JIRA_API_TOKEN": "t",
            "JIRA_PROJECT": "BRIDGE",
            "JIRA_MAX_RETRIES": "0",
        }.items():
            monkeypatch.setenv(name, value)
        assert run_sync(BridgeSettings(vault=vault), connector_name="jira").report.created == 6
        site = app.state.emulator
        key = next(i.key for i in site.issues.values() if "Define the interview loop" in i.summary)
        client = JIRA(server=url, basic_auth=("me@example.com", "t"), max_retries=0, timeout=10)
        client.transition_issue(key, "Done")
        client.close()
        took = within(2.0, lambda: bool(ticked(vault, "Define the interview loop")))
        assert took is not None, "the completion did not reach the note within 2 s"
        assert app.state.webhooks.flush(5)
        assert all(a.status == 200 for a in app.state.webhooks.attempts)
