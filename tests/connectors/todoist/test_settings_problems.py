"""The problems a user met with Todoist's settings, each through the real `bridge sync`."""

from __future__ import annotations

import socket
import time

from bridge.cli import EXIT_FAILED
from tests.cli import error_line, run_bridge
from tests.connectors.todoist.conftest import TOKEN


def test_a_token_pasted_with_a_trailing_newline_syncs(notes, env, emulator, tmp_path):
    (notes / "a.md").write_text("- [ ] Call Dana\n", encoding="utf-8")
    result = run_bridge(
        "sync",
        "--vault",
        str(notes),
        "--connector",
        "todoist",
        env={**env, "TODOIST_API_TOKEN": f"{TOKEN}\n"},
    )
    assert result.returncode == 0, result.stderr
    assert [t["content"] for t in emulator.tasks.values()] == ["Call Dana"]


def test_an_unreachable_todoist_fails_within_15_s_in_one_line(notes, env, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    result = run_bridge(
        "sync",
        "--vault",
        str(notes),
        "--connector",
        "todoist",
        env={**env, "TODOIST_BASE_URL": f"http://127.0.0.1:{port}"},
        cwd=tmp_path,
    )
    assert time.monotonic() - started < 15
    line = error_line(result, EXIT_FAILED)
    refused = f"no answer from 127.0.0.1:{port}: [Errno 111] Connection refused"
    assert line == f"bridge: todoist: {refused} (POST /api/v1/sync)"


def test_a_missing_token_names_the_auth_command_as_the_program_was_run(monkeypatch, tmp_path):
    """`bridge` may be iproute2's: run as `task-bridge`, the advice says `task-bridge auth todoist`."""
    from typer.testing import CliRunner

    from bridge.cli import app

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("- [ ] Call Dana\n", encoding="utf-8")
    monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setattr("sys.argv", ["/usr/local/bin/task-bridge", "sync"])
    result = CliRunner().invoke(app, ["sync", "--vault", str(notes), "--connector", "todoist"])
    assert result.exit_code == 2
    assert "no OAuth grant is stored (`task-bridge auth todoist`)" in result.stderr
    assert "`bridge auth" not in result.stderr


def test_a_todoist_that_accepts_and_never_answers_is_given_up_at_the_deadline(
    notes, env, tmp_path, silent_url
):
    started = time.monotonic()
    result = run_bridge(
        "sync",
        "--vault",
        str(notes),
        "--connector",
        "todoist",
        env={**env, "TODOIST_BASE_URL": silent_url, "BRIDGE_HTTP_DEADLINE": "2"},
        cwd=tmp_path,
    )
    assert time.monotonic() - started < 2 + 3  # the deadline, and the interpreter's start
    line = error_line(result, EXIT_FAILED)
    host = silent_url.removeprefix("http://")
    assert line == f"bridge: todoist: no answer from {host}: timed out (POST /api/v1/sync)"
