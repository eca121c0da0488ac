"""The cursor's labels map as JSON text: `json.dumps(labels, sort_keys=True)`, made faster.

After a first sync the map holds a list for every task (100,000 of them), mostly a few recurring
lists of label names; the standard encoder walks each list again, where each distinct list of
names is encoded once here and its text reused. Anything but text keys falls back to `json.dumps`.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii  # the C function `json.dumps` uses for text
from typing import Any

__all__ = ["labels_json"]


def labels_json(labels: dict[str, Any]) -> str:
    """The same text as `json.dumps(labels, sort_keys=True)`."""
    if not all(type(key) is str for key in labels):
        return json.dumps(labels, sort_keys=True)
    texts: dict[tuple[Any, ...], str] = {}  # each distinct list of names, encoded once
    parts: list[str] = []
    for key in sorted(labels):
        value = labels[key]
        text = None
        if type(value) is list:
            shape = tuple(value)
            try:
                # only lists of text are kept, and a list equal to one of them is one of text
                text = texts.get(shape)
            except TypeError:  # an unhashable item (a nested list or object)
                shape = ()
            if text is None:
                text = json.dumps(value, sort_keys=True)
                if shape and all(type(item) is str for item in value):
                    texts[shape] = text
        else:
            text = json.dumps(value, sort_keys=True)
        parts.append(f"{encode_basestring_ascii(key)}: {text}")
    return "{" + ", ".join(parts) + "}"
