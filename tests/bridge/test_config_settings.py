"""Settings are checked when read: white space around tokens, empty values, `~`, URLs, typos."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bridge.cli import EXIT_USAGE
from bridge.config import BridgeSettings, load_settings
from bridge.errors import ConfigError
from bridge.keys import unknown_names, warn_unknown
from connectors.jira.settings import JiraSettings
from connectors.todoist.settings import TodoistSettings
from tests.cli import error_line, run_bridge, stderr_lines


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("- [ ] Call Dana\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("value", ["my-secret-token ", "my-secret-token\n", "\tmy-secret-token\r\n"])
def test_a_token_is_stripped_of_surrounding_white_space(monkeypatch, value):
    monkeypatch.setenv("TODOIST_API_TOKEN", value)
    monkeypatch.setenv("JIRA_PAT", value)
    todoist = load_settings(TodoistSettings)
    jira = load_settings(JiraSettings)
    assert todoist.api_token is not None
    assert todoist.api_token.get_secret_value() == "my-secret-token"
    assert jira.pat is not None
    assert jira.pat.get_secret_value() == "my-secret-token"


@pytest.mark.parametrize("value", ["my-secret token", "my-secret\ntoken", "my-secret\x1btoken"])
def test_a_token_with_white_space_or_control_characters_inside_is_refused_unquoted(monkeypatch, value):
    monkeypatch.setenv("TODOIST_API_TOKEN", value)
    with pytest.raises(ConfigError) as caught:
        load_settings(TodoistSettings)
    assert str(caught.value).startswith("bad setting TODOIST_API_TOKEN: contains")
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize("value", ["", "   ", "\n"])
def test_an_empty_token_is_unset_exit_2_not_a_network_failure(notes, tmp_path, value):
    env = {"TODOIST_API_TOKEN": value, "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    result = run_bridge("sync", "--vault", str(notes), "--connector", "todoist", env=env, cwd=tmp_path)
    assert "TODOIST_API_TOKEN is not set" in error_line(result, EXIT_USAGE)


def test_a_tilde_in_the_vault_and_the_sqlite_url_is_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "BRIDGE_VAULT=~/Notes\nBRIDGE_STATE_URL=sqlite:///~/state/bridge.db\n", encoding="utf-8"
    )
    settings = load_settings(BridgeSettings)
    assert settings.vault == tmp_path / "Notes"
    assert settings.state_url == f"sqlite:///{tmp_path}/state/bridge.db"


def test_a_tilde_sqlite_url_creates_no_folder_named_tilde(notes, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "BRIDGE_STATE_URL": "sqlite:///~/bridge.db"}
    result = run_bridge("status", "--vault", str(notes), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"state: sqlite:///{home / 'bridge.db'}" in result.stderr  # status creates no state
    assert not (tmp_path / "~").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [("JIRA_URL", "127.0.0.1:8777"), ("TODOIST_BASE_URL", "api.todoist.com"), ("JIRA_URL", "localhost:8080")],
)
def test_a_url_without_a_scheme_is_a_bad_setting_exit_2(notes, tmp_path, name, value):
    env = {
        "JIRA_PROJECT": "BRIDGE",
        "JIRA_PAT": "pat",
        "TODOIST_API_TOKEN": "t",
        name: value,
        "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 's.db'}",
    }
    connector = name.split("_")[0].lower()
    result = run_bridge("sync", "--vault", str(notes), "--connector", connector, env=env, cwd=tmp_path)
    line = error_line(result, EXIT_USAGE)
    assert f"bad setting {name}: expected an http(s) URL with a host, scheme included" in line


@pytest.mark.parametrize(
    "url", ["https://me:s3cr3t@example.atlassian.net", "https://example.atlassian.net/?token=s3cr3t"]
)
def test_credentials_in_a_url_are_refused_without_repeating_them(monkeypatch, url):
    monkeypatch.setenv("JIRA_URL", url)
    with pytest.raises(ConfigError) as caught:
        load_settings(JiraSettings)
    assert "JIRA_URL: must not carry credentials" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_a_state_url_of_another_kind_is_refused_without_repeating_it(monkeypatch):
    monkeypatch.setenv("BRIDGE_STATE_URL", "mysql://me:s3cr3t@db/bridge")
    with pytest.raises(ConfigError) as caught:
        load_settings(BridgeSettings)
    assert "BRIDGE_STATE_URL: expected sqlite:///PATH" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_unknown_names_in_the_environment_and_env_file_get_a_did_you_mean(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIDGE_CONECTOR", "todoist")
    (tmp_path / ".env").write_text("TODOIST_PROJCT=Work\nTODOIST_WHATEVER_ELSE=1\n", encoding="utf-8")
    assert [u.message() for u in unknown_names(BridgeSettings)] == [
        "unknown setting BRIDGE_CONECTOR in the environment; did you mean BRIDGE_CONNECTOR?"
    ]
    assert [u.message() for u in unknown_names(TodoistSettings)] == [
        f"unknown setting TODOIST_PROJCT in {tmp_path / '.env'}; did you mean TODOIST_PROJECT?",
        f"TODOIST_WHATEVER_ELSE in {tmp_path / '.env'}: not a task-bridge setting; ignored",
    ]


def test_a_typo_is_warned_once_on_stderr_when_the_settings_are_read(notes, tmp_path):
    env = {"BRIDGE_CONECTOR": "todoist", "TODOIST_PROJCT": "Work"}
    result = run_bridge("tasks", str(notes), env=env, cwd=tmp_path)
    assert result.returncode == 0
    warned = [line for line in stderr_lines(result.stderr) if "unknown setting" in line]
    said = "unknown setting BRIDGE_CONECTOR in the environment; did you mean BRIDGE_CONNECTOR?"
    assert warned == [f"WARNING bridge.keys: {said}"]


def test_only_a_likely_typo_is_warned_when_the_settings_are_read(monkeypatch, caplog):
    """JIRA_HOME (Atlassian hosts) and JIRA_AUTH_TYPE (other Jira CLIs) are another program's:
    a warning on each run would mail cron each time; `bridge doctor` lists them instead."""
    monkeypatch.setenv("JIRA_HOME", "/var/atlassian/jira")
    monkeypatch.setenv("JIRA_AUTH_TYPE", "basic")
    monkeypatch.setenv("JIRA_PROJCT", "BRIDGE")
    with caplog.at_level(logging.WARNING, logger="bridge.keys"):
        warn_unknown(JiraSettings)
    assert [r.getMessage() for r in caplog.records] == [
        "unknown setting JIRA_PROJCT in the environment; did you mean JIRA_PROJECT?"
    ]


def test_a_connector_settings_typo_is_warned_when_the_connector_reads_them(monkeypatch, caplog):
    monkeypatch.setenv("TODOIST_PROJCT", "Work-typo-warned")
    with caplog.at_level(logging.WARNING, logger="bridge.keys"):
        load_settings(TodoistSettings)
        load_settings(TodoistSettings)  # read again: said once
    assert [r.getMessage() for r in caplog.records] == [
        "unknown setting TODOIST_PROJCT in the environment; did you mean TODOIST_PROJECT?"
    ]


def test_http_retries_and_deadline_are_settings(monkeypatch):
    monkeypatch.setenv("BRIDGE_HTTP_RETRIES", "1")
    monkeypatch.setenv("BRIDGE_HTTP_DEADLINE", "2.5")
    settings = load_settings(BridgeSettings)
    assert (settings.http_retries, settings.http_deadline) == (1, 2.5)
    assert (BridgeSettings.model_fields["http_deadline"].default) == 15.0


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bob:s3cr3t@127.0.0.1:notaport/db",
        "postgresql://bob:s3cr3t@127.0.0.1:70000/db",
        "postgresql://bob:s3cr3t@[::1/db",
        "postgresql://bob:s3cr3t@h1:5432,h2:x/db",
    ],
)
def test_a_postgresql_url_with_a_bad_port_is_a_bad_setting_exit_2(notes, tmp_path, url):
    result = run_bridge("status", "--vault", str(notes), env={"BRIDGE_STATE_URL": url}, cwd=tmp_path)
    line = error_line(result, EXIT_USAGE)
    assert line.startswith("bridge: bad setting BRIDGE_STATE_URL: the host or port of the PostgreSQL URL")
    assert "s3cr3t" not in line
    assert "notaport" not in line


def test_a_postgresql_url_with_several_hosts_is_accepted(monkeypatch):
    monkeypatch.setenv("BRIDGE_STATE_URL", "postgresql://bob@h1:5432,h2,[::1]:5433/db")
    assert load_settings(BridgeSettings).state_url == "postgresql://bob@h1:5432,h2,[::1]:5433/db"


def test_a_bad_entry_of_a_mapping_names_the_variable_and_the_entry(monkeypatch):
    monkeypatch.setenv("TODOIST_OWNERS", '{"Lior Genzel": 5}')
    with pytest.raises(ConfigError) as caught:
        load_settings(TodoistSettings)
    assert str(caught.value) == (
        "bad setting TODOIST_OWNERS: entry 'Lior Genzel': Input should be a valid string"
    )
