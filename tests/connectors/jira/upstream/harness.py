"""What the `jira` library's own tests expect of their `tests.conftest`, served by the emulator.

pycontribs/jira's tests (copied, unchanged but for their harness import, in `vendored/`) run
against a real Jira prepared by `JiraTestManager`: an admin and a normal user, two projects
(`project_a`, `project_b`) and three issues in `project_b`, reached through environment variables
(`CI_JIRA_URL`, `CI_JIRA_ADMIN`, …). This module keeps that contract — the same names, the same
shared state (every `JiraTestManager()` sees the current site) and the same data — but points it
at a fresh emulated site per test, in the mode (`"server"` or `"cloud"`) of the test's class.

Where it must differ from upstream, and why:

- the data is put on the site directly, not over REST, so that a fresh site per test costs no
  requests: the projects with `JiraEmulator.add_project` (creating projects is an admin API the
  emulator does not serve), the three issues with `JiraEmulator.create`; the `*_obj` issues and
  `user_admin`/`user_normal` are the library's resources built from the very JSON the emulator
  serves for them (`GET /issue/{id}`, the user search). The tests themselves go over HTTP;
- the normal user is "Alex User" (`ci.user`): upstream's user searches for "a" expect a match,
  which its own site's admin account gives;
- the clients use the one credential the emulator accepts (Cloud: e-mail + API token; Server:
  a personal access token), so `jira_normal` is the same user as `jira_admin`; they are built, as
  upstream's, with `validate=True` (a read of `/rest/auth/1/session`), and with `max_retries=0`
  (a refusal shows at once instead of after back-off sleeps).
"""

from __future__ import annotations

import hashlib
import random
import string
import unittest
from pathlib import Path
from typing import Any, ClassVar

import pytest
from jira import JIRA
from jira.resources import Issue, User
from starlette.applications import Starlette

from connectors.jira.emulator import JiraEmulator
from connectors.jira.emulator.records import issue_json, user_json
from tests.connectors.jira.conftest import EMAIL, PAT, TOKEN

__all__ = [
    "TEST_ICON_PATH",
    "JiraTestCase",
    "JiraTestManager",
    "activate",
    "allow_on_cloud",
    "broken_test",
    "find_by_id",
    "find_by_key",
    "find_by_key_value",
    "find_by_name",
    "get_unique_project_name",
    "hashify",
    "rndpassword",
    "rndstr",
]

TEST_ICON_PATH = str(Path(__file__).with_name("icon.png"))
"""Upstream's avatar image; only the avatar tests use it, and they do not apply (no file here)."""

JID = "ZBRIDGE"
"""The project key stem (`get_unique_project_name`): `JID` itself, `JID`+A and `JID`+B."""
USER_EMAIL = "ci.user@example.com"

allow_on_cloud = pytest.mark.allow_on_cloud
broken_test = pytest.mark.xfail


def rndstr() -> str:
    return "".join(random.sample(string.ascii_lowercase, 6))


def rndpassword() -> str:
    pool = random.sample(string.ascii_letters, 10) + random.sample(string.digits, 2) + ["!", "?"]
    return "".join(random.sample(pool, len(pool)))


def hashify(some_string: str, max_len: int = 8) -> str:
    return hashlib.sha256(some_string.encode("utf-8")).hexdigest()[:max_len].upper()


def get_unique_project_name() -> str:
    """Upstream derives it from the user and Python version; one emulated site needs no more."""
    return JID


def find_by_key(seq: Any, key: str) -> Any:
    return next((item for item in seq if item["key"] == key), None)


def find_by_key_value(seq: Any, key: str) -> Any:
    return next((item for item in seq if item.key == key), None)


def find_by_id(seq: Any, id: str) -> Any:
    return next((item for item in seq if item.id == id), None)


def find_by_name(seq: Any, name: str) -> Any:
    return next((item for item in seq if item["name"] == name), None)


_shared_state: dict[str, Any] = {}


class JiraTestManager:
    """Upstream's manager, as shared state: every instance sees the site `activate` set up."""

    CI_JIRA_ADMIN: str
    CI_JIRA_USER: str
    CI_JIRA_ISSUE: str
    jira_admin: JIRA
    jira_normal: JIRA
    project_a: str
    project_b: str

    def __init__(self) -> None:
        self.__dict__ = _shared_state  # filled by `activate` before each test


_clients: dict[tuple[str, str], JIRA] = {}


def _client(url: str, mode: str) -> JIRA:
    """One client per server and mode for the whole run, as upstream keeps one per session."""
    client = _clients.get((url, mode))
    if client is None:
        auth: dict[str, Any] = {"basic_auth": (EMAIL, TOKEN)} if mode == "cloud" else {"token_auth": PAT}
        client = JIRA(server=url, logging=False, validate=True, max_retries=0, timeout=10, **auth)
        _clients[(url, mode)] = client
    return client


def activate(app: Starlette, url: str, mode: str) -> JiraEmulator:
    """Put a fresh site behind `app` and fill the shared state as upstream's
    `JiraTestManager.__init__` and `create_some_data` would (see the module docstring)."""
    site = JiraEmulator(mode="cloud" if mode == "cloud" else "server", email=EMAIL)
    # upstream's tests search right after writing, as its CI site answers: what they check is the
    # wire format, so the index lag (tested on its own in test_real_service.py) is off here
    site.search_lag = 0
    normal = site.add_user("Alex User", email=USER_EMAIL, name="ci.user")
    app.state.emulator = site
    admin = _client(url, mode)
    shown = site.view(url)
    state: dict[str, Any] = {
        "initialized": True,
        "max_retries": 0,
        "_cloud_ci": mode == "cloud",
        "CI_JIRA_URL": url,
        "CI_JIRA_ADMIN": site.me.email if mode == "cloud" else site.me.name,
        "CI_JIRA_USER": normal.email if mode == "cloud" else normal.name,
        "CI_JIRA_ISSUE": "Bug",
        "jira_admin": admin,
        "jira_sysadmin": admin,
        "jira_normal": admin,
        "jid": JID,
        "site": site,
        "user_admin": User(admin._options, admin._session, raw=user_json(shown, site.me)),
        "user_normal": User(admin._options, admin._session, raw=user_json(shown, normal)),
    }
    for suffix in ("", "A", "B"):
        key = JID + suffix
        project = site.add_project(key, f"Test user=bridge key={key} {suffix or 'slug'}")
        site.set_default_assignee(key, site.me)  # upstream's site: "Automatic" is the project lead
        if suffix:
            state[f"project_{suffix.lower()}"] = key
            state[f"project_{suffix.lower()}_name"] = project.name
            state[f"project_{suffix.lower()}_id"] = project.id
    for n in (1, 2, 3):
        key = site.create(f"issue {n} from {state['project_b']}", project=state["project_b"], issuetype="Bug")
        raw = issue_json(shown, site.get_issue(key))
        state[f"project_b_issue{n}_obj"] = Issue(admin._options, admin._session, raw=raw)
        state[f"project_b_issue{n}"] = key
    _shared_state.clear()
    _shared_state.update(state)
    return site


class JiraTestCase(unittest.TestCase):
    """Upstream's base class; a subclass names its `mode` and gets a fresh site per test."""

    mode: ClassVar[str] = ""
    jira: JIRA
    jira_normal: JIRA

    @pytest.fixture(autouse=True)
    def _emulated_site(self, request: pytest.FixtureRequest) -> None:
        app, url = request.getfixturevalue(f"{self.mode}_server")
        activate(app, url, self.mode)

    def setUp(self) -> None:
        self.test_manager = JiraTestManager()
        self.jira = self.test_manager.jira_admin
        self.jira_normal = self.test_manager.jira_normal
        self.user_admin = _shared_state["user_admin"]
        self.user_normal = _shared_state["user_normal"]
        self.project_b = self.test_manager.project_b
        self.project_a = self.test_manager.project_a

    @property
    def identifying_user_property(self) -> str:
        """Upstream's: `accountId` on Cloud, `name` on Server."""
        return "accountId" if self.is_jira_cloud_ci else "name"

    @property
    def is_jira_cloud_ci(self) -> bool:
        return bool(_shared_state["_cloud_ci"])
