"""The `bridge` command: parse flags, call the library, map errors to exit codes. No rules live here."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from bridge import __version__
from bridge.config import BridgeSettings
from bridge.output import print_diagnostics, print_json, print_tasks_table, task_json
from bridge.vault import scan

__all__ = ["app", "main"]

EXIT_USAGE = 2

app = typer.Typer(
    name="bridge",
    help="Sync the action items of Markdown notes with Todoist and Jira, both ways.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _settings() -> BridgeSettings:
    try:
        return BridgeSettings()
    except ValidationError as exc:
        for error in exc.errors():
            name = "BRIDGE_" + "_".join(str(p) for p in error["loc"]).upper()
            print(f"bridge: setting {name}: {error['msg']}", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE) from exc


def _version(value: bool) -> None:
    if value:
        print(f"bridge {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens, on stderr.")] = False,
) -> None:
    level = logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def tasks(
    path: Annotated[
        Path | None, typer.Argument(help="A vault folder or one note [default: BRIDGE_VAULT or .]")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document, not a table.")] = False,
) -> None:
    """List the tasks of a vault or one note: status, owner, due date, priority, tags, group."""
    settings = _settings()
    target = path or settings.vault or Path.cwd()
    if not target.exists():
        print(f"bridge: {target}: no such file or folder", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)
    result = scan(
        target, max_bytes=settings.max_note_bytes, policy=settings.group_policy(), root=settings.vault
    )
    print_diagnostics(result.root, result.diagnostics)
    if as_json:
        print_json([task_json(t, g) for t, g in zip(result.tasks, result.groups, strict=True)])
    else:
        print_tasks_table(result.tasks, result.groups)


def main() -> None:
    app()
