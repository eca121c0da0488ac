"""JSON read and written by orjson where it gives what `json` gives, and by `json` everywhere else.

A write's answer echoes the tasks it made (about 90 KB for 100 creates): `json.loads` took about
0.6 ms of it, orjson about a third as long. Where the two could differ, `json` reads the text:
orjson reads an integer beyond 64 bits as a float, so a text holding a run of 19 digits or more
(anywhere, strings included: looked for in one pass, cheaper than telling numbers apart) is left
to `json`; and whatever orjson refuses (NaN and Infinity, a lone surrogate, a byte-order mark, an
encoding other than UTF-8, an exponent beyond a float's, nesting beyond 1,024) is read by `json`,
which reads it, or fails, as it always did.

Written (`dumps`), orjson gives `json`'s compact text (no spaces, UTF-8, only quotes, backslashes
and control characters escaped) about ten times faster. What it refuses (a lone surrogate, an
integer beyond 64 bits, a key that is not a string) and what it would write where `json` refuses
(a dataclass, a date) are written by `json`, which writes them, or fails, as it did. A float that
is not finite is the one value orjson writes otherwise (null): no caller writes one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["dumps", "loads"]

# every digit written as 0, so that one `find` of nineteen 0s finds any run of nineteen digits
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"0" * 9)
_LONG_RUN = b"0" * 19  # 19 digits: the shortest integer that may not fit in 64 bits


def loads(data: bytes | str, *, parse_constant: Callable[[str], Any] | None = None) -> Any:
    """`json.loads(data)`; `parse_constant` as `json.loads` takes it (orjson reads no constant)."""
    raw = data
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: orjson refuses it anyway
            raw = b""
    if raw and raw.translate(_DIGITS_AS_ZERO).find(_LONG_RUN) < 0:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data, parse_constant=parse_constant)


# what orjson writes and `json` refuses: refused by orjson too, so that `json` says so
_ONLY_AS_JSON_WRITES = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def dumps(value: Any, *, allow_nan: bool = True) -> bytes:
    """`json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=allow_nan)` in UTF-8."""
    try:
        return orjson.dumps(value, option=_ONLY_AS_JSON_WRITES)
    except TypeError:  # orjson's JSONEncodeError is one
        text = json.dumps(value, ensure_ascii=False, allow_nan=allow_nan, separators=(",", ":"))
        return text.encode("utf-8")
