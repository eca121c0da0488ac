"""One `bridge sync` with routes: `@Myself` to the Todoist emulator, everyone else to the Jira one.

Both emulators run over real HTTP on 127.0.0.1 and the bridge runs as a user runs it, as a
subprocess with settings in its environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.testing import serve_in_thread
from connectors.jira.emulator import JiraEmulator
from connectors.jira.emulator import create_app as jira_app
from connectors.todoist.emulator import Emulator as TodoistEmulator
from connectors.todoist.emulator import create_app as todoist_app
from tests.conftest import EXAMPLE_NOTE

TODOIST_TOKEN = "routed-todoist-token"
JIRA_EMAIL = "me@example.com"
JIRA_TOKEN = "routed-jira-token"
MYSELF = ("Confirm preferred role scope", "Provide introductions")


@pytest.fixture
def trackers(tmp_path: Path) -> Iterator[tuple[TodoistEmulator, JiraEmulator, dict[str, str]]]:
    todoist = todoist_app(TODOIST_TOKEN)
    jira = jira_app(mode="cloud", email=JIRA_EMAIL, token=JIRA_TOKEN)
    jira.state.emulator.add_user("Lior Genzel", email="lior@example.com")
    with serve_in_thread(todoist) as todoist_url, serve_in_thread(jira) as jira_url:
        env = {
            "TODOIST_API_TOKEN": TODOIST_TOKEN,
            "TODOIST_BASE_URL": todoist_url,
            "JIRA_URL": jira_url,
            "JIRA_EMAIL": JIRA_EMAIL,
            "JIRA_API_TOKEN": JIRA_TOKEN,
            "JIRA_PROJECT": "BRIDGE",
            "JIRA_MAX_RETRIES": "0",
            "BRIDGE_ROUTES": "@Myself=todoist, *=jira",
            "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
        }
        yield todoist.state.emulator, jira.state.emulator, env


def bridge(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "TODOIST_", "JIRA_"))}
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_one_sync_sends_myself_to_todoist_and_the_rest_to_jira(vault, trackers):
    todoist, jira, env = trackers
    listed = bridge(env, "tasks", str(vault), "--json")
    assert listed.returncode == 0, listed.stderr
    routes = {t["description"]: t["connector"] for t in json.loads(listed.stdout)}
    assert {c for d, c in routes.items() if d.startswith(MYSELF)} == {"todoist"}
    assert {c for d, c in routes.items() if not d.startswith(MYSELF)} == {"jira"}

    result = bridge(env, "sync", "--vault", str(vault), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["created"], report["failed"]) == (6, 0)
    by_name = {part["connector"]: part for part in report["connectors"]}
    assert (by_name["todoist"]["created"], by_name["jira"]["created"]) == (2, 4)
    assert report["requests"] == by_name["todoist"]["requests"] + by_name["jira"]["requests"]
    in_todoist = sorted(t["content"] for t in todoist.tasks.values() if not t.get("is_deleted"))
    assert len(in_todoist) == 2
    assert all(title.startswith(MYSELF) for title in in_todoist)
    in_jira = [i.summary for i in jira.issues.values()]
    assert len(in_jira) == 4
    assert not any(title.startswith(MYSELF) for title in in_jira)

    # a completion in each tracker reaches the note in the next single run
    done_in_todoist = next(iter(todoist.tasks.values()))
    done_in_jira = next(iter(jira.issues.values()))
    todoist.complete(done_in_todoist["id"])
    jira.complete(done_in_jira.key)
    again = json.loads(bridge(env, "sync", "--vault", str(vault), "--json").stdout)
    ticked = [
        x for x in (vault / EXAMPLE_NOTE).read_text(encoding="utf-8").splitlines() if x.startswith("- [x]")
    ]
    assert (again["created"], again["failed"], again["notes_written"]) == (0, 0, len(ticked))
    assert any(done_in_todoist["content"] in line for line in ticked)
    assert any(done_in_jira.summary in line for line in ticked)
    assert {p["connector"]: p["notes_written"] > 0 for p in again["connectors"]} == {
        "todoist": True,
        "jira": True,
    }


def test_a_connector_that_cannot_sync_does_not_stop_the_other(vault, trackers):
    todoist, jira, env = trackers
    result = bridge({**env, "JIRA_API_TOKEN": "wrong"}, "sync", "--vault", str(vault), "--json")
    assert result.returncode == 2  # bad credentials are a configuration problem
    report = json.loads(result.stdout)
    by_name = {part["connector"]: part for part in report["connectors"]}
    assert by_name["todoist"]["created"] == 2
    assert "refused the credentials" in by_name["jira"]["error"]
    assert len(todoist.tasks) == 2
    assert jira.issues == {}


@pytest.mark.parametrize(
    "flags",
    [
        ["--email", "a@example.com"],
        ["--pat", "p", "--token", "t"],
        ["--pat", "p", "--email", "a@example.com"],
    ],
)
def test_the_jira_emulator_takes_exactly_one_credential_style(flags):
    result = bridge({}, "emulator", "jira", "--port", "1", *flags)
    assert result.returncode == 2
    assert "Jira emulator takes" in result.stderr
