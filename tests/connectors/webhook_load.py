"""Load for `bridge serve`, shared by the exactly-once tests and the webhook benchmark.

A generated vault whose tasks were created in the Todoist emulator by a real `bridge sync`; one
completion event per task, taken from the emulator's own event log and signed as Todoist signs
them; a share of them sent again (Todoist's retries keep the delivery id; a second copy of the
same event under a new id is refused by its body). Receivers run as real `bridge serve`
processes, so they can be killed with SIGKILL, and the deliveries cross real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx

from bridge.config import BridgeSettings
from bridge.state import Store
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from connectors.todoist.emulator import create_app
from tests.benchmarks.bench_sync import make_vault

SECRET = "load-client-secret"
TOKEN = "load-token-0123456789"
DONE = re.compile(r" ✅ \d{4}-\d{2}-\d{2}")


def wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float) -> None:
    """Until `bridge serve` answers /healthz; RuntimeError (with its log) if it exits or does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bridge serve exited with {process.returncode}: {log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"bridge serve did not answer /healthz within {timeout} s")


@dataclass(frozen=True, slots=True)
class Delivery:
    delivery_id: str
    body: bytes
    signature: str
    event: int  # which unique event it carries
    copy: bool  # a repeat of an event sent before (same id, or same body under a new id)

    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "User-Agent": "Todoist-Webhooks",
            "X-Todoist-Hmac-SHA256": self.signature,
            "X-Todoist-Delivery-ID": self.delivery_id,
        }


@dataclass(slots=True)
class Load:
    vault: Path
    state_url: str
    originals: dict[Path, str]  # every note as it was before any delivery
    deliveries: list[Delivery]  # in sending order
    events: int


def prepare(
    root: Path, state_url: str, *, events: int, copies: int, per_note: int = 10, seed: int = 5
) -> Load:
    """A vault of `events` open tasks, linked by a real sync, and `events + copies` deliveries."""
    vault = root / "vault"
    vault.mkdir(parents=True)
    notes = make_vault(vault, events, per_note, age_seconds=3600)
    app = create_app(TOKEN, client_secret=SECRET)
    with (
        serve_in_thread(app) as url,
        patch.dict(os.environ, {"TODOIST_API_TOKEN": TOKEN, "TODOIST_BASE_URL": url}),
    ):
        run = run_sync(
            BridgeSettings(vault=vault, state_url=state_url, routes=None), connector_name="todoist"
        )
        assert run.report.created == events, run.to_json()
        emulator = app.state.emulator
        captured: list[dict[str, Any]] = []
        emulator.on_event = captured.append
        for task in list(emulator.tasks.values()):
            emulator.complete(task["id"])
    completed = [e for e in captured if e["event_name"] == "item:completed"]
    assert len(completed) == events
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    firsts: list[Delivery] = []
    for index, event in enumerate(completed):
        body = json.dumps(event, ensure_ascii=False).encode()
        firsts.append(
            Delivery(str(uuid.UUID(int=rng.getrandbits(128))), body, emulator.sign(body), index, False)
        )
    repeats: list[Delivery] = []
    for number, original in enumerate(rng.choices(firsts, k=copies)):
        delivery_id = original.delivery_id if number % 2 == 0 else str(uuid.UUID(int=rng.getrandbits(128)))
        repeats.append(Delivery(delivery_id, original.body, original.signature, original.event, True))
    deliveries = firsts + repeats
    rng.shuffle(deliveries)
    originals = {p: p.read_text(encoding="utf-8") for p in notes}
    return Load(vault, state_url, originals, deliveries, events)


# -- receivers as processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ReceiverProcess:
    """`bridge serve` in its own process; its structured log goes to `log` (appended across restarts)."""

    vault: Path
    state_url: str
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)  # added to its environment
    descriptors: int | None = None  # its limit of open files (RLIMIT_NOFILE), if lowered

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "TODOIST_", "JIRA_"))}
        env.update(
            self.env, BRIDGE_STATE_URL=self.state_url, TODOIST_CLIENT_SECRET=SECRET, PYTHONUNBUFFERED="1"
        )
        limit = self.descriptors

        def lower_limit() -> None:
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bridge",
                    "serve",
                    "--vault",
                    str(self.vault),
                    "--port",
                    str(self.port),
                ],
                env=env,
                stdout=sink,
                stderr=sink,
                preexec_fn=lower_limit,
            )
        wait_until_serving(self.process, self.url, self.log, timeout)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, as systemd stops a service; the exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def records(self) -> list[dict[str, Any]]:
        """The `delivery` lines of the log (a line cut short by SIGKILL is skipped)."""
        found = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("event") == "delivery":
                found.append(record)
        return found


# -- sending --------------------------------------------------------------------------------------


@dataclass
class Sent:
    """What the sender saw: the first 200 of each delivery (monotonic time) and every answer."""

    acknowledged: dict[int, float] = field(default_factory=dict)  # delivery index -> time
    first_sent: dict[int, float] = field(default_factory=dict)  # delivery index -> wall clock (time.time)
    answers: Counter[str] = field(default_factory=Counter)
    started: float = 0.0
    finished: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def send(
    deliveries: list[Delivery],
    targets: Callable[[int, int], str],
    *,
    concurrency: int = 20,
    sent: Sent | None = None,
    deadline: float = 120.0,
    pause: float = 0.0,
) -> Sent:
    """POST every delivery until it is answered 200, `concurrency` at a time, as Todoist retries:
    a refused connection or a non-200 is sent again (same id, same body) after a short pause.
    `targets(index, attempt)` is the receiver's base URL for that try (a load balancer); each
    sender waits `pause` seconds after a delivery is answered (a trickle instead of a burst)."""
    record = sent if sent is not None else Sent()

    async def main() -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(len(deliveries)):
            queue.put_nowait(index)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(timeout=10.0, limits=limits) as client:

            async def worker() -> None:
                while not queue.empty():
                    index = queue.get_nowait()
                    delivery = deliveries[index]
                    attempt = 0
                    record.first_sent[index] = time.time()
                    while time.monotonic() - record.started < deadline:
                        url = f"{targets(index, attempt)}/webhooks/todoist"
                        try:
                            answer = await client.post(url, content=delivery.body, headers=delivery.headers())
                            status = str(answer.status_code)
                        except httpx.TransportError as exc:
                            status = type(exc).__name__
                        with record.lock:
                            record.answers[status] += 1
                            if status == "200":
                                record.acknowledged[index] = time.monotonic()
                        if status == "200":
                            break
                        attempt += 1
                        await asyncio.sleep(0.05)
                    await asyncio.sleep(pause)

            await asyncio.gather(*(worker() for _ in range(concurrency)))

    record.started = time.monotonic()
    asyncio.run(main())
    record.finished = time.monotonic()
    return record


def send_in_background(
    deliveries: list[Delivery], targets: Callable[[int, int], str], **kw: Any
) -> tuple[threading.Thread, Sent]:
    sent = Sent()
    thread = threading.Thread(
        target=send, args=(deliveries, targets), kwargs={**kw, "sent": sent}, daemon=True
    )
    thread.start()
    return thread, sent


# -- checking --------------------------------------------------------------------------------------


def wait_until_applied(state_url: str, events: int, timeout: float = 120.0) -> dict[str, int]:
    """Poll the inbox until `events` deliveries are settled and nothing waits; the counts by state."""
    deadline = time.monotonic() + timeout
    with Store.open(state_url) as store:
        while True:
            counts = store.inbox_counts()
            if counts.get("done", 0) >= events and set(counts) == {"done"}:
                return counts
            if time.monotonic() > deadline:
                raise AssertionError(f"inbox not drained after {timeout} s: {counts}")
            time.sleep(0.1)


def outcomes(state_url: str) -> Counter[str]:
    with Store.open(state_url) as store:
        rows = store.db.execute("SELECT outcome, COUNT(*) FROM inbox GROUP BY outcome").rows
    return Counter({str(outcome): int(count) for outcome, count in rows})


def check_notes(load: Load) -> int:
    """Every task line ticked with exactly one ✅, every other byte as it was; the lines ticked."""
    ticked = 0
    for path, before in load.originals.items():
        after = path.read_text(encoding="utf-8")
        old, new = before.split("\n"), after.split("\n")
        assert len(old) == len(new), path
        for was, now in zip(old, new, strict=True):
            if was.startswith("- [ ] "):
                assert now.startswith("- [x] "), (path, now)
                assert len(DONE.findall(now)) == 1, (path, now)
                assert DONE.sub("", now, count=1) == "- [x] " + was[6:], (path, was, now)
                ticked += 1
            else:
                assert now == was, (path, was, now)
    return ticked


def applied_keys(receivers: Iterable[ReceiverProcess]) -> Counter[str]:
    """How many `applied` log lines named each task key, across every receiver's log."""
    keys: Counter[str] = Counter()
    for receiver in receivers:
        for record in receiver.records():
            if record.get("outcome") == "applied":
                keys.update(record.get("task_keys") or [])
    return keys
