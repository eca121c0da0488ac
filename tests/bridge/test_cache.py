"""The parse cache's task encoding against `dataclasses.asdict`, the encoding it replaced.

The cache stores each task as JSON text; the field-by-field encoder must give the same dict, in
the same key order, so the same text: entries written before and after read alike. A note's
record (`cache_record`), written field by field, must be the text `json.dumps` gives of those
dicts; and a task a worker process pickles must come back equal.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import random
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.cache import (
    _SOURCE_TEXT,
    _TASK_TEXT,
    cache_record,
    diagnostic_to_json,
    task_from_json,
    task_to_json,
)
from bridge.model import Diagnostic, Task
from bridge.output import json_or_null, json_string, json_strings
from bridge.parse import parse_note
from bridge.signifiers import Dialect, TaskFormat
from tests.bridge.test_parse_fast import ROOT, _md_notes, _notes_in_sources, random_line
from tests.vaults import messy_vault


def _reference(task: Task) -> dict[str, Any]:
    data = asdict(task)
    data["depends_on"] = list(task.depends_on)
    data["tags"] = list(task.tags)
    data["unknown"] = list(task.unknown)
    return data


def _same(tasks: list[Task], diagnostics: list[Diagnostic]) -> None:
    for task in tasks:
        data = task_to_json(task)
        assert data == _reference(task)
        assert json.dumps(data, ensure_ascii=False) == json.dumps(_reference(task), ensure_ascii=False)
        assert task_from_json(json.loads(json.dumps(data))) == task
    for diagnostic in diagnostics:
        assert json.dumps(diagnostic_to_json(diagnostic)) == json.dumps(asdict(diagnostic))
    _same_record(tasks, diagnostics)
    _same_pickled(tasks, diagnostics)


def _same_record(tasks: list[Task], diagnostics: list[Diagnostic]) -> None:
    """`cache_record` against what it was: `json.dumps` of the dicts `asdict` gives."""
    text = "".join(t.description for t in tasks) + "\n"
    encoded = {"tasks": [_reference(t) for t in tasks], "diagnostics": [asdict(d) for d in diagnostics]}
    wanted = json.dumps(encoded, ensure_ascii=False), hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert cache_record(text, tasks, diagnostics) == wanted


def _same_pickled(tasks: list[Task], diagnostics: list[Diagnostic]) -> None:
    """A worker's results as the sync's process takes them back: equal, every field of the same type."""
    for protocol in (pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL, 2):
        data = pickle.dumps((tasks, diagnostics), protocol)
        back_tasks, back_diagnostics = pickle.loads(data)  # noqa: S301 - what this process pickled
        assert back_tasks == tasks
        assert back_diagnostics == diagnostics
        for back, task in zip(back_tasks, tasks, strict=True):
            assert [type(v) for v in astuple_shallow(back)] == [type(v) for v in astuple_shallow(task)]
            assert type(back.source) is type(task.source)


def astuple_shallow(task: Task) -> list[object]:
    return [getattr(task, f.name) for f in fields(task)]


def _parsed(notes: list[tuple[str, str]]) -> int:
    count = 0
    for text, path in notes:
        for task_format in (TaskFormat.EMOJI, TaskFormat.DATAVIEW, TaskFormat.BOTH):
            tasks, diagnostics = parse_note(text, path, Dialect(task_format=task_format))
            _same(tasks, diagnostics)
            count += len(tasks)
    return count


def test_every_note_of_the_tests_encodes_as_asdict_did(tmp_path: Path) -> None:
    notes = _md_notes(ROOT / "tests") + _md_notes(ROOT / "examples")
    notes += [(text, f"source-{i}.md") for i, text in enumerate(_notes_in_sources())]
    paths = messy_vault(tmp_path, 120)
    notes += [(p.read_bytes().decode("utf-8"), p.relative_to(tmp_path).as_posix()) for p in paths]
    assert _parsed(notes) > 1000


def test_generated_lines_encode_as_asdict_did() -> None:
    rng = random.Random(20261206)  # noqa: S311 - a seeded corpus
    lines = [random_line(rng) for _ in range(5000)]
    notes = ["\n".join(lines[i : i + 50]) for i in range(0, len(lines), 50)]
    assert _parsed([(note, f"n{i}.md") for i, note in enumerate(notes)]) > 1000


@settings(max_examples=300, deadline=None)
@given(st.from_type(Task), st.from_type(Diagnostic))
def test_any_task_encodes_as_asdict_did(task: Task, diagnostic: Diagnostic) -> None:
    _same([task], [diagnostic])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.from_type(Task), max_size=4), st.lists(st.from_type(Diagnostic), max_size=3))
def test_any_note_record_is_the_json_it_was(tasks: list[Task], diagnostics: list[Diagnostic]) -> None:
    _same_record(tasks, diagnostics)
    _same_pickled(tasks, diagnostics)


def _former_task_text(t: Task) -> str:
    """`_task_text` as it was, each field that may be None through `json_or_null` and each tuple
    through `json_strings` (the reference)."""
    string, maybe, strings = json_string, json_or_null, json_strings
    s = t.source
    return _TASK_TEXT % (
        string(t.key),
        string(t.status),
        string(t.status_type),
        string(t.description),
        _SOURCE_TEXT % (string(s.path), s.line, s.start, s.end),
        string(t.note),
        maybe(t.owner),
        maybe(t.priority),
        maybe(t.due),
        maybe(t.scheduled),
        maybe(t.start),
        maybe(t.created),
        maybe(t.done),
        maybe(t.cancelled),
        maybe(t.recurrence),
        maybe(t.id),
        strings(t.depends_on),
        maybe(t.on_completion),
        strings(t.tags),
        maybe(t.spelling),
        t.depth,
        string(t.norm),
        strings(t.unknown),
        t.repeat,
        maybe(t.parent),
    )


@settings(max_examples=300, deadline=None)
@given(st.from_type(Task))
def test_a_task_s_text_is_the_former_text(task: Task) -> None:
    from bridge.cache import _task_text

    assert _task_text(task) == _former_task_text(task)


def test_generated_lines_text_as_before() -> None:
    from bridge.cache import _task_text

    rng = random.Random(20261207)  # noqa: S311 - a seeded corpus
    text = "\n".join(random_line(rng) for _ in range(3000))
    for task_format in (TaskFormat.EMOJI, TaskFormat.DATAVIEW, TaskFormat.BOTH):
        tasks, _ = parse_note(text, "n.md", Dialect(task_format=task_format))
        assert len(tasks) > 1000
        assert [_task_text(t) for t in tasks] == [_former_task_text(t) for t in tasks]
