"""The one table of the task format: every field's signifiers, their spellings, and the status characters.

Everything the parser and the writer know about the Obsidian Tasks grammar is data here; the
regular expressions are generated from this table, never written by hand per field.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from bridge.model import Priority, Spelling, StatusType
from bridge.text import decode_cp1252_sloppy

__all__ = [
    "BY_TEXT",
    "DATAVIEW_KEYS",
    "DEFAULT_STATUSES",
    "PRIORITY_BY_NAME",
    "SIGNIFIERS",
    "SIGNIFIER_RE",
    "SIGNIFIER_TRIE",
    "SPELLINGS",
    "VALUE_RE",
    "Dialect",
    "Kind",
    "Signifier",
    "StatusTable",
    "TaskFormat",
    "spell",
]


class TaskFormat(enum.Flag):
    """Which spelling of fields a vault uses; Obsidian Tasks reads one, we read both unless told."""

    EMOJI = enum.auto()
    DATAVIEW = enum.auto()
    BOTH = EMOJI | DATAVIEW


class Kind(enum.Enum):
    DATE = "date"
    PRIORITY = "priority"
    RECURRENCE = "recurrence"
    ID = "id"
    IDS = "ids"
    ON_COMPLETION = "on_completion"


@dataclass(frozen=True, slots=True)
class Signifier:
    field: str  # the Task attribute it fills
    emoji: tuple[str, ...]  # first one is what the writer uses
    dataview: str
    kind: Kind
    priority: Priority | None = None


SIGNIFIERS: tuple[Signifier, ...] = (
    Signifier("priority", ("🔺",), "priority", Kind.PRIORITY, Priority.HIGHEST),
    Signifier("priority", ("⏫",), "priority", Kind.PRIORITY, Priority.HIGH),
    Signifier("priority", ("🔼",), "priority", Kind.PRIORITY, Priority.MEDIUM),
    Signifier("priority", ("🔽",), "priority", Kind.PRIORITY, Priority.LOW),
    Signifier("priority", ("⏬",), "priority", Kind.PRIORITY, Priority.LOWEST),
    Signifier("due", ("📅", "📆", "🗓"), "due", Kind.DATE),
    Signifier("scheduled", ("⏳", "⌛"), "scheduled", Kind.DATE),
    Signifier("start", ("🛫",), "start", Kind.DATE),
    Signifier("created", ("➕",), "created", Kind.DATE),
    Signifier("done", ("✅",), "completion", Kind.DATE),
    Signifier("cancelled", ("❌",), "cancelled", Kind.DATE),
    Signifier("recurrence", ("🔁",), "repeat", Kind.RECURRENCE),
    Signifier("id", ("🆔",), "id", Kind.ID),
    Signifier("depends_on", ("⛔",), "dependsOn", Kind.IDS),
    Signifier("on_completion", ("🏁",), "onCompletion", Kind.ON_COMPLETION),
)

# Dataview key → signifier; `priority` is resolved by its value instead.
DATAVIEW_KEYS: Mapping[str, Signifier] = {s.dataview: s for s in SIGNIFIERS if s.kind is not Kind.PRIORITY}
PRIORITY_BY_NAME: Mapping[str, Signifier] = {
    s.priority.value: s for s in SIGNIFIERS if s.priority is not None
}


def _value_res() -> dict[Kind, re.Pattern[str]]:
    """Each value kind's grammar, as Obsidian Tasks reads it."""
    return {
        Kind.DATE: re.compile(r"\d{4}-\d{2}-\d{2}"),
        Kind.PRIORITY: re.compile(r""),
        Kind.RECURRENCE: re.compile(r"[a-zA-Z0-9, !]+"),
        Kind.ID: re.compile(r"[A-Za-z0-9_-]+"),
        Kind.IDS: re.compile(r"[A-Za-z0-9_-]+(?:[ \t]*,[ \t]*[A-Za-z0-9_-]+)*"),
        Kind.ON_COMPLETION: re.compile(r"[a-zA-Z]+"),
    }


_VS16 = "\ufe0f"
_ENCODERS: Mapping[Spelling, Callable[[str], str]] = {
    Spelling.UTF8: lambda s: s,
    Spelling.MAC_ROMAN: lambda s: s.encode("utf-8").decode("mac_roman"),
    Spelling.CP1252: lambda s: decode_cp1252_sloppy(s.encode("utf-8")),
}
SPELLINGS: tuple[Spelling, ...] = tuple(_ENCODERS)


def spell(emoji: str, spelling: Spelling) -> str:
    """The emoji as a file in that spelling stores it (mojibake forms included)."""
    return _ENCODERS[spelling](emoji)


@cache
def _spelling_table() -> dict[str, tuple[Signifier, Spelling]]:
    table: dict[str, tuple[Signifier, Spelling]] = {}
    for sig in SIGNIFIERS:
        for emoji in sig.emoji:
            for variant in (emoji, emoji + _VS16):
                for spelling in SPELLINGS:
                    table[spell(variant, spelling)] = (sig, spelling)
    return table


def _signifier_re() -> re.Pattern[str]:
    """Any spelling of any signifier, the longest first."""
    return re.compile("|".join(re.escape(t) for t in sorted(_spelling_table(), key=len, reverse=True)))


def _trie(words: Iterable[str]) -> str:
    """An alternation of `words` that matches as the longest first would, written as a trie.

    `re` tries the alternatives of a plain alternation one after another; here it follows one
    character at a time, so a signifier costs a few steps rather than a hundred.
    """
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + pattern(node[char]) for char in sorted(node) if char]
        if not branches:
            return ""
        if "" in node:  # a word ends here: the longer ones first
            return f"(?:{'|'.join(branches)})?"
        return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"

    return pattern(tree)


# The tables the parser reads (`BY_TEXT` every spelling of a signifier, `SIGNIFIER_RE` any of
# them, `SIGNIFIER_TRIE` that pattern as a trie: the same matches, tried faster; `VALUE_RE` each
# value kind's grammar) are made when first asked for: a run that parses nothing (a settled sync,
# a listing from the cache) does not pay for them.
if TYPE_CHECKING:
    BY_TEXT: Mapping[str, tuple[Signifier, Spelling]]
    SIGNIFIER_RE: re.Pattern[str]
    SIGNIFIER_TRIE: str
    VALUE_RE: Mapping[Kind, re.Pattern[str]]

_LAZY: dict[str, Callable[[], object]] = {
    "BY_TEXT": _spelling_table,
    "SIGNIFIER_RE": _signifier_re,
    "SIGNIFIER_TRIE": lambda: _trie(_spelling_table()),
    "VALUE_RE": _value_res,
}


def __getattr__(name: str) -> object:
    """A table of `_LAZY`, made once, then kept as a plain attribute of the module."""
    make = _LAZY.get(name)
    if make is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = make()
    return value


DEFAULT_STATUSES: Mapping[str, StatusType] = {
    " ": StatusType.TODO,
    "x": StatusType.DONE,
    "X": StatusType.DONE,
    "/": StatusType.IN_PROGRESS,
    "-": StatusType.CANCELLED,
    "?": StatusType.PROPOSED,
}


@dataclass(frozen=True, slots=True)
class StatusTable:
    """Status character → meaning; a vault's own Obsidian Tasks settings replace the defaults."""

    symbols: Mapping[str, StatusType]

    @classmethod
    def default(cls) -> StatusTable:
        return cls(DEFAULT_STATUSES)

    def type_of(self, symbol: str) -> StatusType:
        """Unknown symbols are open tasks, as Obsidian Tasks treats them."""
        return self.symbols.get(symbol, StatusType.TODO)

    def can_write(self, wanted: StatusType) -> bool:
        return wanted in self.symbols.values()

    def symbol_for(self, wanted: StatusType, current: str) -> str:
        """The character to write for `wanted`: the current one when it already means that, else the
        first one the table gives that meaning (so `x`, not `X`, for DONE)."""
        if self.type_of(current) is wanted:
            return current
        for symbol, kind in self.symbols.items():
            if kind is wanted:
                return symbol
        raise ValueError(f"no status character means {wanted.value}")


@dataclass(frozen=True, slots=True)
class Dialect:
    """A vault's Obsidian Tasks settings that change what a task line is and what it means."""

    statuses: StatusTable = field(default_factory=StatusTable.default)
    task_format: TaskFormat = TaskFormat.BOTH
    global_filter: str = ""
    # Where Obsidian Tasks puts a recurring task's next occurrence, and whether it drops the
    # scheduled date there (its settings "Next recurrence appears on the line below" and
    # "Remove scheduled date on recurrence"); the bridge writes occurrences the same way.
    recurrence_below: bool = False
    remove_scheduled: bool = False
