"""A plan's idempotency tokens are the standard library's uuid5 text, made from the digest directly.

A token a dead run sent must come out the same when the step is planned again, by any version.
"""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from bridge import plan
from bridge.plan import PlanOptions
from tests.bridge.test_plan import OPTIONS

_PART = st.one_of(st.text(), st.integers(), st.sampled_from(["create", "update", "advance"]))


@given(st.text(min_size=1), st.lists(_PART, max_size=5))
def test_tokens_are_the_standard_uuid5(connector: str, parts: list[object]) -> None:
    options = PlanOptions(connector=connector, vault_name="v", today=OPTIONS.today)
    expected = str(uuid.uuid5(plan._NAMESPACE, ":".join([connector, *map(str, parts)])))
    assert plan._token(options, *parts) == expected
