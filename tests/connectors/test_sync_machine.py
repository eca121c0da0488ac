"""The sync promise, checked by the state machine of `sync_machine` against both emulators.

CI runs a fixed number of examples (`BRIDGE_MACHINE_EXAMPLES`, default 25, each up to
`BRIDGE_MACHINE_STEPS` = 30 steps); set them higher locally for a longer hunt. The emulators
serve over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from starlette.applications import Starlette

from bridge.testing import serve_in_thread
from connectors.jira.emulator import create_app as jira_app
from connectors.todoist.emulator import create_app as todoist_app
from tests.connectors.sync_machine import SITE_EMAIL as EMAIL
from tests.connectors.sync_machine import JiraSite, SyncMachine, TodoistApp

TODOIST_TOKEN = "machine-token-0123456789abcdef"
TOKEN = "machine-api-token-0123456789"

EXAMPLES = int(os.environ.get("BRIDGE_MACHINE_EXAMPLES", "25"))
# CI runs the same examples every time (a red CI names a real regression); a longer hunt, with
# BRIDGE_MACHINE_EXAMPLES set, draws new ones on every run.
HUNT = "BRIDGE_MACHINE_EXAMPLES" in os.environ
STEPS = int(os.environ.get("BRIDGE_MACHINE_STEPS", "30"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    derandomize=not HUNT,
    database=None if not HUNT else settings.default.database,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(scope="module")
def todoist_server() -> Iterator[tuple[Starlette, str]]:
    app = todoist_app(TODOIST_TOKEN)
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def jira_server() -> Iterator[tuple[Starlette, str]]:
    app = jira_app(mode="cloud", email=EMAIL, token=TOKEN)
    with serve_in_thread(app) as url:
        yield app, url


def _machine(connector: str, tracker, tmp_path_factory: pytest.TempPathFactory) -> type[SyncMachine]:
    class Machine(SyncMachine):
        pass

    Machine.connector = connector
    Machine.totals = Counter()
    Machine.make_tracker = staticmethod(tracker)  # type: ignore[assignment]
    Machine.workdir = staticmethod(lambda: tmp_path_factory.mktemp("machine"))  # type: ignore[assignment]
    return Machine


def test_sync_settles_on_every_sequence_with_todoist(
    todoist_server: tuple[Starlette, str], tmp_path_factory, monkeypatch
):
    app, url = todoist_server
    monkeypatch.setenv("TODOIST_API_TOKEN", TODOIST_TOKEN)
    monkeypatch.setenv("TODOIST_BASE_URL", url)
    monkeypatch.setenv("TODOIST_PROJECT", "Bridge")
    monkeypatch.setenv("BRIDGE_STATE_URL", "")
    machine = _machine("todoist", lambda: TodoistApp(app), tmp_path_factory)
    run_state_machine_as_test(machine, settings=SETTINGS)
    print("todoist machine:", dict(machine.totals))


def test_sync_settles_on_every_sequence_with_jira(
    jira_server: tuple[Starlette, str], tmp_path_factory, monkeypatch
):
    app, url = jira_server
    for name, value in {
        "JIRA_URL": url,
        "JIRA_EMAIL": EMAIL,
        "JIRA_API_TOKEN": TOKEN,
        "JIRA_PROJECT": "BRIDGE",
        "JIRA_MAX_RETRIES": "0",
        # the emulator's search shows writes at once: a create an interrupted run sent and search
        # does not find was deleted, so it is sent again at once rather than after Cloud's lag
        "JIRA_SEARCH_WAIT": "0",
        "JIRA_PENDING_WINDOW": "0",
        "BRIDGE_STATE_URL": "",
    }.items():
        monkeypatch.setenv(name, value)
    machine = _machine("jira", lambda: JiraSite(app), tmp_path_factory)
    run_state_machine_as_test(machine, settings=SETTINGS)
    print("jira machine:", dict(machine.totals))
