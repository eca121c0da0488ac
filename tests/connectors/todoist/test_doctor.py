"""`bridge doctor` against the Todoist emulator: all ok, then each problem named, right exit status."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from tests.connectors.todoist.conftest import CLIENT_SECRET


@pytest.fixture
def setup(env, monkeypatch, tmp_path: Path) -> Path:
    """The emulator's settings (`env`), a vault, Todoist as the connector, a folder of our own."""
    monkeypatch.chdir(tmp_path)
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "note.md").write_text("- [ ] Call Dana\n", encoding="utf-8")
    for name, value in {
        "BRIDGE_VAULT": str(vault),
        "BRIDGE_CONNECTOR": "todoist",
        "TODOIST_PROJECT": "Inbox",
        "TODOIST_CLIENT_SECRET": CLIENT_SECRET,
        "BRIDGE_HTTP_DEADLINE": "1",
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def doctor() -> tuple[int, dict[str, list[tuple[str, str, str]]]]:
    result = CliRunner().invoke(app, ["doctor", "--json"])
    found: dict[str, list[tuple[str, str, str]]] = {}
    for check in json.loads(result.stdout)["checks"]:
        found.setdefault(check["check"], []).append((check["status"], check["message"], check["cause"]))
    return result.exit_code, found


def test_doctor_is_all_ok_against_the_emulator(setup, emulator_url):
    status, found = doctor()
    assert status == 0
    todoist = {name: lines for name, lines in found.items() if name.startswith("todoist")}
    assert list(todoist) == [
        "todoist settings",
        "todoist",
        "todoist project",
        "todoist owners",
        "todoist webhooks",
    ]
    assert all(line[0] == "ok" for lines in todoist.values() for line in lines), todoist
    assert found["todoist"][0][1].startswith(f"{emulator_url} reached, token accepted")
    assert all(line[0] == "ok" for name in ("vault", "state", "settings") for line in found[name])


def test_a_wrong_token_fails_as_a_credential_exit_2(setup, monkeypatch):
    monkeypatch.setenv("TODOIST_API_TOKEN", "wrong-token")
    status, found = doctor()
    assert status == 2
    assert found["todoist"][0][0] == "fail"
    assert "the token was refused (401" in found["todoist"][0][1]
    assert "check TODOIST_API_TOKEN" in found["todoist"][0][1]


def test_a_project_not_there_is_a_warning_listing_the_projects(setup, monkeypatch):
    monkeypatch.setenv("TODOIST_PROJECT", "Wrok")
    status, found = doctor()
    assert status == 0
    assert found["todoist project"] == [
        ("warn", "TODOIST_PROJECT 'Wrok' not found: the first sync creates it (projects: Inbox)", "setup")
    ]


def test_a_typo_in_a_setting_is_named_with_the_right_one(setup, monkeypatch):
    monkeypatch.setenv("TODOIST_PROJCT", "Work")
    status, found = doctor()
    assert status == 0
    assert (
        "warn",
        "unknown setting TODOIST_PROJCT in the environment; did you mean TODOIST_PROJECT?",
        "setup",
    ) in found["settings"]


def test_an_owner_not_among_the_collaborators_is_a_warning(setup, monkeypatch):
    monkeypatch.setenv("TODOIST_OWNERS", '{"Dana": "dana@example.com"}')
    _, found = doctor()
    assert found["todoist owners"][0][:2] == (
        "warn",
        "TODOIST_OWNERS: Dana not among the collaborators: left unassigned",
    )


def test_an_unreachable_url_fails_as_network_exit_1(setup, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("TODOIST_BASE_URL", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    status, found = doctor()
    assert time.monotonic() - started < 5
    assert status == 1
    (state, message, cause) = found["todoist"][0]
    assert (state, cause) == ("fail", "network")
    assert message.startswith(f"no answer from 127.0.0.1:{port}: [Errno 111] Connection refused")


def test_a_missing_webhook_secret_is_a_warning_for_serve(setup, monkeypatch):
    monkeypatch.delenv("TODOIST_CLIENT_SECRET")
    status, found = doctor()
    assert status == 0
    assert found["todoist webhooks"][0][:2] == (
        "warn",
        "TODOIST_CLIENT_SECRET not set: `bridge serve` refuses Todoist webhooks",
    )


def test_a_bad_bridge_setting_is_not_blamed_on_todoist(setup, emulator_url, monkeypatch):
    """The core's check reports BRIDGE_HTTP_RETRIES; Todoist's are read, and checked."""
    from connectors.todoist.doctor import checks

    monkeypatch.setenv("BRIDGE_HTTP_RETRIES", "many")
    found = checks()
    assert (found[0].name, found[0].status.value) == ("todoist settings", "ok")
    assert (found[1].name, found[1].status.value) == ("todoist", "ok")
