"""Task keys: stable through every edit that keeps the meaning, new when the sentence changes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bridge.identity import front_matter_identity, task_key
from bridge.parse import parse_note
from bridge.vault import scan
from tests.conftest import EXAMPLE_VAULT

FRONT = "---\ntitle: Weekly sync\ndate: 2025-10-01\n---\n"
BASE = "- [?] Share role descriptions with Jason @Lior Genzel 📅 2025-10-26 ⏫ #task #proposed #auto"


def mac(text: str) -> str:
    return text.encode("utf-8").decode("mac_roman")


def win(text: str) -> str:
    return "".join(
        chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252")
        for b in text.encode("utf-8")
    )


def key_of(line: str, front: str = FRONT, newline: str = "\n") -> str:
    tasks, _ = parse_note(front.replace("\n", newline) + line + newline, "Meetings/2025-10-01 sync.md")
    assert len(tasks) == 1
    return tasks[0].key


SAME = {
    "due date": BASE.replace("2025-10-26", "2025-11-30"),
    "no due date": BASE.replace(" 📅 2025-10-26", ""),
    "priority": BASE.replace("⏫", "🔽"),
    "no priority": BASE.replace(" ⏫", ""),
    "owner": BASE.replace("@Lior Genzel", "@Myself"),
    "no owner": BASE.replace(" @Lior Genzel", ""),
    "tags": BASE.replace("#task #proposed #auto", "#work"),
    "status done": BASE.replace("[?]", "[x]") + " ✅ 2025-10-20",
    "status todo": BASE.replace("[?]", "[ ]"),
    "status cancelled": BASE.replace("[?]", "[-]") + " ❌ 2025-10-20",
    "mac roman emoji": mac(BASE),
    "cp1252 emoji": win(BASE),
    "variation selectors": BASE.replace("📅", "📅\ufe0f").replace("⏫", "⏫\ufe0f"),
    "alternative due emoji": BASE.replace("📅", "📆"),
    "dataview spelling": "- [?] Share role descriptions with Jason @Lior Genzel [due:: 2025-10-26] #task",
    "spacing": BASE.replace("Share role descriptions", "Share   role\tdescriptions").replace(" 📅", "   📅"),
    "trailing period": BASE.replace("with Jason", "with Jason."),
    "trailing punctuation and space": BASE.replace("with Jason", "with Jason!! "),
    "case": BASE.replace("Share role", "share Role"),
    "list marker and indent": "    * " + BASE[2:],
    "blockquote": "> " + BASE,
    "fullwidth characters (NFKC)": BASE.replace("Jason", "Ｊａｓｏｎ"),
    "field order": "- [?] Share role descriptions with Jason @Lior Genzel #task ⏫ #proposed 📅 2025-10-26",
}


@pytest.mark.parametrize("edit", list(SAME))
def test_key_survives(edit):
    assert key_of(SAME[edit]) == key_of(BASE)


def test_key_survives_crlf_line_endings():
    assert key_of(BASE, newline="\r\n") == key_of(BASE)


CHANGED = {
    "reworded": BASE.replace("Share role descriptions", "Send role descriptions"),
    "more words": BASE.replace("with Jason", "with Jason and Glenn"),
    "inner punctuation": BASE.replace("role descriptions", "role-descriptions"),
}


@pytest.mark.parametrize("edit", list(CHANGED))
def test_key_changes_when_the_sentence_changes(edit):
    assert key_of(CHANGED[edit]) != key_of(BASE)


def test_same_sentence_in_another_note_is_another_task():
    other = "---\ntitle: Weekly sync\ndate: 2025-10-08\n---\n"
    assert key_of(BASE, front=other) != key_of(BASE)


def test_note_identity_survives_rename_when_front_matter_names_it():
    tasks_a, _ = parse_note(FRONT + BASE + "\n", "a.md")
    tasks_b, _ = parse_note(FRONT + BASE + "\n", "archive/renamed.md")
    assert tasks_a[0].key == tasks_b[0].key


def test_note_identity_order():
    assert front_matter_identity("id: n-1\ntitle: T\ndate: 2025-01-01", "x.md")[0] == "id:n-1"
    assert front_matter_identity("title: T\ndate: 2025-01-01", "x.md")[0] == "title:T\x1f2025-01-01"
    assert front_matter_identity("title: T\ndate: '2025-01-01'", "x.md")[0] == "title:T\x1f2025-01-01"
    assert front_matter_identity("tags: [a]", "dir/x.md")[0] == "path:dir/x"
    assert front_matter_identity(None, "dir/x.md")[0] == "path:dir/x"


def test_id_signifier_overrides_the_computed_key():
    with_id = BASE + " 🆔 abc123"
    reworded = with_id.replace("Share role descriptions", "Send the role write-ups")
    assert key_of(with_id) == key_of(reworded) == task_key("", "", "abc123")
    assert key_of(with_id) != key_of(BASE)


def test_key_formula_is_pinned():
    """The formula is a contract: these literal values must never change."""
    assert task_key("path:note", "call bob") == "2a207439912f5c41"
    assert task_key("path:note", "call bob") == hashlib.sha256(b"path:note\x1fcall bob").hexdigest()[:16]
    assert task_key("ignored", "ignored", "abc123") == "27453b4a31064126"
    assert task_key("ignored", "ignored", "abc123") == hashlib.sha256(b"id\x1fabc123").hexdigest()[:16]


def test_golden_keys_of_the_example_vault():
    golden = json.loads((Path(__file__).parents[1] / "data" / "golden_keys.json").read_text("utf-8"))
    result = scan(EXAMPLE_VAULT)
    got = [
        {"path": t.source.path, "line": t.source.line, "key": t.key, "group": g}
        for t, g in zip(result.tasks, result.groups, strict=True)
    ]
    assert got == golden


def test_issue_numbers_are_words_not_tags():
    one = key_of("- [ ] Fix bug #123")
    assert one != key_of("- [ ] Fix bug #124")
    assert one == key_of("- [ ] Fix bug #123 #backend")


def test_path_identity_does_not_depend_on_the_folder_scanned(tmp_path):
    (tmp_path / ".obsidian").mkdir()
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "n.md").write_text("- [ ] No front matter here\n", encoding="utf-8")
    keys = {scan(p).tasks[0].key for p in (tmp_path, tmp_path / "team", tmp_path / "team" / "n.md")}
    assert len(keys) == 1
    assert scan(tmp_path / "team").tasks[0].source.path == "team/n.md"
