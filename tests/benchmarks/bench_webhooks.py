"""How many webhook deliveries a second `bridge serve` holds, and how long from request to note.

Why: a tracker sends a burst of deliveries when someone completes a batch of tasks (or replays
after an outage), and a steady stream when a team works through its tasks; Todoist gives up on a
delivery that is not answered promptly. What matters is that every delivery is stored and
answered quickly, and applied to the notes soon after. This script builds a vault of N linked
tasks, 10 a note (a real `bridge sync` against the Todoist emulator), takes the events from the
emulator's own event log, signed as Todoist signs them, and sends them to receivers running as
real `bridge serve` processes on 127.0.0.1:

* SQLite state, one receiver;
* PostgreSQL state, one receiver, then two receivers sharing the database (round robin);

each once as a burst and once paced:

* burst: one completion per task plus N/2 repeats (retries with the same delivery id and copies
  under new ids), shuffled, `concurrency` senders at full speed;
* paced: open loop, one delivery every 1/rate s whatever the answers, for `seconds` seconds
  (`--rate` with SQLite, `--pg-rate` with PostgreSQL); the events are rounds over every task,
  completed in one round and reopened in the next, each round in a new random order, so every
  delivery changes a line.

It prints, per setup: deliveries answered per second (all of them, repeats included), events
applied per second (first request to last note written), and the latency from the first request
of an event to its note written (p50, p99: the receiver's log timestamp of the applied delivery,
written after the note, minus the sender's clock at the first try; one clock on one machine). It
also checks what the tests check (each line ticked or reopened as the last event says, every
other byte as it was, one `applied` per event, every inbox row applied) and exits 1 if that fails.

Run:  python tests/benchmarks/bench_webhooks.py [--events 1000] [--concurrency 20] [--rate 300]
          [--pg-rate 200] [--seconds 30]
          [--postgres URL]   (default: BRIDGE_TEST_POSTGRES_URL; without one, SQLite only)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bridge.config import BridgeSettings  # noqa: E402 - after the path is set
from bridge.state import Store  # noqa: E402
from bridge.sync import run_sync  # noqa: E402
from bridge.testing import serve_in_thread  # noqa: E402
from connectors.todoist.emulator import create_app  # noqa: E402
from tests.benchmarks.bench_sync import make_vault  # noqa: E402
from tests.connectors.webhook_load import (  # noqa: E402
    SECRET,
    TOKEN,
    Delivery,
    Load,
    ReceiverProcess,
    Sent,
    applied_keys,
    check_notes,
    outcomes,
    prepare,
    wait_until_applied,
)


@dataclass
class Row:
    setup: str
    deliveries: int
    answered_per_s: float
    applied_per_s: float
    p50_ms: float
    p99_ms: float
    ok: bool


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def prepare_rounds(root: Path, state_url: str, *, tasks: int, rounds: int, seed: int = 7) -> Load:
    """A vault of `tasks` open tasks linked by a real sync, and `rounds` x `tasks` events: every
    task completed in odd rounds and reopened in even ones, each round in a new order."""
    vault = root / "vault"
    vault.mkdir(parents=True)
    notes = make_vault(vault, tasks, 10, age_seconds=3600)
    app = create_app(TOKEN, client_secret=SECRET)
    captured: list[dict[str, Any]] = []
    with (
        serve_in_thread(app) as url,
        patch.dict(os.environ, {"TODOIST_API_TOKEN": TOKEN, "TODOIST_BASE_URL": url}),
    ):
        run = run_sync(
            BridgeSettings(vault=vault, state_url=state_url, routes=None), connector_name="todoist"
        )
        assert run.report.created == tasks, run.to_json()
        emulator = app.state.emulator
        emulator.on_event = captured.append
        rng = random.Random(seed)  # noqa: S311 - reproducible test data
        ids = list(emulator.tasks)
        for number in range(rounds):
            rng.shuffle(ids)
            for task_id in ids:
                (emulator.complete if number % 2 == 0 else emulator.reopen)(task_id)
        events = [e for e in captured if e["event_name"] in ("item:completed", "item:uncompleted")]
        assert len(events) == tasks * rounds
        deliveries = []
        for index, event in enumerate(events):
            body = json.dumps(event, ensure_ascii=False).encode()
            deliveries.append(
                Delivery(str(uuid.UUID(int=rng.getrandbits(128))), body, emulator.sign(body), index, False)
            )
    originals = {p: p.read_text(encoding="utf-8") for p in notes}
    return Load(vault, state_url, originals, deliveries, len(deliveries))


class RawClient:
    """A bare HTTP/1.1 client over keep-alive connections: the benchmark's sender runs on the
    same machine as the receivers, and httpx spends ~4 ms of CPU a request, more than the
    receiver does; this one spends a few hundredths of that, so the receivers are what is measured."""

    def __init__(self, limit: int) -> None:
        self.idle: dict[tuple[str, int], list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = {}
        self.slots = asyncio.Semaphore(limit)

    async def post(self, base: str, path: str, body: bytes, headers: dict[str, str]) -> int:
        where = urlsplit(base)
        host, port = where.hostname or "127.0.0.1", where.port or 80
        async with self.slots:
            pool = self.idle.setdefault((host, port), [])
            reader, writer = pool.pop() if pool else await asyncio.open_connection(host, port)
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            start = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {len(body)}\r\n"
            writer.write(f"{start}{head}\r\n".encode() + body)
            try:
                status_line = await reader.readuntil(b"\r\n")
                lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                raise ConnectionError("connection closed by the receiver") from None
            length = 0
            for line in lines:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            keep = not any(line.lower() == "connection: close" for line in lines)
            if keep:
                pool.append((reader, writer))
            else:
                writer.close()
            return int(status_line.split()[1])


def send_raw(
    deliveries: list[Delivery],
    targets: Callable[[int, int], str],
    *,
    rate: float | None = None,
    concurrency: int = 20,
) -> Sent:
    """Send every delivery, retried after a non-200 as `webhook_load.send` does. With `rate`, open
    loop: delivery i leaves at start + i/rate whether or not earlier ones were answered (as a
    tracker sends); without, `concurrency` senders as fast as they are answered (a burst)."""
    record = Sent()

    async def one(client: RawClient, index: int) -> None:
        delivery = deliveries[index]
        record.first_sent[index] = time.time()
        for attempt in range(200):
            try:
                code = await client.post(
                    targets(index, attempt), "/webhooks/todoist", delivery.body, delivery.headers()
                )
                status = str(code)
            except OSError as exc:
                status = type(exc).__name__
            record.answers[status] += 1
            if status == "200":
                record.acknowledged[index] = time.monotonic()
                return
            await asyncio.sleep(0.05)

    async def main() -> None:
        client = RawClient(256 if rate else concurrency)
        start = time.monotonic()
        pending = []
        for index in range(len(deliveries)):
            if rate:
                delay = start + index / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            pending.append(asyncio.create_task(one(client, index)))
        await asyncio.gather(*pending)

    record.started = time.monotonic()
    asyncio.run(main())
    record.finished = time.monotonic()
    return record


def run(
    setup: str,
    load: Load,
    receivers: int,
    work: Path,
    sender: Callable[[list[Delivery], Callable[[int, int], str]], Sent],
    *,
    rounds: int = 1,
    held: bool = False,
) -> Row:
    """One setup; `held`: the deliveries are stored while the writer lock is held (as during a
    sync), and the times are counted from its release: how fast a stored burst is applied."""
    state_url = load.state_url
    procs = [ReceiverProcess(load.vault, state_url, work / f"receiver-{n}.log") for n in range(receivers)]
    for proc in procs:
        proc.start()
    released = 0.0
    try:
        with Store.open(state_url) as store, ExitStack() as lock:
            if held:
                lock.enter_context(store.writer_lock())
            sent = sender(load.deliveries, lambda index, attempt: procs[(index + attempt) % receivers].url)
        released = time.time()
        wait_until_applied(state_url, load.events, timeout=600)
        records = [r for proc in procs for r in proc.records() if r.get("outcome") == "applied"]
    finally:
        for proc in procs:
            proc.stop()
    first_try: dict[str, float] = {}
    for index, delivery in enumerate(load.deliveries):
        when = sent.first_sent[index]
        first_try[delivery.delivery_id] = min(when, first_try.get(delivery.delivery_id, when))
    written = {r["delivery_id"]: dt.datetime.fromisoformat(r["timestamp"]).timestamp() for r in records}
    if held:
        first_try = dict.fromkeys(first_try, released)
    latency = [(written[d] - first_try[d]) * 1000 for d in written if d in first_try]
    start = released if held else min(sent.first_sent.values())
    if rounds % 2:  # the last round completed every task
        ok = check_notes(load) == load.events // rounds
    else:  # ... or reopened every one: the notes are back to their bytes before any delivery
        ok = all(path.read_text(encoding="utf-8") == text for path, text in load.originals.items())
    settled = outcomes(state_url)
    if rounds == 1:
        ok = ok and set(Counter(applied_keys(procs).values())) == {1}
        ok = ok and settled == {"applied": load.events}
    else:
        # a task completed and reopened within one batch is planned once, on its newest event:
        # both deliveries are then `unchanged` (the line already says what the tracker says)
        ok = ok and max(applied_keys(procs).values()) <= rounds
        ok = ok and set(settled) <= {"applied", "unchanged"} and settled.total() == load.events
    return Row(
        setup,
        len(load.deliveries),
        len(load.deliveries) / (sent.finished - sent.started),
        load.events / (max(written.values()) - start),
        statistics.median(latency),
        percentile(latency, 0.99),
        ok,
    )


def fresh_database(server: str) -> str:
    import psycopg

    name = f"bridge_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000, help="tasks; a burst adds half as many repeats")
    parser.add_argument("--concurrency", type=int, default=20, help="senders of a burst")
    parser.add_argument("--rate", type=float, default=300.0, help="paced deliveries a second (SQLite)")
    parser.add_argument("--pg-rate", type=float, default=200.0, help="paced deliveries a second (PostgreSQL)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long a paced run sends")
    parser.add_argument("--postgres", default=os.environ.get("BRIDGE_TEST_POSTGRES_URL", ""))
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(
        f"{args.events} tasks, 10 a note; burst: + {args.events // 2} repeats,"
        f" concurrency {args.concurrency}\n"
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
        setups = [("SQLite, 1 receiver", "sqlite", 1, args.rate)]
        if args.postgres:
            setups += [
                ("PostgreSQL, 1 receiver", "pg", 1, args.pg_rate),
                ("PostgreSQL, 2 receivers", "pg", 2, args.pg_rate),
            ]
        for number, (name, kind, count, rate) in enumerate(setups):
            for mode in ("burst", "held", "paced"):
                work = Path(tmp) / f"{number}-{mode}"
                url = f"sqlite:///{work / 'state.db'}" if kind == "sqlite" else fresh_database(args.postgres)
                started = time.monotonic()
                if mode != "paced":
                    load = prepare(work, url, events=args.events, copies=args.events // 2)
                    row = run(
                        f"{name}, burst" + (" stored during a sync" if mode == "held" else ""),
                        load,
                        count,
                        work,
                        lambda d, t: send_raw(d, t, concurrency=args.concurrency),
                        held=mode == "held",
                    )
                else:
                    rounds = max(1, round(rate * args.seconds / args.events))
                    load = prepare_rounds(work, url, tasks=args.events, rounds=rounds)
                    row = run(
                        f"{name}, paced {rate:.0f}/s",
                        load,
                        count,
                        work,
                        lambda d, t, r=rate: send_raw(d, t, rate=r),  # type: ignore[misc]
                        rounds=rounds,
                    )
                rows.append(row)
                print(f"  {row.setup}: done in {time.monotonic() - started:.1f} s", file=sys.stderr)
    if not args.postgres:
        print("(no PostgreSQL server given: --postgres URL or BRIDGE_TEST_POSTGRES_URL)\n")
    print("| setup | deliveries | answered/s | events applied/s | request→note p50 | p99 | checks |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r.setup} | {r.deliveries} | {r.answered_per_s:.0f} | {r.applied_per_s:.0f}"
            f" | {r.p50_ms:.0f} ms | {r.p99_ms:.0f} ms | {'ok' if r.ok else 'FAILED'} |"
        )
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
