"""Todoist answers that succeed on the wire and are wrong in what they hold, settings that are not
URLs, and a state whose Todoist rows are damaged: each is one line from `bridge sync`, never a
traceback. The tracker is a scripted server or the emulator, on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from bridge.cli import EXIT_FAILED, EXIT_USAGE
from tests.cli import error_line, run_bridge, stderr_lines
from tests.connectors.conftest import Tracker
from tests.connectors.todoist.conftest import TOKEN

FULL_SYNC = {
    "sync_token": "t1",
    "full_sync": True,
    "items": [],
    "projects": [{"id": "p1", "name": "Bridge"}],
    "user": {"id": "u1", "email": "me@example.com"},
    "collaborators": [],
}


@pytest.fixture
def scripted_env(tracker: Tracker, tmp_path: Path) -> dict[str, str]:
    return {
        "TODOIST_API_TOKEN": TOKEN,
        "TODOIST_BASE_URL": tracker.url,
        "TODOIST_PROJECT": "Bridge",
        "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
    }


def _sync(vault: Path, env: dict[str, str], *more: str):
    return run_bridge(
        "sync", "--vault", str(vault), "--connector", "todoist", *more, env=env, cwd=vault.parent
    )


def test_an_html_page_is_named_not_decoded(vault, tracker, scripted_env):
    tracker.default = ("text/html", "<html><body>Sign in to continue</body></html>")
    line = error_line(_sync(vault, scripted_env), EXIT_FAILED)
    assert line == (
        "bridge: todoist: the tracker answered with something that is not JSON (text/html)"
        " (POST /api/v1/sync)"
    )


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ([], "an array, not a JSON object"),
        ({"items": {}}, "items is an object, not an array"),
        ({"items": ["x"]}, "items[0] is a string, not an object"),
        ({"items": [{"content": "no id"}]}, "items[0] has no id"),
        ({"items": [{"id": "1", "labels": "urgent"}]}, "items[0].labels is a string"),
        ({"projects": [{"name": "Bridge"}]}, "projects[0] has no id"),
        ({"user": []}, "user is an array, not an object"),
        ({"sync_token": 7}, "sync_token is a number, not a string"),
    ],
    ids=[
        "array",
        "items-object",
        "item-string",
        "item-no-id",
        "labels-string",
        "project-no-id",
        "user",
        "token",
    ],
)
def test_an_answer_of_the_wrong_shape_says_what_was_unexpected(vault, tracker, scripted_env, body, said):
    tracker.default = ("application/json", json.dumps(body))
    line = error_line(_sync(vault, scripted_env), EXIT_FAILED)
    assert line == f"bridge: todoist: unexpected answer: {said} (POST /api/v1/sync)"


def test_a_write_answered_with_the_wrong_shape_fails_its_tasks(vault, tracker, scripted_env):
    tracker.queue = [("application/json", json.dumps(FULL_SYNC))]  # the read is fine
    tracker.default = ("application/json", json.dumps({"sync_status": ["ok"]}))
    result = _sync(vault, scripted_env)
    assert result.returncode == EXIT_FAILED, result.stderr
    assert "Traceback" not in result.stderr
    lines = stderr_lines(result.stderr.strip())
    assert lines
    for line in lines:  # one line per task that failed
        assert line.startswith("bridge: ")
        assert line.endswith(
            "todoist: unexpected answer: sync_status is an array, not an object (POST /api/v1/sync)"
        )


@pytest.mark.parametrize("url", ["::::", "api.todoist.com", "ftp://api.todoist.com", "http://"])
def test_a_base_url_that_is_not_an_http_url_is_a_bad_setting(vault, scripted_env, url):
    line = error_line(_sync(vault, {**scripted_env, "TODOIST_BASE_URL": url}), EXIT_USAGE)
    assert line == (
        "bridge: bad setting TODOIST_BASE_URL: expected an http(s) URL with a host, scheme included,"
        " such as https://api.todoist.com"
    )


# -- a damaged state, against the emulator ------------------------------------------------------


def _state(env: dict[str, str]) -> Path:
    return Path(env["BRIDGE_STATE_URL"].removeprefix("sqlite:///"))


def _first_sync(vault: Path, env: dict[str, str]) -> None:
    result = _sync(vault, env)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("cursor", "why"),
    [
        ("garbage", "not JSON: Expecting value"),
        ("[]", "not a JSON object"),
        ('{"people": ["dana"]}', "people is list"),
    ],
    ids=["not-json", "array", "wrong-type"],
)
def test_an_unreadable_cursor_names_the_connector_and_the_way_out(vault, env, emulator, cursor, why):
    _first_sync(vault, env)
    created = set(emulator.tasks)
    with sqlite3.connect(_state(env)) as db:
        db.execute("UPDATE cursors SET cursor = ? WHERE connector = 'todoist'", (cursor,))
    line = error_line(_sync(vault, env), EXIT_USAGE)
    prefix = f"bridge: state {_state(env)}: todoist: the sync cursor in the state database is unreadable ("
    assert line.startswith(prefix)
    assert why in line
    assert line.endswith(
        "delete the todoist row of its cursors table, and the next sync reads the tracker in full"
    )
    with sqlite3.connect(_state(env)) as db:  # the advice works, and creates nothing twice
        db.execute("DELETE FROM cursors WHERE connector = 'todoist'")
    assert _sync(vault, env).returncode == 0
    assert set(emulator.tasks) == created


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda data: "{truncated", "not JSON"),
        (
            lambda data: data.replace('"remote_status": "open"', '"remote_status": "bogus"'),
            "remote_status 'bogus'",
        ),
    ],
    ids=["not-json", "bad-status"],
)
def test_an_unreadable_base_stops_the_sync_naming_the_task(vault, env, emulator, change, why):
    _first_sync(vault, env)
    with sqlite3.connect(_state(env)) as db:
        remote_id, data = db.execute(
            "SELECT remote_id, data FROM bases ORDER BY remote_id LIMIT 1"
        ).fetchone()
        db.execute("UPDATE bases SET data = ? WHERE remote_id = ?", (change(data), remote_id))
    emulator.complete(remote_id)  # a change to plan: a sync that has nothing to plan reads no base
    before = {k: dict(v) for k, v in emulator.tasks.items()}
    line = error_line(_sync(vault, env), EXIT_USAGE)
    assert f"base of todoist task {remote_id} is unreadable (" in line
    assert why in line
    assert "restore the state database from a backup, or delete that row of its bases table" in line
    assert {k: dict(v) for k, v in emulator.tasks.items()} == before  # nothing was planned or sent


def test_an_unreadable_parse_cache_entry_is_a_miss(vault, env, emulator):
    for note in vault.rglob("*.md"):
        os.utime(note, ns=(1_700_000_000 * 10**9, 1_700_000_000 * 10**9))  # settled: cached
    _first_sync(vault, env)
    created = set(emulator.tasks)
    with sqlite3.connect(_state(env)) as db:
        assert db.execute("UPDATE files SET data = '{broken'").rowcount == 1
    emulator.complete(next(iter(created)))  # a change to plan: a settled sync reads no note
    result = _sync(vault, env, "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warning = result.stderr.strip().splitlines()
    assert len(warning) == 1
    assert "parse cache entry of 2025-09-16 Lior Genzel intro call.md is unreadable" in warning[0]
    assert "reading the note again" in warning[0]
    report = json.loads(result.stdout)
    assert (report["created"], report["updated"], report["failed"]) == (0, 0, 0)
    assert set(emulator.tasks) == created
    again = _sync(vault, env)  # the entry was written anew
    assert again.returncode == 0
    assert again.stderr == ""


def test_a_write_answered_with_an_unusable_read_keeps_what_its_commands_did(tracker, caplog):
    from bridge.errors import RemoteReadError
    from bridge.transport import make_http_client
    from connectors.todoist.client import API_ORIGIN, TodoistClient

    answer = {
        "sync_status": {"u1": "ok"},
        "temp_id_mapping": {"t1": "6X7rM8997g3RQmvh"},
        "sync_token": "t2",
        "full_sync": False,
        "items": ["not a task"],
    }
    tracker.default = ("application/json", json.dumps(answer))
    with make_http_client(base_url=tracker.url, origin=API_ORIGIN) as http:
        client = TodoistClient(http, TOKEN)
        written = client.sync("t1", ("items",), [{"type": "item_add", "uuid": "u1"}], reading=False)
        # what the commands did is kept; the read part and its token are dropped
        assert written == {"sync_status": {"u1": "ok"}, "temp_id_mapping": {"t1": "6X7rM8997g3RQmvh"}}
        assert "items[0] is a string, not an object" in caplog.text
        with pytest.raises(RemoteReadError, match=r"items\[0\] is a string"):  # a read is refused
            client.sync("t1", ("items",))
