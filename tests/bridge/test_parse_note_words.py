"""`parse._note_words`, the common task line read from its words, against the readings it stands for.

Lines are made of words parted by single spaces (now and then two, a tab or a no-break space):
a description, sometimes an `@Owner`, then emoji fields in every spelling with dates possible,
impossible or of another shape, priorities, tags (some not read whole), and now and then a
word a field may start with before the run. Each line is compared three ways: `_note_line`
with the exact reading (`_note_line_exact`) in every format; `_note_words` with `_note_fields`
and `_read_fast`, the reading it replaces, whenever it answers; and enough of them must be
answered for the comparison to mean something.
"""

from __future__ import annotations

import random

from bridge import parse
from bridge.model import Spelling
from bridge.signifiers import BY_TEXT, SIGNIFIERS, SPELLINGS, TaskFormat, spell
from tests.bridge.test_parse_fast import EMOJI, FORMATS, OWNERS, TAGS, VALUES, WORDS

LINES = 6_000
PLAIN = ("Share", "the", "plan", "with", "Bob", "2025-10-26", "María", "über", "x@y", "Q3", "-", "é")
SEPARATORS = (" ",) * 40 + ("  ", "\t", "\u00a0")


def _date(rng: random.Random) -> str:
    return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 31):02d}"  # some impossible


def _field(rng: random.Random, spelling: Spelling | None) -> str:
    kind = rng.random()
    if kind < 0.6:
        emoji = rng.choice(EMOJI) + ("\ufe0f" if rng.random() < 0.15 else "")
        sig = next(s for s in SIGNIFIERS if emoji.rstrip("\ufe0f") in s.emoji)
        if sig.priority is not None:
            value = "" if rng.random() < 0.9 else rng.choice(("2025-10-26", "high"))
        else:
            value = _date(rng) if rng.random() < 0.85 else rng.choice(VALUES)
        text = f"{emoji} {value}" if value else emoji
        if rng.random() < 0.03:
            text = text.replace(" ", "")
        return spell(text, spelling) if spelling is not None else text
    if kind < 0.95:
        return rng.choice(TAGS)
    return rng.choice(("^abc", "[due:: 2025-10-26]", "(priority:: high)", "@Dana"))


def word_line(rng: random.Random) -> str:
    """A checklist line of the common shape, or close to it."""
    spelling = rng.choice((None, *SPELLINGS))
    words = rng.choices(PLAIN, k=rng.randint(0, 5))
    if rng.random() < 0.1:
        words.insert(rng.randint(0, len(words)), rng.choice(WORDS))
    if rng.random() < 0.7:
        words.append(rng.choice(OWNERS))
    words += [_field(rng, spelling) for _ in range(rng.randint(0, 6))]
    if rng.random() < 0.05:
        words.append(rng.choice(PLAIN))
    line = rng.choice(("- [ ]", "- [x]", "  * [/]", "> 1. [ ]", "- [@]"))
    for word in words:
        line += rng.choice(SEPARATORS) + word
    return line + rng.choice(("",) * 8 + (" ", "\t"))


def _read_as_before(line: str, begin: int) -> tuple[object, ...] | None:
    """What `_note_fields` and `_read_fast` make of the line, as `_note_words` answers it."""
    task_format = TaskFormat.BOTH
    found = parse._note_fields(line, begin, parse._FAST_RUNS[task_format], parse._FAST_FIELDS[task_format])
    if found is None:
        return None
    end, head, owner, tail = found
    values: dict[str, str | None] = {}
    tags: list[str] = []
    spelling = parse._read_fast(head, values, tags, None) if head else None
    if spelling is False:
        return None
    if owner is not None:
        values["owner"] = owner
    spelling = parse._read_fast(tail, values, tags, spelling)
    if spelling is False:
        return None
    return end, bool(head), owner, list(values.items()), tags, spelling


def test_the_words_read_as_the_readings_they_stand_for():
    rng = random.Random(20261207)  # noqa: S311 - reproducible test data
    answered = 0
    for _ in range(LINES):
        line = word_line(rng)
        for task_format in FORMATS:
            fast, exact = parse._note_line(line, task_format), parse._note_line_exact(line, task_format)
            assert repr(fast) == repr(exact), (line, task_format)
        m = parse._TASK_RE.match(line)
        if m is None:
            continue
        words = parse._note_words(line, m.end())
        if words is None:
            continue
        answered += 1
        end, owner, values, tags, spelling = words
        before = _read_as_before(line, m.end())
        assert before is not None, line
        assert before == (end, False, owner, list(values.items()), tags[::-1], spelling), line
    assert answered > LINES * 0.25, answered  # not a vacuous comparison


def test_no_signifier_holds_a_space():
    """`_note_words` reads a signifier as one word."""
    assert not any(" " in text or "\t" in text for text in BY_TEXT)
