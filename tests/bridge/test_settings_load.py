"""Settings read for a run (`bridge.settings_load`): the plain view and the model give the same values,
for the core's settings and every connector's, and a sync with usual settings imports no pydantic.

Each connector is found through the registry, as the core finds it: its `settings_class` names
its model lazily, and the table it reads by is derived from that model.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsError

from bridge import registry
from bridge.config import BridgeSettings, load_settings
from bridge.errors import ConfigError
from bridge.plain_settings import Table, read
from bridge.setting_rules import PlainSecret
from bridge.settings_derive import render, table_of
from bridge.settings_load import load
from bridge.settings_table import BRIDGE


def _connector_tables() -> dict[str, Table]:
    """Each registered connector's table, as its `settings_class` declares it (not imported)."""
    tables = {}
    for name in registry.available():
        declared = inspect.getattr_static(registry.load(name), "settings_class")
        tables[name] = declared.table
    return tables


TABLES = _connector_tables()
PREFIXES = ("BRIDGE_", *(table.prefix for table in TABLES.values()))


@pytest.mark.parametrize("name", sorted(TABLES))
def test_each_connectors_table_is_derived_from_its_model(name):
    table = TABLES[name]
    model = registry.load(name).settings_class  # imported when asked for, as `bridge doctor` does
    assert issubclass(model, BaseSettings)
    assert table_of(model) == table, render(table_of(model), table.prefix.rstrip("_"))


@pytest.mark.parametrize("name", sorted(TABLES))
def test_only_the_fields_of_other_kinds_are_left_to_the_model(name):
    assert [field.name for field in TABLES[name].fields if field.kind == "other"] == []


# Values: accepted spellings, near misses, white space, control characters, JSON of each shape.
_TEXT = ["Inbox", "Work", " Work ", "é", "x y", "close", "delete", "2", "3", "Task", "", "   "]
_NUMBERS = ["0", "1", "3", "15", "2.5", "900", "-1", "1e3", "abc", " 4", "0.0"]
_SECRETS = ["tok-123", " tok-123\n", "tok 123", "tok\x07", "a b c", "\u200btok", "  "]
_URLS = ["https://api.todoist.com", "http://127.0.0.1:8765", "https://x.atlassian.net/", "ftp://x"]
_URLS += [
    "https://u:p@x.example",
    "https://x.example?q=1",
    "http://:0",
    "not a url",
    "https://todoist.com/oauth",
]
_URLS += ["https://todoist.com/oauth/", "http://127.0.0.1:9/oauth", "https://x.example/other"]
_JSON = ['{"Lior Genzel": "lior@example.com"}', '{"a": 1}', "{}", "[]", '{"a": ["b"]}', "{bad", '"x"']
_JSON += ['{"highest": "Blocker", "none": "Low"}', '{"customfield_10010": "Platform"}', "null"]
_PATHS = ["~/grant.json", "/srv/g.json", "relative/g.json", "~nobody-such/g.json"]
ANY = _TEXT + _NUMBERS + _SECRETS + _URLS + _JSON + _PATHS
GOOD = {
    "str": _TEXT[:8],
    "path": _PATHS[:3],
    "int": ["0", "1", "3", "15"],
    "float": ["0", "1", "2.5", "15", "900"],
    "secret": _SECRETS[:3],
    "str_dict": [_JSON[0], _JSON[2], _JSON[7]],
    "any_dict": [_JSON[0], _JSON[2], _JSON[4], _JSON[8]],
}
_GOOD_OF_FIELD = {"base_url": _URLS[:2], "url": _URLS[:3], "oauth_url": _URLS[7:10]}


def _assignments(table: Table) -> st.SearchStrategy[tuple[str, str]]:
    @st.composite
    def draw_one(draw: st.DrawFn) -> tuple[str, str]:
        field = draw(st.sampled_from(table.fields))
        name = f"{table.prefix}{field.name}"
        if not draw(st.integers(0, 5)):
            name = draw(st.sampled_from([f"{table.prefix}PROJCT", f"{table.prefix}HOME", "OTHER_URL"]))
        name = draw(st.sampled_from([name.upper(), name.lower()]))
        good = _GOOD_OF_FIELD.get(field.name) or list(field.choices) or GOOD[field.kind]
        value = draw(st.sampled_from([*good, ""]) if draw(st.integers(0, 3)) else st.sampled_from(ANY))
        return name, value

    return draw_one()


def _env_text(draw: st.DrawFn, table: Table) -> str | None:
    """A `.env` file's text: assignments in dotenv's spellings (quotes, `export`, comments)."""
    if draw(st.booleans()):
        return None
    lines = []
    for name, value in draw(st.lists(_assignments(table), max_size=5).map(dict)).items():
        value = value.replace("\n", "\\n") if "\n" in value else value
        forms = ["{n}='{v}'"] if '"' in value else ["{n}={v}", '{n}="{v}"', "export {n}={v}"]
        form = draw(st.sampled_from(forms))
        lines.append(form.format(n=name, v=value))
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["# a comment", f"{table.prefix}PROJECT", ""])))
    return "\n".join(lines) + "\n"


@contextmanager
def _setting(environ: dict[str, str], env_file: str | None) -> Iterator[Path]:
    """The process's environment and working folder as a run with these settings would see them."""
    kept = {k: v for k, v in os.environ.items() if not k.upper().startswith(PREFIXES)}
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        patched = mock.patch.dict(os.environ, {**kept, "HOME": folder, **environ}, clear=True)
        with patched:
            if env_file is not None:
                (Path(folder) / ".env").write_text(env_file, encoding="utf-8")
            os.chdir(folder)
            try:
                yield Path(folder)
            finally:
                os.chdir(here)


def _typed(values: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Values with their types, a secret by its value: 7 and 7.0 are equal but print differently."""
    shown = {}
    for name, value in values.items():
        if isinstance(value, SecretStr | PlainSecret):
            shown[name] = ("secret", value.get_secret_value())
        else:
            shown[name] = (type(value).__name__, value)
    return shown


def _both(table: Table, environ: dict[str, str], env_file: str | None) -> tuple[Any, Any]:
    """What the plain reader gives, and what the model gives (its values, or the error's type)."""
    model_class = registry.load(next(n for n, t in TABLES.items() if t is table)).settings_class
    with _setting(environ, env_file):
        plain = read(table)
        try:
            model: Any = dict(model_class())
        except (ValidationError, SettingsError, UnicodeDecodeError, OSError, RuntimeError) as exc:
            model = type(exc)
    return plain, model


@st.composite
def _inputs(draw: st.DrawFn) -> tuple[Table, dict[str, str], str | None]:
    table = draw(st.sampled_from([TABLES[name] for name in sorted(TABLES)]))
    environ = draw(st.lists(_assignments(table), max_size=6).map(dict))
    environ = {name: value for name, value in environ.items() if "\x00" not in value}
    return table, environ, _env_text(draw, table)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs=_inputs())
def test_the_plain_reader_gives_each_connectors_model_values_or_none(inputs):
    table, environ, env_file = inputs
    plain, model = _both(table, environ, env_file)
    event(f"{table.prefix} {'plain' if plain is not None else 'model'}")
    if plain is not None:
        assert isinstance(model, dict), (environ, env_file, model)
        assert _typed(plain) == _typed(model)


@pytest.mark.parametrize(
    ("prefix", "environ"),
    [
        ("TODOIST_", {}),
        ("TODOIST_", {"TODOIST_API_TOKEN": " tok\n", "TODOIST_CANCELLED": "delete"}),
        ("TODOIST_", {"TODOIST_BASE_URL": "http://127.0.0.1:8765", "TODOIST_OWNERS": '{"Ana": "ana@x.org"}'}),
        ("TODOIST_", {"TODOIST_OAUTH_FILE": "~/g.json", "TODOIST_CLIENT_SECRET": "s e c r e t"}),
        ("JIRA_", {"JIRA_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@x.org", "JIRA_API_TOKEN": "t"}),
        ("JIRA_", {"JIRA_FIELDS": '{"customfield_1": {"id": 3}}', "JIRA_SEARCH_WAIT": "0", "JIRA_PAT": "p"}),
    ],
)
def test_usual_connector_settings_are_read_plainly(prefix, environ):
    table = next(table for table in TABLES.values() if table.prefix == prefix)
    plain, model = _both(table, environ, None)
    assert plain is not None
    assert _typed(plain) == _typed(model)


@pytest.mark.parametrize(
    "environ",
    [
        {"TODOIST_BASE_URL": "ftp://x"},
        {"TODOIST_API_TOKEN": "to ken"},
        {"TODOIST_OWNERS": "{bad"},
        {"TODOIST_OWNERS": '{"a": 1}'},
        {"TODOIST_OAUTH_URL": "https://x.example/other"},
        {"BRIDGE_GROUP_THRESHOLD": "101"},
        {"BRIDGE_STATE_URL": "mysql://x"},
    ],
)
def test_a_bad_setting_is_named_by_the_model_with_the_same_message(environ):
    """The plain reader leaves a bad value to the model: the same ConfigError as before."""
    from connectors.todoist.settings_table import TODOIST

    table = BRIDGE if next(iter(environ)).startswith("BRIDGE_") else TODOIST
    model_class = BridgeSettings if table is BRIDGE else registry.load("todoist").settings_class
    with _setting(environ, None):
        assert read(table) is None
        with pytest.raises(ConfigError) as plainly:
            load(table)
        with pytest.raises(ConfigError) as by_model:
            load_settings(model_class)
    assert str(plainly.value) == str(by_model.value)


def test_the_view_has_the_models_values_and_methods():
    with _setting({"BRIDGE_GROUP_SCOPE": "note", "BRIDGE_STATE_URL": "sqlite:///s.db"}, None) as home:
        view, model = load(BRIDGE), BridgeSettings()
        vault = home / "notes"
        assert not isinstance(view, BridgeSettings)
        assert dict(view) == dict(model)
        assert view.group_policy() == model.group_policy()
        assert view.state_url_for(vault) == model.state_url_for(vault)
    with _setting({}, None) as home:
        assert load(BRIDGE).state_url_for(home) == BridgeSettings().state_url_for(home)


def test_the_jira_check_is_the_models_for_the_view():
    from connectors.jira.settings_table import JIRA

    for environ in ({}, {"JIRA_URL": "https://x.example", "JIRA_PROJECT": "P", "JIRA_PAT": "p"}):
        with _setting(environ, None):
            view, model = load(JIRA), registry.load("jira").settings_class()
        for settings_ in (view, model):
            try:
                settings_.check()
                said = None
            except ConfigError as exc:
                said = str(exc)
            assert said == _checked(model)


def _checked(model: Any) -> str | None:
    try:
        model.check()
    except ConfigError as exc:
        return str(exc)
    return None


def test_a_sync_with_usual_settings_imports_no_pydantic(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("- [ ] buy milk\n", encoding="utf-8")
    code = (
        "import sys, runpy; sys.argv = ['bridge', 'sync', '--dry-run', '--quiet']\n"
        "try:\n    runpy.run_module('bridge', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'bridge.config'))))"
    )
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(PREFIXES)}
    env |= {
        "HOME": str(tmp_path),
        "BRIDGE_VAULT": str(tmp_path / "notes"),
        "BRIDGE_CONNECTOR": "todoist",
        "TODOIST_API_TOKEN": "token",
        "TODOIST_BASE_URL": "http://127.0.0.1:9",  # refused: the run stops at its first request
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr
