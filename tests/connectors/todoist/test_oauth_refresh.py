"""`bridge sync` with the stored OAuth grant, end to end against the emulator over real HTTP:
renewal ahead of the expiry and after a 401, rotation stored, refusals said clearly, a personal
token left as it was, and what a crash or a failed write between Todoist's answer and the file
leaves behind."""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from bridge.cli import app
from bridge.config import BridgeSettings
from bridge.oauth import GrantFile
from bridge.sync import run_sync
from connectors.todoist.auth import OAuthSession, exchange_code
from connectors.todoist.emulator import Emulator
from connectors.todoist.settings import TodoistSettings
from tests.connectors.todoist.conftest import CLIENT_SECRET, TOKEN

CLIENT_ID = "test-client-id-42"
TOKEN_PATH = ("POST", "/oauth/access_token")
AGAIN = "run `bridge auth todoist` again"


@pytest.fixture
def oauth(emulator: Emulator) -> Emulator:
    emulator.client_id = CLIENT_ID
    emulator.redirect_uri = "http://localhost:8766/callback"
    return emulator


@pytest.fixture
def settings_env(
    emulator_url: str, oauth: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The settings of a sync with a grant and no personal token, set in the environment."""
    values = {
        "TODOIST_CLIENT_ID": CLIENT_ID,
        "TODOIST_CLIENT_SECRET": CLIENT_SECRET,
        "TODOIST_OAUTH_URL": f"{emulator_url}/oauth",
        "TODOIST_BASE_URL": emulator_url,
        "TODOIST_OAUTH_FILE": str(tmp_path / "state" / "todoist-oauth.json"),
        "TODOIST_PROJECT": "Bridge",
        "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
    }
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def grant_file(settings_env: dict[str, str], emulator_url: str, oauth: Emulator) -> Path:
    """A grant as `bridge auth todoist` leaves it: a code from authorize, exchanged by the bridge."""
    hop = httpx.get(
        f"{emulator_url}/oauth/authorize",
        params={"client_id": CLIENT_ID, "scope": "data:read_write,data:delete", "state": "s"},
        timeout=30,
    )
    code = parse_qs(urlsplit(hop.headers["location"]).query)["code"][0]
    settings = TodoistSettings()
    path = Path(settings_env["TODOIST_OAUTH_FILE"])
    GrantFile(path).save(exchange_code(settings, CLIENT_ID, CLIENT_SECRET, code))
    oauth.request_log.clear()
    return path


def stored(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def sync(vault: Path) -> Any:
    return run_sync(BridgeSettings(vault=vault), connector_name="todoist").report


def token_posts(em: Emulator) -> int:
    return em.request_log.count(TOKEN_PATH)


def test_sync_uses_the_grant_and_renews_it_after_a_401(vault, oauth, grant_file):
    first = stored(grant_file)
    report = sync(vault)
    assert (report.created, report.failed) == (6, 0)
    assert token_posts(oauth) == 0  # an hour to go: no refresh

    oauth.access_tokens.expire_all()  # the hour passed, as far as Todoist knows
    oauth.request_log.clear()
    (vault / "new.md").write_text("- [ ] Call the plumber\n", encoding="utf-8")
    report = sync(vault)
    assert (report.created, report.failed) == (1, 0)
    sends = [entry for entry in oauth.request_log if entry[1] != "/api/v1/tasks/completed/by_completion_date"]
    assert sends[:3] == [("POST", "/api/v1/sync"), TOKEN_PATH, ("POST", "/api/v1/sync")]  # 401, renew, again
    assert token_posts(oauth) == 1

    second = stored(grant_file)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] in oauth.access_tokens
    assert stat.S_IMODE(grant_file.stat().st_mode) == 0o600
    assert [p.name for p in grant_file.parent.iterdir()] == [grant_file.name, grant_file.name + ".lock"]
    issued = oauth.access_tokens.refresh
    assert issued[first["refresh_token"]].used_at is not None  # rotated: the old one is spent
    assert issued[second["refresh_token"]].used_at is None


def test_the_token_is_renewed_ahead_of_its_expiry(vault, oauth, grant_file):
    data = stored(grant_file)
    GrantFile(grant_file).save(_with(data, expires_at=time.time() + 120))  # within 5 minutes
    report = sync(vault)
    assert report.failed == 0
    assert oauth.request_log[0] == TOKEN_PATH  # before the first API request, not after a 401
    assert token_posts(oauth) == 1
    assert data["access_token"] in oauth.access_tokens  # it was still good: no 401 was needed
    assert stored(grant_file)["refresh_token"] != data["refresh_token"]


def test_a_refused_refresh_says_to_authorise_again(vault, oauth, grant_file):
    oauth.access_tokens.revoke_all()  # the person revoked the app in Todoist's settings
    result = CliRunner().invoke(app, ["sync", "--vault", str(vault), "--connector", "todoist"])
    assert result.exit_code == 2
    assert "refresh the OAuth token (400 invalid_grant)" in result.stderr
    assert AGAIN in result.stderr
    assert token_posts(oauth) == 1  # once, not in a loop


def test_a_second_401_after_renewing_is_the_end(vault, oauth, grant_file):
    oauth.fail_next(401, count=2, path_prefix="/api/v1/sync")
    result = CliRunner().invoke(app, ["sync", "--vault", str(vault), "--connector", "todoist"])
    assert result.exit_code == 2
    assert "the OAuth token was refused even after renewing it" in result.stderr
    assert AGAIN in result.stderr
    assert token_posts(oauth) == 1


def test_access_revoked_during_a_push_stops_sending(vault, oauth, grant_file):
    """The person revokes the app while a first sync of three batches runs: the batch refused
    is renewed once, the renewal refused, and the batches after it are not sent at all."""
    big = "".join(f"- [ ] Action item number {n} for the launch\n" for n in range(250))
    (vault / "big.md").write_text(big, encoding="utf-8")
    oauth.after_commands = lambda: (oauth.access_tokens.revoke_all(), setattr(oauth, "after_commands", None))
    report = run_sync(BridgeSettings(vault=vault, near_duplicates=False), connector_name="todoist").report
    assert token_posts(oauth) == 1
    assert oauth.request_log.count(("POST", "/api/v1/sync")) == 3  # read, first batch, the refused one
    assert report.created == 99  # the first batch: the project and 99 tasks
    assert report.failed == 250 + 9 - 99  # the rest (the vault's example note has 9), said once
    [line] = report.errors
    assert AGAIN in line


def test_a_personal_token_is_used_as_today(vault, oauth, grant_file, monkeypatch):
    before = grant_file.read_bytes()
    oauth.access_tokens.expire_all()
    monkeypatch.setenv("TODOIST_API_TOKEN", TOKEN)
    assert sync(vault).failed == 0
    assert token_posts(oauth) == 0
    assert grant_file.read_bytes() == before

    monkeypatch.setenv("TODOIST_API_TOKEN", "a-wrong-personal-token")
    result = CliRunner().invoke(app, ["sync", "--vault", str(vault), "--connector", "todoist"])
    assert result.exit_code == 2
    assert "check TODOIST_API_TOKEN" in result.stderr
    assert token_posts(oauth) == 0  # a personal token is never "renewed"


def test_two_processes_renew_once(oauth, grant_file):
    """Two holders of the same grant (a cron sync and `bridge serve`): the second finds the first's
    renewal in the file and uses it, instead of sending the used refresh token again (a replay)."""
    settings = TodoistSettings()
    one, two = OAuthSession(settings), OAuthSession(settings)
    stale = one.current()
    oauth.access_tokens.expire_all()
    renewed = one.renew(stale)
    assert two.renew(stale) == renewed
    assert token_posts(oauth) == 1
    assert renewed in oauth.access_tokens


# -- between Todoist's answer and the file -----------------------------------------------------------


def test_a_failed_write_keeps_the_previous_grant_whole(vault, oauth, grant_file, monkeypatch, caplog):
    """The disk refuses the renewed grant: the file keeps the previous one, complete; this run goes
    on with the new one from memory and says what it means."""
    before = grant_file.read_bytes()
    oauth.access_tokens.expire_all()

    def full(*_: object, **__: object) -> bool:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("bridge.oauth.replace_file", full)
    with caplog.at_level(logging.ERROR):
        report = sync(vault)
    assert report.failed == 0
    assert grant_file.read_bytes() == before
    assert "could not be stored (cannot write" in caplog.text
    assert "No space left on device" in caplog.text
    assert AGAIN in caplog.text
    assert [p.name for p in grant_file.parent.iterdir() if p.suffix == ".bridge-tmp"] == []


def test_a_grant_not_stored_at_renewal_is_stored_as_the_run_ends(vault, oauth, grant_file, monkeypatch):
    """The disk was full for a moment: the renewed grant is written when the run ends, so the next
    run does not send the spent refresh token (which Todoist would take for a replay)."""
    from bridge import oauth as grants

    real, refused = grants.replace_file, []

    def full_once(*args: Any, **kwargs: Any) -> None:
        if not refused:
            refused.append(1)
            raise OSError(28, "No space left on device")
        real(*args, **kwargs)

    before = stored(grant_file)
    oauth.access_tokens.expire_all()
    monkeypatch.setattr("bridge.oauth.replace_file", full_once)
    assert sync(vault).failed == 0
    assert refused
    after = stored(grant_file)
    assert after["refresh_token"] != before["refresh_token"]
    assert oauth.access_tokens.refresh[after["refresh_token"]].used_at is None  # the good one
    (vault / "new.md").write_text("- [ ] Call the plumber\n", encoding="utf-8")
    assert sync(vault).failed == 0


def sync_process(vault: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bridge", "sync", "--vault", str(vault), "--connector", "todoist"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("rerun", ["within-grace", "later"])
def test_killed_between_the_answer_and_the_file(vault, oauth, grant_file, settings_env, rerun):
    """Todoist rotated the refresh token but the process died before it read the answer. The file
    still holds the previous grant, whole; its refresh token is spent, so: rerun within Todoist's
    60-second grace window and the new access token is recovered (no refresh token comes with it:
    authorise again within the hour); later, the refusal says to authorise again."""
    before = grant_file.read_bytes()
    oauth.access_tokens.expire_all()
    proc = sync_process(vault, settings_env)
    oauth.access_tokens.on_refresh = lambda: os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    oauth.access_tokens.on_refresh = None
    assert proc.returncode == -signal.SIGKILL
    assert grant_file.read_bytes() == before  # the previous grant, whole

    if rerun == "later":
        oauth.access_tokens.pass_time(61)
        result = CliRunner().invoke(app, ["sync", "--vault", str(vault), "--connector", "todoist"])
        assert result.exit_code == 2
        assert "(400 invalid_grant)" in result.stderr
        assert AGAIN in result.stderr
        return

    again = sync_process(vault, settings_env)
    _, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert "Todoist gave no new refresh token" in err
    recovered = stored(grant_file)
    assert recovered["refresh_token"] is None
    assert recovered["access_token"] in oauth.access_tokens

    oauth.access_tokens.pass_time(3600)  # that token's hour is over too
    result = CliRunner().invoke(app, ["sync", "--vault", str(vault), "--connector", "todoist"])
    assert result.exit_code == 2
    assert "the OAuth token expired, with no refresh token" in result.stderr
    assert AGAIN in result.stderr


def _with(data: dict[str, Any], **changes: Any) -> Any:
    from bridge.oauth import Grant

    return Grant.from_stored({**data, **changes})
