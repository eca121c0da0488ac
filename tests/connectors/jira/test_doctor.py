"""`bridge doctor` against the Jira emulator, Cloud and Server: all ok, then each problem named."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from tests.connectors.jira.conftest import SECRET, bridge_env


@pytest.fixture
def here(monkeypatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TODOIST_OAUTH_FILE")  # Todoist is not configured here
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "note.md").write_text("- [ ] Call Dana\n", encoding="utf-8")
    monkeypatch.setenv("BRIDGE_VAULT", str(vault))
    monkeypatch.setenv("BRIDGE_CONNECTOR", "jira")
    monkeypatch.setenv("BRIDGE_HTTP_DEADLINE", "1")
    return tmp_path


def doctor() -> tuple[int, dict[str, list[tuple[str, str, str]]]]:
    result = CliRunner().invoke(app, ["doctor", "--json"])
    found: dict[str, list[tuple[str, str, str]]] = {}
    for check in json.loads(result.stdout)["checks"]:
        found.setdefault(check["check"], []).append((check["status"], check["message"], check["cause"]))
    return result.exit_code, found


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_doctor_is_all_ok_against_the_emulator(here, monkeypatch, request, mode):
    url = request.getfixturevalue(f"{mode}_url")
    bridge_env(monkeypatch, here, url, server=mode == "server", JIRA_WEBHOOK_SECRET=SECRET)
    status, found = doctor()
    assert status == 0
    jira = {name: lines for name, lines in found.items() if name.startswith("jira")}
    assert list(jira) == ["jira settings", "jira", "jira project", "jira owners", "jira webhooks"]
    assert all(line[0] == "ok" for lines in jira.values() for line in lines), jira
    assert found["jira"][0][1].startswith(f"{url} reached, credentials accepted as ")


def test_a_wrong_token_fails_as_a_credential_exit_2(here, monkeypatch, cloud_url):
    bridge_env(monkeypatch, here, cloud_url, JIRA_API_TOKEN="wrong-token")
    status, found = doctor()
    assert status == 2
    assert found["jira"] == [
        (
            "fail",
            f"{cloud_url} refused the credentials in JIRA_EMAIL and JIRA_API_TOKEN (HTTP 401) (serverInfo)",
            "setup",
        )
    ]


def test_a_wrong_project_fails_listing_the_visible_ones_exit_2(here, monkeypatch, server_url):
    bridge_env(monkeypatch, here, server_url, server=True, JIRA_PROJECT="BRIGDE")
    status, found = doctor()
    assert status == 2
    state, message, _ = found["jira project"][0]
    assert state == "fail"
    assert message.startswith(
        "JIRA_PROJECT 'BRIGDE': no such project visible to these credentials (visible: BRIDGE"
    )


def test_a_typo_in_a_setting_is_named_with_the_right_one(here, monkeypatch, cloud_url):
    bridge_env(monkeypatch, here, cloud_url)
    (here / ".env").write_text("JIRA_WEBHOOK_SECRT=x\n", encoding="utf-8")
    _, found = doctor()
    assert (
        "warn",
        f"unknown setting JIRA_WEBHOOK_SECRT in {here / '.env'}; did you mean JIRA_WEBHOOK_SECRET?",
        "setup",
    ) in found["settings"]


def test_an_unreachable_url_fails_as_network_exit_1(here, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bridge_env(monkeypatch, here, f"http://127.0.0.1:{port}")
    status, found = doctor()
    assert status == 1
    state, message, cause = found["jira"][0]
    assert (state, cause) == ("fail", "network")
    assert message.startswith(f"no answer from 127.0.0.1:{port}: [Errno 111] Connection refused")


def test_missing_credentials_fail_as_a_setting(here, monkeypatch, cloud_url):
    bridge_env(monkeypatch, here, cloud_url)
    monkeypatch.delenv("JIRA_API_TOKEN")
    status, found = doctor()
    assert status == 2
    assert found["jira settings"][0][0] == "fail"
    assert "Jira credentials missing" in found["jira settings"][0][1]


def test_a_bad_bridge_setting_is_not_blamed_on_jira(here, monkeypatch, cloud_url):
    """The core's check reports BRIDGE_HTTP_DEADLINE; Jira's settings are read, and checked."""
    from connectors.jira.doctor import checks

    bridge_env(monkeypatch, here, cloud_url)
    monkeypatch.setenv("BRIDGE_HTTP_DEADLINE", "-1")
    found = checks()
    assert (found[0].name, found[0].status.value) == ("jira settings", "ok")
    assert (found[1].name, found[1].status.value) == ("jira", "ok")


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_the_project_key_is_matched_in_any_case_as_sync_does(here, monkeypatch, request, mode):
    url = request.getfixturevalue(f"{mode}_url")
    bridge_env(monkeypatch, here, url, server=mode == "server", JIRA_PROJECT="bridge")
    status, found = doctor()
    assert found["jira project"] == [("ok", "JIRA_PROJECT 'bridge' found (as BRIDGE)", "setup")]
    assert found["jira owners"][0][0] == "ok"
    assert status == 0


def test_a_wrong_path_in_the_url_is_a_setup_problem_exit_2(here, monkeypatch, cloud_url):
    """A 404 will be a 404 next time too: it needs a person, not a retry."""
    bridge_env(monkeypatch, here, f"{cloud_url}/jira")
    status, found = doctor()
    state, message, cause = found["jira"][0]
    assert (state, cause) == ("fail", "setup")
    assert "HTTP 404" in message
    assert message.endswith(f": check JIRA_URL ({cloud_url}/jira)")
    assert status == 2
