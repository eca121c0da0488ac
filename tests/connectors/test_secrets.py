"""No message ever holds a secret: each secret is fed through every error path the tests can reach
(bad settings, refused credentials, an unreachable host, answers that are not JSON), through the
real `bridge` command with `-v` (so debug logs too), and searched for in all it printed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.testing import serve_in_thread
from connectors.jira.emulator import create_app as jira_app
from connectors.todoist.emulator import create_app as todoist_app
from tests.cli import run_bridge
from tests.connectors.conftest import Tracker

SECRET = "SeCrEt-9f3a71c2"


@pytest.fixture(scope="module")
def sites() -> Iterator[dict[str, str]]:
    """A Todoist emulator, a Jira Cloud and a Jira Server emulator, none accepting SECRET."""
    with (
        serve_in_thread(todoist_app("right-token")) as todoist,
        serve_in_thread(jira_app(mode="cloud", email="me@example.com", token="right-token")) as cloud,
        serve_in_thread(jira_app(mode="server", pat="right-pat")) as server,
    ):
        yield {"todoist": todoist, "cloud": cloud, "server": server}


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _hosts(sites: dict[str, str], closed: int, scripted: str) -> dict[str, str]:
    return {**sites, "closed": f"http://127.0.0.1:{closed}", "scripted": scripted}


CASES: dict[str, tuple[str, dict[str, str]]] = {
    "todoist token with a trailing space, refused": ("todoist", {"TODOIST_API_TOKEN": f"{SECRET} "}),
    "todoist token with a trailing newline, refused": ("todoist", {"TODOIST_API_TOKEN": f"{SECRET}\n"}),
    "todoist token with a space inside": ("todoist", {"TODOIST_API_TOKEN": f"my {SECRET}"}),
    "todoist token with a newline inside": ("todoist", {"TODOIST_API_TOKEN": f"{SECRET}\nmore"}),
    "todoist unreachable": ("todoist", {"TODOIST_API_TOKEN": f"{SECRET} ", "TODOIST_BASE_URL": "{closed}"}),
    "todoist answers HTML": ("todoist", {"TODOIST_API_TOKEN": SECRET, "TODOIST_BASE_URL": "{scripted}"}),
    "todoist base URL with credentials": (
        "todoist",
        {"TODOIST_API_TOKEN": "right-token", "TODOIST_BASE_URL": f"http://me:{SECRET}@127.0.0.1:1"},
    ),
    "todoist webhook secret, token refused": (
        "todoist",
        {"TODOIST_API_TOKEN": "wrong", "TODOIST_CLIENT_SECRET": f"{SECRET}\n"},
    ),
    "jira PAT with a trailing newline, refused": (
        "jira",
        {"JIRA_URL": "{server}", "JIRA_PAT": f"{SECRET}\n"},
    ),
    "jira API token with a trailing space, refused": (
        "jira",
        {"JIRA_URL": "{cloud}", "JIRA_EMAIL": "me@example.com", "JIRA_API_TOKEN": f"{SECRET} "},
    ),
    "jira PAT with a newline inside": ("jira", {"JIRA_URL": "{server}", "JIRA_PAT": f"{SECRET}\nx"}),
    "jira unreachable": ("jira", {"JIRA_URL": "{closed}", "JIRA_PAT": f"{SECRET}\n"}),
    "jira answers HTML": ("jira", {"JIRA_URL": "{scripted}", "JIRA_PAT": SECRET}),
    "jira URL with credentials": (
        "jira",
        {"JIRA_URL": f"https://me:{SECRET}@jira.example.com", "JIRA_PAT": "p"},
    ),
    "jira URL with a token in its query": (
        "jira",
        {"JIRA_URL": f"https://jira.example.com/?token={SECRET}", "JIRA_PAT": "p"},
    ),
    "jira webhook secret, project missing": (
        "jira",
        {
            "JIRA_URL": "{server}",
            "JIRA_PAT": "right-pat",
            "JIRA_PROJECT": "NOPE",
            "JIRA_WEBHOOK_SECRET": SECRET,
        },
    ),
    "state URL with a password": (
        "todoist",
        {"TODOIST_API_TOKEN": "t", "BRIDGE_STATE_URL": f"mysql://u:{SECRET}@h/db"},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", ["sync", "doctor"])
def test_no_output_or_log_holds_a_secret(sites, closed_port, tracker: Tracker, tmp_path: Path, case, command):
    connector, given = CASES[case]
    tracker.default = ("text/html", f"<html>login {SECRET}?</html>".replace(SECRET, "page"))
    hosts = _hosts(sites, closed_port, tracker.url)
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "note.md").write_text("- [ ] Call Dana\n", encoding="utf-8")
    env = {
        "BRIDGE_VAULT": str(vault),
        "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
        "BRIDGE_CONNECTOR": connector,
        "BRIDGE_HTTP_DEADLINE": "1",
        "JIRA_PROJECT": "BRIDGE",
        "JIRA_MAX_RETRIES": "0",
        "TODOIST_BASE_URL": hosts["todoist"],
        **{name: value.format(**hosts) for name, value in given.items()},
    }
    args = ("-v", "sync") if command == "sync" else ("-v", "doctor", "--json")
    result = run_bridge(*args, env=env, cwd=tmp_path)
    assert result.returncode in (1, 2), result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stdout + result.stderr
