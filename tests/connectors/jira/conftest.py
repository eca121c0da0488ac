"""Fixtures for talking to the Jira emulator over real HTTP, in Cloud and in Server mode.

One uvicorn server per mode serves the whole session (starting one costs a few tenths of a
second); each test gets a fresh site by swapping `app.state.emulator`, so tests stay isolated.
The `jira` clients are built with `max_retries=0` so a refusal surfaces at once instead of after
the library's back-off sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jira import JIRA
from jsonschema import Draft202012Validator
from starlette.applications import Starlette

from bridge.testing import serve_in_thread
from connectors.jira.emulator import JiraEmulator, create_app

EMAIL = "lior.genzel@example.com"
TOKEN = "cloud-api-token-0123456789"
PAT = "server-personal-access-token-0123456789"
SECRET = "webhook-secret"
REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference"


@pytest.fixture(scope="session")
def cloud_server() -> Iterator[tuple[Starlette, str]]:
    """The Cloud-mode app and its base URL, for the whole session."""
    app = create_app(mode="cloud", email=EMAIL, token=TOKEN, secret=SECRET)
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture(scope="session")
def server_server() -> Iterator[tuple[Starlette, str]]:
    """The Server/Data Center-mode app and its base URL, for the whole session."""
    app = create_app(mode="server", pat=PAT)
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture
def cloud(cloud_server: tuple[Starlette, str]) -> JiraEmulator:
    """A fresh Cloud site behind the shared server."""
    site = JiraEmulator(mode="cloud", email=EMAIL)
    site.secret = SECRET
    cloud_server[0].state.emulator = site
    return site


@pytest.fixture
def server(server_server: tuple[Starlette, str]) -> JiraEmulator:
    """A fresh Server/Data Center site behind the shared server."""
    site = JiraEmulator(mode="server", email=EMAIL)
    server_server[0].state.emulator = site
    return site


@pytest.fixture
def cloud_url(cloud_server: tuple[Starlette, str], cloud: JiraEmulator) -> str:
    return cloud_server[1]


@pytest.fixture
def server_url(server_server: tuple[Starlette, str], server: JiraEmulator) -> str:
    return server_server[1]


@pytest.fixture
def cloud_jira(cloud_url: str) -> Iterator[JIRA]:
    """The unmodified `jira` client on the Cloud site (email + API token)."""
    client = JIRA(server=cloud_url, basic_auth=(EMAIL, TOKEN), max_retries=0, timeout=10)
    yield client
    client.close()


@pytest.fixture
def server_jira(server_url: str) -> Iterator[JIRA]:
    """The unmodified `jira` client on the Server site (personal access token)."""
    client = JIRA(server=server_url, token_auth=PAT, max_retries=0, timeout=10)
    yield client
    client.close()


@pytest.fixture
def cloud_http(cloud_url: str) -> Iterator[httpx.Client]:
    """A plain authorised client on the Cloud site, for checking the wire format directly."""
    with httpx.Client(base_url=cloud_url, auth=(EMAIL, TOKEN), timeout=10) as client:
        yield client


@pytest.fixture
def server_http(server_url: str) -> Iterator[httpx.Client]:
    """A plain authorised client on the Server site."""
    headers = {"Authorization": f"Bearer {PAT}"}
    with httpx.Client(base_url=server_url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    """The trimmed Jira OpenAPI document kept beside the project (skips when it is absent)."""
    path = REFERENCE / "jira-openapi.json"
    if not path.is_file():
        pytest.skip(f"reference OpenAPI document not found at {path}")
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="session")
def check_schema(openapi: dict[str, Any]) -> Callable[[Any, Any], None]:
    """`check_schema(schema, body)`: validate against a schema, given as a component name
    (`"IssueBean"`) or an inline schema that may `$ref` the document's components."""

    def check(schema: Any, body: Any) -> None:
        if isinstance(schema, str):
            schema = {"$ref": f"#/components/schemas/{schema}"}
        Draft202012Validator({**schema, "components": openapi["components"]}).validate(body)

    return check


@pytest.fixture(scope="session")
def response_schema(openapi: dict[str, Any]) -> Callable[[str, str, int], Any]:
    """`response_schema(method, path, status)`: the document's schema for a v3 response."""

    def schema(method: str, path: str, status: int) -> Any:
        response = openapi["paths"][path][method.lower()]["responses"][str(status)]
        return response["content"]["application/json"]["schema"]

    return schema


def bridge_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, *, server: bool = False, **extra: str
) -> dict[str, str]:
    """Point the bridge's settings at the emulator at `url` (Cloud credentials, or Server's PAT),
    with a state database of the test's own; `extra` adds or overrides settings."""
    values = {
        "JIRA_URL": url,
        "JIRA_PROJECT": "BRIDGE",
        "JIRA_MAX_RETRIES": "0",
        "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
        **({"JIRA_PAT": PAT} if server else {"JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": TOKEN}),
        **extra,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def env(cloud_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The settings of a sync against the Cloud site `cloud`."""
    return bridge_env(monkeypatch, tmp_path, cloud_url)
