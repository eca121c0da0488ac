"""`parse_note`'s one-pass build of a note's tasks (keys told apart, lines numbered, parents set
before each task is made) against `parse_note_exact`'s, which makes each task and then replaces it.

Notes are drawn from a few sentences, owners, ids and indentations, so that lines repeat, share a
sentence with different owners or none, and nest under repeated lines.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.parse import parse_note, parse_note_exact
from bridge.signifiers import Dialect

LINE = st.tuples(
    st.sampled_from(("", "  ", "    ", "\t", "> ", "> \t")),
    st.sampled_from(("- [ ]", "- [x]", "* [/]", "1. [ ]", "- plain bullet", "text", "")),
    st.sampled_from(("Call Bob", "call  bob.", "Ship it", "Ship it #q4", "Plan")),
    st.sampled_from(("", " @Dana Kim", " @dana  kim", " @Lior", " @me")),
    st.sampled_from(("", "", " 🆔 abc", " [id:: abc]", " 🆔 xyz", " 📅 2025-10-26")),
).map(lambda p: f"{p[0]}{p[1]} {p[2]}{p[3]}{p[4]}" if p[1].endswith("]") else f"{p[0]}{p[1]}")


@settings(max_examples=600, deadline=None)
@given(st.lists(LINE, max_size=14), st.sampled_from(("\n", "\r\n")))
def test_one_pass_build_reads_as_the_exact_reading(lines, newline):
    text = newline.join(lines)
    fast, exact = parse_note(text, "n.md", Dialect()), parse_note_exact(text, "n.md", Dialect())
    assert fast == exact
    assert repr(fast) == repr(exact)
