"""One task line with its status set: the status character and the `✅`/`❌` stamp, nothing else.

Apart from write-back because recurring tasks write lines too (`bridge.occurrences`): a line's
status is spelt in one place.
"""

from __future__ import annotations

import datetime as dt

from bridge.model import Spelling, StatusType
from bridge.parse import LineParse
from bridge.signifiers import SIGNIFIERS, Dialect, spell

__all__ = ["edit_line"]

_STAMP = {StatusType.DONE: "done", StatusType.CANCELLED: "cancelled"}
_EMOJI = {s.field: s.emoji[0] for s in SIGNIFIERS if s.field in _STAMP.values()}
_DATAVIEW = {s.field: s.dataview for s in SIGNIFIERS if s.field in _STAMP.values()}


def _stamp(name: str, spelling: Spelling, day: dt.date) -> str:
    if spelling is Spelling.DATAVIEW:
        return f"  [{_DATAVIEW[name]}:: {day.isoformat()}]"
    return f" {spell(_EMOJI[name], spelling)} {day.isoformat()}"


def edit_line(
    line: str,
    parsed: LineParse,
    target: StatusType,
    dialect: Dialect,
    today: dt.date,
    spelling: Spelling = Spelling.UTF8,
) -> str:
    """The line with its status set to `target`; `spelling` is used only when the line has none."""
    symbol = dialect.statuses.symbol_for(target, parsed.status)
    wanted = _STAMP.get(target)
    cuts = [f for f in parsed.fields if f.name in _STAMP.values() and f.name != wanted]
    text = line
    for f in sorted(cuts, key=lambda f: f.start, reverse=True):
        # the separator a stamp of this kind is written with, no more: a cycle leaves no space
        width = 2 if f.spelling is Spelling.DATAVIEW else 1
        start = f.start
        while start > 0 and f.start - start < width and text[start - 1] in " \t":
            start -= 1
        text = text[:start] + text[f.end :]
    if wanted is not None and parsed.first(wanted) is None:
        block = parsed.first("block")
        content_end = len(text.rstrip(" \t"))
        at = block.start - 1 if block is not None and block.end == content_end else content_end
        text = text[:at] + _stamp(wanted, parsed.spelling or spelling, today) + text[at:]
    return text[: parsed.status_at] + symbol + text[parsed.status_at + 1 :]
