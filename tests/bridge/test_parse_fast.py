"""The parser's fast paths against the exact parser: the same LineParse and the same tasks, always.

`parse_line` reads the common run of fields with one pattern and falls back to the exact reading
when unsure; `parse_note` skips work that cannot change its answer. `parse_line_exact` and
`parse_note_exact` are the readings without those shortcuts. These tests compare them on a large
seeded corpus of generated lines (both formats, every spelling, broken values, owners, tags,
block ids, text after the fields), on lines hypothesis builds and shrinks, and on every note the
tests hold or generate.
"""

from __future__ import annotations

import ast
import json
import random
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge import parse
from bridge.model import Spelling
from bridge.parse import parse_line, parse_line_exact, parse_note, parse_note_exact
from bridge.signifiers import PRIORITY_BY_NAME, SIGNIFIERS, SPELLINGS, Dialect, TaskFormat, spell
from bridge.text import TAG_RE, normalise, repair_mojibake
from tests.vaults import messy_vault

ROOT = Path(__file__).resolve().parents[2]
FORMATS = (TaskFormat.EMOJI, TaskFormat.DATAVIEW, TaskFormat.BOTH)
LINES = 100_000

# -- the pieces a line is made of ---------------------------------------------------------------

EMOJI = tuple(dict.fromkeys(e for s in SIGNIFIERS for e in s.emoji))
DATAVIEW_KEYS = (*dict.fromkeys(s.dataview for s in SIGNIFIERS), "note", "Due", "")
PRIORITY_NAMES = (*PRIORITY_BY_NAME, "High", "LOWEST", "urgent", "", " high ")
VALUES = (
    "2025-10-26",
    "2024-02-29",
    "2025-02-30",  # impossible
    "2025-13-01",
    "2025-1-5",
    "tomorrow",
    "every week",
    "every 2 weeks on Friday when done",
    "every day!",
    "every-day",
    "abc123",
    "a_b-c",
    "a, b",
    "a ,b,c",
    "a,\tb",
    "delete",
    "keep",
    "",
    " ",
    "2025-10-26 extra",
    "2025-10-26,",
)
WORDS = (
    "Call",
    "Bob",
    "about",
    "the",
    "Q3",
    "roadmap",
    "Tomás",
    "naïve",
    "café",
    "ðŸ“…",  # mojibake inside the text
    "é",
    "#inline",
    "#123",
    "x#y",
    "@me",
    "a@b",
    "[link]",
    "(aside)",
    "[[Wiki link]]",
    "[due::",
    "::",
    ",",
    "-",
    "!",
    "^",
    "^ref",
    "`code`",
    "📅",
    "⏫",
)
OWNERS = (
    "@Myself",
    "@dana.kim",
    "@Lior Genzel",
    "@Ana María Ruiz",
    "@lior genzel",
    "@A B C D E",
    "@",
    "@Tom O'Neill",
)
TAGS = ("#task", "#ops/infra", "#q4", "#123", "#a-b_c", "#tâche", "#x📅", "#", "#task,", "#Task")
BLOCKS = ("^abc-123", "^x", "^", "^a_b")
BLANKS = (" ", " ", " ", "  ", "\t", " \t", "")
LEADS = ("", "", "", "  ", "    ", "\t", "> ", ">> ", " > ")
MARKERS = ("-", "-", "-", "*", "+", "1.", "12)")
STATUSES = (" ", " ", "x", "X", "/", "-", "?", "!", "]")


def _emoji(rng: random.Random) -> str:
    text = rng.choice(EMOJI)
    if rng.random() < 0.2:
        text += "\ufe0f"
    return text


def _field(rng: random.Random, spelling: Spelling | None) -> str:
    """One field-like token; `spelling` None means UTF-8 with some mojibake mixed in."""
    kind = rng.random()
    if kind < 0.35:
        emoji = _emoji(rng)
        sig = next(s for s in SIGNIFIERS if emoji.rstrip("\ufe0f") in s.emoji)
        value = "" if sig.priority is not None and rng.random() < 0.8 else rng.choice(VALUES)
        if sig.priority is None and rng.random() < 0.6:
            value = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 31):02d}"
        text = emoji + (rng.choice(BLANKS) + value if value else "")
        return spell(text, spelling) if spelling is not None else text
    if kind < 0.55:
        key = rng.choice(DATAVIEW_KEYS)
        value = rng.choice(PRIORITY_NAMES) if key == "priority" else rng.choice(VALUES)
        if key != "priority" and rng.random() < 0.5:
            value = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 31):02d}"
        inner = f"{rng.choice(('', ' '))}{key}::{rng.choice(BLANKS)}{value}{rng.choice(BLANKS)}"
        text = f"[{inner}]" if rng.random() < 0.7 else f"({inner})"
        return text + rng.choice(("", "", "", ",", " ,", "  ,"))
    if kind < 0.8:
        return rng.choice(TAGS)
    if kind < 0.88:
        return rng.choice(BLOCKS)
    return rng.choice(OWNERS)


def random_line(rng: random.Random) -> str:
    """A checklist line (or, now and then, something close to one) with a messy run of fields."""
    spelling = rng.choice((None, *SPELLINGS))
    head = f"{rng.choice(LEADS)}{rng.choice(MARKERS)} [{rng.choice(STATUSES)}]"
    words = rng.choices(WORDS, k=rng.randint(0, 6)) if rng.random() < 0.3 else ["Share", "the", "plan"]
    parts = [head, *words]
    for _ in range(rng.randint(0, 7)):
        parts.append(_field(rng, spelling))
    if rng.random() < 0.1:
        parts.append(rng.choice(("after", "text after", "!", "2025-10-26", ",", "]")))
    line = ""
    for part in parts:
        line += (rng.choice(BLANKS) if line else "") + part
    line += rng.choice(("", "", "", " ", "\t", "  "))
    if rng.random() < 0.02:
        line = line.replace(" [", "[", 1)  # not a checklist item
    return line


def same_line(line: str, task_format: TaskFormat) -> bool:
    """Whether the two readings agree; asserted field by field, types included, for a clear failure."""
    fast, exact = parse_line(line, task_format), parse_line_exact(line, task_format)
    assert repr(fast) == repr(exact), line
    assert fast == exact, line
    return fast is not None


# -- lines ------------------------------------------------------------------------------------


def test_fast_path_matches_the_exact_parser_on_a_large_generated_corpus():
    rng = random.Random(20261206)  # noqa: S311 - reproducible test data
    fast_answers = tasks = 0
    peel_fast = parse._peel_fast
    for i in range(LINES):
        line = random_line(rng)
        task_format = FORMATS[i % 3]
        if same_line(line, task_format):
            tasks += 1
            m = parse._TASK_RE.match(line)
            assert m is not None
            fast_answers += peel_fast(line, m.end(), task_format) is not None
    # not a vacuous comparison: most lines are tasks, and the fast path answers a good share
    assert tasks > LINES * 0.6
    assert fast_answers > tasks * 0.3


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    fields=st.lists(
        st.one_of(
            st.sampled_from([*EMOJI, *(spell(e, s) for e in EMOJI for s in SPELLINGS)]),
            st.sampled_from(VALUES),
            st.sampled_from(TAGS + BLOCKS + OWNERS),
            st.builds(
                lambda key, value, paren, comma: (
                    (f"({key}:: {value})" if paren else f"[{key}:: {value}]") + comma
                ),
                st.sampled_from(DATAVIEW_KEYS),
                st.sampled_from(VALUES + PRIORITY_NAMES),
                st.booleans(),
                st.sampled_from(("", ",", " ,")),
            ),
            st.text(alphabet=" \t#@^[]():,-!éð📅⏫\ufe0fab1", max_size=6),
        ),
        max_size=8,
    ),
    blanks=st.lists(st.sampled_from(BLANKS), min_size=9, max_size=9),
    task_format=st.sampled_from(FORMATS),
)
def test_fast_path_matches_the_exact_parser_on_any_run_of_fields(seed, fields, blanks, task_format):
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    line = f"- [ ] {' '.join(rng.choices(WORDS, k=rng.randint(0, 3)))}"
    for i, field in enumerate(fields):
        line += blanks[i] + field
    line += blanks[-1]
    same_line(line, task_format)


@pytest.mark.parametrize(
    "line",
    [
        "- [ ] Call Bob 📅 2025-10-26",
        "- [ ] Call Bob @Lior Genzel 📅 2025-10-26 ⏫ #task",
        "- [ ] Call Bob 📅 2025-10-26 @Lior Genzel",
        "- [ ] Call Bob [due:: 2025-10-26]  , [priority:: high] ^abc",
        "- [ ] Call Bob [note:: x [due:: 2025-10-26]",  # a Dataview field that swallows another
        "- [ ] Call Bob 📅 2025-10-26 abc 📅 2025-10-27",
        "- [ ] Call Bob ⏫📅 2025-10-26",
        "- [ ] Call Bob 📅\ufe0f 2025-10-26 🔁 every week",
        "- [ ] Call Bob ⛔ a,\tb 📅 2025-10-26",
        "- [ ]  📅 2025-10-26",
        "- [ ] 📅 2025-10-26",
        f"- [ ] Call Bob {spell('📅', Spelling.MAC_ROMAN)} 2025-10-26 {spell('⏬', Spelling.CP1252)}",
        "- [ ] Call Bob [priority:: High]",
        "- [ ] Call Bob #task\n📅 2025-10-26",
    ],
)
def test_fast_path_on_edge_lines(line):
    for task_format in FORMATS:
        same_line(line, task_format)


# -- notes ------------------------------------------------------------------------------------


def _notes_in_sources() -> list[str]:
    """Every string constant in the test sources that holds a checklist item: the notes tests parse."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
            if "[" in text and any(parse_line_exact(line.rstrip("\r")) for line in text.split("\n")):
                found.append(text)
    examples = json.loads(
        (ROOT / "tests" / "data" / "obsidian_tasks_examples.json").read_text(encoding="utf-8")
    )
    found += [example["line"] for example in examples]
    return found


def _same_notes(notes: list[tuple[str, str]]) -> None:
    for text, path in notes:
        for task_format in FORMATS:
            dialect = Dialect(task_format=task_format)
            assert parse_note(text, path, dialect) == parse_note_exact(text, path, dialect), path
            assert repr(parse_note(text, path, dialect)) == repr(parse_note_exact(text, path, dialect)), path


def _md_notes(root: Path) -> list[tuple[str, str]]:
    return [
        (p.read_bytes().decode("utf-8"), p.relative_to(root).as_posix()) for p in sorted(root.rglob("*.md"))
    ]


def test_every_note_of_the_tests_reads_the_same():
    notes = _md_notes(ROOT / "tests") + _md_notes(ROOT / "examples")
    notes += [(text, f"source-{i}.md") for i, text in enumerate(_notes_in_sources())]
    assert len(notes) > 100
    _same_notes(notes)


def test_the_shared_examples_read_the_same():
    shared = ROOT.parent / "shared" / "examples"
    if not shared.is_dir():
        pytest.skip("no shared examples next to the repository")
    _same_notes(_md_notes(shared))


@pytest.mark.parametrize("seed", [1, 20261203, 424242])
def test_generated_vaults_read_the_same(tmp_path: Path, seed: int):
    paths = messy_vault(tmp_path, 120, seed=seed)
    _same_notes([(p.read_bytes().decode("utf-8"), p.relative_to(tmp_path).as_posix()) for p in paths])


def test_notes_with_comments_and_fences_read_the_same():
    rng = random.Random(7)  # noqa: S311 - reproducible test data
    pieces: list[Callable[[], str]] = [
        lambda: random_line(rng),
        lambda: "<!-- " + random_line(rng),
        lambda: random_line(rng) + " -->",
        lambda: "%%",
        lambda: "```",
        lambda: "~~~",
        lambda: "text",
        lambda: "",
        lambda: "    - plain bullet",
    ]
    notes = []
    for i in range(300):
        lines = [rng.choice(pieces)() for _ in range(rng.randint(1, 25))]
        notes.append(("\n".join(lines), f"n{i}.md"))
    _same_notes(notes)


# -- normalise ----------------------------------------------------------------------------------


def _normalise_reference(description: str) -> str:
    """`normalise` as it was written first, one regular expression a step."""
    text = unicodedata.normalize("NFKC", repair_mojibake(description)).casefold()
    text = TAG_RE.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"[\s.,;:!?…。]+$", "", text)


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2028\u3000.,;:!?…。#@ﬁＡé\u0301ÉßİΣ"),
            st.sampled_from([*WORDS, *TAGS]),
            st.characters(),
        ),
        max_size=30,
    ).map("".join)
)
def test_normalise_matches_its_reference(text):
    assert normalise(text) == _normalise_reference(text)


def test_normalise_matches_its_reference_on_every_generated_description():
    rng = random.Random(11)  # noqa: S311 - reproducible test data
    for _ in range(20_000):
        parsed = parse_line_exact(random_line(rng))
        if parsed is not None:
            assert normalise(parsed.description) == _normalise_reference(parsed.description)


@pytest.mark.parametrize("seed", [1, 20261203])
def test_notes_read_afresh_read_as_through_the_line_cache(tmp_path: Path, seed: int):
    """`parse_note(..., line_cache=False)`, as listings parse, gives what the cached reading gives."""
    paths = messy_vault(tmp_path, 120, seed=seed)
    notes = [(p.read_bytes().decode("utf-8"), p.relative_to(tmp_path).as_posix()) for p in paths]
    notes += [(text, f"source-{i}.md") for i, text in enumerate(_notes_in_sources())]
    for text, path in notes:
        for task_format in FORMATS:
            dialect = Dialect(task_format=task_format)
            cached = parse_note(text, path, dialect)
            afresh = parse_note(text, path, dialect, line_cache=False)
            assert afresh == cached, path
            assert repr(afresh) == repr(cached), path
            assert afresh == parse_note_exact(text, path, dialect), path
