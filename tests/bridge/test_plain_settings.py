"""The plain settings reader against the model it is derived from: the same values, or none.

`bridge tasks` reads the settings through `bridge.plain_settings` (no pydantic); whatever that
reader gives must be what `BridgeSettings()` gives for the same environment and `.env` file, and
where it gives nothing the model is read instead. Compared here on generated environments and
`.env` files: names in any case, empty values, both sources at once, and values of every kind in
the spellings the model accepts and refuses.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic_settings import SettingsError

from bridge import cli, plain_settings
from bridge.config import BridgeSettings
from bridge.keys import unknown_names
from bridge.plain_settings import read
from bridge.settings_derive import render, table_of
from bridge.settings_table import BRIDGE
from tests.cli import run_bridge, stderr_lines

# Values of each kind: accepted spellings, near misses, white space, out of range, other kinds.
_NUMBERS = ["0", "1", "5", "007", "85", "85.5", "100", "100.0", "101", "-1", "+3", " 4", "4 ", "1_0", "1e3"]
_NUMBERS += [".5", "5.", "0.5", "1.0", "3600", "3601", "inf", "nan", "abc", "２", "99999999999999999999"]
_NUMBERS += ["12.000000000000001"]
_BOOLS = ["true", "false", "TRUE", "False", "yes", "No", "on", "OFF", "1", "0", "t", "F", "y", "n"]
_BOOLS += ["2", " true", "truE", "K"]
_TEXT = ["note", "vault", "Vault", "leave", "close", "delete", "latest", "tracker", "todoist", " todoist "]
_TEXT += ["x y", "é"]
_PATHS = ["~", "~/notes", "/srv/v", "relative/notes", " ", "  /srv/v ", "~nobody-such/x", "a\tb"]
_URLS = [
    "sqlite:///state.db",
    "sqlite:///~/s.db",
    " sqlite:///s.db ",
    "postgresql://u:p@h:5432/db",
    "postgres://h:0/db",
]
_URLS += ["postgresql://h1:5432,h2:99999/db", "mysql://x", "http://x", "sqlite://relative"]
_ROUTES = ["#jira=jira, *=todoist", '[{"connector": "todoist"}]', "*=todoist", "nonsense"]
ANY = _NUMBERS + _BOOLS + _TEXT + _PATHS + _URLS + _ROUTES + ["", "   "]
# Mostly spellings the plain reader reads (and empty values), so that it has something to read.
GOOD = {
    "path": ["~/notes", "/srv/v", "relative/notes", "~"],
    "bool": ["true", "false", "TRUE", "No", "on", "OFF", "1", "0", "t", "Y"],
    "int": ["1", "5", "20", "100", "1000", "007"],
    "float": ["0", "0.5", "1", "1.0", "7", "85", "85.5", "2.5"],
    "other": ["*=todoist"],
}


@st.composite
def assignments(draw: st.DrawFn) -> tuple[str, str]:
    """A variable and its value: a field's (in any case), a typo's or another program's."""
    field = draw(st.sampled_from(BRIDGE.fields))
    name = f"BRIDGE_{field.name}"
    if not draw(st.integers(0, 4)):
        name = draw(st.sampled_from(["BRIDGE_CONECTOR", "BRIDGE_TEST_X", "OTHER_VAULT"]))
    name = draw(st.sampled_from([name.upper(), name.lower(), name.title()]))
    if field.name == "state_url":
        good = _URLS[:4]
    elif field.kind == "str":
        good = ["todoist", "jira"]
    else:
        good = list(field.choices) or GOOD[field.kind]
    value = draw(st.sampled_from([*good, ""]) if draw(st.integers(0, 4)) else st.sampled_from(ANY))
    return name, value


ENVIRON = st.lists(assignments(), max_size=6).map(dict)


@st.composite
def env_files(draw: st.DrawFn) -> str | None:
    """A `.env` file's text: assignments in dotenv's spellings (quotes, `export`, comments)."""
    if draw(st.booleans()):
        return None
    lines = []
    for name, value in draw(ENVIRON).items():
        form = draw(st.sampled_from(["{n}={v}", '{n}="{v}"', "{n}='{v}'", "export {n}={v}", "{n} = {v}"]))
        lines.append(form.format(n=name, v=value))
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["# a comment", "BRIDGE_VAULT", "BRIDGE_CONNECTOR=${HOME}", ""])))
    return "\n".join(lines) + "\n"


@contextmanager
def _setting(environ: dict[str, str], env_file: str | bytes | None) -> Iterator[None]:
    """The process's environment and working folder as a run with these settings would see them."""
    kept = {k: v for k, v in os.environ.items() if not k.upper().startswith("BRIDGE_")}
    here = Path.cwd()
    patched = mock.patch.dict(os.environ, {**kept, **environ}, clear=True)
    with tempfile.TemporaryDirectory() as folder, patched:
        if isinstance(env_file, str):
            (Path(folder) / ".env").write_text(env_file, encoding="utf-8")
        elif isinstance(env_file, bytes):
            (Path(folder) / ".env").write_bytes(env_file)
        os.chdir(folder)
        try:
            yield
        finally:
            os.chdir(here)


def _typed(values: dict[str, Any]) -> dict[str, tuple[type, Any]]:
    """Values with their types: 7 and 7.0 are equal but print differently."""
    return {name: (type(value), value) for name, value in values.items()}


def _both(environ: dict[str, str], env_file: str | bytes | None) -> tuple[dict[str, Any] | None, Any]:
    """What the plain reader gives, and what the model gives (its values, or the error's type)."""
    with _setting(environ, env_file):
        plain = read(BRIDGE)
        try:
            model: Any = dict(BridgeSettings())
        except (ValidationError, SettingsError, UnicodeDecodeError, OSError, RuntimeError) as exc:
            model = type(exc)  # RuntimeError: `~nobody` names no user with a home
    return plain, model


def test_the_table_is_derived_from_the_model():
    """After a change to BridgeSettings: `python -m bridge.settings_derive > bridge/settings_table.py`."""
    assert table_of(BridgeSettings) == BRIDGE, render(table_of(BridgeSettings), "BRIDGE")


def test_every_field_but_the_routes_is_read_plainly():
    assert [field.name for field in BRIDGE.fields if field.kind == "other"] == ["routes"]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(environ=ENVIRON, env_file=env_files())
def test_the_plain_reader_gives_the_models_values_or_none(environ, env_file):
    plain, model = _both(environ, env_file)
    event("plain" if plain is not None else "model")
    if plain is not None:
        assert isinstance(model, dict), (environ, env_file, model)
        assert _typed(plain) == _typed(model)


@pytest.mark.parametrize(
    ("environ", "env_file"),
    [
        ({}, None),
        ({"BRIDGE_VAULT": "~/notes", "BRIDGE_TASKS_CACHE": "false"}, None),
        ({"bridge_group_threshold": "90", "BRIDGE_GROUP_SCOPE": "note"}, "BRIDGE_MAX_NOTE_BYTES=1000\n"),
        ({"BRIDGE_VAULT": ""}, 'BRIDGE_VAULT="/srv/v"\nBRIDGE_NEAR_DUPLICATES=no\n'),
        ({"BRIDGE_STATE_URL": "sqlite:///~/s.db", "BRIDGE_CONNECTOR": "todoist"}, None),
        ({"BRIDGE_INBOX_KEEP_DAYS": "3", "BRIDGE_HTTP_DEADLINE": "2.5", "BRIDGE_CONFLICT": "note"}, None),
    ],
)
def test_usual_settings_are_read_plainly(environ, env_file):
    plain, model = _both(environ, env_file)
    assert plain is not None
    assert _typed(plain) == _typed(model)


@pytest.mark.parametrize(
    ("environ", "env_file"),
    [
        ({"BRIDGE_GROUP_THRESHOLD": "101"}, None),  # the model names the bad setting
        ({"BRIDGE_MAX_NOTE_BYTES": "1_000"}, None),  # accepted by the model, in a spelling left to it
        ({"BRIDGE_STATE_URL": "mysql://x"}, None),
        ({"BRIDGE_ROUTES": "*=todoist"}, None),
        ({}, "BRIDGE_VAULT\n"),
        ({}, b"BRIDGE_VAULT=caf\xe9\n"),  # not UTF-8: the model says where
    ],
)
def test_what_only_the_model_can_read_is_left_to_it(environ, env_file):
    plain, _ = _both(environ, env_file)
    assert plain is None


def test_a_typo_is_found_by_the_table_as_by_the_model(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIDGE_CONECTOR", "todoist")
    (tmp_path / ".env").write_text("BRIDGE_GROUP_TRESHOLD=90\nBRIDGE_WHATEVER=1\n", encoding="utf-8")
    assert unknown_names(BRIDGE) == unknown_names(BridgeSettings)
    assert len(unknown_names(BRIDGE)) == 3


@pytest.mark.parametrize("connector", [None, "todoist"])
def test_bridge_tasks_lists_the_same_with_the_plain_reader_and_with_the_model(
    monkeypatch, vault, tmp_path, connector
):
    """The whole command, both ways, in one process: the same JSON (the connector of each task
    too) and the same warnings."""
    from typer.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("BRIDGE_GROUP_SCOPE=note\nBRIDGE_GROUP_THRESHOLD=70\n", encoding="utf-8")
    monkeypatch.setenv("BRIDGE_NEAR_DUPLICATES", "off")
    monkeypatch.setenv("BRIDGE_TASKS_CACHE", "0")
    if connector is not None:
        monkeypatch.setenv("BRIDGE_CONNECTOR", connector)
    runner = CliRunner()
    plain = runner.invoke(cli.app, ["tasks", str(vault), "--json"])
    monkeypatch.setattr(plain_settings, "read", lambda table: None)
    model = runner.invoke(cli.app, ["tasks", str(vault), "--json"])
    assert plain.exit_code == model.exit_code == 0
    assert plain.stdout == model.stdout
    listed = json.loads(plain.stdout)
    assert listed
    assert {task.get("connector") for task in listed} == {connector}


def test_bridge_tasks_reads_the_settings_without_pydantic(vault, tmp_path):
    code = (
        "import sys, runpy; sys.argv = ['bridge', 'tasks', sys.argv[1], '--json']\n"
        "try:\n    runpy.run_module('bridge', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic_settings', 'bridge.config'))))"
    )
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code, str(vault)], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_typo_is_warned_once_by_bridge_tasks_whichever_reader_reads(vault, tmp_path):
    env = {"BRIDGE_CONECTOR": "todoist", "BRIDGE_ROUTES": "*=todoist"}  # routes: the model is read too
    result = run_bridge("tasks", str(vault), "--json", env=env, cwd=tmp_path)
    warned = [line for line in stderr_lines(result.stderr) if "unknown setting" in line]
    assert len(warned) == 1, result.stderr
