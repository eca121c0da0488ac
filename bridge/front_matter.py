"""Front matter of the common shape read without PyYAML: what every note's identity asks first.

A note's identity needs its front matter read as YAML (`bridge.identity`), and a YAML load costs
about 150 µs a note even with libyaml, most of it fixed: on a large vault that is a sixth of
parsing. Front matter is nearly always a flat mapping of plain words (`title: …`, `date: '…'`)
with a few lists of them (`tags:` then `- …` lines), so such text is read here, line by line; the
rest goes to PyYAML. The subset is narrow on purpose: a line is read here only when its meaning
cannot differ from YAML's, and anything else (a comment, a flow collection, a tab, an escape, a
value folded over lines, a character YAML treats specially) makes `read_simple` answer None.
tests/bridge/test_front_matter.py checks it against PyYAML's loaders on generated front matter.
"""

from __future__ import annotations

import re

__all__ = ["read_simple"]

# A scalar YAML reads as the text it is: a plain one starts with a word character or a path's
# and holds none of YAML's indicators or a `: ` (a colon inside a word, as in `1:1`, is text); a quoted one
# holds no quote, escape, line break or control character.
_PLAIN = r"[\w./(+](?:[\w .,/()+'-]|:(?=[^\s:]))*(?<! )"
_QUOTED_CHARS = r"[^'\"\\\x00-\x1f\x7f-\xa0\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]"
_SCALAR = rf"(?P<plain>{_PLAIN})|'(?P<single>{_QUOTED_CHARS}*)'|\"(?P<double>{_QUOTED_CHARS}*)\""
# A key of at most 128 characters: YAML refuses a plain key over 1,024.
_ENTRY_RE = re.compile(rf"(?P<key>[A-Za-z_][\w-]{{0,127}}):(?P<value>[ ]+(?:{_SCALAR}))?")
_ITEM_RE = re.compile(rf"(?P<indent>[ ]*)-[ ]+(?:{_SCALAR})")


def _value(m: re.Match[str]) -> str:
    plain, single = m["plain"], m["single"]
    return plain if plain is not None else single if single is not None else m["double"]


def read_simple(text: str) -> dict[str, str | list[str]] | None:
    """The mapping PyYAML's BaseLoader reads from `text`, when `text` is of the common shape; else
    None (read it with PyYAML).

    The shape: lines `key: scalar` and `key:` at the left edge, each `key:` followed by its list
    items (`- scalar`, all at one indentation) or by nothing (an empty string); blank lines
    between entries. A key given twice keeps its last value, as PyYAML does.
    """
    found: dict[str, str | list[str]] = {}
    items: list[str] | None = None  # the list of the `key:` just read, while its items come
    listed, indent = "", ""
    for raw in text.split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line:
            items = None
            continue
        entry = _ENTRY_RE.fullmatch(line)
        if entry is not None:
            key = entry["key"]
            if entry["value"] is None:  # `key:` alone: a list, or an empty string
                items, listed = [], key
                found[key] = ""
            else:
                items = None
                found[key] = _value(entry)
            continue
        item = _ITEM_RE.fullmatch(line)
        if item is None or items is None or (items and item["indent"] != indent):
            return None
        indent = item["indent"]
        items.append(_value(item))
        found[listed] = items
    return found or None  # nothing but blank lines: YAML reads no mapping
