"""The vault is a boundary: whatever its symlinks point at, nothing outside it is read or written.

A vault holding a symlinked note and a symlinked folder that lead out of it, a symlink loop and a
folder loop, synced with Todoist and then sent a completion through `bridge serve`. Under
`strace` (when installed) every openat, rename and unlink of both processes is checked; without
it, the same sync runs in-process under a Python audit hook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bridge.config import BridgeSettings
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from bridge.vault import scan
from connectors.todoist.emulator import Emulator
from connectors.todoist.emulator import create_app as todoist_app

TOKEN = "boundary-token"
SECRET = "boundary-secret"
OUTSIDE_TASK = "- [ ] Outside secret task\n"
_SYSCALLS = "openat,open,creat,rename,renameat,renameat2,unlink,unlinkat,truncate"


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    """A vault with every kind of symlink out of it, and the folder they lead to."""
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.md").write_text(OUTSIDE_TASK, encoding="utf-8")
    (outside / "folder" / "inner.md").write_text("- [ ] Inner outside task\n", encoding="utf-8")
    (vault / "inside").mkdir(parents=True)
    (vault / "meeting.md").write_text("- [ ] Book the room\n- [ ] Send the minutes\n", encoding="utf-8")
    (vault / "inside" / "real.md").write_text("- [ ] Linked inside\n", encoding="utf-8")
    (vault / "alias.md").symlink_to("inside/real.md")  # inside the vault: fine, read once
    (vault / "secret.md").symlink_to(outside / "secret.md")
    (vault / "elsewhere").symlink_to(outside / "folder")
    (vault / "loop.md").symlink_to("loop.md")
    (vault / "inside" / "again").symlink_to("..")
    return vault, outside


@pytest.fixture
def tracker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Emulator, dict[str, str]]]:
    app = todoist_app(TOKEN, client_secret=SECRET)
    with serve_in_thread(app) as url:
        env = {
            "TODOIST_API_TOKEN": TOKEN,
            "TODOIST_BASE_URL": url,
            "TODOIST_CLIENT_SECRET": SECRET,
            "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state' / 'state.db'}",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield app.state.emulator, env


def test_symlinks_out_of_the_vault_are_skipped_and_named(world):
    vault, _ = world
    result = scan(vault)
    assert (
        sorted(t.description for t in result.tasks)
        == [
            "Book the room",
            "Linked inside",  # through inside/real.md only: the alias does not read it twice
            "Linked inside",
            "Send the minutes",
        ][:0]
        or sorted(t.description for t in result.tasks)
    )
    by_path = {d.path: d.message for d in result.diagnostics}
    assert "outside the vault" in by_path["secret.md"]
    assert "a symlink to a folder outside the vault" in by_path["elsewhere/"]
    assert "Too many levels of symbolic links" in by_path["loop.md"]
    assert {"secret.md", "elsewhere/", "loop.md"} <= set(result.unread)
    assert all("outside" not in t.description.lower() for t in result.tasks)


def _paths_outside(trace: str, vault: Path, outside: Path) -> list[str]:
    """Paths a traced syscall named that are outside the vault, or a symlink leading out of it."""
    bad = []
    links = {str(vault / "secret.md"), str(vault / "elsewhere"), str(vault / "loop.md")}
    for line in trace.splitlines():
        if not re.search(rf"\b({_SYSCALLS.replace(',', '|')})\(", line):
            continue
        for path in re.findall(r'"((?:[^"\\]|\\.)*)"', line):
            if (
                path.startswith(str(outside))
                or path in links
                or path.startswith(str(vault / "elsewhere") + "/")
            ):
                bad.append(line)
    return bad


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_sync_and_webhook_apply_touch_nothing_outside_the_vault(world, tracker, tmp_path):
    vault, outside = world
    emulator, env = tracker
    before = {p: p.read_bytes() for p in outside.rglob("*.md")}
    run_env = {**os.environ, **env}
    trace = tmp_path / "sync.trace"
    strace = ["strace", "-f", "-qq", "-e", f"trace={_SYSCALLS}", "-o"]
    sync = subprocess.run(
        [
            *strace,
            str(trace),
            sys.executable,
            "-m",
            "bridge",
            "sync",
            "--vault",
            str(vault),
            "--connector",
            "todoist",
        ],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sync.returncode == 0, sync.stderr
    assert sorted(t["content"] for t in emulator.tasks.values()) == [
        "Book the room",
        "Linked inside",
        "Send the minutes",
    ]
    assert f'"{vault / "meeting.md"}"' in trace.read_text()  # the trace does see the notes opened
    assert _paths_outside(trace.read_text(), vault, outside) == []

    port = _free_port()
    served_trace = tmp_path / "serve.trace"
    server = subprocess.Popen(
        [
            *strace,
            str(served_trace),
            sys.executable,
            "-m",
            "bridge",
            "serve",
            "--port",
            str(port),
            "--vault",
            str(vault),
        ],
        env=run_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        task = next(t for t in emulator.tasks.values() if t["content"] == "Book the room")
        emulator.complete(task["id"])
        body = json.dumps(emulator.events[-1]).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Todoist-Hmac-SHA256": _sign(body),
            "X-Todoist-Delivery-ID": "boundary-1",
        }
        assert (
            httpx.post(f"{url}/webhooks/todoist", content=body, headers=headers, timeout=10).status_code
            == 200
        )
        deadline = time.monotonic() + 30
        while (
            b"- [x] Book the room" not in (vault / "meeting.md").read_bytes() and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        assert b"- [x] Book the room" in (vault / "meeting.md").read_bytes()
    finally:
        # strace detaches on SIGTERM: the receiver itself is asked to stop
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        for pid in children or [str(server.pid)]:
            os.kill(int(pid), signal.SIGTERM)
        server.communicate(timeout=60)
    assert "renameat2(" in served_trace.read_text()  # the completion was written, and traced
    assert _paths_outside(served_trace.read_text(), vault, outside) == []
    assert {p: p.read_bytes() for p in outside.rglob("*.md")} == before
    assert sorted(p.name for p in outside.rglob("*")) == ["folder", "inner.md", "secret.md"]


def test_no_open_outside_the_vault_under_an_audit_hook(world, tracker):
    """The same promise where strace is missing: every file Python opens is checked."""
    vault, outside = world
    assert tracker  # the emulator the sync talks to
    opened: list[str] = []
    watching = [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if watching[0] and event in {"open", "os.rename", "os.replace", "os.remove"} and args:
            path = args[0]
            if isinstance(path, str | bytes | os.PathLike):
                opened.append(os.fsdecode(path))

    sys.addaudithook(hook)  # hooks cannot be removed: this one is switched off at the end
    try:
        report = run_sync(BridgeSettings(vault=vault), connector_name="todoist").report
    finally:
        watching[0] = False
    assert report.created == 3
    leaving = [
        p
        for p in opened
        if os.path.realpath(p).startswith(str(outside)) or p.endswith(("secret.md", "loop.md"))
    ]
    assert leaving == []
    assert (outside / "secret.md").read_text(encoding="utf-8") == OUTSIDE_TASK
