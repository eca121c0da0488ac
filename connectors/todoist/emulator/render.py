"""The emulator's JSON: answers written by orjson, requests read as JSON reads them.

An answer to a write of 100 creates echoes the 100 tasks; `json.dumps` took about a third of the
emulator's time for such a request, on the path every write of a sync waits for. orjson writes
the same bytes (no spaces, UTF-8, nothing but quotes, backslashes and control characters escaped)
about ten times faster (`bridge.json_text.dumps`). What orjson would not write as `json` does it refuses: an
integer beyond 64 bits, a lone surrogate, a key that is not a string; such an answer is rendered
as before, so it reads, or fails, as it did. A float that is not finite, which `json` refuses and
orjson would write as null, cannot reach a record: requests are read with `loads`, which refuses
NaN and Infinity (they are not JSON). A finite float (no record the emulator makes holds one, but
a caller's value might) keeps its value; its exponent may be spelled otherwise (`1e16`, `1e+16`).
"""

from __future__ import annotations

from typing import Any, NoReturn

from starlette.responses import JSONResponse

from bridge import json_text

__all__ = ["JSONAnswer", "loads"]


class JSONAnswer(JSONResponse):
    """`JSONResponse`, rendered by orjson where it writes what `json` writes."""

    def render(self, content: Any) -> bytes:
        return json_text.dumps(content, allow_nan=False)  # `json`'s way is `JSONResponse.render`


def _not_json(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not JSON")


def loads(text: str | bytes) -> Any:
    """`json.loads`, refusing NaN and Infinity (a `ValueError`, as for any text that is not JSON);
    read by orjson where it reads the same values (`bridge.json_text`)."""
    return json_text.loads(text, parse_constant=_not_json)
