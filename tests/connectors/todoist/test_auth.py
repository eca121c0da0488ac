"""`bridge auth todoist` end to end: the CLI, its redirect listener and the emulator over real HTTP.

The command runs as the installed console script; the test is the browser: it reads the printed
authorize URL, registers the printed redirect URI with the emulated app (as a person does in the
App Management Console) and follows the emulator's 302 to the listener. The grant goes to the
file `TODOIST_OAUTH_FILE` names, in the test's own folder.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from todoist_api_python.api import TodoistAPI
from typer.testing import CliRunner

from bridge.cli import app
from bridge.transport import make_http_client
from connectors.todoist.emulator import Emulator
from tests.cli import unstamped
from tests.connectors.todoist.conftest import CLIENT_SECRET, TOKEN

BRIDGE = shutil.which("bridge") or str(Path(sys.executable).with_name("bridge"))
CLIENT_ID = "test-client-id-42"
WAIT = 30.0  # seconds any single step may take before the test fails instead of hanging


class AuthRun:
    """A running `bridge auth todoist`, its output read line by line as it comes."""

    def __init__(self, cwd: Path, env: dict[str, str], *args: str) -> None:
        command = [BRIDGE, "auth", "todoist", "--no-browser", "--port", "0", "--timeout", "20", *args]
        self.proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.out: list[str] = []
        self.err: list[str] = []
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self.readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out, True), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err, False), daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, stream: object, into: list[str], feed: bool) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append(line)
            if feed:
                self.lines.put(line)

    def expect(self, pattern: str) -> re.Match[str]:
        """The first coming stdout line matching `pattern`; fails after WAIT seconds."""
        deadline = time.monotonic() + WAIT
        while (left := deadline - time.monotonic()) > 0:
            try:
                found = re.search(pattern, self.lines.get(timeout=left))
            except queue.Empty:
                break
            if found:
                return found
        pytest.fail(f"no line matching {pattern!r} in {self.out} / {self.err}")

    def prompt(self) -> tuple[str, str]:
        """(redirect URI, authorize URL) as printed."""
        redirect = self.expect(r"Redirect URI: (\S+)").group(1)
        return redirect, self.expect(r"^\s+(http\S+/oauth/authorize\?\S+)").group(1)

    def finish(self) -> tuple[int, str, str]:
        """Exit status, stdout and stderr, once the command ends (killed after WAIT seconds)."""
        try:
            code = self.proc.wait(timeout=WAIT)
        finally:
            self.close()
        return code, "".join(self.out), "".join(self.err)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=WAIT)
        for reader in self.readers:
            reader.join(timeout=WAIT)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def oauth(emulator: Emulator) -> Emulator:
    """The emulated account, its app registered with our client id and secret."""
    emulator.client_id = CLIENT_ID
    return emulator


@pytest.fixture
def grant_file(tmp_path: Path) -> Path:
    return tmp_path / "state" / "todoist-oauth.json"


@pytest.fixture
def env(emulator_url: str, grant_file: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TODOIST_", "BRIDGE_", "JIRA_"))}
    return {
        **clean,
        "TODOIST_CLIENT_ID": CLIENT_ID,
        "TODOIST_CLIENT_SECRET": CLIENT_SECRET,
        "TODOIST_OAUTH_URL": f"{emulator_url}/oauth",
        "TODOIST_BASE_URL": emulator_url,
        "TODOIST_OAUTH_FILE": str(grant_file),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def start(tmp_path: Path, env: dict[str, str], oauth: Emulator) -> Iterator[Callable[..., AuthRun]]:
    """`start(*args)` runs the command in `tmp_path`; whatever is left running is killed."""
    runs: list[AuthRun] = []

    def run(*args: str) -> AuthRun:
        runs.append(AuthRun(tmp_path, env, *args))
        return runs[-1]

    yield run
    for left in runs:
        left.close()


def browse(url: str, *, follow: bool = True) -> httpx.Response:
    return httpx.get(url, follow_redirects=follow, timeout=WAIT)


def sdk_with(token: str, emulator_url: str) -> TodoistAPI:
    http = make_http_client(base_url=emulator_url, origin="https://api.todoist.com", sleep=lambda _: None)
    return TodoistAPI(token, client=http)


def exchanges(em: Emulator) -> int:
    return sum(1 for method, path in em.request_log if (method, path) == ("POST", "/oauth/access_token"))


# -- the whole flow ---------------------------------------------------------------------------------


def test_full_flow_stores_a_grant_the_sdk_can_use(start, oauth, tmp_path, emulator_url, grant_file):
    run = start()
    redirect, url = run.prompt()
    assert re.fullmatch(r"http://localhost:\d+/callback", redirect)  # the host Todoist documents
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{emulator_url}/oauth/authorize?")
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == ["data:read_write,data:delete"]
    assert len(query["state"][0]) >= 32
    oauth.redirect_uri = redirect  # the person registers the printed URI in the app console

    page = browse(url)
    assert [r.status_code for r in page.history] == [302]
    assert page.status_code == 200
    assert "Authorised" in page.text
    code, out, err = run.finish()

    assert code == 0, err
    assert not (tmp_path / ".env").exists()  # nothing goes to .env any more
    grant = json.loads(grant_file.read_text())
    assert set(grant) == {"access_token", "refresh_token", "expires_at", "lifetime", "scope"}
    token = grant["access_token"]
    assert re.fullmatch(r"[0-9a-f]{40}", token)
    assert re.fullmatch(r"[0-9a-f]{40}", grant["refresh_token"])
    assert grant["lifetime"] == 3600
    assert abs(grant["expires_at"] - (time.time() + 3600)) < 60
    assert grant["scope"] == "data:read_write,data:delete"
    assert stat.S_IMODE(grant_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(grant_file.parent.stat().st_mode) == 0o700
    assert f"in {grant_file}" in out
    for secret in (token, grant["refresh_token"], CLIENT_SECRET):
        assert secret not in out + err
    assert token in oauth.access_tokens
    assert token != TOKEN
    with sdk_with(token, emulator_url) as api:  # the unmodified SDK, with the stored token
        projects = [p for page_ in api.get_projects() for p in page_]
    assert [p.name for p in projects] == ["Inbox"]
    with (
        sdk_with("not-a-token-" + token, emulator_url) as api,
        pytest.raises(httpx.HTTPStatusError) as refused,
    ):
        next(api.get_projects())
    assert refused.value.response.status_code == 401


def test_a_personal_token_is_left_alone_and_named(start, oauth, tmp_path, grant_file):
    """A personal token in .env keeps being what `bridge sync` uses; the file is not touched."""
    before = b"# my settings\r\nTODOIST_PROJECT=Work\nexport TODOIST_API_TOKEN=old-personal-token\nX='a b'"
    env_file = tmp_path / ".env"
    env_file.write_bytes(before)
    env_file.chmod(0o640)
    run = start()
    redirect, url = run.prompt()
    oauth.redirect_uri = redirect
    browse(url)
    code, out, err = run.finish()

    assert code == 0, err
    assert env_file.read_bytes() == before
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640
    assert "TODOIST_API_TOKEN is set, so `bridge sync` keeps using it" in out
    assert grant_file.is_file()


def test_settings_file_is_the_one_read(start, oauth, tmp_path, env):
    """--env-file names where the settings come from: the client id, and where the grant goes."""
    del env["TODOIST_CLIENT_ID"]  # the environment would win over the file
    del env["TODOIST_OAUTH_FILE"]
    elsewhere = tmp_path / "conf" / "bridge.env"
    elsewhere.parent.mkdir()
    elsewhere.write_text(f"TODOIST_CLIENT_ID=from-the-file\nTODOIST_OAUTH_FILE={tmp_path / 'g.json'}\n")
    oauth.client_id = "from-the-file"
    run = start("--env-file", str(elsewhere))
    redirect, url = run.prompt()
    assert parse_qs(urlsplit(url).query)["client_id"] == ["from-the-file"]
    oauth.redirect_uri = redirect
    browse(url)
    code, _, err = run.finish()
    assert code == 0, err
    assert not (tmp_path / ".env").exists()
    assert json.loads((tmp_path / "g.json").read_text())["access_token"] in oauth.access_tokens


# -- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("forged", ["code=abc&state=not-the-state", "code=abc"], ids=["wrong", "missing"])
def test_wrong_state_stores_nothing(start, oauth, tmp_path, forged):
    run = start()
    redirect, _ = run.prompt()
    page = browse(f"{redirect}?{forged}")
    code, out, err = run.finish()

    assert page.status_code == 400
    assert "state does not match" in page.text
    assert code == 2
    assert "bridge: todoist: the sign-in's state does not match this run" in err
    assert "Stored" not in out
    assert not (tmp_path / "state").exists()
    assert exchanges(oauth) == 0  # the forged code was never sent to Todoist


def test_denied_access_stores_nothing(start, oauth, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"TODOIST_API_TOKEN=keep-me\n")
    oauth.deny_access = True
    run = start()
    redirect, url = run.prompt()
    oauth.redirect_uri = redirect
    page = browse(url)
    code, _, err = run.finish()

    assert page.status_code == 400
    assert "access_denied" in page.text
    assert code == 1
    assert "access was not granted (access_denied)" in err
    assert env_file.read_bytes() == b"TODOIST_API_TOKEN=keep-me\n"
    assert not (tmp_path / "state").exists()
    assert exchanges(oauth) == 0


def test_a_code_used_once_is_refused(start, oauth, tmp_path, emulator_url):
    """Someone redeems the code first; the bridge's own exchange is then refused, and says why."""
    run = start()
    redirect, url = run.prompt()
    oauth.redirect_uri = redirect
    hop = browse(url, follow=False)
    assert hop.status_code == 302
    the_code = parse_qs(urlsplit(hop.headers["location"]).query)["code"][0]
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": the_code}
    stolen = httpx.post(f"{emulator_url}/oauth/access_token", json=form, timeout=WAIT)
    assert stolen.status_code == 200
    browse(hop.headers["location"])
    code, _, err = run.finish()

    assert code == 2
    assert "the authorisation code was refused (400 bad_authorization_code)" in err
    assert not (tmp_path / "state").exists()
    assert exchanges(oauth) == 2


@pytest.mark.parametrize(
    ("trouble", "status", "message"),
    [
        ("secret", 2, "refused (400 incorrect_application_credentials): check TODOIST_CLIENT_ID and"),
        ("outage", 1, "the token endpoint failed (503"),
    ],
    ids=["wrong-secret", "outage"],
)
def test_a_failed_exchange_stores_nothing(start, oauth, tmp_path, env, trouble, status, message):
    if trouble == "secret":
        env["TODOIST_CLIENT_SECRET"] = "a-wrong-secret"
    else:
        oauth.fail_next(503, path_prefix="/oauth/access_token")
    run = start()
    redirect, url = run.prompt()
    oauth.redirect_uri = redirect
    browse(url)
    code, out, err = run.finish()

    assert code == status
    assert message in err
    assert "a-wrong-secret" not in out + err
    assert not (tmp_path / "state").exists()
    assert not oauth.access_tokens


def test_nothing_arrives_in_time(tmp_path, monkeypatch, env):
    _use(monkeypatch, tmp_path, env)
    result = CliRunner().invoke(app, ["auth", "todoist", "--no-browser", "--port", "0", "--timeout", "0.3"])
    assert result.exit_code == 1
    assert "no redirect arrived within 0.3 s" in result.stderr
    assert not (tmp_path / "state").exists()


# -- settings and usage -----------------------------------------------------------------------------


def _use(monkeypatch: pytest.MonkeyPatch, folder: Path, env: dict[str, str]) -> None:
    """Run in-process in `folder` with exactly these TODOIST_* variables."""
    monkeypatch.chdir(folder)
    for name in list(os.environ):
        if name.startswith("TODOIST_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("TODOIST_"):
            monkeypatch.setenv(name, value)


@pytest.mark.parametrize("missing", ["TODOIST_CLIENT_ID", "TODOIST_CLIENT_SECRET"])
def test_missing_app_credentials_are_named(tmp_path, monkeypatch, env, missing):
    _use(monkeypatch, tmp_path, {k: v for k, v in env.items() if k != missing})
    result = CliRunner().invoke(app, ["auth", "todoist", "--no-browser", "--port", "0"])
    assert result.exit_code == 2
    assert unstamped(result.stderr).startswith(f"bridge: {missing} is not set")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["auth", "jira"], "bridge: jira needs no OAuth authorisation: set its JIRA_* credentials"),
        (["auth", "nosuch"], "bridge: no connector named 'nosuch'"),
        (["auth", "todoist", "--scope", "data:everything"], "unknown Todoist scope data:everything"),
    ],
    ids=["no-oauth", "unknown-connector", "unknown-scope"],
)
def test_usage_errors_exit_2(tmp_path, monkeypatch, env, args, message):
    _use(monkeypatch, tmp_path, env)
    result = CliRunner().invoke(app, [*args, "--no-browser", "--port", "0", "--timeout", "1"])
    assert result.exit_code == 2
    assert message in result.stderr


def test_oauth_url_must_end_in_oauth(tmp_path, monkeypatch, env):
    _use(monkeypatch, tmp_path, {**env, "TODOIST_OAUTH_URL": "http://127.0.0.1:9/elsewhere"})
    result = CliRunner().invoke(app, ["auth", "todoist", "--no-browser", "--port", "0"])
    assert result.exit_code == 2
    assert "TODOIST_OAUTH_URL" in result.stderr


def test_busy_port_is_a_usage_error(tmp_path, monkeypatch, env):
    _use(monkeypatch, tmp_path, env)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["auth", "todoist", "--no-browser", "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_opens_the_browser_unless_told_not_to(tmp_path, monkeypatch, env, oauth):
    """Without --no-browser the URL goes to `webbrowser.open`; here a thread plays the browser."""
    _use(monkeypatch, tmp_path, env)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    oauth.redirect_uri = f"http://localhost:{port}/callback"
    opened: list[str] = []

    def open_in_browser(url: str) -> bool:
        opened.append(url)
        threading.Thread(target=browse, args=(url,), daemon=True).start()
        return True

    monkeypatch.setattr("webbrowser.open", open_in_browser)
    result = CliRunner().invoke(app, ["auth", "todoist", "--port", str(port), "--timeout", str(WAIT)])
    assert result.exit_code == 0, result.output
    assert len(opened) == 1
    assert "/oauth/authorize?" in opened[0]
    assert (tmp_path / "state" / "todoist-oauth.json").is_file()
