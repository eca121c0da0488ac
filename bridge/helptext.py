"""`--help` as click lays it out when stdout is not a terminal, with rich's panels at one.

Rich's layout is for a person at a terminal; drawing it costs more than the rest of the
command's start-up together (rich and the modules typer loads for it). Piped (`bridge -h |
less`, a script, a man-page generator), the same text comes in click's plain layout. Only help
changes: usage errors are shown as before.

The same classes convert the commands' values without pydantic where that is exact
(`bridge.cli_values`), since every command and group of the application is one of them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from typer.core import MarkupMode, TyperCommand, TyperGroup

from bridge.cli_values import install

__all__ = ["HelpCommand", "HelpGroup"]


def _to_terminal() -> bool:
    isatty = getattr(sys.stdout, "isatty", None)
    return isatty is not None and bool(isatty())


@contextmanager
def _plain_unless_terminal(command: TyperCommand | TyperGroup) -> Iterator[None]:
    if _to_terminal():
        yield
        return
    mode: MarkupMode = command.rich_markup_mode
    command.rich_markup_mode = None
    try:
        yield
    finally:
        command.rich_markup_mode = mode


class HelpCommand(TyperCommand):
    """A command whose help is plain when stdout is not a terminal, and whose values are
    converted without pydantic where that is certain to give typer's values (`bridge.cli_values`)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with _plain_unless_terminal(self):
            super().format_help(ctx, formatter)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        install(self, ctx)
        return super().parse_args(ctx, args)


class HelpGroup(TyperGroup):
    """A group whose help is plain when stdout is not a terminal, and whose own options' values
    are converted as a `HelpCommand`'s are."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with _plain_unless_terminal(self):
            super().format_help(ctx, formatter)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        install(self, ctx)
        return super().parse_args(ctx, args)
