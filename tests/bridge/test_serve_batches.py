"""How the receiver applies a batch of deliveries: by note, reading only the notes they name.

Over real HTTP on 127.0.0.1, deliveries signed as Todoist signs them. The deliveries are stored
before the worker starts, so they are applied as one batch.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import bridge.inbox
import bridge.vault
import bridge.writeback
from bridge.config import BridgeSettings
from bridge.serve import BATCH_MAX, BATCH_MIN, Receiver, create_app, next_batch
from bridge.state import Store
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from connectors.todoist.emulator import Emulator
from connectors.todoist.emulator import create_app as todoist_app

TOKEN = "batch-test-token"
SECRET = "batch-test-secret"
NOTES = {
    "alpha.md": ["Order the blue folders", "Book the meeting room", "Send the agenda to Ana"],
    "beta.md": ["Review the hiring plan", "Call the landlord about heating 🆔 landlord", "Renew the domain"],
    "gamma.md": ["Write the quarterly letter", "Fix the printer on floor two", "Plan the offsite"],
}


def note_text(tasks: list[str]) -> str:
    return "# Notes\n\nSome prose that stays as it is.\n\n" + "".join(f"- [ ] {t}\n" for t in tasks)


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    for name, tasks in NOTES.items():
        (root / name).write_text(note_text(tasks), encoding="utf-8")
    return root


@contextmanager
def synced_with_todoist(
    vault: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, created: int
) -> Iterator[Emulator]:
    """`vault` after a first sync with a Todoist emulator served over HTTP, its settings set."""
    app = todoist_app(TOKEN, client_secret=SECRET)
    with serve_in_thread(app) as url:
        for name, value in {
            "TODOIST_API_TOKEN": TOKEN,
            "TODOIST_BASE_URL": url,
            "TODOIST_CLIENT_SECRET": SECRET,
            "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
        }.items():
            monkeypatch.setenv(name, value)
        assert run_sync(BridgeSettings(vault=vault), connector_name="todoist").report.created == created
        yield app.state.emulator


@pytest.fixture
def synced(vault: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Emulator]:
    with synced_with_todoist(vault, monkeypatch, tmp_path, created=9) as emulator:
        yield emulator


@pytest.fixture
def served(vault: Path, synced: Emulator) -> Iterator[tuple[Receiver, httpx.Client]]:
    """The receiver over HTTP, its worker not started: what is posted waits in the inbox."""
    app = create_app(BridgeSettings(vault=vault), vault)
    receiver: Receiver = app.state.receiver
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield receiver, client
    receiver.stop()


def complete(emulator: Emulator, client: httpx.Client, text: str) -> None:
    """Complete the task in the tracker and deliver its event, signed; stored, not yet applied."""
    task = next(t for t in emulator.tasks.values() if t["content"].startswith(text))
    emulator.complete(task["id"])
    body = json.dumps(emulator.events[-1]).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "Content-Type": "application/json",
        "X-Todoist-Hmac-SHA256": signature,
        "X-Todoist-Delivery-ID": f"d-{time.monotonic_ns()}",
    }
    answer = client.post("/webhooks/todoist", content=body, headers=headers)
    assert answer.status_code == 200, answer.text


def store_of(vault: Path) -> Store:
    return Store.open(BridgeSettings(vault=vault).state_url_for(vault))


def drained(vault: Path, timeout: float = 5.0) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    with store_of(vault) as store:
        while (counts := store.inbox_counts()) != {"done": counts.get("done", -1)}:
            assert time.monotonic() < deadline, counts
            time.sleep(0.02)
        rows = store.db.execute("SELECT outcome, COUNT(*) FROM inbox GROUP BY outcome").rows
    return {str(outcome): int(count) for outcome, count in rows}


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, calls: Counter[str]) -> None:
    """Count calls of `module.name` by the note path they name (second argument)."""
    real: Callable[..., Any] | None = getattr(module, name, None)
    if real is None:
        return

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls[str(args[1])] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)


def fresh(vault: Path) -> None:
    """Every note touched now: the parse cache cannot answer for any of them (two-second rule)."""
    for path in vault.glob("*.md"):
        path.write_bytes(path.read_bytes())


def test_a_batch_reads_and_parses_only_the_notes_it_names_each_once(vault, synced, served, monkeypatch):
    receiver, client = served
    monkeypatch.setattr(Receiver, "warm", lambda *_: None)  # no notes read ahead: the batch reads
    fresh(vault)
    for text in ["Order the blue folders", "Book the meeting room", "Review the hiring plan"]:
        complete(synced, client, text)
    parsed: Counter[str] = Counter()
    for module in (bridge.vault, bridge.writeback, bridge.inbox):
        counting(monkeypatch, module, "parse_note", parsed)
    swaps: Counter[str] = Counter()
    real_swap = bridge.writeback.swap_if_unchanged
    monkeypatch.setattr(
        bridge.writeback,
        "swap_if_unchanged",
        lambda target, *a: swaps.update([target.name]) or real_swap(target, *a),
    )
    receiver.start()
    assert drained(vault) == {"applied": 3}
    assert parsed == {"alpha.md": 1, "beta.md": 1}  # gamma.md is not read at all
    assert swaps == {"alpha.md": 1, "beta.md": 1}  # two deliveries for alpha.md: one write
    alpha = (vault / "alpha.md").read_text(encoding="utf-8").splitlines()
    assert [line[:6] for line in alpha if line.startswith("- [")] == ["- [x] ", "- [x] ", "- [ ] "]
    assert (vault / "gamma.md").read_text(encoding="utf-8") == note_text(NOTES["gamma.md"])


def test_a_batch_loads_only_its_own_links_and_bases(vault, synced, served, monkeypatch):
    receiver, client = served
    complete(synced, client, "Renew the domain")

    def whole(*_: object) -> None:
        raise AssertionError("a webhook batch loaded every link or base of the connector")

    with monkeypatch.context() as patched:
        patched.setattr(Store, "links", whole)
        patched.setattr(Store, "bases", whole)
        receiver.start()
        assert drained(vault) == {"applied": 1}
    with store_of(vault) as store:
        bases = store.bases("todoist")
    # the other tasks' bases are as the sync left them: still seen in the notes
    assert sorted(b.fields.title for b in bases.values() if not b.present) == []
    assert len(bases) == 9
    assert [b.fields.title for b in bases.values() if b.remote_status.value == "done"] == ["Renew the domain"]


def test_a_line_moved_to_another_note_since_the_sync_is_still_found(vault, synced, served):
    """Its base says beta.md, where it is no longer: the vault is read (its 🆔 keeps its key).
    Were only beta.md read, the task would look gone from the notes."""
    receiver, client = served
    beta, gamma = vault / "beta.md", vault / "gamma.md"
    moved = "- [ ] Call the landlord about heating 🆔 landlord\n"
    beta.write_text(beta.read_text(encoding="utf-8").replace(moved, ""), encoding="utf-8")
    gamma.write_text(gamma.read_text(encoding="utf-8") + moved, encoding="utf-8")
    complete(synced, client, "Call the landlord about heating")
    receiver.start()
    # found where it is now; its note changed too, so (as always) the next sync sends the rest
    assert drained(vault) == {"deferred": 1}
    assert gamma.read_text(encoding="utf-8").endswith(moved)
    assert "landlord" not in beta.read_text(encoding="utf-8")
    with store_of(vault) as store:
        (base,) = [b for b in store.bases("todoist").values() if b.ref and "landlord" in b.fields.title]
    assert base.present


def test_an_edit_between_batches_is_read_not_taken_from_the_worker_memory(vault, synced, served):
    receiver, client = served
    receiver.start()
    complete(synced, client, "Order the blue folders")
    assert drained(vault) == {"applied": 1}
    alpha = vault / "alpha.md"
    before = alpha.read_bytes()
    edited = before.replace(b"Some prose", b"Same prose")  # same size, within the same second
    alpha.write_bytes(edited)
    complete(synced, client, "Plan the offsite")
    complete(synced, client, "Send the agenda to Ana")
    assert drained(vault) == {"applied": 3}
    after = alpha.read_bytes()
    assert after.startswith(b"# Notes\n\nSame prose")
    assert after.count(b"- [x] ") == 2


def test_the_batch_size_follows_the_queue():
    assert next_batch(BATCH_MIN, 3) == BATCH_MIN  # a trickle: small batches, applied at once
    assert next_batch(BATCH_MIN, BATCH_MIN) == 2 * BATCH_MIN  # a full batch: a backlog, grow
    grown = BATCH_MIN
    for _ in range(10):
        grown = next_batch(grown, grown)
    assert grown == BATCH_MAX
    assert next_batch(BATCH_MAX, BATCH_MAX - 1) == BATCH_MIN  # drained: back to small


def test_a_note_that_cannot_be_read_leaves_its_delivery_to_the_next_sync(vault, synced, served, monkeypatch):
    """Out of file descriptors for a moment: the delivery whose note could not be read is not
    settled as "unchanged" (as if the note said so already) but deferred, the note untouched;
    the other note of the batch is written, and the next sync ticks the line."""
    receiver, client = served
    fresh(vault)
    complete(synced, client, "Order the blue folders")  # alpha.md
    complete(synced, client, "Review the hiring plan")  # beta.md, which cannot be read now
    real_read = bridge.vault.read_bytes

    def exhausted(path: Path, *args: Any, **kwargs: Any) -> Any:
        if Path(path).name == "beta.md":  # what read_bytes answers when os.open fails with EMFILE
            return None, None, "cannot read: Too many open files; skipped"
        return real_read(path, *args, **kwargs)

    before = (vault / "beta.md").read_bytes()
    with monkeypatch.context() as patched:
        patched.setattr(bridge.vault, "read_bytes", exhausted)
        patched.setattr(bridge.inbox, "read_bytes", exhausted)
        receiver.start()
        assert drained(vault) == {"applied": 1, "deferred": 1}
    assert (vault / "beta.md").read_bytes() == before
    assert (vault / "alpha.md").read_text(encoding="utf-8").count("- [x] ") == 1
    report = run_sync(BridgeSettings(vault=vault), connector_name="todoist").report
    assert report.failed == 0
    assert "- [x] Review the hiring plan" in (vault / "beta.md").read_text(encoding="utf-8")


def test_the_worker_parses_the_linked_notes_before_the_first_delivery(vault, synced, served, monkeypatch):
    """A cold first batch parsed every note it named while deliveries queued behind it."""
    receiver, client = served
    receiver.start()
    assert receiver.ready.wait(5)
    assert sorted(receiver._notes.held) == sorted(NOTES)
    parsed: Counter[str] = Counter()
    for module in (bridge.vault, bridge.writeback, bridge.inbox):
        counting(monkeypatch, module, "parse_note", parsed)
    complete(synced, client, "Order the blue folders")
    complete(synced, client, "Review the hiring plan")
    assert drained(vault) == {"applied": 2}
    assert parsed == {}  # both notes came from what the worker read at start


def test_the_server_answers_once_the_worker_is_ready(vault, synced):
    app = create_app(BridgeSettings(vault=vault), vault)
    receiver: Receiver = app.state.receiver

    async def started() -> bool:
        async with app.router.lifespan_context(app):  # what uvicorn runs before it accepts
            return receiver.ready.is_set() and len(receiver._notes.held) == len(NOTES)

    assert asyncio.run(started())
