"""How many HTTP requests, note reads and seconds a Jira sync costs, against one create per task.

The Jira twin of `bench_sync.py`, on the same generated vault (its generator, read counters and
step runner are imported from there). The Jira emulator is served on 127.0.0.1 in Cloud mode,
with a fixed delay before each answer, and in one process the script measures:

* bridge's first sync (creates every task), a no-op sync, a sync after N issues were completed
  in Jira (`JiraEmulator.complete`, a person clicking through the workflow), a sync after N boxes
  were ticked in the notes (the issues must end in a done-category status), and one more no-op;
* the naive approach on a fresh site behind the same server: read the vault, then one
  `JIRA.create_issue` call per task through the unmodified `jira` library (skipped by `--quick`).

Requests are counted twice, by the emulator (`request_log`: every request it received, retries
included) and by bridge (`report.requests`); the two must agree. Each bridge step's requests are
also listed by method and path, to show where they went. It is a report, not a test: the exit
status is 0 unless bridge's counts are wrong (a task not created, a no-op sync that changes
something, a completion not written to its note, a ticked box whose issue is not done, the two
request counts disagreeing).

Run:  python tests/benchmarks/bench_jira.py [--tasks 1000] [--tasks-per-note 10] [--latency 0.020] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import chdir
from pathlib import Path

from bench_sync import NoteOpens, Step, _cell, _changed, _description, _verdict, bridge_step, make_vault
from jira import JIRA

import bridge.vault
from bridge.apply import Report
from bridge.config import BridgeSettings
from bridge.parse import parse_note
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from connectors.jira.connector import JiraConnector
from connectors.jira.emulator import JiraEmulator, create_app
from connectors.jira.settings import DEFAULT_PRIORITIES

EMAIL = "bench@example.com"
TOKEN = "bench-token-0123456789abcdef"
PROJECT = "BRIDGE"  # the project every emulated site starts with
PEOPLE = ("Lior Genzel", "Maya Cohen")  # the named owners of the generated vault (bench_sync.OWNERS)

TARGET_FIRST = 30
TARGET_NOOP = 2

_API = re.compile(r"^/rest/api/(?:2|3|latest)")
_ISSUE = re.compile(r"/issue/(?!bulk\b|createmeta\b)[^/]+")


def _route(method: str, path: str) -> str:
    """A request as `METHOD /path`, without the API version and with the issue id elided."""
    return f"{method} {_ISSUE.sub('/issue/{id}', _API.sub('', path))}"


def breakdown(requests: list[tuple[str, str]]) -> str:
    counts = Counter(_route(method, path) for method, path in requests)
    return ", ".join(f"{route} x{n}" for route, n in counts.items()) or "none"


def issue_keys(em: JiraEmulator) -> dict[str, str]:
    """Issue key by summary (every summary of the generated vault is unique)."""
    with em.lock:
        return {issue.summary: issue.key for issue in em.issues.values()}


def tick(notes: list[Path], descriptions: set[str]) -> int:
    """Tick the boxes of these tasks in the notes, as a person in an editor would; lines ticked."""
    ticked = 0
    for path in notes:
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        for number, line in enumerate(lines):
            if line.startswith("- [ ] ") and any(line[6:].startswith(d + " ") for d in descriptions):
                lines[number] = "- [x] " + line[6:]
                ticked += 1
        if "\n".join(lines) != text:
            path.write_text("\n".join(lines), encoding="utf-8")
    return ticked


def done_in_notes(notes: list[Path]) -> set[str]:
    return {
        t.description
        for path in notes
        for t in parse_note(path.read_text(encoding="utf-8"), "n.md")[0]
        if t.status == "x"
    }


def naive(vault: Path, url: str, em: JiraEmulator) -> tuple[Step, int]:
    """Read the vault, then one `create_issue` per task with the library's defaults."""
    before = len(em.request_log)
    start = time.perf_counter()
    tasks = bridge.vault.scan(vault).tasks
    jira = JIRA(server=url, basic_auth=(EMAIL, TOKEN))
    try:
        for task in tasks:
            fields: dict[str, object] = {
                "project": {"key": PROJECT},
                "issuetype": {"name": "Task"},
                "summary": task.description,
                "labels": list(task.tags),
            }
            if task.due:
                fields["duedate"] = task.due
            if task.priority:
                fields["priority"] = {"name": DEFAULT_PRIORITIES[task.priority.value]}
            jira.create_issue(fields=fields)
    finally:
        jira.close()
    wall = time.perf_counter() - start
    with em.lock:
        made = sum(1 for issue in em.issues.values() if issue.project.key == PROJECT)
    return Step("naive: 1 create_issue per task", requests=len(em.request_log) - before, wall=wall), made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--tasks-per-note", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.020, help="seconds before each answer")
    parser.add_argument("--completed", type=int, default=10, help="issues completed in Jira")
    parser.add_argument("--ticked", type=int, default=10, help="boxes ticked in the notes")
    parser.add_argument("--quick", action="store_true", help="skip the naive approach (~1 min)")
    args = parser.parse_args()
    if args.tasks < 2 or args.completed < 1 or args.ticked < 1:
        parser.error("--tasks must be at least 2, --completed and --ticked at least 1")
    if not 0 < args.tasks_per_note <= 10:
        parser.error("--tasks-per-note must be 1..10 (descriptions of a note must stay distinct)")
    # A developer's own settings must not change the figures: neither the environment nor a
    # `.env` in the current folder (the script runs in its temporary folder).
    for name in [n for n in os.environ if n.startswith(("BRIDGE_", "JIRA_"))]:
        del os.environ[name]
    problems: list[str] = []
    steps: list[Step] = []
    routes: dict[str, str] = {}

    with tempfile.TemporaryDirectory(prefix="bench-jira-") as tmp, chdir(tmp):
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

        app = create_app(mode="cloud", email=EMAIL, token=TOKEN)
        em: JiraEmulator = app.state.emulator
        em.latency = args.latency
        for person in PEOPLE:  # so that `@Lior Genzel` finds someone to assign
            em.add_user(person, email=person.lower().replace(" ", ".") + "@example.com")

        def sync() -> Report:
            return run_sync(BridgeSettings(vault=vault), connector_name="jira").report

        def step(name: str, target: int | None = None, check: Callable[[Step], None] | None = None) -> Step:
            first = len(em.request_log)
            done = bridge_step(name, em, opens, sync, target, JiraConnector)
            routes[name] = breakdown(em.request_log[first:])
            steps.append(done)
            if done.report is None or done.report.requests != done.requests:
                counted = done.report.requests if done.report else None
                problems.append(f"{name}: bridge counted {counted} requests, the emulator {done.requests}")
            if check is not None:
                check(done)
            return done

        with serve_in_thread(app) as url:
            os.environ.update(
                JIRA_URL=url,
                JIRA_EMAIL=EMAIL,
                JIRA_API_TOKEN=TOKEN,
                JIRA_PROJECT=PROJECT,
                BRIDGE_STATE_URL=f"sqlite:///{Path(tmp, 'state.db')}",
            )

            first = step("bridge: first sync", TARGET_FIRST)
            if first.report is None or (first.report.created, first.report.failed) != (args.tasks, 0):
                problems.append(f"first sync: {first.report}; expected {args.tasks} created, 0 failed")

            noop = step("bridge: no-op sync", TARGET_NOOP)
            if _changed(noop.report):
                problems.append(f"no-op sync changed something: {noop.report}")

            # A person completes issues in Jira, each made from a different note.
            stride = max(1, len(notes) // max(1, args.completed))
            completed = [_description(i, 0) for i in range(0, len(notes), stride)][: args.completed]
            keys = issue_keys(em)
            for summary in completed:
                em.complete(keys[summary])
            em.wait_for_search()  # Cloud's index trails writes; the next cron run comes later still
            remote = step(f"bridge: {len(completed)} completed in Jira")
            if remote.report is None or remote.report.notes_written != len(completed) or remote.report.failed:
                problems.append(
                    f"sync after completions: {remote.report}; expected {len(completed)} lines written"
                )
            if done_in_notes(notes) != set(completed):
                problems.append(f"ticked lines after the completions: expected {len(completed)}")

            # A person ticks boxes in other notes (the second task of each, so not the same lines).
            stride = max(1, len(notes) // max(1, args.ticked))
            chosen = [
                _description(i, 1 % args.tasks_per_note) for i in range(stride // 2, len(notes), stride)
            ]
            chosen = [d for d in chosen if d not in completed][: args.ticked]
            ticked = tick(notes, set(chosen))
            if ticked != len(chosen):
                problems.append(f"ticked {ticked} boxes, expected {len(chosen)}")
            local = step(f"bridge: {len(chosen)} ticked in notes")
            if local.report is None or local.report.closed != len(chosen) or local.report.failed:
                problems.append(f"sync after ticking: {local.report}; expected {len(chosen)} closed")
            states = {summary: em.get_issue(keys[summary]).status for summary in chosen}
            not_done = sorted(f"{keys[s]} ({st.name})" for s, st in states.items() if st.category != "done")
            if not_done:
                problems.append(f"issues of ticked boxes not in a done-category status: {not_done}")

            again = step("bridge: no-op after both")
            if _changed(again.report):
                problems.append(f"no-op sync after both changed something: {again.report}")

            naive_step = None
            if not args.quick:
                app.state.emulator = fresh = JiraEmulator(mode="cloud", email=EMAIL)
                fresh.latency = args.latency
                naive_step, made = naive(vault, url, fresh)
                routes[naive_step.name] = breakdown(fresh.request_log)
                steps.append(naive_step)
                if made != args.tasks:
                    problems.append(f"naive approach made {made} issues, expected {args.tasks}")

    print(
        f"vault: {len(notes)} notes x {args.tasks_per_note} tasks = {args.tasks} open tasks, "
        f"{size / 1024:.0f} KiB; Jira emulator (Cloud), latency {args.latency * 1000:g} ms a request"
    )
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()} ({platform.platform()})")
    print()
    print(
        f"{'step':<32}{'requests':>9}{'bridge':>8}{'target':>8}{'scan reads':>12}{'wb reads':>10}"
        f"{'opens':>7}{'pulled':>8}{'lines written':>15}{'closed':>8}{'wall s':>9}{'latency s':>11}"
    )
    for row in steps:
        target = f"<= {row.target}" if row.target is not None else "-"
        counted = row.report.requests if row.report is not None else None
        closed = row.report.closed if row.report is not None else None
        print(
            f"{row.name:<32}{row.requests:>9}{_cell(counted):>8}{target:>8}{_cell(row.scan_reads):>12}"
            f"{_cell(row.writeback_reads):>10}{_cell(row.opens):>7}{_cell(row.pulled):>8}"
            f"{_cell(row.lines_written):>15}{_cell(closed):>8}{row.wall:>9.3f}"
            f"{row.requests * args.latency:>11.3f}"
        )
    print()
    print("requests: counted by the emulator's request_log; bridge: report.requests (the two must agree);")
    print("scan reads / wb reads: calls of read_note by the scan / by write-back; opens: note files opened;")
    print("pulled: issues the connector's read returned; closed: issues bridge moved to a done status;")
    print("latency s: requests x latency, the part of the wall time spent waiting for the emulator.")
    print()
    print("requests by route:")
    for name, listed in routes.items():
        print(f"  {name}: {listed}")
    print()
    if naive_step is not None:
        ratio = naive_step.wall / first.wall
        print(
            f"wall time, naive / bridge first sync: {naive_step.wall:.2f} s / {first.wall:.2f} s = "
            f"{ratio:.1f}x ({naive_step.requests} requests against {first.requests})"
        )
    print(f"target first sync <= {TARGET_FIRST} requests: {_verdict(first.requests <= TARGET_FIRST)}")
    noop_ok = noop.requests <= TARGET_NOOP and noop.scan_reads == 0 and noop.opens == 0
    print(f"target no-op sync <= {TARGET_NOOP} requests and no note read: {_verdict(noop_ok)}")
    if problems:
        for problem in problems:
            print(f"ERROR: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
