"""Fixtures for talking to the Todoist emulator over real HTTP.

One uvicorn server serves the whole session (starting and stopping one costs a few tenths of a
second); each test gets a fresh account by swapping `app.state.emulator`, so tests stay isolated.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from starlette.applications import Starlette
from todoist_api_python.api import TodoistAPI

from bridge.testing import serve_in_thread
from bridge.transport import make_http_client
from connectors.todoist.emulator import Emulator, create_app

TOKEN = "emulator-test-token-0123456789abcdef"
CLIENT_SECRET = "test-client-secret"
REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference"


@pytest.fixture(scope="session")
def todoist_server() -> Iterator[tuple[Starlette, str]]:
    """The emulator app and its base URL, for the whole session."""
    app = create_app(TOKEN, client_secret=CLIENT_SECRET)
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture
def emulator(todoist_server: tuple[Starlette, str]) -> Emulator:
    """A fresh account behind the shared server."""
    app, _ = todoist_server
    account = Emulator()
    account.client_secret = CLIENT_SECRET
    app.state.emulator = account
    return account


@pytest.fixture
def emulator_url(todoist_server: tuple[Starlette, str], emulator: Emulator) -> str:
    """Base URL ("http://127.0.0.1:<port>") of the server holding `emulator`."""
    return todoist_server[1]


@pytest.fixture
def todoist_token() -> str:
    """The bearer token the emulator accepts."""
    return TOKEN


@pytest.fixture
def api(emulator_url: str) -> Iterator[httpx.Client]:
    """A plain authorised client rooted at `/api/v1`, for checking the wire format directly."""
    with httpx.Client(
        base_url=f"{emulator_url}/api/v1", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ) as client:
        yield client


@pytest.fixture
def sdk(emulator_url: str) -> Iterator[TodoistAPI]:
    """The unmodified official SDK, redirected from api.todoist.com to the emulator."""
    client = make_http_client(base_url=emulator_url, origin="https://api.todoist.com", sleep=lambda _: None)
    with TodoistAPI(TOKEN, client=client) as todoist:
        yield todoist


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    """The trimmed Todoist OpenAPI document kept beside the project (skips when it is absent)."""
    path = REFERENCE / "todoist-openapi.json"
    if not path.is_file():
        pytest.skip(f"reference OpenAPI document not found at {path}")
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="session")
def check_schema(openapi: dict[str, Any]) -> Callable[[str, str, Any], None]:
    """`check_schema(method, path, body)`: validate a 200 body against the document's schema."""

    def check(method: str, path: str, body: Any) -> None:
        response = openapi["paths"][path][method.lower()]["responses"]["200"]
        schema = response["content"]["application/json"]["schema"]
        Draft202012Validator({**schema, "components": openapi["components"]}).validate(body)

    return check


@pytest.fixture
def env(emulator_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The settings of a sync against `emulator`, with a state database of the test's own."""
    values = {
        "TODOIST_API_TOKEN": TOKEN,
        "TODOIST_BASE_URL": emulator_url,
        "TODOIST_PROJECT": "Bridge",
        "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def notes(tmp_path: Path, env: dict[str, str]) -> Path:
    """An empty vault folder, with `env` set."""
    folder = tmp_path / "v"
    folder.mkdir()
    return folder


def sync_killed_after_commands(vault: Path, env: dict[str, str], emulator: Emulator) -> int:
    """Run `bridge sync` in a process SIGKILLed the moment Todoist has applied its first batch of
    commands (before the answer reaches it); its exit status."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "sync", "--vault", str(vault), "--connector", "todoist"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    emulator.after_commands = lambda: os.kill(proc.pid, signal.SIGKILL)
    try:
        proc.communicate(timeout=60)
    finally:
        emulator.after_commands = None
    return proc.returncode
