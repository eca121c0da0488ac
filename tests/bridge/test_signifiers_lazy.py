"""The parser's tables in `bridge.signifiers` are made when first asked for, and are the tables
the signifier table always gave: a run that parses nothing (a settled sync, a listing from the
parse cache) does not compile them."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import bridge.signifiers as signifiers
from bridge.model import Spelling
from bridge.signifiers import BY_TEXT, SIGNIFIER_RE, SIGNIFIER_TRIE, SIGNIFIERS, VALUE_RE, Kind, spell


def test_importing_the_table_makes_none_of_the_parser_s_tables() -> None:
    code = (
        "import bridge.signifiers as s, bridge.output, bridge.vault\n"
        "print(sorted(n for n in ('BY_TEXT', 'SIGNIFIER_RE', 'SIGNIFIER_TRIE', 'VALUE_RE') if n in vars(s)),"
        " 'bridge.tables' in __import__('sys').modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]", "False"]


def test_the_tables_are_those_the_signifiers_give() -> None:
    expected = {}
    for sig in SIGNIFIERS:
        for emoji in sig.emoji:
            for variant in (emoji, emoji + "\ufe0f"):
                for spelling in (Spelling.UTF8, Spelling.MAC_ROMAN, Spelling.CP1252):
                    expected[spell(variant, spelling)] = (sig, spelling)
    assert expected == BY_TEXT
    assert list(BY_TEXT) == list(expected)  # in the same order
    words = sorted(expected, key=len, reverse=True)
    assert SIGNIFIER_RE.pattern == "|".join(re.escape(t) for t in words)
    for text in [*expected, "📅x", "🔁 every day", "no signifier", "⏫⏫", ""]:
        plain = SIGNIFIER_RE.match(text)
        trie = re.match(SIGNIFIER_TRIE, text)
        assert (plain and plain.group()) == (trie and trie.group())
    assert VALUE_RE[Kind.DATE].fullmatch("2025-01-31")
    assert set(VALUE_RE) == set(Kind)


def test_a_table_is_made_once_and_other_names_are_still_missing() -> None:
    assert signifiers.BY_TEXT is BY_TEXT
    assert vars(signifiers)["SIGNIFIER_RE"] is SIGNIFIER_RE
    with pytest.raises(AttributeError, match="no attribute 'NOT_A_TABLE'"):
        _ = signifiers.NOT_A_TABLE
