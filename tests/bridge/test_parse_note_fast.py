"""`parse_note`'s own shortcuts against `parse_note_exact`'s plain reading.

* A task line is read by `_note_line` (the common line without a LineParse) and compared with
  `_note_line_exact`, which reads a `parse_line_exact` LineParse, on the generated lines of
  `test_parse_fast`, and the run of fields it finds with the pattern that starts with a blank
  against the one `_peel` uses.
* A note's tasks are built once (keys told apart, lines numbered, parents set before each task is
  made) and compared with the exact reading, which makes each task and then replaces it. Notes are
  drawn from a few sentences, owners, ids and indentations, so that lines repeat, share a sentence
  with different owners or none, and nest under repeated lines.
"""

from __future__ import annotations

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge import parse
from bridge.parse import parse_note, parse_note_exact
from bridge.signifiers import BY_TEXT, SIGNIFIER_RE, SIGNIFIER_TRIE, Dialect
from tests.bridge.test_parse_fast import FORMATS, random_line

LINES = 100_000


def test_note_lines_read_as_the_exact_reading_on_a_large_generated_corpus():
    rng = random.Random(20261207)  # noqa: S311 - reproducible test data
    read = 0
    for i in range(LINES):
        line = random_line(rng)
        task_format = FORMATS[i % 3]
        fast, exact = parse._note_line(line, task_format), parse._note_line_exact(line, task_format)
        assert repr(fast) == repr(exact), line
        assert fast == exact, line
        read += fast is not None and not fast.problems
    assert read > LINES * 0.3  # not a vacuous comparison


def test_the_run_of_fields_starts_where_the_exact_reading_finds_it():
    rng = random.Random(5)  # noqa: S311 - reproducible test data
    for i in range(20_000):
        line = random_line(rng)
        task_format = FORMATS[i % 3]
        exact, fast = parse._FIELD_RUNS[task_format][0], parse._FAST_RUNS[task_format]
        for begin in range(0, len(line), 7):
            a, b = exact.search(line, begin, len(line)), fast.search(line, begin, len(line))
            assert (a and a.span()) == (b and b.span()), (line, begin)


LINE = st.tuples(
    st.sampled_from(("", "  ", "    ", "\t", "> ", "> \t")),
    st.sampled_from(("- [ ]", "- [x]", "* [/]", "1. [ ]", "- plain bullet", "text", "")),
    st.sampled_from(("Call Bob", "call  bob.", "Ship it", "Ship it #q4", "Plan")),
    st.sampled_from(("", " @Dana Kim", " @dana  kim", " @Lior", " @me")),
    st.sampled_from(("", "", " 🆔 abc", " [id:: abc]", " 🆔 xyz", " 📅 2025-10-26", " 📅 2025-02-30")),
).map(lambda p: f"{p[0]}{p[1]} {p[2]}{p[3]}{p[4]}" if p[1].endswith("]") else f"{p[0]}{p[1]}")


@settings(max_examples=600, deadline=None)
@given(
    st.lists(LINE, max_size=14),
    st.sampled_from(("\n", "\r\n")),
    st.sampled_from(FORMATS),
    st.booleans(),
)
def test_one_pass_build_reads_as_the_exact_reading(lines, newline, task_format, line_cache):
    text = newline.join(lines)
    dialect = Dialect(task_format=task_format)
    fast = parse_note(text, "n.md", dialect, line_cache=line_cache)
    exact = parse_note_exact(text, "n.md", dialect)
    assert fast == exact
    assert repr(fast) == repr(exact)


PIECE = st.sampled_from(
    (
        "- [ ] Call Bob",
        "  * [x] done 📅 2025-10-26",
        "> 1. [/] quoted",
        "```",
        "~~~~ python",
        "text <!-- open",
        "--> closed",
        "%%",
        "a % b < c > d",
        "- plain",
        "",
        "\r",
        "- [ ]",
        "-[ ] no blank",
    )
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(PIECE, max_size=12), st.sampled_from(("\n", "\r\n")), st.integers(0, 30))
def test_candidate_lines_are_those_the_multiline_pattern_finds(pieces, newline, body):
    text = newline.join(pieces)
    body = min(body, len(text))
    if body and text[body - 1] != "\n":  # a note's body starts a line
        body = text.rfind("\n", 0, body) + 1
    assert parse._has_comment_mark(text) == any(mark in text for mark in parse._MARKS)
    found = [(m.span(1), m[1], m.end()) for m in parse._candidates(text, body)]
    multiline = parse._CANDIDATE if parse._has_comment_mark(text) else parse._CANDIDATE_NO_COMMENT
    expected = [(m.span(1), m[1], m.end()) for m in re.compile(f"^{multiline}", re.M).finditer(text, body)]
    assert found == expected


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(
        st.sampled_from(list(BY_TEXT)) | st.sampled_from(("\ufe0f", " ", "x", "ð", "Ÿ", "\u00b8", "📅")),
        max_size=4,
    ).map("".join)
)
def test_the_signifier_trie_matches_as_the_alternation(text):
    trie = re.compile(SIGNIFIER_TRIE)
    for start in range(len(text) + 1):
        a, b = trie.match(text, start), SIGNIFIER_RE.match(text, start)
        assert (a and a.group()) == (b and b.group())


def _plain_run_pattern(task_format: parse.TaskFormat) -> re.Pattern[str]:
    """The run of fields as it was first written, searched from the blank after the checkbox:
    the reference for the run found in linear time."""
    return re.compile(rf"(?:[ \t]+(?:{parse._run_field(task_format)[1]}))+[ \t]*$")


def test_the_run_found_in_linear_time_reads_the_fields_the_plain_pattern_reads():
    rng = random.Random(11)  # noqa: S311 - reproducible test data
    checked = 0
    for i in range(20_000):
        line = random_line(rng)
        if rng.random() < 0.5:  # stretches of blanks of every length, where the run may start
            at = rng.randrange(len(line) + 1)
            line = line[:at] + rng.choice((" ", "\t", " \t")) * rng.randint(1, 40) + line[at:]
        task_format = FORMATS[i % 3]
        box = parse._checkbox(line)
        if box is None or "\n" in line:
            continue
        begin = box.end()
        plain, linear = _plain_run_pattern(task_format), parse._FIELD_RUNS[task_format][0]
        for end in {len(line), parse._rstrip_to(line, len(line)), rng.randint(begin, len(line))}:
            if end <= begin:
                continue
            a = plain.search(line, begin - 1, end)
            b = linear.search(line, parse._run_from(line, begin), end)
            assert (a is None) == (b is None), (line, end)
            if a is not None and b is not None:
                read = parse._run_exact(line, a.start(), end, task_format)
                assert parse._run_exact(line, b.start(), end, task_format) == read, (line, end)
                checked += bool(read)
    assert checked > 2_000  # not a vacuous comparison


def test_a_line_of_many_blanks_reads_as_a_short_one():
    for blanks in (" " * 20_000, "\t" * 5_000 + " " * 5_000):
        line = f"- [ ] Call Bob{blanks}today #q4 📅 2025-10-26"
        short = "- [ ] Call Bob today #q4 📅 2025-10-26"
        (task,), _ = parse_note(line, "a.md")
        (exact,), _ = parse_note_exact(line, "a.md")
        (reference,), _ = parse_note(short, "a.md")
        assert task == exact
        assert (task.tags, task.due) == (reference.tags, reference.due) == (("q4",), "2025-10-26")


def test_a_field_of_many_blanks_reads_as_a_short_one():
    for field in ("[due:: {}]", "(due:: {})", "[due::{}2025-10-26]", "[priority:: high{}]"):
        line = "- [ ] Call Bob " + field.format(" " * 20_000) + " #q4"
        short = "- [ ] Call Bob " + field.format(" ") + " #q4"
        assert parse_note(line, "a.md") == parse_note_exact(line, "a.md")
        (task,), problems = parse_note(line, "a.md")
        (reference,), reference_problems = parse_note(short, "a.md")
        assert (task.due, task.priority, task.tags, task.unknown) == (
            reference.due,
            reference.priority,
            reference.tags,
            reference.unknown,
        )
        assert [d.problem for d in problems] == [d.problem for d in reference_problems]
