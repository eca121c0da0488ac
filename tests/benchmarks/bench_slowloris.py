"""A slowloris run against `bridge serve` at the systemd default of 1,024 descriptors.

Why: the receiver faces the internet. With uvicorn's defaults, 1,100 connections that never
finish their request head exhaust 1,024 descriptors, and `/healthz` and deliveries time out.
This starts a real `bridge serve` with RLIMIT_NOFILE 1,024 and its default `BRIDGE_SERVE_*`
limits, opens `--slow` slowloris connections (each sends a header line a second and reconnects
when closed), adds clients that hang up mid-body, probes `GET /healthz` every 0.1 s (an answer
must come within 1 s), and sends signed deliveries throughout. It prints the probe's slowest
answer and failures, how long slow connections lived, the deliveries answered and applied, and
the log's growth; it exits 1 if /healthz missed a second, a delivery was lost, or the log grew
by 1 MB or more.

Run:  python tests/benchmarks/bench_slowloris.py [--slow 1100] [--descriptors 1024] [--duration 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.slowloris import run_attack  # noqa: E402 - after the path is set


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=1100)
    parser.add_argument("--descriptors", type=int, default=1024)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--events", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        f = run_attack(
            Path(work),
            slow=args.slow,
            descriptors=args.descriptors,
            duration=args.duration,
            events=args.events,
        )
    lives = sorted(f.slow_lifetimes)
    print(f"{args.slow} slow connections against {args.descriptors} descriptors for {args.duration:g} s")
    print(
        f"/healthz: {f.probes} probes, slowest {f.probe_slowest * 1000:.0f} ms, {len(f.probe_failures)} failed"  # noqa: E501
    )
    print(
        f"slow connections: {f.slow_opened} opened, lifetime median {statistics.median(lives):.2f} s,"
        f" longest {lives[-1]:.2f} s, {f.slow_open_at_end} open at the end"
    )
    print(f"aborted bodies: {f.aborted_bodies}")
    print(f"deliveries: answered {f.delivered}, applied {f.applied} of {args.events}, notes: {f.notes_ok}")
    tracebacks = f.log_text.count("Traceback")
    print(f"log growth: {f.log_growth} bytes, {tracebacks} tracebacks")
    ok = (
        not f.probe_failures
        and f.probe_slowest < 1.0
        and f.delivered == {200: args.events}
        and f.applied == args.events
        and f.notes_ok == "ok"
        and f.log_growth < 1_000_000
    )
    events = Counter(
        str(json.loads(line).get("event"))[:60] for line in f.log_text.splitlines() if line.startswith("{")
    )
    print("log lines:", dict(events))
    print("ok" if ok else "FAILED: " + "; ".join(f.probe_failures[:5]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
