"""Jira answers that succeed on the wire and are wrong in what they hold, a site that is not a URL,
and a damaged Jira cursor: each is one line from `bridge sync`, never a traceback (nor the page
the `jira` library would log). The tracker is a scripted server or the emulator, on 127.0.0.1.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bridge.cli import EXIT_FAILED, EXIT_USAGE
from connectors.jira.emulator import JiraEmulator
from tests.cli import error_line, run_bridge, stderr_lines
from tests.connectors.conftest import Tracker
from tests.connectors.jira.conftest import EMAIL, TOKEN

JSON = "application/json"
SCREEN = [{"fieldId": f, "name": f, "required": f == "summary"} for f in ("summary", "labels", "description")]
CLOUD = {
    "/serverInfo": (JSON, json.dumps({"deploymentType": "Cloud"})),
    "/myself": (JSON, json.dumps({"accountId": "5b10ac8d82e05b22cc7d4ef5", "timeZone": "UTC"})),
    "/field": (JSON, "[]"),
    "/search/jql": (JSON, json.dumps({"issues": [], "isLast": True})),
    "/issue/createmeta/BRIDGE/issuetypes": (
        JSON,
        json.dumps({"issueTypes": [{"id": "10002", "name": "Task"}], "startAt": 0, "total": 1}),
    ),
    "/issue/createmeta/BRIDGE/issuetypes/10002": (JSON, json.dumps({"fields": SCREEN, "total": 3})),
}


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "JIRA_URL": url,
        "JIRA_EMAIL": EMAIL,
        "JIRA_API_TOKEN": TOKEN,
        "JIRA_PROJECT": "BRIDGE",
        "JIRA_MAX_RETRIES": "0",
        "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
    }


def _sync(vault: Path, env: dict[str, str]):
    return run_bridge("sync", "--vault", str(vault), "--connector", "jira", env=env, cwd=vault.parent)


@pytest.mark.parametrize("kind", ["text/html", JSON])
def test_a_page_that_is_not_json_is_named_not_printed(vault, tracker: Tracker, tmp_path, kind):
    """An HTML page, and one sent as JSON: neither is decoded nor logged whole by the library."""
    tracker.default = (kind, "<html><body>Sign in to continue</body></html>")
    line = error_line(_sync(vault, _env(tracker.url, tmp_path)), EXIT_FAILED)
    assert line == (
        f"bridge: jira: the tracker answered with something that is not JSON ({kind})"
        " (GET /rest/api/2/serverInfo)"
    )


@pytest.mark.parametrize(
    ("path", "body", "said"),
    [
        # not [], which the library asks for three more times (a known Jira bug), warning each time
        ("/serverInfo", [1, 2], "to serverInfo: an array, not an object (GET /rest/api/2/serverInfo)"),
        ("/myself", [], "to myself: an array, not an object (GET /rest/api/2/myself)"),
        ("/myself", {}, "to a user lookup: a user without accountId (GET /rest/api/2/myself)"),
        ("/search/jql", [], "to search: an array, not an object (POST /rest/api/2/search/jql)"),
        (
            "/search/jql",
            {"issues": {}},
            "to search: issues is an object, not an array (POST /rest/api/2/search/jql)",
        ),
        (
            "/search/jql",
            {"issues": [{"key": "B-1"}]},
            "to search: issues[0] has no id (POST /rest/api/2/search/jql)",
        ),
        (
            "/search/jql",
            {"issues": [{"id": "1", "fields": {"status": "Done"}}]},
            "to search: issues[0].fields.status is a string (POST /rest/api/2/search/jql)",
        ),
        (
            "/search/jql",
            {"issues": [], "nextPageToken": 3},
            "to search: nextPageToken is a number (POST /rest/api/2/search/jql)",
        ),
    ],
    ids=[
        "server-info",
        "myself-array",
        "myself-no-id",
        "search-array",
        "issues",
        "issue-id",
        "status",
        "token",
    ],
)
def test_an_answer_of_the_wrong_shape_says_what_was_unexpected(vault, tracker, tmp_path, path, body, said):
    tracker.answers = {**CLOUD, path: (JSON, json.dumps(body))}
    line = error_line(_sync(vault, _env(tracker.url, tmp_path)), EXIT_FAILED)
    assert line == f"bridge: jira: unexpected answer {said}"


def test_a_bulk_create_answered_with_the_wrong_shape_fails_its_tasks(tmp_path, tracker):
    notes = tmp_path / "v"
    notes.mkdir()
    (notes / "n.md").write_text("- [ ] Call Dana\n- [ ] Book the room\n", encoding="utf-8")
    tracker.answers = {**CLOUD, "/issue/bulk": (JSON, json.dumps({"issues": []}))}
    result = _sync(notes, _env(tracker.url, tmp_path))
    assert result.returncode == EXIT_FAILED, result.stderr
    assert "Traceback" not in result.stderr
    lines = stderr_lines(result.stderr.strip())
    assert len(lines) == 2  # one line per task that failed
    for line in lines:
        assert line.startswith("bridge: n.md: create ")
        assert line.endswith(
            "jira: unexpected answer to bulk create: no 'errors' in it (POST /rest/api/2/issue/bulk)"
        )


@pytest.mark.parametrize("url", ["::::", "your-team.atlassian.net", "ftp://your-team.atlassian.net"])
def test_a_site_that_is_not_an_http_url_is_a_bad_setting(vault, tmp_path, url):
    line = error_line(_sync(vault, _env(url, tmp_path)), EXIT_USAGE)
    assert line == (
        "bridge: bad setting JIRA_URL: expected an http(s) URL with a host, scheme included,"
        " such as https://your-team.atlassian.net"
    )


@pytest.mark.parametrize(
    ("cursor", "why"),
    [
        ("{", "not JSON: Expecting property name"),
        ('"cloud"', "not a JSON object"),
        ('{"since": "yesterday"}', "since: Invalid isoformat string"),
        ('{"me": "5b10ac8d"}', "me is str"),
    ],
    ids=["not-json", "string", "since", "me"],
)
def test_an_unreadable_cursor_names_the_connector_and_the_way_out(
    vault, tmp_path, cloud: JiraEmulator, cloud_url, cursor, why
):
    env = _env(cloud_url, tmp_path)
    assert _sync(vault, env).returncode == 0
    made = sorted(cloud.issues)
    state = tmp_path / "state.db"
    with sqlite3.connect(state) as db:
        db.execute("UPDATE cursors SET cursor = ? WHERE connector = 'jira'", (cursor,))
    line = error_line(_sync(vault, env), EXIT_USAGE)
    assert line.startswith(
        f"bridge: state {state}: jira: the sync cursor in the state database is unreadable ("
    )
    assert why in line
    assert line.endswith(
        "delete the jira row of its cursors table, and the next sync reads the tracker in full"
    )
    with sqlite3.connect(state) as db:  # the advice works, and creates nothing twice
        db.execute("DELETE FROM cursors WHERE connector = 'jira'")
    assert _sync(vault, env).returncode == 0
    assert sorted(cloud.issues) == made
