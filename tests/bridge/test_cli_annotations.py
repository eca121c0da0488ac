"""The command line's annotations are evaluated where each command is defined rather than kept
as text (`from __future__ import annotations`) for typer to evaluate: every command's parameters
and help are those the text gives."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import click
import pytest
import typer
import typer.main
from typer.testing import CliRunner

from bridge import cli


def _as_text() -> types.ModuleType:
    """`bridge.cli` with its annotations kept as text, as before: the oracle."""
    source = Path(cli.__file__).read_text(encoding="utf-8")
    module = types.ModuleType("bridge_cli_as_text")
    module.__file__ = cli.__file__
    sys.modules[module.__name__] = module  # typer evaluates the text in the module's namespace
    code = compile("from __future__ import annotations\n" + source, cli.__file__, "exec")
    try:
        exec(code, module.__dict__)  # noqa: S102  (the module's own source, as it was)
    finally:
        del sys.modules[module.__name__]
    return module


def _plain(value: object) -> object:
    """A parameter's attribute, comparable between the two modules: a function by its name, an
    object of click's by its class and attributes."""
    if callable(value) and hasattr(value, "__qualname__"):
        return value.__qualname__
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "__dict__") and type(value).__module__.startswith(("typer", "click")):
        return type(value).__name__, {k: _plain(v) for k, v in vars(value).items()}
    return value


def _described(command: click.Command) -> dict[str, object]:
    described: dict[str, object] = {
        "command": {k: _plain(v) for k, v in vars(command).items() if k not in ("params", "commands")},
        "params": [{k: _plain(v) for k, v in vars(param).items()} for param in command.params],
    }
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        described[name] = _described(sub)
    return described


@pytest.fixture(scope="module")
def as_text() -> types.ModuleType:
    module = _as_text()
    assert all(isinstance(a, str) for a in module.sync.__annotations__.values())
    assert not any(isinstance(a, str) for a in cli.sync.__annotations__.values())
    return module


def test_every_command_s_parameters_are_the_text_s(as_text: types.ModuleType) -> None:
    ours, theirs = (
        _described(typer.main.get_command(cli.app)),
        _described(typer.main.get_command(as_text.app)),
    )
    assert len(str(ours)) > 5000  # every command's every parameter
    assert ours == theirs


@pytest.mark.parametrize(
    "args",
    [["--help"], *([name, "--help"] for name in ("tasks", "sync", "status", "inbox", "serve", "auth"))],
)
def test_the_help_is_the_text_s(args: list[str], as_text: types.ModuleType) -> None:
    ours = CliRunner().invoke(cli.app, args, prog_name="bridge")
    assert (ours.exit_code, ours.stdout) == (
        0,
        CliRunner().invoke(as_text.app, args, prog_name="bridge").stdout,
    )
