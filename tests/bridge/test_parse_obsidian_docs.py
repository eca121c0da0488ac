"""Every task line shown in the Obsidian Tasks documentation parses to the fields Obsidian Tasks gives it.

The lines and their expected fields were collected from the plugin's docs (and, for the `()`
Dataview spelling the docs only describe, its demo vault); see `tests/data/obsidian_tasks_examples.json`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bridge.parse import parse_line, parse_note
from bridge.signifiers import Dialect, TaskFormat

DATA = Path(__file__).parents[1] / "data"
EXAMPLES = json.loads((DATA / "obsidian_tasks_examples.json").read_text("utf-8"))
_TAG = re.compile(r"(?<!\S)#[^\s!@#$%^&*(),.?\":{}|<>]+")


def _without_tags(text: str) -> str:
    return " ".join(_TAG.sub(" ", text).split())


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{i}:{e['line'][:50]}" for i, e in enumerate(EXAMPLES)])
def test_docs_example_parses_as_obsidian_tasks_does(example):
    task_format = TaskFormat.DATAVIEW if example["format"] == "dataview" else TaskFormat.EMOJI
    assert parse_line(example["line"]) is not None
    tasks, _ = parse_note(example["line"] + "\n", "docs.md", Dialect(task_format=task_format))
    assert len(tasks) == 1
    task = tasks[0]
    expected = example["expected"]
    got = {
        "status": task.status,
        "priority": task.priority.value if task.priority else None,
        "due": task.due,
        "scheduled": task.scheduled,
        "start": task.start,
        "created": task.created,
        "done": task.done,
        "cancelled": task.cancelled,
        "recurrence": task.recurrence,
        "id": task.id,
        "depends_on": list(task.depends_on),
        "on_completion": task.on_completion.lower() if task.on_completion else None,
        "tags": ["#" + t for t in task.tags],
    }
    want = {k: v for k, v in expected.items() if k != "description"}
    want["tags"] = list(dict.fromkeys(want["tags"]))
    assert got == want
    # Obsidian Tasks keeps tags in the description; ours lists them apart, and reads `@Owner` too.
    description = task.description + (f" @{task.owner}" if task.owner else "")
    assert _without_tags(description) == _without_tags(expected["description"])


def test_docs_examples_cover_every_signifier_and_dataview_field():
    lines = "\n".join(e["line"] for e in EXAMPLES)
    for signifier in "🔺⏫🔼🔽⏬📅⏳🛫➕✅❌🔁🆔⛔🏁":
        assert signifier in lines
    for key in (
        "created",
        "scheduled",
        "start",
        "due",
        "completion",
        "cancelled",
        "priority",
        "repeat",
        "id",
        "dependsOn",
        "onCompletion",
    ):
        assert f"[{key}::" in lines
    assert "(due::" in lines
