"""The command's plumbing: its names, `-h`, completion, `-v` anywhere, per-emulator flags, the
licence and the state file's mode."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge import logs
from bridge.cli import app
from bridge.database import SQLiteDatabase
from tests.cli import unstamped
from tests.conftest import ROOT

SCRIPT = Path(sys.executable).with_name("task-bridge")
installed = pytest.mark.skipif(not SCRIPT.exists(), reason="the task-bridge console script is not installed")

COMMANDS = [
    ["tasks"],
    ["sync"],
    ["status"],
    ["serve"],
    ["auth"],
    ["demo"],
    ["inbox"],
    ["inbox", "retry"],
    ["emulator"],
    ["emulator", "todoist"],
    ["emulator", "jira"],
]


def test_pyproject_installs_task_bridge_and_bridge_as_one_program():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["task-bridge"] == scripts["bridge"] == "bridge.cli:main"


def test_licence_file_is_mit_as_pyproject_says():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "Copyright (c) task-bridge contributors" in text


@installed
def test_task_bridge_names_itself_in_errors_usage_and_version(tmp_path):
    missing = subprocess.run(
        [str(SCRIPT), "tasks", str(tmp_path / "nowhere")], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 2
    assert unstamped(missing.stderr).startswith("task-bridge: "), missing.stderr
    usage = subprocess.run([str(SCRIPT), "-h"], capture_output=True, text=True, check=True)
    assert "Usage: task-bridge " in usage.stdout
    version = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("task-bridge ")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_short_help_flag_works_everywhere(command):
    result = CliRunner().invoke(app, [*command, "-h"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert "--help" in result.output


def test_shell_completion_is_offered():
    shown = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="task-bridge")
    assert shown.exit_code == 0, shown.output
    assert "_TASK_BRIDGE_COMPLETE" in shown.output
    assert "--install-completion" in CliRunner().invoke(app, ["-h"]).output


def _flags(help_text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", help_text))


def test_each_emulator_lists_only_its_own_flags():
    todoist = _flags(CliRunner().invoke(app, ["emulator", "todoist", "-h"]).output)
    jira = _flags(CliRunner().invoke(app, ["emulator", "jira", "-h"]).output)
    assert {"--token", "--client-secret", "--webhook-url", "--port"} <= todoist
    assert not {"--email", "--pat", "--secret"} & todoist
    assert {"--email", "--token", "--pat", "--secret", "--webhook-url", "--port"} <= jira
    assert "--client-secret" not in jira


def test_emulator_by_name_keeps_working_and_unknown_names_are_usage_errors():
    result = CliRunner().invoke(app, ["emulator", "nope"])
    assert result.exit_code == 2
    assert "no connector named 'nope' (available: jira, todoist)" in result.output
    refused = CliRunner().invoke(app, ["emulator", "jira", "--port", "1", "--email", "a@example.com"])
    assert refused.exit_code == 2
    assert "Jira emulator takes" in refused.output


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_is_accepted_before_and_after_the_subcommand(where, tmp_path):
    args = ["tasks", str(ROOT / "examples" / "vault"), "--json"]
    args = ["-v", *args] if where == "before" else [*args, "-v"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert logging.getLogger("bridge").getEffectiveLevel() == logging.DEBUG
    logs.configure(verbose=False)


def test_verbose_opens_the_bridge_loggers_and_keeps_http_libraries_at_warning():
    logs.configure(verbose=True)
    try:
        assert logging.getLogger("bridge.sync").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("connectors.todoist").isEnabledFor(logging.DEBUG)
        for noisy in ("httpx", "httpcore.connection", "urllib3.connectionpool"):
            assert not logging.getLogger(noisy).isEnabledFor(logging.INFO), noisy
    finally:
        logs.configure(verbose=False)
    assert not logging.getLogger("bridge.sync").isEnabledFor(logging.INFO)


def test_new_state_database_and_its_wal_are_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "state" / "vault.db"
    db = SQLiteDatabase(str(path))
    db.execute("CREATE TABLE t (a)")
    db.execute("INSERT INTO t VALUES ('task text')")
    try:
        made = sorted(p.name for p in path.parent.iterdir())
        assert made == ["vault.db", "vault.db-shm", "vault.db-wal"]
        for name in made:
            assert os.stat(path.parent / name).st_mode & 0o777 == 0o600, name
        assert os.stat(path.parent).st_mode & 0o777 == 0o700
    finally:
        db.close()


def test_docs_name_nested_tasks():
    text = (ROOT / "docs" / "format.md").read_text()
    assert "Nested tasks are synced flat" in text


CRON_OR_SYSTEMD = re.compile(r"^\s*(?:[*0-9/,-]+\s+){5}.*|^\s*ExecStart=.*", re.M)


def test_cron_and_systemd_lines_in_docs_use_task_bridge_by_absolute_path():
    found = []
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "examples").rglob("*")]:
        if doc.is_file() and doc.suffix in (".md", ".service", ".timer", ".cron", ""):
            found += [m.group(0).strip() for m in CRON_OR_SYSTEMD.finditer(doc.read_text(errors="replace"))]
    runs = [line for line in found if "bridge" in line]
    assert runs, "no cron or systemd line found"
    for line in runs:
        assert re.search(r"(?:^|[\s=])/\S+/task-bridge\s", line), line
