"""`tasks_json_parts`, filled in field by field, against the encoder's text of `task_json` dicts it
replaced: the same text for any task (every character JSON escapes or not, lone surrogates, None
or a value), every task of the tests' notes, and the same text or error for a value of another
type (taken the encoder's way)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.model import Priority, Source, StatusType, Task
from bridge.output import (
    _GROUP,
    _ITEM,
    _PRIORITY_VALUE,
    _STATUS_VALUE,
    _compact,
    _item,
    json_or_null,
    json_string,
    json_strings,
    task_json,
    tasks_json_parts,
)
from bridge.parse import parse_note
from bridge.signifiers import Dialect, TaskFormat
from tests.bridge.test_parse_fast import ROOT, _md_notes, _notes_in_sources, random_line
from tests.vaults import messy_vault


def old_parts(tasks: list[Task]) -> str:
    """`tasks_json_parts` as it was: the C encoder's text of the `task_json` dicts."""
    text = _compact([task_json(task, None) for task in tasks])[1:-1]
    return text.replace(_GROUP, ', "group": \0, "status_type": ')


def old_item(t: Task) -> str:
    """`_item` as it was, through `json_or_null` and `json_strings`: the oracle of the one that
    writes them out."""
    source = t.source
    line = source.line
    if type(line) is not int:
        raise TypeError(line)
    return _ITEM % (
        json_string(t.key),
        json_string(t.status),
        json_string(t.description),
        json_or_null(t.owner),
        json_or_null(t.due),
        json_or_null(_PRIORITY_VALUE[t.priority]),
        json_strings(t.tags),
        json_string(source.path),
        line,
        json_string(_STATUS_VALUE[t.status_type]),
        json_or_null(t.scheduled),
        json_or_null(t.start),
        json_or_null(t.created),
        json_or_null(t.done),
        json_or_null(t.cancelled),
        json_or_null(t.recurrence),
        json_or_null(t.id),
        json_strings(t.depends_on),
        json_or_null(t.on_completion),
        json_or_null(t.parent),
    )


def _same(tasks: list[Task]) -> None:
    wanted = old_parts(tasks)
    assert ", ".join(map(_item, tasks)) == wanted  # the fast way itself, no fallback
    assert tasks_json_parts(tasks) == wanted


_TRICKY = '"\\/\0\x01\x1f\x7f\x80\u2028\u2029\ud800\udfff\ufeff😀é%{}[],: null'
texts = st.text(st.sampled_from(_TRICKY) | st.characters(blacklist_categories=()), max_size=12)
maybe = st.none() | texts
strings = st.lists(texts, max_size=3).map(tuple)
tasks = st.builds(
    Task,
    key=texts,
    status=texts,
    status_type=st.sampled_from(StatusType),
    description=texts,
    source=st.builds(Source, path=texts, line=st.integers(), start=st.integers(), end=st.integers()),
    note=texts,
    owner=maybe,
    priority=st.none() | st.sampled_from(Priority),
    due=maybe,
    scheduled=maybe,
    start=maybe,
    created=maybe,
    done=maybe,
    cancelled=maybe,
    recurrence=maybe,
    id=maybe,
    depends_on=strings,
    on_completion=maybe,
    tags=strings,
    parent=maybe,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(tasks, max_size=4))
def test_any_tasks_are_the_encoders_text(some: list[Task]) -> None:
    _same(some)
    assert list(map(_item, some)) == list(map(old_item, some))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.from_type(Task), max_size=3))
def test_any_typed_tasks_are_the_encoders_text(some: list[Task]) -> None:
    _same(some)


def _outcome(parts: Any, some: list[Task]) -> tuple[str, object]:
    try:
        return "text", parts(some)
    except Exception as exc:  # the error is what is compared
        return "error", (type(exc), str(exc))


odd = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | texts
    | st.lists(texts | st.integers(), max_size=2)
    | st.tuples(st.integers())
    | st.sampled_from([Priority.HIGH, StatusType.DONE, "DONE", "high", (), {}, 1.0, True])
)
_FIELDS = ("key", "status", "status_type", "description", "owner", "priority", "due", "id", "tags")
_FIELDS += ("depends_on", "parent", "on_completion", "recurrence", "line", "path")


@settings(max_examples=150, deadline=None)
@given(tasks, st.sampled_from(_FIELDS), odd)
def test_a_value_of_another_type_is_written_or_refused_as_the_encoder_did(
    task: Task, name: str, value: object
) -> None:
    if name in ("line", "path"):
        task = replace(task, source=replace(task.source, **{name: value}))
    else:
        task = replace(task, **{name: value})
    some = [task, replace(task, key="next")]
    assert _outcome(tasks_json_parts, some) == _outcome(old_parts, some)
    assert _outcome(_item, task) == _outcome(old_item, task)


def test_every_task_of_the_tests_notes_is_the_encoders_text(tmp_path: Any) -> None:
    notes = _md_notes(ROOT / "tests") + _md_notes(ROOT / "examples")
    notes += [(text, f"source-{i}.md") for i, text in enumerate(_notes_in_sources())]
    paths = messy_vault(tmp_path, 10)
    notes += [(p.read_bytes().decode("utf-8"), p.relative_to(tmp_path).as_posix()) for p in paths]
    rng = random.Random(20261207)  # noqa: S311 - a seeded corpus
    lines = [random_line(rng) for _ in range(500)]
    notes += [("\n".join(lines[i : i + 50]), f"n{i}.md") for i in range(0, len(lines), 50)]
    count = 0
    for text, path in notes:
        some, _diagnostics = parse_note(text, path, Dialect(task_format=TaskFormat.BOTH))
        _same(some)
        assert list(map(_item, some)) == list(map(old_item, some))
        count += len(some)
    assert count > 500
