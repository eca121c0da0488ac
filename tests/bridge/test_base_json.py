"""A base's stored JSON is made by one encoder kept for the process: the same text, byte for byte,
that `json.dumps(..., ensure_ascii=False, sort_keys=True)` made of the same dict."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.state import Base


@settings(max_examples=300, deadline=None)
@given(st.from_type(Base))
def test_a_base_encodes_as_json_dumps_did(base: Base) -> None:
    text = base.to_json()
    assert text == json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True)
    assert Base.from_row(base.remote_id, base.ref, text, base.version).to_json() == text
