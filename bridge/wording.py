"""Counted nouns for people: `1 request`, `2 requests`, never `1 requests`.

One place for the few irregular plurals the reports use, so no message grows its own `(s)`.
"""

from __future__ import annotations

__all__ = ["counted", "plural"]

_IRREGULAR = {"change": "changes", "note line": "note lines", "match": "matches"}


def plural(count: int, noun: str) -> str:
    """`noun` as the count needs it (English: singular for exactly one)."""
    if count == 1:
        return noun
    return _IRREGULAR.get(noun, noun + ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s"))


def counted(count: int, noun: str) -> str:
    """`3 tasks`, `1 task`: the count with its noun, grouped by thousands (`24,551 notes`)."""
    return f"{count:,} {plural(count, noun)}"
