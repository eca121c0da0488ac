"""The task-line grammar: note text in, tasks and diagnostics out. Pure: no files, no clock.

A line is peeled from its end, as Obsidian Tasks does: tags, Dataview fields, emoji fields and
the trailing `@Owner` come off one at a time until the first plain text, which ends the fields.
Every signifier's spellings come from `bridge.signifiers`; nothing here names an emoji.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple, TypeVar

from bridge.identity import front_matter_identity, owner_identity, task_key
from bridge.model import Diagnostic, Priority, Source, Spelling, StatusType, Task, build_source, build_task
from bridge.signifiers import (
    BY_TEXT,
    DATAVIEW_KEYS,
    PRIORITY_BY_NAME,
    SIGNIFIER_RE,
    SIGNIFIER_TRIE,
    SIGNIFIERS,
    VALUE_RE,
    Dialect,
    Kind,
    Signifier,
    TaskFormat,
)
from bridge.text import TAG_CHARS, TAG_RE, normalise, repair_mojibake

__all__ = ["Field", "LineParse", "parse_line", "parse_line_exact", "parse_note", "parse_note_exact"]

_TASK_RE = re.compile(
    r"(?P<lead>[ \t>]*)(?P<marker>[-*+]|\d{1,9}[.)])[ \t]+\[(?P<status>[^\]\r\n])\](?=[ \t]|$)[ \t]*"
)
_BLOCK_RE = re.compile(r"\^[A-Za-z0-9-]+")
# The value as written, blanks around it included (it is stripped when read): a value that ends
# in blanks is not told apart from them here, which made a long run of blanks cost its square.
_DATAVIEW_RE = re.compile(
    r"(?:\[[ \t]*(?P<k1>[A-Za-z]+)::(?P<v1>[^\]]*)\]"
    r"|\([ \t]*(?P<k2>[A-Za-z]+)::(?P<v2>[^)]*)\))"
)
_OWNER_RE = re.compile(r"@(?P<name>[^\s@#\[\]()]+(?:[ \t]+[^\s@#\[\]()]+){0,3})[ \t]*$")
_FENCE_RE = re.compile(r"[ \t>]*(?P<fence>`{3,}|~{3,})(?P<rest>.*)")
_T = TypeVar("_T")
_How = TypeVar("_How")  # what a run reader is given besides the line: a format, or its pattern
_UNKNOWN = "read as unknown: a synced task keeps the value it has"


class Field(NamedTuple):
    """One peeled field; `start`/`end` are offsets in the line, `value` as written (None if invalid).

    A NamedTuple, not a frozen dataclass: it is built a hundred thousand times on a large vault.
    """

    name: str
    start: int
    end: int
    value: str | None
    spelling: Spelling | None = None
    signifier: Signifier | None = None


@dataclass(frozen=True, slots=True)
class LineParse:
    status: str
    status_at: int
    depth: int
    description: str
    description_end: int
    fields: tuple[Field, ...]
    values: Mapping[str, str | None]
    problems: tuple[str, ...]
    unknown: tuple[str, ...] = ()  # fields written but unreadable

    def first(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def spelling(self) -> Spelling | None:
        return next((f.spelling for f in reversed(self.fields) if f.spelling is not None), None)


def _rstrip_to(text: str, end: int) -> int:
    return len(text[:end].rstrip(" \t"))


def _signifier_field(sig: Signifier, spelling: Spelling, start: int, end: int, raw: str) -> Field | None:
    value = raw.strip()
    if not VALUE_RE[sig.kind].fullmatch(value):
        return None
    if sig.priority is not None:
        value = sig.priority.value
    return Field(sig.field, start, end, value, spelling, sig)


def _dataview_field(key: str, raw: str, start: int, end: int) -> Field | None:
    if key == "priority":
        sig = PRIORITY_BY_NAME.get(raw.strip().lower())
        if sig is None:  # a field all the same, of unknown value: it must not become description text
            return Field("priority", start, end, None, Spelling.DATAVIEW)
        return Field("priority", start, end, sig.priority, Spelling.DATAVIEW, sig)
    found = DATAVIEW_KEYS.get(key)
    if found is None:
        return None
    return _signifier_field(found, Spelling.DATAVIEW, start, end, raw)


# One field of the run that ends a task line, by kind. An emoji field is a signifier (all are
# non-ASCII, checked first so plain words fail fast) and a loose value; each kind's exact value
# grammar is checked afterwards, from the end of the line.
_TAG_OR_BLOCK = rf"(?P<tag>\#{TAG_CHARS})|(?P<block>\^[A-Za-z0-9-]+)"
# A Dataview field may be followed by blanks and a comma (`[due:: 2021-08-22]  , [priority:: high]`),
# as Obsidian Tasks reads it (its `(?: *,)?`); the comma belongs to the field before it.
_DATAVIEW_FIELD = r"(?P<dv>\[[ \t]*[A-Za-z]+::[^\]]*\]|\([ \t]*[A-Za-z]+::[^)]*\))(?:[ \t]*,)?"
_EMOJI_FIELD = r"(?=[^\x00-\x7f])(?P<sig>{signifier})[ \t]*(?P<val>[A-Za-z0-9_, !-]*)"


def _run_field(task_format: TaskFormat, signifier: str = SIGNIFIER_RE.pattern) -> tuple[str, str]:
    """One field of a run: with its kind's named groups, and without (a run needs no names).
    `signifier` is SIGNIFIER_RE's pattern or its trie (the same matches)."""
    field = _TAG_OR_BLOCK
    if TaskFormat.DATAVIEW in task_format:
        field += f"|{_DATAVIEW_FIELD}"
    if TaskFormat.EMOJI in task_format:
        field += "|" + _EMOJI_FIELD.format(signifier=signifier)
    return field, re.sub(r"\(\?P<\w+>", "(?:", field)


def _run_pattern(bare: str) -> re.Pattern[str]:
    """Blanks and fields up to the end of the line, found in time linear in the line's length.

    A run starts at the first blank of a stretch of blanks (no blank before it): a match from a
    later blank of the stretch is also one from its first, so the leftmost run is the same, and
    the blanks are not tried again from each of their places (a line of 20,000 blanks before its
    last word cost seconds). No field starts with a blank, so blanks taken are never given back.
    The pattern starts with a blank, so `re` skips to the blanks of a line rather than trying a
    match at every character. Search it from the start of the blanks after the checkbox
    (`_run_from`)."""
    return re.compile(rf"[ \t](?<![ \t]{{2}})[ \t]*+(?:{bare})(?:[ \t]++(?:{bare}))*[ \t]*+$")


def _run_from(line: str, begin: int) -> int:
    """Where `_run_pattern` is searched from for a description starting at `begin`: the first
    of the blanks between the checkbox and it (they may start a run when the description is none)."""
    return _rstrip_to(line, begin)


def _field_patterns(task_format: TaskFormat) -> tuple[re.Pattern[str], re.Pattern[str]]:
    field, bare = _run_field(task_format)
    return _run_pattern(bare), re.compile(rf"[ \t]*(?:{field})")


def _fast_run_pattern(task_format: TaskFormat) -> re.Pattern[str]:
    """The run of `_field_patterns` with the signifiers as a trie (the same matches)."""
    return _run_pattern(_run_field(task_format, SIGNIFIER_TRIE)[1])


class _ByFormat(dict[TaskFormat, _T]):
    """What a format reads with (patterns, readers), made the first time the format is met: a
    process reads one format, and compiling every format's patterns at import costs milliseconds."""

    def __init__(self, make: Callable[[TaskFormat], _T]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, task_format: TaskFormat) -> _T:
        made = self[task_format] = self._make(task_format)
        return made


# Per format: the run of fields that ends a line, and one field of such a run; the fast path's run.
_FIELD_RUNS = _ByFormat(_field_patterns)
_FAST_RUNS = _ByFormat(_fast_run_pattern)


def _field(line: str, m: re.Match[str]) -> Field | None:
    """One field of a run, read exactly; None when its value does not fit its kind."""
    kind = m.lastgroup
    if kind == "tag" or kind == "block":
        start, end = m.span(kind)
        return Field(kind, start, end, line[start + 1 : end] if kind == "tag" else line[start:end])
    if kind == "dv":
        start, close = m.span("dv")
        dv = _DATAVIEW_RE.fullmatch(line, start, close)
        if dv is None:
            return None
        key, raw = (dv["k1"], dv["v1"]) if dv["k1"] is not None else (dv["k2"], dv["v2"])
        return _dataview_field(key, raw, start, m.end())  # the span keeps a trailing `  ,`
    value = m["val"].rstrip(" \t")
    end = m.start("val") + len(value) if value else m.end("sig")
    sig, spelling = BY_TEXT[m["sig"]]
    return _signifier_field(sig, spelling, m.start("sig"), end, value)


def _peel(line: str, begin: int, task_format: TaskFormat) -> tuple[int, list[Field]]:
    """Peel fields off the end of `line[begin:]`; returns where the description ends and the fields.

    One regular expression finds the run of field-like tokens that ends the line; its fields are
    then read from the right, and the first that does not parse ends the fields, as in Obsidian
    Tasks. A trailing `@Owner` may sit among them.
    """
    peeled = _peel_runs(line, begin, _FIELD_RUNS[task_format][0], task_format, _run_exact)
    if peeled is None:  # pragma: no cover - the exact reading is never unsure
        raise AssertionError("unreachable")
    return peeled


def _run_exact(line: str, start: int, end: int, task_format: TaskFormat) -> list[Field]:
    """The fields of the run `line[start:end]`, right to left, up to the first that does not parse."""
    fields: list[Field] = []
    for m in reversed(list(_FIELD_RUNS[task_format][1].finditer(line, start, end))):
        found = _field(line, m)
        if found is None:
            break
        fields.append(found)
    return fields


def _peel_runs(
    line: str,
    begin: int,
    run_re: re.Pattern[str],
    how: _How,
    read_run: Callable[[str, int, int, _How], list[Field] | None],
) -> tuple[int, list[Field]] | None:
    """Peel runs of fields, and one `@Owner` among them, off the end of `line[begin:]`.

    `read_run(line, start, end, how)` gives a run's fields right to left, or None when it cannot
    tell (then so does this). A run is looked for only where the text left holds a character a
    field starts with: the text before a trailing `@Owner` seldom does.
    """
    fields: list[Field] = []
    end = _rstrip_to(line, len(line))
    owner_taken = "@" not in line
    origin = _run_from(line, begin)
    while end > begin:
        part = line[begin:end]
        if not part.isascii() or "#" in part or "^" in part or "[" in part or "(" in part:
            run = run_re.search(line, origin, end)
            if run is not None:
                found = read_run(line, run.start(), end, how)
                if found is None:
                    return None
                if found:
                    fields += found
                    end = _rstrip_to(line, found[-1].start)
        if owner_taken:
            break
        owner = _owner_at_end(line, begin, end)
        if owner is None:
            break
        fields.append(owner)
        owner_taken = True
        end = _rstrip_to(line, owner.start)
    fields.reverse()
    return end, fields


# The fast path: the common run of fields (tags, block ids, emoji dates and priorities, Dataview
# dates and priorities, every spelling of each) read without the per-field checks. Each field
# of the run is matched by a pattern that only admits a well-formed field of its kind, so a field
# it reads is one the exact reading above accepts, token for token: every such field starts with
# a character no loose value can hold (`#`, `^`, `[`, `(`, a non-ASCII signifier) and ends at a
# blank or the end. Anything else in the run (another kind, an odd value, a blank missing) makes
# the fast path give up, and the line is peeled by `_peel` instead.
_DATE_VALUE = VALUE_RE[Kind.DATE].pattern
_DATE_KEYS = "|".join(re.escape(s.dataview) for s in SIGNIFIERS if s.kind is Kind.DATE)
_PRIORITY_KEY = "|".join(dict.fromkeys(re.escape(s.dataview) for s in SIGNIFIERS if s.kind is Kind.PRIORITY))
_PRIORITY_NAMES = "|".join(re.escape(name) for name in sorted(PRIORITY_BY_NAME, key=len, reverse=True))


def _dataview_fast(key: str, value: str) -> str:
    """A Dataview field: `key` (captured when it is a group), `value` captured, in brackets or in
    parentheses (so twice each)."""
    inner = rf"[ \t]*{key}::[ \t]*({value})[ \t]*"
    return rf"(?:\[{inner}\]|\({inner}\))(?:[ \t]*,)?"


def _fast_field_pattern(task_format: TaskFormat) -> re.Pattern[str]:
    """One field of a run and the blanks before it, for `findall`: the blanks, the field, then the
    captures of each kind (Dataview date key and value ×2, Dataview priority ×2, signifier, date)."""
    # A kind the format leaves out keeps its groups, in an alternative that never matches.
    date, priority, emoji = "(?!)()()()()", "(?!)()()", "(?!)()()"
    if TaskFormat.DATAVIEW in task_format:
        date = _dataview_fast(f"({_DATE_KEYS})", _DATE_VALUE)
        priority = _dataview_fast(f"(?:{_PRIORITY_KEY})", _PRIORITY_NAMES)
    if TaskFormat.EMOJI in task_format:
        emoji = rf"(?=[^\x00-\x7f])({SIGNIFIER_TRIE})(?:[ \t]*({_DATE_VALUE}))?"
    field = rf"\#{TAG_CHARS}|\^[A-Za-z0-9-]+|{date}|{priority}|{emoji}"
    # From the first blank of a stretch only (see `_run_pattern`): no field of these ends in a
    # blank, so each match starts at one, and a run the loose reading took but these do not
    # (`[due:: ` and a long run of blanks) is not tried again from each of its blanks.
    return re.compile(rf"([ \t](?<![ \t]{{2}})[ \t]*+)({field})(?=[ \t]|$)")


_FieldsOf = Callable[[str, int, int], list[tuple[str, ...]]]
_FAST_FIELDS: Mapping[TaskFormat, _FieldsOf] = _ByFormat(lambda fmt: _fast_field_pattern(fmt).findall)
_new = tuple.__new__  # a Field built without its Python-level __new__: all six values given
# Signifier as written → (field, spelling, signifier, its value when it is a priority, is a date).
_FAST_EMOJI: Mapping[str, tuple[str, Spelling, Signifier, str | None, bool]] = {
    text: (sig.field, spelling, sig, sig.priority.value if sig.priority else None, sig.kind is Kind.DATE)
    for text, (sig, spelling) in BY_TEXT.items()
}


def _run_fast(line: str, start: int, end: int, fields_of: _FieldsOf) -> list[Field] | None:
    """The fields of the run `line[start:end]`, left to right; None unless each is of a kind the
    fast path reads and they tile the run. `fields_of` is the format's `_FAST_FIELDS`."""
    fields: list[Field] = []
    at = start
    for blanks, token, k1, v1, k2, v2, p1, p2, sig, date in fields_of(line, start, end):
        first = at + len(blanks)
        at = first + len(token)
        lead = token[0]
        if lead == "#":
            fields.append(_new(Field, ("tag", first, at, token[1:], None, None)))
        elif lead == "^":
            fields.append(_new(Field, ("block", first, at, token, None, None)))
        elif sig:
            name, spelling, signifier, priority, is_date = _FAST_EMOJI[sig]
            if date and is_date:
                fields.append(_new(Field, (name, first, at, date, spelling, signifier)))
            elif not date and priority is not None:
                fields.append(_new(Field, (name, first, at, priority, spelling, signifier)))
            else:
                return None
        elif k1 or k2:
            signifier = DATAVIEW_KEYS[k1 or k2]
            fields.append(_new(Field, (signifier.field, first, at, v1 or v2, Spelling.DATAVIEW, signifier)))
        else:
            signifier = PRIORITY_BY_NAME[p1 or p2]
            fields.append(
                _new(Field, ("priority", first, at, signifier.priority, Spelling.DATAVIEW, signifier))
            )
    return fields if at == end else None


def _peel_fast(line: str, begin: int, task_format: TaskFormat) -> tuple[int, list[Field]] | None:
    """`_peel`'s answer when every run of fields is of the common kinds; None when unsure."""
    return _peel_runs(line, begin, _FAST_RUNS[task_format], _FAST_FIELDS[task_format], _run_fast_reversed)


def _run_fast_reversed(line: str, start: int, end: int, fields_of: _FieldsOf) -> list[Field] | None:
    """`_run_fast`'s fields right to left; None when it is unsure or reads none."""
    found = _run_fast(line, start, end, fields_of)
    if not found:
        return None
    found.reverse()
    return found


def _owner_at_end(line: str, begin: int, end: int) -> Field | None:
    """The `@Owner` that ends `line[begin:end]`, if any; names hold no `@`, so an owner starts at
    the last one."""
    at = line.rfind("@", begin, end)
    owner = _OWNER_RE.match(line, at, end) if at >= 0 and (at == begin or line[at - 1] in " \t") else None
    if owner is None or not _is_owner(owner["name"]):
        return None
    return Field("owner", at, end, owner["name"])


def _is_owner(name: str) -> bool:
    """`@Myself`, `@lior.genzel`: one token; `@Lior Genzel`: up to four words, each capitalised."""
    words = name.split()
    return len(words) == 1 or all(w[0].isupper() for w in words)


def _read(
    line: str, begin: int, end: int, fields: list[Field], task_format: TaskFormat
) -> tuple[dict[str, str | None], list[str], set[str]]:
    """Field values by name (the one nearest the end wins, as in Obsidian Tasks), the line's problems
    and the fields that are there but unreadable (unknown: a synced task keeps its value)."""
    values: dict[str, str | None] = {}
    problems = []
    unknown: set[str] = set()
    for f in fields:
        value = f.value
        if f.signifier is not None and f.signifier.kind is Kind.DATE and value is not None:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                label = f.signifier.dataview if f.spelling is Spelling.DATAVIEW else f.signifier.emoji[0]
                problems.append(f"impossible {f.name} date {value!r} ({label}); {_UNKNOWN}")
                value = None
        elif f.name == "recurrence" and value is not None and _parse_rule(value) is None:
            label = "repeat" if f.spelling is Spelling.DATAVIEW else "🔁"
            problems.append(
                f"{label} {value!r} is not a rule Obsidian Tasks can read (every day, every 2 weeks,"
                " every week on Friday, every month on the 15th, … when done); the task does not recur"
            )
            value = None
        elif f.name == "priority" and value is None:
            wrong = line[f.start : f.end].rstrip(" \t,")
            problems.append(f"unknown priority {wrong} (highest, high, medium, low, lowest); {_UNKNOWN}")
        if f.name not in ("tag", "block"):
            values[f.name] = value
            if value is None and f.name != "recurrence":  # an unreadable rule is no rule, not unknown
                unknown.add(f.name)
            else:
                unknown.discard(f.name)
    if TaskFormat.EMOJI in task_format and not line[begin:end].isascii():  # signifiers are non-ASCII
        for m in SIGNIFIER_RE.finditer(line, begin, end):
            sig, _ = BY_TEXT[m.group()]
            problems.append(
                f"{sig.emoji[0]} ({sig.field}) stands before plain text, so it is not read as a field;"
                " fields go at the end of the line"
            )
    return values, problems, unknown


def _parse_rule(text: str) -> object | None:
    """`recurrence.parse_rule`, imported by the first line that has a rule: its module and dateutil
    cost a listing's serial start about 5 ms, and most notes have no rule."""
    from bridge.recurrence import parse_rule

    return parse_rule(text)


def parse_line(line: str, task_format: TaskFormat = TaskFormat.BOTH) -> LineParse | None:
    """Parse one line (without its terminator); None when it is not a checklist item.

    A line seen before is answered from a bounded cache (a LineParse is immutable): a note the
    webhook receiver wrote one line of is parsed again at the cost of that line.
    """
    return _parse_line(line, task_format)


@functools.lru_cache(maxsize=1 << 14)
def _parse_line(line: str, task_format: TaskFormat) -> LineParse | None:
    return _parse(line, task_format, exact=False)


class _NoteLine(NamedTuple):
    """What `parse_note` needs of a task line: `LineParse`'s reading without its fields."""

    status: str
    depth: int
    description: str  # as written
    values: Mapping[str, str | None]
    tags: tuple[str, ...]
    spelling: Spelling | None
    unknown: tuple[str, ...]
    problems: tuple[str, ...]


def _from_parse(parsed: LineParse | None) -> _NoteLine | None:
    if parsed is None:
        return None
    return _NoteLine(
        parsed.status,
        parsed.depth,
        parsed.description,
        parsed.values,
        _tags(parsed),
        parsed.spelling,
        parsed.unknown,
        parsed.problems,
    )


def _note_line_exact(line: str, task_format: TaskFormat) -> _NoteLine | None:
    return _from_parse(parse_line_exact(line, task_format))


def _note_fields(
    line: str, begin: int, run_re: re.Pattern[str], fields_of: _FieldsOf
) -> tuple[int, list[tuple[str, ...]], str | None, list[tuple[str, ...]]] | None:
    """`_peel_fast`, the fields left as `fields_of` found them: where the description ends,
    the run before the `@Owner`, its name and the run after it (with no owner, all is after)."""
    # `_rstrip_to` and `_run_from` written out: a call each costs as much as its work.
    end = len(line.rstrip(" \t"))
    owner_taken = "@" not in line
    head: list[tuple[str, ...]] = []
    tail: list[tuple[str, ...]] = []
    owner = None
    origin = len(line[:begin].rstrip(" \t"))
    while end > begin:
        part = line[begin:end]
        if not part.isascii() or "#" in part or "^" in part or "[" in part or "(" in part:
            run = run_re.search(line, origin, end)
            if run is not None:
                start = run.start()
                found = fields_of(line, start, end)
                if not found or start + sum(len(f[0]) + len(f[1]) for f in found) != end:
                    return None  # a field the fast path does not read, or none
                if owner is None:
                    tail = found
                else:
                    head = found
                end = len(line[: start + len(found[0][0])].rstrip(" \t"))
        if owner_taken:
            break
        at = line.rfind("@", begin, end)  # `_owner_at_end`, without its Field
        if at < 0 or (at != begin and line[at - 1] not in " \t"):
            break
        named = _OWNER_RE.match(line, at, end)
        if named is None:
            break
        if not _is_owner(name := named["name"]):
            break
        owner, owner_taken = name, True
        end = len(line[:at].rstrip(" \t"))
    return end, head, owner, tail


def _read_fast(
    found: list[tuple[str, ...]], values: dict[str, str | None], tags: list[str], spelling: Spelling | None
) -> Spelling | Literal[False] | None:
    """`_run_fast`'s reading of a run's fields, into `values` and `tags`; the spelling of its last
    field that has one (else `spelling`), or False when a field is one the fast path leaves to
    `_parse` (an emoji with a value not of its kind, an impossible date)."""
    for _, token, k1, v1, k2, v2, p1, p2, sig, date in found:
        lead = token[0]
        if lead == "#":
            tags.append(token[1:])
        elif lead == "^":
            pass
        elif sig:
            name, spelling, _, priority, is_date = _FAST_EMOJI[sig]
            if date and is_date:
                if date not in _DATES and not _is_date(date):
                    return False
                values[name] = date
            elif not date and priority is not None:
                values[name] = priority
            else:
                return False
        elif k1 or k2:
            date = v1 or v2
            if date not in _DATES and not _is_date(date):
                return False
            values[DATAVIEW_KEYS[k1 or k2].field] = date
            spelling = Spelling.DATAVIEW
        else:
            values["priority"] = PRIORITY_BY_NAME[p1 or p2].priority
            spelling = Spelling.DATAVIEW
    return spelling


# The common line read from its words (`_note_words`): a field of the run is a word or, for an
# emoji date, two. A word the run may start with (a tag, block id, Dataview field or signifier)
# in the text before the run makes the line go the way of `_note_fields`.
_FIELD_START_RE = re.compile(
    "[ \t][" + re.escape("#^[(" + "".join(sorted({text[0] for text in BY_TEXT}))) + "]"
)
_TAG_WORD_RE = re.compile(rf"\#{TAG_CHARS}")
_DATE_WORD_RE = re.compile(_DATE_VALUE)
_TAGS: set[str] = set()  # tags (with their `#`) seen to be read whole, up to _DATES_KEPT of them
# An `@Owner` as written, up to the end of its line's text before the run → its name, None when it
# is none: a vault names a few people on many lines, and the pattern and `_is_owner` cost more.
_OWNERS: dict[str, str | None] = {}


def _note_words(
    line: str, begin: int
) -> tuple[int, str | None, dict[str, str | None], list[str], Spelling | None] | None:
    """`_note_fields` and `_read_fast` for a line whose text after the checkbox is words parted
    by single spaces, its run of fields tags and emoji fields only, with no field before its
    `@Owner`: where the description ends, the owner, the run's values, its tags right to left
    and its spelling. None when the line is of another shape or a field is not one `_read_fast`
    reads (the caller then reads it as before).

    Equal to them because the run `_note_fields` finds starts at the first of its blanks that
    has only fields after it, and a field starts just after a blank with one of the characters
    `_FIELD_START_RE` knows: with none in the text before the words read as fields, the run is
    those words, which the fast field pattern reads one by one (no signifier holds a space).
    A search, a `findall` of ten groups a field and the check that they tile the run cost four
    times what reading the few words does."""
    end = len(line.rstrip(" \t"))
    text = line[begin:end]
    if "\t" in text or "  " in text:
        return None
    words = text.split(" ")
    fields: list[tuple[str, str | None]] = []  # (name, value), right to left
    tags: list[str] = []
    spelling: Spelling | None = None
    at = end
    i = len(words) - 1
    while i > 0:
        word = words[i]
        if word[0] == "#":
            if word not in _TAGS:
                if _TAG_WORD_RE.fullmatch(word) is None:
                    return None
                if len(_TAGS) < _DATES_KEPT:
                    _TAGS.add(word)
            tags.append(word[1:])
            at -= len(word) + 1
            i -= 1
            continue
        sig = _FAST_EMOJI.get(word)
        if sig is not None:  # a signifier alone: a priority (a word after it is no date)
            if sig[3] is None:
                return None
            fields.append((sig[0], sig[3]))
            if spelling is None:
                spelling = sig[1]
            at -= len(word) + 1
            i -= 1
            continue
        sig = _FAST_EMOJI.get(words[i - 1])
        if sig is None:  # a plain word: the run ends
            break
        if not sig[4]:  # a value of another kind, as `_read_fast` leaves to `_parse`
            return None
        if word not in _DATES and (_DATE_WORD_RE.fullmatch(word) is None or not _is_date(word)):
            return None
        fields.append((sig[0], word))
        if spelling is None:
            spelling = sig[1]
        at -= len(word) + len(words[i - 1]) + 2
        i -= 2
    if i < 0:
        return None
    # The text before the run, most often ASCII with none of the ASCII characters a field starts
    # with, is looked at by string methods first (a sixth of what the search costs).
    left = line[begin:at]
    if (
        not left.isascii() or "#" in left or "^" in left or "[" in left or "(" in left
    ) and _FIELD_START_RE.search(line, begin - 1, at) is not None:
        return None
    owner = None
    owner_at = line.rfind("@", begin, at)  # `_note_fields`'s owner, the text before it holding no field
    if owner_at >= 0 and (owner_at == begin or line[owner_at - 1] == " "):
        written = line[owner_at:at]
        owner = _OWNERS.get(written, "")
        if owner == "":  # not seen: read as `_note_fields` does
            named = _OWNER_RE.match(written)
            owner = named["name"] if named is not None and _is_owner(named["name"]) else None
            if len(_OWNERS) < _DATES_KEPT:
                _OWNERS[written] = owner
        if owner is not None:  # one space before it, the text holding no two and no tab
            at = owner_at - 1 if owner_at > begin else len(line[:owner_at].rstrip(" \t"))
    # In `_read_fast`'s order: the owner, then each field left to right, the last of a name winning.
    values: dict[str, str | None] = {"owner": owner} if owner is not None else {}
    if fields:
        fields.reverse()
        values.update(fields)
    return at, owner, values, tags, spelling


def _note_line(line: str, task_format: TaskFormat) -> _NoteLine | None:
    """`_from_parse(parse_line(line))`, the common line read without a LineParse, its Fields'
    checks and the lists they are gathered in: its fields are those of the fast path (so none
    is unknown) and it has no problem. Any other line is read by `_parse`."""
    return _NOTE_LINE[task_format](line)


def _note_line_with(
    task_format: TaskFormat, run_re: re.Pattern[str], fields_of: _FieldsOf, emoji: bool, line: str
) -> _NoteLine | None:
    """`_note_line` given its format and what it needs of it (see `_NOTE_LINE`)."""
    m = _TASK_RE.match(line) if "[" in line else None  # `_checkbox`, without its call
    if m is None:
        return None
    begin = m.end()
    if "\n" in line:
        return _from_parse(_parse(line, task_format, exact=False))
    words = _note_words(line, begin) if emoji else None
    spelling: Spelling | Literal[False] | None
    if words is not None:
        end, _, values, tags, spelling = words
        description = line[begin:end]
        if not description.isascii() and SIGNIFIER_RE.search(description):
            return _from_parse(_parse(line, task_format, exact=False))
        tags.reverse()  # read right to left
        if "#" in description:
            tags[:0] = [t[0][1:] for t in TAG_RE.finditer(description)]
    else:
        peeled = _note_fields(line, begin, run_re, fields_of)
        if peeled is None:
            return _from_parse(_parse(line, task_format, exact=False))
        end, head, owner, tail = peeled
        description = line[begin:end]
        if emoji and not description.isascii() and SIGNIFIER_RE.search(description):
            return _from_parse(_parse(line, task_format, exact=False))
        values = {}
        tags = [t[0][1:] for t in TAG_RE.finditer(description)] if "#" in description else []
        # Most lines have no fields before their owner: the call those would cost is skipped.
        spelling = _read_fast(head, values, tags, None) if head else None
        if spelling is not False:
            if owner is not None:
                values["owner"] = owner
            spelling = _read_fast(tail, values, tags, spelling)
        if spelling is False:
            return _from_parse(_parse(line, task_format, exact=False))
    lead = m["lead"]  # most lines start at the left edge: no lead to measure
    return _new(
        _NoteLine,
        (
            m["status"],
            len(lead.replace(">", "").expandtabs(4)) if lead else 0,
            description,
            values,
            # two calls saved on a line with one tag or none (most lines)
            tuple(dict.fromkeys(tags)) if len(tags) > 1 else tuple(tags),
            spelling,
            (),
            (),
        ),
    )


# `_note_line` by format, each with its patterns at hand, and the same through a bounded cache.
_NOTE_LINE: Mapping[TaskFormat, Callable[[str], _NoteLine | None]] = _ByFormat(
    lambda fmt: functools.partial(
        _note_line_with, fmt, _FAST_RUNS[fmt], _FAST_FIELDS[fmt], TaskFormat.EMOJI in fmt
    )
)
_NOTE_LINE_CACHED: Mapping[TaskFormat, Callable[[str], _NoteLine | None]] = _ByFormat(
    lambda fmt: functools.lru_cache(maxsize=1 << 14)(_NOTE_LINE[fmt])
)
_DATES: set[str] = set()  # dates seen to be possible, up to _DATES_KEPT of them
_DATES_KEPT = 1 << 14


def _is_date(value: str) -> bool:
    """Whether `value` (four, two and two digits) is a date that exists; remembered when it is."""
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    if len(_DATES) < _DATES_KEPT:
        _DATES.add(value)
    return True


def parse_line_exact(line: str, task_format: TaskFormat = TaskFormat.BOTH) -> LineParse | None:
    """`parse_line` without its fast path or cache: the reference the fast path is tested against."""
    return _parse(line, task_format, exact=True)


def _checkbox(line: str) -> re.Match[str] | None:
    """The list marker and checkbox a checklist item starts with; None for any other line."""
    return _TASK_RE.match(line) if "[" in line else None


def _parse(line: str, task_format: TaskFormat, *, exact: bool) -> LineParse | None:
    m = _checkbox(line)
    if m is None:
        return None
    begin = m.end()
    peeled = None if exact or "\n" in line else _peel_fast(line, begin, task_format)
    end, fields = peeled if peeled is not None else _peel(line, begin, task_format)
    values, problems, unknown = _read(line, begin, end, fields, task_format)
    lead = m["lead"]
    return LineParse(
        status=m["status"],
        status_at=m.start("status"),
        depth=len(lead.replace(">", "").expandtabs(4)),
        description=line[begin:end],
        description_end=end,
        fields=tuple(fields),
        values=values,
        problems=tuple(problems),
        unknown=tuple(sorted(unknown)),
    )


def _tags(parsed: LineParse) -> tuple[str, ...]:
    """Tags in the description and among the fields, in line order, each once."""
    inline = [m[0][1:] for m in TAG_RE.finditer(parsed.description)] if "#" in parsed.description else []
    trailing = [f.value or "" for f in parsed.fields if f.name == "tag"]
    return tuple(dict.fromkeys([*inline, *trailing]))


# Comment opener → its closer. Obsidian renders neither, so Obsidian Tasks never sees a task
# inside one; a line that starts inside a comment is no task and no fence.
_COMMENTS: Mapping[str, str] = {"<!--": "-->", "%%": "%%"}
_COMMENT_MARKS = "|".join(re.escape(m) for m in dict.fromkeys([*_COMMENTS, *_COMMENTS.values()]))
_OPENER_RE = re.compile("|".join(re.escape(m) for m in _COMMENTS))
_CODE_SPAN_RE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
_FENCE_OR_ITEM = r"[ \t>]*(?:`{3,}|~{3,}|(?:[-*+]|\d{1,9}[.)])[ \t]+\[[^\]\r\n]\])"
_CANDIDATE = rf"((?:{_FENCE_OR_ITEM}|[^\n]*?(?:{_COMMENT_MARKS})).*)"
_CANDIDATE_RE = re.compile(f"^{_CANDIDATE}", re.M)  # the line is group 1
# The same for a note with no comment mark anywhere, where a line holding one cannot be: scanning
# every line for the marks is most of the cost of finding the candidates.
_CANDIDATE_NO_COMMENT = rf"({_FENCE_OR_ITEM}.*)"
_MARKS = tuple(dict.fromkeys([*_COMMENTS, *_COMMENTS.values()]))
# `parse_note`'s: the first line, and each line after it from the newline before it. `^` in
# MULTILINE mode makes `re` try a match at every character of a note; a pattern that starts with
# a newline lets it skip from one to the next, which costs a quarter as much. By comment marks.
_FIRST_CANDIDATE = {True: re.compile(_CANDIDATE), False: re.compile(_CANDIDATE_NO_COMMENT)}
_NEXT_CANDIDATE = {True: re.compile(f"\n{_CANDIDATE}"), False: re.compile(f"\n{_CANDIDATE_NO_COMMENT}")}


def _has_comment_mark(text: str) -> bool:
    """`any(mark in text for mark in _MARKS)`, each mark looked for only when its first or last
    character, looked for much faster, is there."""
    return (
        ("%" in text and "%%" in text) or ("<" in text and "<!--" in text) or (">" in text and "-->" in text)
    )


def _candidates(text: str, body: int) -> Iterable[re.Match[str]]:
    """`_CANDIDATE_RE.finditer(text, body)` (the one for a note without comment marks when it has
    none): the matches hold the same lines as group 1."""
    comments = _has_comment_mark(text)
    first = _FIRST_CANDIDATE[comments].match(text, body)
    rest = _NEXT_CANDIDATE[comments].finditer(text, body if first is None else first.end())
    return rest if first is None else itertools.chain((first,), rest)


_FRONT_MATTER_END_RE = re.compile(r"^(?:---|\.\.\.)\r?$", re.M)
# A line of the text between two task lines that has something on it: its lead (indentation and
# blockquote marks), and `item` when it is a list item (a bullet, a number) rather than text.
_GAP_RE = re.compile(r"^(?P<lead>[ \t>]*)(?:(?P<item>[-*+]|\d{1,9}[.)])(?:[ \t]|\r?$)|(?=[^ \t\r\n>]))", re.M)
_LEAD_RE = re.compile(r"[ \t>]*")

_UNCLOSED_FRONT_MATTER_RE = re.compile(r"---\r?\n")


def _front_matter(text: str) -> tuple[str | None, int]:
    """The YAML front matter (None when there is none) and where the body starts."""
    first = text.find("\n")
    if first < 0 or text[:first].rstrip("\r") != "---":
        return None, 0
    end = _FRONT_MATTER_END_RE.search(text, first + 1)
    if end is None:
        return None, 0
    body = text.find("\n", end.end())
    return text[first + 1 : end.start()].rstrip("\r\n"), len(text) if body < 0 else body + 1


def _comment_after(line: str, closer: str | None) -> str | None:
    """The comment still open at the end of `line` (its closer), given the one open at its start.

    Marks in a code span are text, as Obsidian renders them; inside a comment nothing is code.
    """
    at = 0
    plain: str | None = None  # the line with its code spans blanked, built only when needed
    while True:
        if closer is not None:
            end = line.find(closer, at)
            if end < 0:
                return closer
            at, closer = end + len(closer), None
            continue
        if plain is None:
            plain = _CODE_SPAN_RE.sub(lambda m: " " * len(m[0]), line) if "`" in line else line
        opener = _OPENER_RE.search(plain, at)
        if opener is None:
            return None
        at, closer = opener.end(), _COMMENTS[opener[0]]


def parse_note(
    text: str, path: str, dialect: Dialect | None = None, *, line_cache: bool = True
) -> tuple[list[Task], list[Diagnostic]]:
    """Every task of one note, in line order, with keys; `path` is vault-relative (POSIX).

    One multiline regex finds the lines that can matter (checklist items, fences and comment
    marks), so the rest of a note costs no Python work; byte offsets are counted only where text
    is not ASCII. Fences and comments hide each other's marks: whichever opens first wins.

    `line_cache=False` reads each line afresh, not through a cache like `parse_line`'s: a listing that
    parses a whole vault meets most lines once, and keeping the last 16,384 lines' parses alive
    costs it more (bookkeeping, and the garbage collector going over them) than lines met twice save.
    """
    return _parse_note(text, path, dialect, exact=False, line_cache=line_cache)


def parse_note_exact(
    text: str, path: str, dialect: Dialect | None = None
) -> tuple[list[Task], list[Diagnostic]]:
    """`parse_note` without its shortcuts (`parse_line_exact` for every line, no fast paths): the
    reference they are tested against."""
    return _parse_note(text, path, dialect, exact=True, line_cache=False)


def _parse_note(
    text: str, path: str, dialect: Dialect | None, *, exact: bool, line_cache: bool
) -> tuple[list[Task], list[Diagnostic]]:
    dialect = dialect or Dialect()
    statuses, global_filter = dialect.statuses, dialect.global_filter
    bom = 3 if text.startswith("\ufeff") else 0
    if bom:
        text = text[1:]
    front, body = _front_matter(text)
    diagnostics: list[Diagnostic] = []
    if front is None and _UNCLOSED_FRONT_MATTER_RE.match(text):
        # where the note's identity ends is unknown, so its tasks' keys are too: none is read
        problem = "front matter (---) is never closed; the note's tasks are not read until it is"
        return [], [Diagnostic(path, problem, 1, unread=True)]
    note_id, fm_problem = front_matter_identity(front, path, simple=not exact)
    if fm_problem:
        diagnostics.append(Diagnostic(path, fm_problem, 1))
    ascii_only = text.isascii()
    tasks: list[Any] = []  # Tasks when exact, else `_row`s
    nesting = _Nesting(text)
    fence: str | None = None
    fence_line = 0
    comment: str | None = None  # the closer of the comment open at the current line
    comment_line = 0
    number, counted, offset = 1, 0, bom  # line number and byte offset at char `counted`
    candidates = _CANDIDATE_RE.finditer(text, body) if exact else _candidates(text, body)
    task_format = dialect.task_format
    read_line = (
        functools.partial(_note_line_exact, task_format=task_format)
        if exact
        else _NOTE_LINE_CACHED[task_format]
        if line_cache
        else _NOTE_LINE[task_format]
    )
    # The fast reading's Source built by plain assignment; the exact reading keeps `Source`.
    # The fast reading looks the status up in the table's mapping itself: `type_of` is a Python call.
    type_of: Callable[[str, StatusType], StatusType] = (
        (lambda symbol, _: statuses.type_of(symbol)) if exact else statuses.symbols.get
    )
    todo, non_task = StatusType.TODO, StatusType.NON_TASK
    make_source = Source if exact else build_source
    make_task = _task if exact else _row
    for m in candidates:
        at = m.start(1)
        number += text.count("\n", counted, at)
        offset += (at - counted) if ascii_only else len(text[counted:at].encode("utf-8"))
        counted = at
        raw = m[1]
        line = raw[:-1] if raw.endswith("\r") else raw
        if comment is not None:  # the line starts inside a comment: no task, no fence
            closed = comment in line
            comment = _comment_after(line, comment)
            if closed and comment is not None:  # closed, then another opened: name that one
                comment_line = number
            continue
        fm = _FENCE_RE.match(line) if ("`" in line or "~" in line) else None
        if fm:
            mark = fm["fence"]
            if fence is None:
                fence, fence_line = mark, number
                continue
            if mark[0] == fence[0] and len(mark) >= len(fence) and not fm["rest"].strip():
                fence = None
                continue
        if fence is not None:
            continue
        if "%" in line or "<" in line:  # a comment opened here hides the lines after, not this one
            comment = _comment_after(line, None)
            comment_line = number
        if global_filter and global_filter not in line:
            continue
        parsed = read_line(line)
        if parsed is None:
            continue
        status_type = type_of(parsed.status, todo)
        if status_type is non_task:
            continue
        size = len(line) if ascii_only or line.isascii() else len(line.encode("utf-8"))
        if parsed.problems:
            diagnostics.extend(Diagnostic(path, p, number) for p in parsed.problems)
        nesting.add(line, at, m.end(), len(tasks))
        tasks.append(
            make_task(parsed, status_type, note_id, make_source(path, number, offset, offset + size))
        )
        if not exact:  # counted on from the line's end: the next gap's bytes are not its own again
            counted, offset = at + len(line), offset + size
    if fence is not None:
        problem = (
            f"code fence {fence} is never closed; lines after it are not read, and no task of this"
            " note is closed for being missing"
        )
        diagnostics.append(Diagnostic(path, problem, fence_line, unread=True))
    if comment is not None:
        opener = next(o for o, c in _COMMENTS.items() if c == comment)
        problem = (
            f"comment {opener} is never closed; lines after it are not read, and no task of this"
            " note is closed for being missing"
        )
        diagnostics.append(Diagnostic(path, problem, comment_line, unread=True))
    if exact:
        return nesting.parents(_distinguish(tasks)), diagnostics
    return _built(tasks, nesting.found), diagnostics


def _lead(lead: str) -> tuple[int, int]:
    """A line's blockquote level and indentation in columns inside it (a tab is 4): the blank that
    may follow the last `>` belongs to the quote mark, as in Markdown."""
    quotes = lead.count(">")
    if quotes:
        lead = lead[lead.rindex(">") + 1 :]
        if lead[:1] in (" ", "\t"):
            lead = lead[1:]
    return quotes, len(lead.expandtabs(4))


class _Nesting:
    """Which task line each task line is nested under, as Markdown nests list items: a task's
    parent is the nearest task above it in the same list (the same blockquote) with less
    indentation. A list item between them (a plain bullet, a checkbox that is no task) with no more
    indentation than a task ends that task's children; text at the list's left edge (a paragraph,
    a heading) ends the list. Blank lines do not: Markdown keeps a loose list one list.

    Only the text between a task and the task line before it is looked at, and only when the
    task is indented and something above could hold it: a note's lines are each read once at most.
    """

    __slots__ = ("found", "quotes", "stack", "text", "until")

    def __init__(self, text: str) -> None:
        self.text = text
        self.stack: list[tuple[int, int]] = []  # (indentation, task index) of the open ancestors
        self.quotes = 0  # the blockquote level of the stack's list
        self.until = 0  # where the last task line ended
        self.found: dict[int, int] = {}  # task index -> its parent's task index

    def add(self, line: str, start: int, end: int, index: int) -> None:
        if line[:1] in (" ", "\t", ">"):
            lead = _LEAD_RE.match(line)
            quotes, indent = _lead(lead.group() if lead else "")
        else:  # most task lines start at the left edge
            quotes = indent = 0
        stack = self.stack
        if stack and (quotes != self.quotes or indent == 0):
            stack.clear()
        elif stack:
            self._between(start)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if stack:
            self.found[index] = stack[-1][1]
        stack.append((indent, index))
        self.quotes, self.until = quotes, end

    def _between(self, start: int) -> None:
        """Close the ancestors the lines since the last task line end."""
        stack = self.stack
        for m in _GAP_RE.finditer(self.text, self.until, start):
            quotes, indent = _lead(m["lead"])
            if quotes != self.quotes or (indent == 0 and m["item"] is None):
                stack.clear()
            elif m["item"] is not None:
                while stack and stack[-1][0] >= indent:
                    stack.pop()
            if not stack:
                return

    def parents(self, tasks: list[Task]) -> list[Task]:
        """The tasks with `parent` set, once their line keys are final."""
        for index, parent in self.found.items():
            tasks[index] = replace(tasks[index], parent=tasks[parent].line_key)
        return tasks


def _distinguish(tasks: list[Task]) -> list[Task]:
    """Keys that tell apart lines a note repeats: different owners are different action items,
    and a sentence repeated for one owner numbers its lines (`Task.repeat`)."""
    owners: dict[str, set[str | None]] = {}
    for task in tasks:
        if task.id is None:
            owners.setdefault(task.key, set()).add(owner_identity(task.owner))
    shared = {key for key, found in owners.items() if len(found) > 1}
    seen: dict[str, int] = {}
    for i, task in enumerate(tasks):
        if task.key in shared and task.owner:
            owner = owner_identity(task.owner)
            task = replace(task, key=task_key(task.note, task.norm, owner=owner))
        repeat = seen.get(task.key, 0)
        seen[task.key] = repeat + 1
        if repeat or task is not tasks[i]:
            tasks[i] = replace(task, repeat=repeat)
    return tasks


def _task(parsed: _NoteLine, status_type: StatusType, note_id: str, source: Source) -> Task:
    """A task line's task as the exact reading builds it: `Task` itself (see `_built`)."""
    return Task(*_row(parsed, status_type, note_id, source))


_PRIORITY: Mapping[str, Priority] = {p.value: p for p in Priority}  # `Priority(value)`, without its call
# A task's fields as `_row` lists them, in `Task`'s order: the ones told apart once the note is read.
_KEY, _NOTE, _OWNER, _ID, _NORM, _REPEAT, _PARENT = 0, 5, 6, 15, 21, 23, 24


def _row(parsed: _NoteLine, status_type: StatusType, note_id: str, source: Source) -> list[Any]:
    """`_task`'s fields in `Task`'s order, before `_built` sets `repeat` and `parent` and makes it:
    a task built once with its final key costs half of one built, then replaced once or twice."""
    description = repair_mojibake(parsed.description).strip()
    norm = normalise(description)
    get = parsed.values.get
    task_id = get("id")
    priority = get("priority")
    depends = get("depends_on")
    return [
        task_key(note_id, norm, task_id),
        parsed.status,
        status_type,
        description,
        source,
        note_id,
        get("owner"),
        _PRIORITY[priority] if priority else None,
        get("due"),
        get("scheduled"),
        get("start"),
        get("created"),
        get("done"),
        get("cancelled"),
        get("recurrence"),
        task_id,
        tuple(p.strip() for p in depends.split(",")) if depends else (),
        get("on_completion"),
        parsed.tags,
        parsed.spelling,
        parsed.depth,
        norm,
        parsed.unknown,
        0,
        None,
    ]


def _built(rows: list[list[Any]], parents: Mapping[int, int]) -> list[Task]:
    """The note's tasks from their rows: keys told apart and lines numbered as `_distinguish`
    does, then each parent's line key, as `_Nesting.parents` sets it."""
    keys = [row[_KEY] for row in rows]
    if len(set(keys)) < len(keys):  # else no owner to tell apart and no line repeated
        owners: dict[str, set[str | None]] = {}
        for row in rows:
            if row[_ID] is None:
                owners.setdefault(row[_KEY], set()).add(owner_identity(row[_OWNER]))
        shared = {key for key, found in owners.items() if len(found) > 1}
        seen: dict[str, int] = {}
        for row in rows:
            if row[_KEY] in shared and row[_OWNER]:
                row[_KEY] = task_key(row[_NOTE], row[_NORM], owner=owner_identity(row[_OWNER]))
            row[_REPEAT] = repeat = seen.get(row[_KEY], 0)
            seen[row[_KEY]] = repeat + 1
    for index, parent in parents.items():
        above = rows[parent]
        rows[index][_PARENT] = f"{above[_KEY]}~{above[_REPEAT]}" if above[_REPEAT] else above[_KEY]
    return [build_task(*row) for row in rows]
