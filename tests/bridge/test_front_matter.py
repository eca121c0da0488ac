"""Front matter read without PyYAML (`bridge.front_matter`) against PyYAML's own reading.

Whatever `read_simple` answers must be exactly what PyYAML's BaseLoader builds (libyaml's and the
pure-Python one), and it must answer None for anything PyYAML refuses, so that a note's identity
and its "not valid YAML" diagnostic never depend on which path read it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.front_matter import read_simple
from bridge.identity import front_matter_identity

LOADERS = [yaml.BaseLoader, *([yaml.CBaseLoader] if getattr(yaml, "__with_libyaml__", False) else [])]
SHARED_VAULT = Path(__file__).resolve().parents[3] / "shared" / "examples" / "vault"

# Characters YAML treats specially somewhere, and plain ones, for values and keys alike.
TRICKY = "abcXYZ019_ .,/()+'-:#\"\\\t\r&*!|>%@`[]{}?~=é中\u00a0\u2028\x85\ufeff\x07"
KEYS = [
    "id",
    "title",
    "date",
    "tags",
    "aliases",
    "type",
    "source_ref",
    "a-b",
    "_x",
    "Title",
    "x y",
    "1a",
    "<<",
    "",
]


def yaml_reading(text: str, loader: type) -> object:
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - BaseLoader builds plain strings only
    except yaml.YAMLError:
        return "yaml refuses it"


def _line(rng: random.Random) -> str:
    value = "".join(
        rng.choice(TRICKY) if rng.random() < 0.15 else rng.choice("abcdefgh ")
        for _ in range(rng.randint(0, 10))
    )
    key = rng.choice(KEYS)
    indent = rng.choice(["", "", " ", "  ", "    ", "\t"])
    return rng.choice(
        [
            f"{key}: {value}",
            f"{key}: {value.strip() or 'x'}",
            f"{key}:{value}",
            f"{key}:   {value}",
            f"{key}:",
            f"{key}: '{value}'",
            f'{key}: "{value}"',
            f"{indent}- {value}",
            f"{indent}- {value.strip() or 'y'}",
            f"{indent}-{value}",
            "",
            f"# {value}",
            value,
            f"{indent}{key}: {value}",
        ]
    )


def _common_line(rng: random.Random) -> str:
    """A line of the shapes real front matter has, now and then with a character that matters."""
    value = "".join(rng.choice("abcé中 019:/.,'-()") for _ in range(rng.randint(1, 12)))
    if rng.random() < 0.1:
        value += rng.choice(TRICKY)
    key = rng.choice(KEYS[:10])
    return rng.choice([f"{key}: {value}", f"{key}: '{value}'", f"{key}:", f"- {value}", f"  - {value}", ""])


def _front(rng: random.Random) -> str:
    line = rng.choice([_line, _common_line])
    return rng.choice(["\n", "\r\n"]).join(line(rng) for _ in range(rng.randint(1, 8)))


@given(st.randoms(use_true_random=False))
@settings(max_examples=3000, deadline=None)
def test_whatever_is_read_without_pyyaml_is_what_pyyaml_reads(rng: random.Random) -> None:
    text = _front(rng)
    found = read_simple(text)
    if found is not None:
        for loader in LOADERS:
            assert yaml_reading(text, loader) == found, (text, loader)
    assert front_matter_identity(text, "n.md") == front_matter_identity(text, "n.md", simple=False), text


@given(st.text(alphabet=TRICKY + "\n", max_size=60))
@settings(max_examples=2000, deadline=None)
def test_arbitrary_text(text: str) -> None:
    found = read_simple(text)
    if found is not None:
        for loader in LOADERS:
            assert yaml_reading(text, loader) == found, (text, loader)
    assert front_matter_identity(text, "n.md") == front_matter_identity(text, "n.md", simple=False)


def test_the_generated_front_matter_often_takes_the_short_way() -> None:
    """Not vacuous: a good share of the generated texts is read without PyYAML, lists included."""
    rng = random.Random(7)  # noqa: S311 - test data
    texts = [_front(rng) for _ in range(4000)]
    read = [found for found in map(read_simple, texts) if found is not None]
    assert len(read) > 300
    assert sum(any(isinstance(v, list) and v for v in found.values()) for found in read) > 20


@pytest.mark.parametrize(
    "text",
    [
        "title: Meeting 00001\ndate: 2024-01-02",
        "id: n-1\ntitle: T\ndate: 2025-01-01",
        "type: people\ntitle: 1:1 with Lior Genzel, intro call on roles\ndate: '2025-09-16'\n"
        "person: Lior Genzel\n"
        "participants:\n- Jason Vallery\n- Lior Genzel\nsource: transcript\n"
        "source_ref: /Users/someone/Notes/2025-09-16 - Intro call. Lior outlined three options.md\n"
        "tags:\n- type/people\n- generated",
        'title: Ünïcode 会议\ndate: "2025-10-01"\ntags:\n  - a\n  - b\n\naliases:',
        "title: T\r\ndate: 2025-01-01\r\n",
    ],
)
def test_the_common_shapes_are_read_without_pyyaml(text: str) -> None:
    found = read_simple(text)
    assert found is not None
    for loader in LOADERS:
        assert yaml_reading(text, loader) == found


@pytest.mark.parametrize(
    "text",
    [
        "title: a # comment",  # a comment
        "title: [a, b]",  # a flow collection
        "title: a\n  continued",  # a value folded over lines
        "title: 'it''s'",  # an escaped quote
        'title: "a\\tb"',  # an escape
        "title: a: b",  # a mapping in a value: YAML refuses it
        "title:\ta",  # a tab
        "tags:\n- a\n  - b",  # items at two indentations
        "title: a \ndate: b",  # a trailing blank
        "title: &anchor a",  # an anchor
        "tags:\n\n- a",  # a blank line before the items
        "k" * 1025 + ": v",  # a key longer than YAML takes
        "id: abc\n" + "k" * 200 + ": v",  # a long key: PyYAML decides
    ],
)
def test_anything_else_is_left_to_pyyaml(text: str) -> None:
    assert read_simple(text) is None
    assert front_matter_identity(text, "n.md") == front_matter_identity(text, "n.md", simple=False)


def test_the_example_vault() -> None:
    notes = sorted(SHARED_VAULT.glob("*.md")) if SHARED_VAULT.is_dir() else []
    if not notes:
        pytest.skip("no example vault beside the project")
    for note in notes:
        text = note.read_text(encoding="utf-8")
        front = text.split("---\n")[1]
        assert read_simple(front) is not None
        assert front_matter_identity(front, note.name) == front_matter_identity(
            front, note.name, simple=False
        )
