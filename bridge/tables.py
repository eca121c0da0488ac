"""Tables that fit: tab-separated rows when piped, and on a terminal the main text column kept
readable by leaving out the least useful columns first (rich would squeeze it to a few letters)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:  # rich is imported when a table is drawn: JSON and TSV output never need it
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

__all__ = ["Cell", "Column", "fit", "fits", "table", "write_tsv"]

_EDGE = 3  # rich's default padding (one space each side) and the column's border
Cell: TypeAlias = "str | Text"


@dataclass(frozen=True, slots=True)
class Column:
    """`drop`: the order columns leave a narrow table in (1 first); 0 never leaves.
    `main`: the text that takes the width left over, never narrower than its `least`."""

    name: str
    drop: int = 0
    main: bool = False
    least: int = 0
    justify: Literal["left", "right"] = "left"


def _plain(cell: Cell) -> str:
    from rich.text import Text

    return cell.plain if isinstance(cell, Text) else cell


def _natural(index: int, column: Column, rows: Sequence[Sequence[Cell]]) -> int:
    """The width a column takes unwrapped (the main column: the least it may have, or its
    longest text when that is shorter: short tasks keep the other columns on a narrow screen)."""
    from rich.cells import cell_len

    longest = max([cell_len(column.name), *(cell_len(_plain(row[index])) for row in rows)])
    return max(min(column.least, longest), cell_len(column.name)) if column.main else longest


def fits(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int) -> bool:
    """Whether every column shows in `width` cells unwrapped (the main one at its least)."""
    return 1 + sum(_natural(i, c, rows) + _EDGE for i, c in enumerate(columns)) <= width


def fit(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int) -> list[int]:
    """The columns (by index) to show in `width` cells: all of them if they fit, else without
    the droppable ones, first-to-leave first, until the rest fit (or only keepers are left)."""
    kept = list(range(len(columns)))
    order = sorted((c.drop, i) for i, c in enumerate(columns) if c.drop)
    while order and not fits([columns[i] for i in kept], [[r[i] for i in kept] for r in rows], width):
        kept.remove(order.pop(0)[1])
    return kept


def table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    width: int,
    *,
    title: str | None = None,
    expand: bool = False,
) -> Table:
    """A rich table of the columns that fit; only the main column may wrap (it folds long words)."""
    from rich.table import Table
    from rich.text import Text

    kept = fit(columns, rows, width)
    natural = {i: _natural(i, columns[i], rows) for i in kept}
    grid = Table(header_style="bold", title=title, title_justify="left", expand=expand)
    for i in kept:
        c = columns[i]
        if c.main:
            grid.add_column(c.name, ratio=1, min_width=natural[i], overflow="fold", justify=c.justify)
        else:
            grid.add_column(c.name, no_wrap=True, overflow="ellipsis", justify=c.justify)
    for row in rows:  # text as Text: a task saying `[b]` is not markup
        grid.add_row(*(row[i] if isinstance(row[i], Text) else Text(_plain(row[i])) for i in kept))
    return grid


def _field(value: str) -> str:
    return " ".join(value.replace("\t", " ").splitlines())


def write_tsv(console: Console, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Tab-separated rows under a header line, in one write, never wrapped and without styles:
    what `cut`, `sort` and spreadsheets read. Tabs and line breaks in a value become spaces."""
    lines = ("\t".join(_field(v) for v in row) + "\n" for row in (header, *rows))
    console.file.write("".join(lines))  # not console.print: it would expand the tabs to spaces
