"""How many webhook deliveries a second `bridge serve` holds, and how long from request to note.

Why: a tracker sends a burst of deliveries when someone completes a batch of tasks (or replays
after an outage), and Todoist gives up on a delivery that is not answered promptly; what
matters is that every delivery is stored and answered quickly, and applied to the notes soon
after. This script builds a vault of N linked tasks (a real `bridge sync` against the Todoist
emulator), takes one completion event per task from the emulator's event log, adds N/2 repeats
(retries with the same delivery id and copies under new ids), and sends them all, `concurrency`
at a time, to receivers running as real `bridge serve` processes on 127.0.0.1:

* SQLite state, one receiver;
* PostgreSQL state, one receiver, then two receivers sharing the database (round robin);

each once as a burst (`concurrency` senders at full speed) and once as a trickle (one delivery
at a time, 0.1 s apart, as when a person completes tasks one by one).

It prints, per setup: deliveries answered per second (all of them, repeats included), events
applied per second (first request to last note written), and the latency from the first request
of an event to its note written (p50, p99: the receiver's log timestamp of the applied delivery
minus the sender's clock at the first try, one clock on one machine). It also checks what the
tests check (every line ticked once, one `applied` per task) and exits 1 if that fails.

Run:  python tests/benchmarks/bench_webhooks.py [--events 1000] [--concurrency 20] [--trickle 100]
          [--postgres URL]   (default: BRIDGE_TEST_POSTGRES_URL; without one, SQLite only)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.connectors.webhook_load import (  # noqa: E402 - after the path is set
    ReceiverProcess,
    applied_keys,
    check_notes,
    outcomes,
    prepare,
    send,
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


def run(
    setup: str, state_url: str, receivers: int, events: int, concurrency: int, work: Path, pause: float = 0.0
) -> Row:
    load = prepare(work, state_url, events=events, copies=events // 2)
    procs = [ReceiverProcess(load.vault, state_url, work / f"receiver-{n}.log") for n in range(receivers)]
    for proc in procs:
        proc.start()
    try:
        sent = send(
            load.deliveries,
            lambda index, attempt: procs[(index + attempt) % receivers].url,
            concurrency=concurrency,
            pause=pause,
        )
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
    latency = [(written[d] - first_try[d]) * 1000 for d in written if d in first_try]
    start = min(sent.first_sent.values())
    ok = check_notes(load) == load.events and max(applied_keys(procs).values()) == 1
    ok = ok and outcomes(state_url) == {"applied": load.events}
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
    parser.add_argument("--events", type=int, default=1000, help="unique events (tasks); repeats add half")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--trickle", type=int, default=100, help="events sent one at a time, 0.1 s apart")
    parser.add_argument("--postgres", default=os.environ.get("BRIDGE_TEST_POSTGRES_URL", ""))
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"{args.events} events + {args.events // 2} repeats, concurrency {args.concurrency}\n")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
        setups = [("SQLite, 1 receiver", "sqlite", 1)]
        if args.postgres:
            setups += [("PostgreSQL, 1 receiver", "pg", 1), ("PostgreSQL, 2 receivers", "pg", 2)]
        for number, (name, kind, count) in enumerate(setups):
            for burst in (True, False):
                work = Path(tmp) / f"{number}-{burst}"
                url = f"sqlite:///{work / 'state.db'}" if kind == "sqlite" else fresh_database(args.postgres)
                started = time.monotonic()
                if burst:
                    row = run(f"{name}, burst", url, count, args.events, args.concurrency, work)
                else:  # one delivery at a time, 0.1 s apart: what a person completing tasks causes
                    row = run(f"{name}, trickle", url, count, args.trickle, 1, work, pause=0.1)
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
