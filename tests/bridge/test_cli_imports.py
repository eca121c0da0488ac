"""`bridge --help` starts without the task model, the output and logging: `bridge.cli` imports
them in the commands that use them, and spells the status choices of `tasks --status` out."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from bridge import cli, selection

LEFT_FOR_THE_COMMANDS = ("bridge.model", "bridge.output", "bridge.selection", "bridge.logs", "logging")


def test_the_status_choices_are_the_selection_s() -> None:
    assert cli.STATUS_CHOICES == selection.STATUS_CHOICES


def test_the_tasks_help_names_every_status_choice() -> None:
    shown = " ".join(CliRunner().invoke(cli.app, ["tasks", "--help"], prog_name="bridge").stdout.split())
    assert ", ".join(selection.STATUS_CHOICES) in shown


def test_importing_the_command_line_leaves_the_model_output_and_logging_to_the_commands() -> None:
    code = f"import sys, bridge.cli; print([m for m in {LEFT_FOR_THE_COMMANDS!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
