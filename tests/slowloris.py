"""A slowloris attack on a real `bridge serve` process, shared by its test and its benchmark.

The receiver runs as `python -m bridge serve` with a lowered descriptor limit (RLIMIT_NOFILE, set
in the child before exec), on a vault whose tasks a real sync linked. Meanwhile, from this
process: `slow` connections send a request head one header line at a time and never finish it
(reconnecting when the server closes them), clients send part of a body and hang up, a probe asks
`GET /healthz` on a new connection every 0.1 s, and the signed deliveries are sent, paced over the
attack. Figures: the probe's slowest answer and failures, how long the server let slow
connections live, the deliveries answered and applied, and how much the log grew.
"""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.connectors.webhook_load import (
    Load,
    ReceiverProcess,
    check_notes,
    outcomes,
    prepare,
    wait_until_applied,
)


@dataclass
class Figures:
    probes: int = 0
    probe_failures: list[str] = field(default_factory=list)
    probe_slowest: float = 0.0
    slow_opened: int = 0
    slow_lifetimes: list[float] = field(default_factory=list)  # open -> closed by the server
    slow_open_at_end: int = 0
    aborted_bodies: int = 0
    delivered: dict[int, int] = field(default_factory=dict)  # status -> count
    applied: int = 0  # deliveries whose outcome is `applied`
    notes_ok: str = ""  # "ok", or what check_notes found wrong
    log_growth: int = 0
    log_text: str = ""


async def _slow(
    port: int, stop: asyncio.Event, figures: Figures, open_since: dict[int, float], pause: float
) -> None:
    """One slowloris client: a head that never ends, one header line a second; re-opened `pause`
    seconds after the server closed it (the slowloris tool re-opens sockets in a periodic loop)."""
    first = True
    while not stop.is_set():
        if not first:
            await asyncio.sleep(pause)
        first = False
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        opened = time.monotonic()
        figures.slow_opened += 1
        key = id(writer)
        open_since[key] = opened
        try:
            writer.write(b"POST /webhooks/todoist HTTP/1.1\r\nHost: bridge\r\n")
            line = 0
            while not stop.is_set():
                try:
                    if await asyncio.wait_for(reader.read(1024), 1.0) == b"":
                        figures.slow_lifetimes.append(time.monotonic() - opened)
                        break  # closed by the server
                except TimeoutError:
                    pass
                line += 1
                writer.write(b"X-Slow-%d: a\r\n" % line)
        except OSError:
            figures.slow_lifetimes.append(time.monotonic() - opened)
        finally:
            open_since.pop(key, None)
            writer.close()


async def _abort_bodies(port: int, stop: asyncio.Event, figures: Figures) -> None:
    """Clients that announce a body, send a piece of it and hang up: 20 a second."""
    while not stop.is_set():
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"POST /webhooks/todoist HTTP/1.1\r\nHost: bridge\r\nContent-Type: application/json\r\n"
                b"Content-Length: 10000\r\n\r\n" + b'{"event_name": "item:completed", ' + b" " * 200
            )
            await writer.drain()
            await asyncio.sleep(0.02)
            writer.close()
            figures.aborted_bodies += 1
        except OSError:
            pass
        await asyncio.sleep(0.05)


async def _probe(port: int, stop: asyncio.Event, figures: Figures) -> None:
    """GET /healthz on a new connection every 0.1 s; an answer must come within 1 s."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            async with asyncio.timeout(1.0):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: bridge\r\nConnection: close\r\n\r\n")
                answer = await reader.read()
                writer.close()
            if not answer.startswith(b"HTTP/1.1 200"):
                figures.probe_failures.append(answer[:60].decode(errors="replace"))
        except (TimeoutError, OSError) as exc:
            figures.probe_failures.append(f"{type(exc).__name__} after {time.monotonic() - started:.2f} s")
        figures.probes += 1
        figures.probe_slowest = max(figures.probe_slowest, time.monotonic() - started)
        await asyncio.sleep(0.1)


async def _deliver(url: str, load: Load, duration: float, figures: Figures) -> None:
    """The signed deliveries, evenly over the attack, each on a new connection."""
    pause = duration / max(1, len(load.deliveries))
    async with httpx.AsyncClient(
        base_url=url, timeout=5.0, limits=httpx.Limits(max_keepalive_connections=0)
    ) as client:
        for delivery in load.deliveries:
            try:
                answer = await client.post(
                    "/webhooks/todoist", content=delivery.body, headers=delivery.headers()
                )
                figures.delivered[answer.status_code] = figures.delivered.get(answer.status_code, 0) + 1
            except httpx.TransportError:
                figures.delivered[0] = figures.delivered.get(0, 0) + 1
            await asyncio.sleep(pause)


async def _attack(port: int, load: Load, slow: int, duration: float, figures: Figures, pause: float) -> None:
    stop = asyncio.Event()
    open_since: dict[int, float] = {}
    attackers = [asyncio.create_task(_slow(port, stop, figures, open_since, pause)) for _ in range(slow)]
    attackers.append(asyncio.create_task(_abort_bodies(port, stop, figures)))
    probe = asyncio.create_task(_probe(port, stop, figures))
    await asyncio.sleep(1.0)  # the slow connections are in place before the deliveries start
    await _deliver(f"http://127.0.0.1:{port}", load, duration - 1.0, figures)
    now = time.monotonic()
    figures.slow_open_at_end = len(open_since)
    figures.slow_lifetimes.extend(now - since for since in open_since.values())  # still open: as old
    stop.set()
    await asyncio.gather(*attackers, probe)


def run_attack(
    work: Path,
    *,
    slow: int,
    descriptors: int,
    duration: float,
    events: int,
    env: dict[str, str] | None = None,
    reconnect_after: float = 1.0,
) -> Figures:
    """Prepare a vault, start the receiver, attack it for `duration` seconds; the figures."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = slow + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            raise RuntimeError(
                f"the attack needs {wanted} descriptors in this process; the hard limit is {hard}"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    state_url = f"sqlite:///{work / 'state.db'}"
    load = prepare(work, state_url, events=events, copies=0)
    receiver = ReceiverProcess(
        load.vault, state_url, work / "serve.log", env=env or {}, descriptors=descriptors
    )
    receiver.start()
    figures = Figures()
    try:
        before = receiver.log.stat().st_size
        asyncio.run(_attack(receiver.port, load, slow, duration, figures, reconnect_after))
        try:
            wait_until_applied(state_url, events, timeout=30)
            check_notes(load)
            figures.notes_ok = "ok"
        except AssertionError as exc:
            figures.notes_ok = str(exc)[:300]
        figures.applied = outcomes(state_url)["applied"]
        figures.log_growth = receiver.log.stat().st_size - before
    finally:
        receiver.stop()
        soft_now = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft_now[0] != soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    figures.log_text = receiver.log.read_text(encoding="utf-8", errors="replace")
    return figures
