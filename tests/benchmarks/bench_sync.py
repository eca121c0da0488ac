"""How many HTTP requests, note reads and seconds a sync costs, against one SDK call per task.

Why: Todoist allows a few hundred requests per 15 minutes and every request costs a round trip,
so a sync must batch its writes and read only what changed; and a vault is synced often, so a
sync with nothing to do must not re-read the notes. This script generates a deterministic vault
(Obsidian Tasks emoji format, every task open and distinct, so each line is one tracker task),
serves the Todoist emulator on 127.0.0.1 with a fixed delay before each answer, and measures in
one process:

* bridge's first sync (creates every task), a no-op sync, a sync after N tasks were completed
  in Todoist (the user ticking them in the app), and one more no-op sync after that write-back;
* the naive approach on a fresh account behind the same server: read the vault, then one
  `TodoistAPI.add_task` call per task through the unmodified SDK.

Requests are counted by the emulator (every request it received, retries included). Note reads
are counted twice: calls of `bridge.vault.read_note` and of `read_bytes` (the functions that open
a note: the scan's and write-back's) and, independently, Python's `open` audit events on the note
files. It is a report, not a test: the exit status is 0 unless bridge's counts are wrong (a task
not created, a no-op sync that changes something, a completion not written to its note).

Run:  python tests/benchmarks/bench_sync.py [--tasks 1000] [--tasks-per-note 10] [--latency 0.020]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

from todoist_api_python.api import TodoistAPI

import bridge.vault
import bridge.writeback
from bridge.apply import Report
from bridge.config import BridgeSettings
from bridge.parse import parse_note
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from bridge.transport import make_http_client
from connectors.todoist.client import API_ORIGIN
from connectors.todoist.connector import TodoistConnector
from connectors.todoist.emulator import Emulator, create_app
from connectors.todoist.mapping import PRIORITY

SEED = 20251102
TOKEN = "bench-token-0123456789abcdef"
PROJECT = "Bridge benchmark"
NAIVE_PROJECT = "Naive benchmark"

TARGET_FIRST = 15
TARGET_NOOP = 2
TARGET_COMPLETED = 3

# Ten of each, so that the ten tasks of one note differ in verb, object and person (see _description).
VERBS = (
    "Share",
    "Review",
    "Draft",
    "Send",
    "Schedule",
    "Update",
    "Prepare",
    "Confirm",
    "Clean up",
    "Archive",
)
OBJECTS = (
    "the role descriptions",
    "the quarterly budget",
    "the onboarding checklist",
    "the meeting minutes",
    "the migration plan",
    "the vendor contracts",
    "the incident report",
    "the release notes",
    "the hiring pipeline",
    "the roadmap slides",
)
PEOPLE = ("Jason", "finance", "Lior", "legal", "the board", "Maya", "support", "Priya", "Tom", "sales")
PLACES = ("Berlin", "Lisbon", "Austin", "Osaka", "Nairobi", "Toronto", "Lyon", "Perth")
OWNERS = ("@Myself", "@Myself", "@Lior Genzel", "@Maya Cohen", "")
PRIORITIES = ("🔺", "⏫", "🔼", "🔽", "⏬", "", "")
TAGS = ("#q4", "#followup", "#meeting", "#ops", "#hiring", "#risk")
PROSE = (
    "We went through the open items from last week, agreed on owners for the ones that had none "
    "and left the budget questions for the next call."
)


def _description(note: int, slot: int) -> str:
    """Unique in the vault, and far from the other lines of its note (no near-duplicate grouping).

    Verb, object and person are each a permutation of ten across the slots of a note (1, 3 and 7
    are prime to 10), and the note's own number and place make every description unique.
    """
    verb = VERBS[(slot + note) % 10]
    thing = OBJECTS[(3 * slot + note) % 10]
    person = PEOPLE[(7 * slot + note) % 10]
    return f"{verb} {thing} with {person} for the {PLACES[note % len(PLACES)]} office, batch {note}"


def _task_line(rng: random.Random, note: int, slot: int) -> str:
    fields = [_description(note, slot)]
    owner = rng.choice(OWNERS)
    if owner:
        fields.append(owner)
    due = dt.date(2025, 11, 1) + dt.timedelta(days=rng.randrange(120))
    fields.append(f"📅 {due.isoformat()}")
    priority = rng.choice(PRIORITIES)
    if priority:
        fields.append(priority)
    fields += ["#task", *rng.sample(TAGS, k=rng.randint(0, 2))]
    return "- [ ] " + " ".join(fields)


def make_vault(root: Path, tasks: int, per_note: int, age_seconds: float) -> list[Path]:
    """Write `tasks` open tasks, `per_note` a note, 100 notes a folder; returns the note paths.

    Every note's mtime is set `age_seconds` into the past: the parse cache does not keep notes
    modified in the last two seconds, and real vaults are mostly old notes.
    """
    rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not security
    paths: list[Path] = []
    past = time.time() - age_seconds
    for index in range(math.ceil(tasks / per_note)):
        count = min(per_note, tasks - index * per_note)
        day = dt.date(2025, 1, 1) + dt.timedelta(days=index % 300)
        lines = [
            "---",
            f"title: Meeting {index:05d}",
            f"date: {day.isoformat()}",
            "---",
            "",
            f"# Meeting {index:05d}",
            "",
            PROSE,
            "",
            "## Action items",
            "",
            *(_task_line(rng, index, slot) for slot in range(count)),
            "",
        ]
        folder = root / f"area-{index // 100:02d}"
        folder.mkdir(exist_ok=True)
        path = folder / f"note-{index:05d}.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        os.utime(path, (past, past))
        paths.append(path)
    return paths


class NoteOpens:
    """Counts `open` audit events on the note files while `counting` is set (hooks cannot be removed)."""

    def __init__(self, notes: list[Path]) -> None:
        self.notes = {os.path.realpath(p) for p in notes}
        self.counting = False
        self.count = 0
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if event != "open" or not self.counting or not args:
            return
        path = args[0]
        if isinstance(path, str | bytes | os.PathLike):
            name = os.fsdecode(path)
            if name.endswith(".md") and os.path.realpath(name) in self.notes:
                self.count += 1


@dataclass
class Step:
    name: str
    requests: int
    wall: float
    scan_reads: int | None = None
    writeback_reads: int | None = None
    opens: int | None = None
    pulled: int | None = None
    lines_written: int | None = None
    target: int | None = None
    report: Report | None = None


@contextmanager
def counted_reads(opens: NoteOpens, connector: type[Any] = TodoistConnector) -> Iterator[dict[str, int]]:
    """Counts during the block: note reads by the scan and by write-back, note files opened, and
    the remote tasks the `connector` class's pull returned (what an incremental read brought back)."""
    counts = {"scan": 0, "writeback": 0, "opens": 0, "pulled": 0}
    original = connector.pull

    def pull(self: Any, cursor: str | None) -> Any:
        pulled = original(self, cursor)
        counts["pulled"] += len(pulled.changes)
        return pulled

    with (
        patch.object(bridge.vault, "read_note", wraps=bridge.vault.read_note) as scan_reads,
        patch.object(bridge.writeback, "read_bytes", wraps=bridge.writeback.read_bytes) as wb_reads,
        patch.object(connector, "pull", pull),
    ):
        opens.count, opens.counting = 0, True
        try:
            yield counts
        finally:
            opens.counting = False
            counts.update(scan=scan_reads.call_count, writeback=wb_reads.call_count, opens=opens.count)


def bridge_step(
    name: str,
    em: Any,
    opens: NoteOpens,
    sync: Callable[[], Report],
    target: int | None,
    connector: type[Any] = TodoistConnector,
) -> Step:
    """Run one sync; `em` is the emulator whose `request_log` counts the requests it received."""
    before = len(em.request_log)
    with counted_reads(opens, connector) as reads:
        start = time.perf_counter()
        report = sync()
        wall = time.perf_counter() - start
    return Step(
        name,
        requests=len(em.request_log) - before,
        wall=wall,
        scan_reads=reads["scan"],
        writeback_reads=reads["writeback"],
        opens=reads["opens"],
        pulled=reads["pulled"],
        lines_written=report.notes_written,
        target=target,
        report=report,
    )


def naive(vault: Path, url: str, em: Emulator) -> tuple[Step, int]:
    """Read the vault, then one SDK call per task (and one for the project); its step and tasks made."""
    before = len(em.request_log)
    start = time.perf_counter()
    tasks = bridge.vault.scan(vault).tasks
    client = make_http_client(base_url=url, origin=API_ORIGIN)
    with TodoistAPI(TOKEN, client=client) as api:
        project = api.add_project(NAIVE_PROJECT)
        for task in tasks:
            api.add_task(
                task.description,
                project_id=project.id,
                due_date=dt.date.fromisoformat(task.due) if task.due else None,
                priority=PRIORITY[task.priority] if task.priority else 1,
                labels=list(task.tags),
            )
    wall = time.perf_counter() - start
    made = sum(1 for t in em.tasks.values() if t["project_id"] == project.id)
    return Step("naive: 1 SDK call per task", requests=len(em.request_log) - before, wall=wall), made


def _cell(value: int | None) -> str:
    return "-" if value is None else str(value)


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--tasks-per-note", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.020, help="seconds before each answer")
    parser.add_argument("--completed", type=int, default=10, help="tasks completed in Todoist")
    args = parser.parse_args()
    if args.tasks < 1 or args.completed < 1:
        parser.error("--tasks and --completed must be at least 1")
    if not 0 < args.tasks_per_note <= 10:
        parser.error("--tasks-per-note must be 1..10 (descriptions of a note must stay distinct)")
    # A developer's own settings must not change the figures.
    for name in [n for n in os.environ if n.startswith(("BRIDGE_", "TODOIST_"))]:
        del os.environ[name]
    problems: list[str] = []

    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        vault = Path(tmp, "vault").resolve()
        vault.mkdir()
        notes = make_vault(vault, args.tasks, args.tasks_per_note, age_seconds=3600)
        size = sum(p.stat().st_size for p in notes)
        check = bridge.vault.scan(vault)  # also warms up the parser before anything is timed
        grouped = sum(g is not None for g in check.groups)
        if len(check.tasks) != args.tasks or grouped:
            print(
                f"ERROR: the generated vault has {len(check.tasks)} tasks ({grouped} grouped), "
                f"expected {args.tasks} ungrouped",
                file=sys.stderr,
            )
            return 1
        opens = NoteOpens(notes)
        settings = BridgeSettings(vault=vault, state_url=f"sqlite:///{Path(tmp, 'state.db')}")

        def sync() -> Report:
            return run_sync(settings, connector_name="todoist").report

        app = create_app(TOKEN)
        em: Emulator = app.state.emulator
        em.latency = args.latency
        steps: list[Step] = []
        with serve_in_thread(app) as url:
            os.environ.update(TODOIST_API_TOKEN=TOKEN, TODOIST_BASE_URL=url, TODOIST_PROJECT=PROJECT)

            first = bridge_step("bridge: first sync", em, opens, sync, TARGET_FIRST)
            steps.append(first)
            if first.report is None or (first.report.created, first.report.failed) != (args.tasks, 0):
                problems.append(f"first sync: {first.report}; expected {args.tasks} created, 0 failed")

            noop = bridge_step("bridge: no-op sync", em, opens, sync, TARGET_NOOP)
            steps.append(noop)
            if _changed(noop.report):
                problems.append(f"no-op sync changed something: {noop.report}")

            # The user ticks tasks in the Todoist app, each from a different note.
            stride = max(1, len(notes) // max(1, args.completed))
            chosen = [_description(index, 0) for index in range(0, len(notes), stride)][: args.completed]
            by_content = {t["content"]: t["id"] for t in em.tasks.values()}
            for content in chosen:
                em.complete(by_content[content])
            done = bridge_step(
                f"bridge: {len(chosen)} completed in Todoist", em, opens, sync, TARGET_COMPLETED
            )
            steps.append(done)
            if done.report is None or done.report.notes_written != len(chosen) or done.report.failed:
                problems.append(
                    f"sync after completions: {done.report}; expected {len(chosen)} lines written"
                )
            ticked = {
                t.description
                for path in notes
                for t in parse_note(path.read_text(encoding="utf-8"), "n.md")[0]
                if t.status == "x"
            }
            if ticked != set(chosen):
                problems.append(f"lines ticked in the notes: {len(ticked)}, expected {len(chosen)}")

            again = bridge_step("bridge: no-op after write-back", em, opens, sync, None)
            steps.append(again)
            if _changed(again.report):
                problems.append(f"no-op sync after write-back changed something: {again.report}")

            app.state.emulator = fresh = Emulator()
            fresh.latency = args.latency
            naive_step, made = naive(vault, url, fresh)
            steps.append(naive_step)
            if made != args.tasks:
                problems.append(f"naive approach made {made} tasks, expected {args.tasks}")

    notes_count = len(notes)
    print(
        f"vault: {notes_count} notes x {args.tasks_per_note} tasks = {args.tasks} open tasks, "
        f"{size / 1024:.0f} KiB; emulator latency {args.latency * 1000:g} ms a request"
    )
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()} ({platform.platform()})")
    print()
    header = (
        f"{'step':<34}{'requests':>9}{'target':>8}{'scan reads':>12}{'wb reads':>10}"
        f"{'opens':>7}{'pulled':>8}{'lines written':>15}{'wall s':>9}{'latency s':>11}"
    )
    print(header)
    for step in steps:
        target = f"<= {step.target}" if step.target is not None else "-"
        print(
            f"{step.name:<34}{step.requests:>9}{target:>8}{_cell(step.scan_reads):>12}"
            f"{_cell(step.writeback_reads):>10}{_cell(step.opens):>7}{_cell(step.pulled):>8}{_cell(step.lines_written):>15}"
            f"{step.wall:>9.3f}{step.requests * args.latency:>11.3f}"
        )
    print()
    print("scan reads / wb reads: calls of read_note by the scan / by write-back; opens: note files opened;")
    print("pulled: remote tasks the incremental read returned;")
    print("latency s: requests x latency, the part of the wall time spent waiting for the emulator.")
    print()
    for step in steps:
        if step.report is not None and step.report.requests != step.requests:
            print(
                f"note: {step.name}: bridge counted {step.report.requests} requests, "
                f"the emulator {step.requests}"
            )
    ratio = naive_step.wall / first.wall
    print(
        f"wall time, naive / bridge first sync: {naive_step.wall:.2f} s / {first.wall:.2f} s = {ratio:.1f}x "
        f"({naive_step.requests} requests against {first.requests})"
    )
    print(f"target first sync <= {TARGET_FIRST} requests: {_verdict(first.requests <= TARGET_FIRST)}")
    noop_ok = noop.requests <= TARGET_NOOP and noop.scan_reads == 0 and noop.opens == 0
    print(f"target no-op sync <= {TARGET_NOOP} requests and no note read: {_verdict(noop_ok)}")
    print(
        f"target sync after {len(chosen)} completions <= {TARGET_COMPLETED} requests: "
        f"{_verdict(done.requests <= TARGET_COMPLETED)}"
    )
    if problems:
        for problem in problems:
            print(f"ERROR: {problem}", file=sys.stderr)
        return 1
    return 0


def _changed(report: Report | None) -> bool:
    if report is None:
        return True
    counts = (report.created, report.updated, report.closed, report.reopened, report.deleted)
    return any(counts) or bool(report.notes_written or report.failed)


if __name__ == "__main__":
    sys.exit(main())
