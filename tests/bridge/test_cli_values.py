"""Command-line values converted without pydantic give typer's values, and typer's errors.

Every parameter of every command that `bridge.cli_values` converts is given generated values
(text of any kind, numbers in many spellings, lists, paths that exist or not) and the result is
compared with typer's own conversion (its pydantic adapters): the same value of the same type, or
the same error message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer._click import Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param
from typer.testing import CliRunner

from bridge import cli, cli_values
from bridge.cli_values import PlainValue, _kind


def _commands(command: Any, path: str = "bridge") -> list[tuple[str, Any]]:
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, f"{path} {name}")
    return found


ROOT = typer.main.get_command(cli.app)
PARAMS = [
    (f"{path} {param.name}", command, param, kind)
    for path, command in _commands(ROOT)
    for param in command.get_params(Context(command))
    if (kind := _kind(param)) is not None
]
NUMBERS = st.sampled_from(["0", "7", "007", "42", "1_000", "-3", "+3", " 5", "5 ", "5.0", "1e3", "٣", ""])
TEXT = st.one_of(st.text(max_size=12), NUMBERS, st.sampled_from(["caf\udce9", "-", "~", "a\0b", "."]))


def _outcome(convert: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        result = convert(value, param=param, ctx=ctx)
    except BadParameter as exc:
        return "error", exc.format_message()
    return type(result).__name__, result


def _same(param: Any, command: Any, kind: str, value: Any) -> None:
    ctx = Context(command)
    typers = build_runtime_param(param.type_descriptor).coerce
    assert _outcome(PlainValue(kind).coerce, value, param, ctx) == _outcome(typers, value, param, ctx)


def test_the_commands_parameters_are_converted_here():
    kinds = {kind for *_, kind in PARAMS}
    assert kinds == {"bool", "int", "list[str]", "path", "str"}
    names = {name for name, *_ in PARAMS}
    assert {"bridge tasks path", "bridge tasks limit", "bridge tasks status", "bridge sync vault"} <= names


@pytest.mark.parametrize(("name", "command", "param", "kind"), PARAMS, ids=[p[0] for p in PARAMS])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_value_converts_as_typer_converts_it(name, command, param, kind, data):
    if kind == "bool":
        value = data.draw(st.one_of(st.booleans(), st.none(), TEXT))
    elif kind == "list[str]":
        value = data.draw(st.one_of(st.lists(TEXT, max_size=3).map(tuple), TEXT, st.none()))
    else:
        value = data.draw(st.one_of(TEXT, st.none(), st.integers(), st.lists(TEXT, max_size=2)))
    _same(param, command, kind, value)


def test_paths_that_exist_or_not_convert_as_typer_converts_them(tmp_path):
    (tmp_path / "note.md").write_text("- [ ] a\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    values = [str(tmp_path / "note.md"), str(tmp_path / "folder"), str(tmp_path / "missing"), "", "-", "~/x"]
    values += [str(tmp_path / "note.md" / "below"), "rel/ative", "caf\udce9"]
    for _, command, param, kind in PARAMS:
        if kind == "path":
            for value in values:
                _same(param, command, kind, value)


def test_bridge_tasks_lists_the_same_with_and_without_typers_conversion(monkeypatch, vault):
    args = ["tasks", str(vault), "--json", "--status", "proposed", "--tag", "task", "--limit", "007"]
    runner = CliRunner()
    plain = runner.invoke(cli.app, args)
    monkeypatch.setattr(cli_values, "install", lambda command, ctx: None)
    monkeypatch.setattr("bridge.helptext.install", lambda command, ctx: None)
    typers = runner.invoke(cli.app, args)
    assert plain.exit_code == typers.exit_code == 0, plain.output
    assert plain.stdout == typers.stdout
    assert len(json.loads(plain.stdout)) == 7


@pytest.mark.parametrize("args", [["--limit", "many"], ["--limit", "1_0"], ["--owner"]])
def test_a_bad_value_is_refused_as_typer_refuses_it(monkeypatch, vault, args):
    runner = CliRunner()
    plain = runner.invoke(cli.app, ["tasks", str(vault), "--json", *args])
    monkeypatch.setattr("bridge.helptext.install", lambda command, ctx: None)
    typers = runner.invoke(cli.app, ["tasks", str(vault), "--json", *args])
    assert (plain.exit_code, plain.output) == (typers.exit_code, typers.output)


def test_bridge_tasks_imports_neither_pydantic_nor_pydantic_settings(vault, tmp_path):
    code = (
        "import sys, runpy\n"
        "sys.argv = ['bridge', 'tasks', sys.argv[1], '--json', '--limit', '3', '--owner', 'x']\n"
        "try:\n    runpy.run_module('bridge', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('pydantic')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(vault)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
