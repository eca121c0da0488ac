"""`bridge doctor` on the core's own checks: program on PATH, settings, vault, state, exit rule."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from bridge.connector import Check, CheckStatus
from bridge.doctor import Diagnosis
from bridge.migrations import MIGRATIONS
from bridge.state import Store


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder of the test's own (its `.env` is read), with a vault of one note, and no
    tracker setting (the grant file's, set for every test, would make Todoist configured)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TODOIST_OAUTH_FILE")
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "note.md").write_text("- [ ] Call Dana\n", encoding="utf-8")
    return tmp_path


def doctor(*args: str) -> tuple[int, list[dict[str, str]], dict[str, str]]:
    result = CliRunner().invoke(app, ["doctor", "--json", *args])
    document = json.loads(result.stdout)
    assert document["exit"] == result.exit_code
    return result.exit_code, document["checks"], document["settings"]


def lines(checks: list[dict[str, str]], name: str) -> list[tuple[str, str]]:
    return [(c["status"], c["message"]) for c in checks if c["check"] == name]


def test_settings_are_listed_with_where_each_came_from_values_never(here, monkeypatch):
    (here / ".env").write_text("BRIDGE_VAULT=vault\nBRIDGE_CONNECTOR=\n", encoding="utf-8")
    monkeypatch.setenv("BRIDGE_GROUP_SCOPE", "note")
    status, checks, settings = doctor()
    assert settings == {"BRIDGE_GROUP_SCOPE": "environment", "BRIDGE_VAULT": str(here / ".env")}
    assert ("ok", f"from {here / '.env'}: BRIDGE_VAULT") in lines(checks, "settings")
    assert ("ok", "from the environment: BRIDGE_GROUP_SCOPE") in lines(checks, "settings")
    assert ("warn", "no connector configured: set BRIDGE_CONNECTOR or BRIDGE_ROUTES") in lines(
        checks, "trackers"
    )
    assert status == 0


def test_a_typo_is_a_warning_with_a_did_you_mean(here, monkeypatch):
    (here / ".env").write_text("BRIDGE_CONECTOR=todoist\n", encoding="utf-8")
    _, checks, _ = doctor()
    assert (
        "warn",
        f"unknown setting BRIDGE_CONECTOR in {here / '.env'}; did you mean BRIDGE_CONNECTOR?",
    ) in lines(checks, "settings")


def test_a_name_close_to_no_setting_is_listed_as_ignored(here, monkeypatch):
    monkeypatch.setenv("JIRA_HOME", "/var/atlassian/jira")
    _, checks, _ = doctor()
    assert (
        "warn",
        "JIRA_HOME in the environment: not a task-bridge setting; ignored",
    ) in lines(checks, "settings")


def test_a_vault_that_is_missing_fails_as_a_setting(here, monkeypatch):
    monkeypatch.setenv("BRIDGE_VAULT", str(here / "nowhere"))
    status, checks, _ = doctor()
    assert lines(checks, "vault") == [("fail", f"BRIDGE_VAULT {here / 'nowhere'}: no such folder")]
    assert status == 2


def test_a_folder_without_notes_is_a_warning(here, monkeypatch):
    (here / "empty").mkdir()
    monkeypatch.setenv("BRIDGE_VAULT", str(here / "empty"))
    _, checks, _ = doctor()
    assert lines(checks, "vault")[0][0] == "warn"
    assert "no Markdown notes and no .obsidian folder" in lines(checks, "vault")[0][1]


def test_the_state_database_is_checked_without_being_created(here, monkeypatch):
    state = here / "state" / "bridge.db"
    monkeypatch.setenv("BRIDGE_VAULT", str(here / "vault"))
    monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{state}")
    status, checks, _ = doctor()
    assert lines(checks, "state") == [("ok", f"{state}: not there yet; the first sync creates it")]
    assert not state.parent.exists()
    assert status == 0


def test_an_empty_state_database_fails(here, monkeypatch):
    state = here / "bridge.db"
    state.write_bytes(b"")
    monkeypatch.setenv("BRIDGE_VAULT", str(here / "vault"))
    monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{state}")
    status, checks, _ = doctor()
    assert lines(checks, "state")[0][0] == "fail"
    assert status == 2


def test_a_bad_setting_fails_with_its_message(here, monkeypatch):
    monkeypatch.setenv("BRIDGE_GROUP_THRESHOLD", "200")
    status, checks, _ = doctor()
    assert ("fail", "bad setting BRIDGE_GROUP_THRESHOLD: Input should be less than or equal to 100") in lines(
        checks, "settings"
    )
    assert status == 2


def test_another_bridge_on_path_is_named_and_task_bridge_suggested(here, monkeypatch):
    bin_dir = here / "sbin"
    bin_dir.mkdir()
    other = bin_dir / "bridge"
    other.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(100))  # iproute2's: a compiled program
    other.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    _, checks, _ = doctor()
    assert lines(checks, "program") == [
        ("warn", f"`bridge` on PATH is {other}, another program; run `task-bridge` instead")
    ]


def test_the_human_output_is_one_line_per_check(here):
    result = CliRunner().invoke(app, ["doctor"])
    assert result.stdout.splitlines()[0].startswith(("ok    program: ", "warn  program: "))
    assert all(line.split()[0] in ("ok", "warn", "fail") for line in result.stdout.splitlines())


@pytest.mark.parametrize(
    ("failed", "status"),
    [((), 0), (("network",), 1), (("setup",), 2), (("network", "setup"), 2)],
)
def test_exit_status_setup_outranks_network_and_warnings_pass(failed, status):
    found = Diagnosis([Check("a", CheckStatus.WARN, "w"), Check("b", CheckStatus.OK, "o")])
    found.checks += [Check(cause, CheckStatus.FAIL, "f", cause) for cause in failed]
    assert found.exit_status == status


def test_a_tracker_set_up_without_bridge_connector_is_told_how_sync_finds_it(here, monkeypatch):
    """Todoist's settings alone make doctor check Todoist, but a plain `sync` (cron's) refuses to
    guess the tracker: doctor says so, and what to set."""
    (here / ".env").write_text(
        "BRIDGE_VAULT=vault\nTODOIST_API_TOKEN=abc\nTODOIST_BASE_URL=http://127.0.0.1:9\n", encoding="utf-8"
    )
    monkeypatch.setenv("BRIDGE_HTTP_RETRIES", "0")
    _, checks, _ = doctor()
    assert lines(checks, "sync") == [
        (
            "warn",
            "BRIDGE_CONNECTOR is not set, so `sync` needs --connector todoist;"
            " or set BRIDGE_CONNECTOR=todoist",
        )
    ]
    (here / ".env").write_text((here / ".env").read_text() + "BRIDGE_CONNECTOR=todoist\n", encoding="utf-8")
    _, checks, _ = doctor()
    assert lines(checks, "sync") == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_bad_setting_does_not_stop_the_vault_state_and_tracker_checks(here, monkeypatch):
    """The threshold is reported, and so are the missing vault and the unreachable tracker."""
    port = _closed_port()
    for name, value in {
        "BRIDGE_GROUP_THRESHOLD": "200",
        "BRIDGE_VAULT": str(here / "nowhere"),
        "BRIDGE_HTTP_RETRIES": "0",
        "TODOIST_API_TOKEN": "wrongtok",
        "TODOIST_BASE_URL": f"http://127.0.0.1:{port}",
    }.items():
        monkeypatch.setenv(name, value)
    status, checks, _ = doctor()
    assert ("fail", "bad setting BRIDGE_GROUP_THRESHOLD: Input should be less than or equal to 100") in lines(
        checks, "settings"
    )
    assert lines(checks, "vault") == [("fail", f"BRIDGE_VAULT {here / 'nowhere'}: no such folder")]
    assert lines(checks, "todoist settings") == [("ok", "read")]
    assert lines(checks, "todoist")[0][0] == "fail"
    assert status == 2


def test_a_bad_setting_is_not_reported_again_by_the_checks_that_use_it(here, monkeypatch):
    monkeypatch.setenv("BRIDGE_VAULT", str(here / "vault"))
    monkeypatch.setenv("BRIDGE_STATE_URL", "mysql://x/y")
    status, checks, _ = doctor()
    assert next(c for c in lines(checks, "settings") if c[0] == "fail")[1].startswith(
        "bad setting BRIDGE_STATE_URL: expected sqlite:///PATH"
    )
    assert lines(checks, "vault")[0][0] == "ok"
    assert lines(checks, "state") == []  # not checked against a default it was not given
    assert status == 2


def test_postgresql_state_is_reached_and_read_but_never_created(here, monkeypatch, postgres_url):
    from bridge.database import PostgresDatabase

    monkeypatch.setenv("BRIDGE_VAULT", str(here / "vault"))
    monkeypatch.setenv("BRIDGE_STATE_URL", postgres_url)
    status, checks, _ = doctor()
    assert lines(checks, "state") == [
        ("ok", f"{postgres_url}: reached; no state yet, the first sync creates it")
    ]
    assert status == 0
    db = PostgresDatabase(postgres_url)
    try:
        assert db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").rows == [(0,)]
    finally:
        db.close()
    with Store.open(postgres_url):
        pass
    _, checks, _ = doctor()
    newest = MIGRATIONS[-1].version
    assert lines(checks, "state") == [("ok", f"{postgres_url}: reached and readable (schema {newest})")]


def test_postgresql_state_of_a_newer_release_fails(here, monkeypatch, postgres_url):
    with Store.open(postgres_url) as store:
        store.db.execute("INSERT INTO schema_migrations VALUES (999, 'later', 'now')")
    monkeypatch.setenv("BRIDGE_STATE_URL", postgres_url)
    status, checks, _ = doctor()
    assert lines(checks, "state")[0][0] == "fail"
    assert "has schema 999, newer than this release knows" in lines(checks, "state")[0][1]
    assert status == 2


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bob:S3cretpw@127.0.0.1:{port}/db",
        "postgresql://bob:S3cret PW@127.0.0.1:{port}/db",
        "postgresql://bob:pa%zzS3cret@127.0.0.1:{port}/db",
    ],
)
def test_postgresql_state_that_cannot_be_reached_fails_as_setup_without_the_password(here, monkeypatch, url):
    url = url.format(port=_closed_port())
    monkeypatch.setenv("BRIDGE_STATE_URL", url)
    result = CliRunner().invoke(app, ["doctor", "--json"])
    checks = json.loads(result.stdout)["checks"]
    (state,) = [c for c in checks if c["check"] == "state"]
    assert (state["status"], state["cause"]) == ("fail", "setup")
    assert state["message"].startswith("state database postgresql://bob@127.0.0.1:")
    assert "S3cret" not in result.stdout
    assert result.exit_code == 2


def test_a_name_no_connector_reads_does_not_make_its_tracker_configured(here, monkeypatch):
    """Atlassian hosts set JIRA_HOME: that alone is no Jira to check (and no failure)."""
    (here / ".env").write_text("BRIDGE_VAULT=vault\n", encoding="utf-8")
    monkeypatch.setenv("JIRA_HOME", "/var/atlassian/application-data/jira")
    status, checks, _ = doctor()
    assert not [c for c in checks if c["check"].startswith("jira")]
    assert ("warn", "no connector configured: set BRIDGE_CONNECTOR or BRIDGE_ROUTES") in lines(
        checks, "trackers"
    )
    assert status == 0
