"""Shared fixtures: the example vault, copied so that tests may write to it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_VAULT = ROOT / "examples" / "vault"
EXAMPLE_NOTE = "2025-09-16 Lior Genzel intro call.md"


def local_today() -> dt.date:
    """The local date a run stamps a completion with (✅)."""
    return dt.datetime.now(dt.UTC).astimezone().date()


def dates_since(start: dt.date) -> tuple[str, ...]:
    """Each local date from `start` to now, as a ✅ stamp writes it: a test that runs across
    midnight sees its run stamp either day."""
    days = (local_today() - start).days
    return tuple((start + dt.timedelta(days=n)).isoformat() for n in range(days + 1))


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """A writable copy of the example vault."""
    target = tmp_path / "vault"
    shutil.copytree(EXAMPLE_VAULT, target)
    return target


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A developer's own BRIDGE_* variables, and the OAuth grant `bridge auth todoist` stored for
    them, must not change what tests see; nor may tests write into their cache folder."""
    for name in list(os.environ):
        if name.startswith(("BRIDGE_", "TODOIST_", "JIRA_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TODOIST_OAUTH_FILE", str(tmp_path_factory.getbasetemp() / "no-grant.json"))
    # `bridge tasks` keeps its parse cache in the user's cache folder: the tests' own, not theirs
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache-home"))
    # a misspelt setting is warned of once a process; each test is a run of its own
    from bridge import keys

    monkeypatch.setattr(keys, "_warned", set())


# -- PostgreSQL: a real server, never a mock ---------------------------------------------------------

# Read before any test runs: the autouse fixture above clears BRIDGE_* for each test.
POSTGRES_URL = os.environ.get("BRIDGE_TEST_POSTGRES_URL", "")
POSTGRES_REQUIRED = os.environ.get("BRIDGE_TEST_POSTGRES_REQUIRED", "") == "1"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty database on the test server (`BRIDGE_TEST_POSTGRES_URL`, which `.ci/postgres`
    starts), dropped afterwards. Skipped without a server, unless CI requires one."""
    if not POSTGRES_URL:
        message = "no PostgreSQL server: export BRIDGE_TEST_POSTGRES_URL=$(bash .ci/postgres)"
        if POSTGRES_REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    import psycopg

    name = f"bridge_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The state database, once as SQLite and once as PostgreSQL: one code path, both run."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("postgres_url"))
