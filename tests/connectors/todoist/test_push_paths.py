"""The push's faster readings and writings against the ones they replaced, on generated input:
telling an echo apart (`echoes`), checking an answer's shape (`_sync_problem`), naming the real
ids of earlier temp ids (`_resolve`, in place) and the cursor's labels as JSON (`labels_json`)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.connector import RemoteStatus, RemoteTask
from bridge.transport import json_kind
from connectors.todoist import mapping
from connectors.todoist.client import _entry_problem, _plainly_fine, _sync_problem
from connectors.todoist.connector import _ID_ARGS, _resolve
from connectors.todoist.echoes import Sent, echoes
from connectors.todoist.labels_json import labels_json

# -- the code replaced, as it was -------------------------------------------------------------


def _old_recurring(item: Mapping[str, Any]) -> bool:
    due = item.get("due")
    return isinstance(due, dict) and bool(due.get("is_recurring"))


def _old_echoes(answer: Mapping[str, Any], sent: Sent, project: str | None) -> dict[str, RemoteTask] | None:
    if answer.get("full_sync") is not False or not isinstance(answer.get("sync_token"), str):
        return None
    if answer.get("collaborators") or answer.get("collaborator_states"):
        return None
    for seen in answer.get("projects", []):
        if sent.project is None or str(seen.get("id")) != sent.project:
            return None
        if seen.get("is_deleted") or seen.get("is_archived") or seen.get("is_shared"):
            return None
    found: dict[str, RemoteTask] = {}
    for item in answer.get("items", []):
        task = mapping.remote_task(item)
        if (
            sent.tasks.get(task.remote_id) is None
            or task.status is not sent.tasks[task.remote_id]
            or str(item.get("project_id")) != project
            or (_old_recurring(item) and not (task.remote_id in sent.created and not task.completions))
        ):
            return None
        found[task.remote_id] = RemoteTask(
            task.remote_id, task.status, task.updated, labels=task.labels, completions=task.completions
        )
    return found


def _old_sync_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return f"{json_kind(data)}, not a JSON object"
    for key in ("items", "projects", "collaborators"):
        entries = data.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            return f"{key} is {json_kind(entries)}, not an array"
        for index, entry in enumerate(entries):
            problem = _entry_problem(f"{key}[{index}]", entry, item=key == "items")
            if problem is not None:
                return problem
    for key in ("user", "sync_status", "temp_id_mapping"):
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            return f"{key} is {json_kind(value)}, not an object"
    token = data.get("sync_token")
    if token is not None and not isinstance(token, str):
        return f"sync_token is {json_kind(token)}, not a string"
    return None


def _old_resolved(command: dict[str, Any], ids: Mapping[str, str]) -> dict[str, Any]:
    args = command.get("args", {})
    swapped = {k: ids[v] for k, v in args.items() if k in _ID_ARGS and isinstance(v, str) and v in ids}
    return {**command, "args": {**args, **swapped}} if swapped else command


# -- generated input ----------------------------------------------------------------------------

_IDS = st.sampled_from(["t1", "t2", "t3", "7", "p1"])
_STAMPS = st.sampled_from(["2026-01-02T10:00:00Z", "2026-01-03T11:00:00.000000Z", ""]) | st.none()
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
_ANY = _JSON | _IDS | _STAMPS
_FLAGS = st.booleans() | st.integers(0, 1)


@st.composite
def _items(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {"id": draw(_IDS | st.integers(1, 9))}
    optional = {
        "project_id": _IDS | st.integers(1, 3) | st.none(),
        "checked": st.booleans() | st.none() | st.integers(0, 1),
        "is_deleted": st.booleans() | st.none(),
        "completed_at": _STAMPS,
        "updated_at": _STAMPS,
        "added_at": _STAMPS | st.integers(0, 2),
        "completed_count": st.integers(0, 3) | st.booleans() | st.none() | st.floats(0, 2),
        "labels": st.lists(st.text(max_size=4) | st.integers(0, 3), max_size=3) | st.none(),
        "due": st.none() | st.fixed_dictionaries({}, optional={"is_recurring": _FLAGS, "date": _STAMPS}),
        "description": st.text(max_size=30) | st.just("task-bridge key: 0123456789abcdef") | st.none(),
        "content": st.text(max_size=5),
    }
    for key, values in optional.items():
        if draw(st.booleans()):
            item[key] = draw(values)
    return item


@st.composite
def _sents(draw: st.DrawFn) -> Sent:
    statuses = st.sampled_from([RemoteStatus.OPEN, RemoteStatus.DONE, RemoteStatus.DELETED, None])
    tasks = draw(st.dictionaries(_IDS, statuses, max_size=5))
    created = draw(st.sets(_IDS, max_size=3))
    return Sent(tasks, draw(_IDS | st.none()), created)


@st.composite
def _answers(draw: st.DrawFn) -> dict[str, Any]:
    answer: dict[str, Any] = {"items": draw(st.lists(_items(), max_size=5))}
    optional = {
        "full_sync": st.booleans() | st.none(),
        "sync_token": st.text(max_size=3) | st.integers(0, 2),
        "collaborators": st.lists(_JSON, max_size=2),
        "collaborator_states": st.lists(_JSON, max_size=2),
        "projects": st.lists(
            st.fixed_dictionaries(
                {"id": _IDS},
                optional={"is_deleted": _FLAGS, "is_archived": _FLAGS, "is_shared": _FLAGS},
            ),
            max_size=2,
        ),
    }
    for key, values in optional.items():
        if draw(st.booleans()):
            answer[key] = draw(values)
    return answer


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_answers(), _sents(), _IDS | st.none())
def test_an_echo_is_told_as_before(answer, sent, project):
    assert echoes(answer, sent, project) == _old_echoes(answer, sent, project)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_items(), max_size=6), _sents())
def test_an_answer_of_echoes_only_is_read_as_before(items, sent):
    """Answers that are echoes (most generated ones are news): each item made to match."""
    for item in items:
        item["project_id"] = "p1"
        task = mapping.remote_task(item)
        sent.tasks[task.remote_id] = task.status
        sent.created.add(task.remote_id)
    answer = {"full_sync": False, "sync_token": "t", "items": items}
    assert echoes(answer, sent, "p1") == _old_echoes(answer, sent, "p1")


def _entries() -> st.SearchStrategy[Any]:
    return st.lists(_items() | _JSON, max_size=4) | _JSON


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "items": _entries(),
            "projects": _entries(),
            "collaborators": _entries(),
            "user": _ANY,
            "sync_status": _ANY,
            "temp_id_mapping": _ANY,
            "sync_token": _ANY,
        },
    )
    | _JSON
)
def test_an_answer_is_checked_as_before(data):
    assert _sync_problem(data) == _old_sync_problem(data)


def _odd_entries() -> st.SearchStrategy[dict[str, Any]]:
    """Entries whose id and checked values may be of any JSON type (or a bool for an int)."""
    keys = ["id", "content", "description", "labels", "updated_at", "completed_at"]
    return st.dictionaries(st.sampled_from(keys), _IDS | st.booleans() | _JSON, max_size=6)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_items() | _odd_entries() | _JSON, max_size=6), st.booleans())
def test_entries_passed_by_the_quick_check_are_ones_the_full_check_passes(entries, item):
    """`_plainly_fine` may only skip `_entry_problem`, never let past what it would refuse (a
    rule added to the full check and not to the quick one fails here)."""
    if _plainly_fine(entries, item=item):
        assert all(_entry_problem(f"x[{i}]", e, item=item) is None for i, e in enumerate(entries))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {"type": st.just("item_add"), "uuid": st.text(max_size=3)},
        optional={
            "args": st.dictionaries(
                st.sampled_from([*_ID_ARGS, "content", "labels", "due"]), _IDS | _JSON, max_size=6
            )
        },
    ),
    st.dictionaries(_IDS | st.text(max_size=2), _IDS, max_size=4),
)
def test_a_command_names_the_real_ids_as_before(command, ids):
    old = _old_resolved(copy.deepcopy(command), ids)
    new = copy.deepcopy(command)
    _resolve(new, ids)
    assert new == old
    assert list(new.get("args", {})) == list(old.get("args", {}))  # the same keys in the same order
    assert json.dumps(new) == json.dumps(old)


_NAMES = st.sampled_from(["task", "work", "in-progress", "é✅", 'a"b', "\x00"]) | st.text(max_size=4)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.text(max_size=8) | st.sampled_from(["6X7", "6X8", "10", "9"]),
        st.lists(_NAMES, max_size=3) | _JSON,
        max_size=12,
    )
)
def test_the_labels_text_is_the_standard_encoders(labels):
    assert labels_json(labels) == json.dumps(labels, sort_keys=True)


def test_the_labels_text_of_keys_not_text_is_the_standard_encoders():
    assert labels_json({"a": ["x"]}) == json.dumps({"a": ["x"]}, sort_keys=True)
    assert labels_json({1: ["x"], 2: []}) == json.dumps({1: ["x"], 2: []}, sort_keys=True)  # type: ignore[dict-item]
