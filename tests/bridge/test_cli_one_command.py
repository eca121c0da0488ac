"""A run that names its command first builds only that command (`bridge.cli.one_command_app`):
its help, its usage errors and what it does are what the whole application gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app, one_command_app
from tests.conftest import EXAMPLE_VAULT

COMMANDS = ("tasks", "sync", "status", "serve", "auth", "doctor", "demo")
# Arguments that only show help or stop at a usage error: no command is run for real.
USAGE = (["--help"], ["-h"], ["--bogus"], ["--verbose", "--help"], ["extra", "words", "--bogus"])
RUNS = (
    ["tasks", str(EXAMPLE_VAULT), "--json"],
    ["tasks", str(EXAMPLE_VAULT), "--json", "--status", "open", "--limit", "3"],
    ["tasks", str(EXAMPLE_VAULT), "--status", "no-such-status"],
    ["tasks", str(EXAMPLE_VAULT), "--limit", "x"],
    ["tasks", "/no/such/vault", "--json"],
    ["tasks", str(EXAMPLE_VAULT), "--json", "--no-cache", "--owner", "@lior genzel"],
)


def _invoke(application: object, args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(application, args, prog_name="bridge")  # type: ignore[arg-type]
    return result.exit_code, result.stdout, result.stderr


def test_every_command_of_the_application_can_be_built_alone() -> None:
    built = {one_command_app(name) is not None for name in COMMANDS}
    assert built == {True}
    assert one_command_app("inbox") is None  # a group: the whole application
    assert one_command_app("emulator") is None
    assert one_command_app("--help") is None
    assert one_command_app("no-such-command") is None
    assert len(app.registered_commands) == len(COMMANDS)  # a new command is added to COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("args", USAGE)
def test_help_and_usage_errors_are_the_whole_application_s(name: str, args: list[str]) -> None:
    lean = one_command_app(name)
    assert _invoke(lean, [name, *args]) == _invoke(app, [name, *args])


@pytest.mark.parametrize("args", RUNS)
def test_a_listing_is_the_whole_application_s(args: list[str], tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    whole = _invoke(app, args)
    assert _invoke(one_command_app(args[0]), args) == whole


def test_the_command_run_as_a_process_is_the_whole_application_s(tmp_path: Path) -> None:
    """`_..._COMPLETE` set (not the bridge's own completion variable) makes `main` build every
    command, as a shell's completion does."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    for args in (["tasks", str(EXAMPLE_VAULT), "--json"], ["sync", "--bogus"], ["tasks", "-h"]):
        command = [sys.executable, "-m", "bridge", *args]
        runs = [
            subprocess.run(command, env=extra, capture_output=True, text=True, check=False)
            for extra in (env, {**env, "_NOT_THE_BRIDGE_COMPLETE": "1"})
        ]
        assert (runs[0].returncode, runs[0].stdout, runs[0].stderr) == (
            runs[1].returncode,
            runs[1].stdout,
            runs[1].stderr,
        )
