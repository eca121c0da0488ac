"""The problems a user met with Jira's settings, each through the real `bridge sync`."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from bridge.cli import EXIT_FAILED, EXIT_USAGE
from tests.cli import error_line, run_bridge
from tests.connectors.jira.conftest import PAT, bridge_env


def _notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("- [ ] Call Dana\n", encoding="utf-8")
    return folder


def test_a_pat_ending_in_a_newline_syncs(monkeypatch, tmp_path, server_url, server):
    env = bridge_env(monkeypatch, tmp_path, server_url, server=True, JIRA_PAT=f"{PAT}\n")
    result = run_bridge(
        "sync", "--vault", str(_notes(tmp_path)), "--connector", "jira", env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert [i.summary for i in server.issues.values()] == ["Call Dana"]


def test_a_wrong_project_is_a_setting_naming_it_and_the_visible_keys(monkeypatch, tmp_path, cloud_url):
    env = bridge_env(monkeypatch, tmp_path, cloud_url, JIRA_PROJECT="BRIGDE")
    result = run_bridge(
        "sync", "--vault", str(_notes(tmp_path)), "--connector", "jira", env=env, cwd=tmp_path
    )
    line = error_line(result, EXIT_USAGE)
    assert line.startswith(
        "bridge: JIRA_PROJECT 'BRIGDE': no such project visible to these credentials (visible: "
    )
    assert "BRIDGE" in line.split("visible: ")[1]


def test_an_unreachable_jira_fails_within_15_s_in_one_line(monkeypatch, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = bridge_env(monkeypatch, tmp_path, f"http://127.0.0.1:{port}", JIRA_MAX_RETRIES="3")
    started = time.monotonic()
    result = run_bridge(
        "sync", "--vault", str(_notes(tmp_path)), "--connector", "jira", env=env, cwd=tmp_path
    )
    assert time.monotonic() - started < 15
    line = error_line(result, EXIT_FAILED)
    refused = f"no answer from 127.0.0.1:{port}: [Errno 111] Connection refused"
    assert line == f"bridge: jira: {refused} (5 attempts) (serverInfo)"


def test_a_jira_that_accepts_and_never_answers_is_given_up_at_the_deadline(monkeypatch, tmp_path, silent_url):
    env = bridge_env(monkeypatch, tmp_path, silent_url, JIRA_TIMEOUT="100", BRIDGE_HTTP_DEADLINE="2")
    started = time.monotonic()
    result = run_bridge(
        "sync", "--vault", str(_notes(tmp_path)), "--connector", "jira", env=env, cwd=tmp_path
    )
    assert time.monotonic() - started < 2 + 3  # the deadline, and the interpreter's start
    line = error_line(result, EXIT_FAILED)
    host = silent_url.removeprefix("http://")
    assert line == f"bridge: jira: no answer from {host}: timed out (1 attempt) (serverInfo)"
