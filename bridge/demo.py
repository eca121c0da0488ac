"""`bridge demo`: the whole round trip on a copy of the example vault, against a local emulator.

A newcomer sees tasks created, one completed "in the tracker", and the note line ticked with a
`✅` date, without an account and without any network beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bridge import registry
from bridge.config import BridgeSettings
from bridge.connector import EmulatorControl
from bridge.connector_commands import EmulatorOptions
from bridge.errors import ConfigError
from bridge.output import print_report
from bridge.state import Base
from bridge.sync import open_store, run_sync
from bridge.testing import serve_in_thread
from bridge.text import repair_mojibake
from bridge.vault import iter_note_paths

__all__ = ["example_vault", "run_demo"]

CONNECTOR = "todoist"
TOKEN = "demo-token"  # noqa: S105 - the emulator's own, accepted nowhere else


def example_vault() -> Path:
    """The vault shipped inside the wheel, or the repository's `examples/vault` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_example_vault", here.parent / "examples" / "vault"):
        if candidate.is_dir():
            return candidate
    raise ConfigError("the example vault is missing from this installation")


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _task_lines(vault: Path) -> dict[tuple[str, int], str]:
    lines: dict[tuple[str, int], str] = {}
    for path in iter_note_paths(vault):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "- [" in line:
                lines[(path.relative_to(vault).as_posix(), number)] = line
    return lines


def run_demo(console: Console | None = None) -> None:
    console = console or Console()
    connector_cls = registry.load(CONNECTOR)
    app = connector_cls.emulator(EmulatorOptions(token=TOKEN))
    control: EmulatorControl = app.state.emulator
    with tempfile.TemporaryDirectory(prefix="bridge-demo-") as tmp, serve_in_thread(app) as url:
        vault = Path(tmp) / "vault"
        shutil.copytree(example_vault(), vault)
        # routes=None: the demo syncs every example task with its one emulator, whatever the user's routes
        settings = BridgeSettings(vault=vault, state_url=f"sqlite:///{Path(tmp) / 'state.db'}", routes=None)
        env = {"TODOIST_API_TOKEN": TOKEN, "TODOIST_BASE_URL": url, "TODOIST_PROJECT": "task-bridge demo"}
        console.rule(f"1. sync {vault.name} with a {CONNECTOR} emulator at {url}")
        before = _task_lines(vault)
        with _environment(env):
            first = run_sync(settings, connector_name=CONNECTOR)
            print_report(first.report.to_json(), console, target=first.report.target)
            with open_store(settings.state_url_for(vault)) as store:
                bases = store.bases(CONNECTOR)
            if not bases:
                raise ConfigError("the demo's first sync linked no task")
            chosen = max(bases.values(), key=lambda b: len(b.keys))  # a group: every line changes
            console.rule(f"2. complete {chosen.fields.title!r} in the tracker")
            control.complete(chosen.remote_id)
            console.rule("3. sync again: the tracker's completion reaches the note")
            second = run_sync(settings, connector_name=CONNECTOR)
            print_report(second.report.to_json(), console)
            with open_store(settings.state_url_for(vault)) as store:
                links, bases = store.links(CONNECTOR), store.bases(CONNECTOR)
        after = _task_lines(vault)
        _show_changes(console, before, after)
        _show_links(console, links, bases)


def _show_changes(
    console: Console, before: dict[tuple[str, int], str], after: dict[tuple[str, int], str]
) -> None:
    console.rule("the note, before and after")
    changed = [where for where in after if before.get(where) != after[where]]
    for path, line in changed:
        console.print(f"{escape(path)}:{line}", style="bold", highlight=False)
        console.print(f"- {escape(before.get((path, line), ''))}", style="red", highlight=False)
        console.print(f"+ {escape(after[(path, line)])}", style="green", highlight=False)
    if not changed:
        console.print("no line changed")
    elif any(repair_mojibake(after[where]) != after[where] for where in changed):
        console.print(
            "(The note spells its emoji as mojibake, e.g. `üìÖ` for 📅, as the transcript tool left"
            " them: the bridge reads them as the real fields and writes its own, `‚úÖ` for ✅, in the"
            " note's own spelling, so the note stays consistent.)",
            style="dim",
            highlight=False,
            markup=False,
        )


def _show_links(console: Console, links: dict[str, str], bases: dict[str, Base]) -> None:
    table = Table(title="linked tasks", header_style="bold")
    for name in ("Tracker id", "Status", "Lines", "Title"):
        table.add_column(name)
    for remote_id, base in bases.items():
        lines = sum(1 for rid in links.values() if rid == remote_id)
        table.add_row(remote_id, base.remote_status.value, str(lines), escape(base.fields.title))
    console.print(table)
