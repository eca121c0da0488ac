"""The task-line grammar: every case the parser must know, as tables."""

from __future__ import annotations

import pytest

from bridge.model import Priority, Spelling, StatusType
from bridge.parse import parse_line, parse_note
from bridge.signifiers import SIGNIFIERS, Dialect, StatusTable, TaskFormat, spell

MAC = Spelling.MAC_ROMAN
WIN = Spelling.CP1252


def one(text: str, dialect: Dialect | None = None):
    tasks, diagnostics = parse_note(text, "note.md", dialect)
    assert len(tasks) == 1, tasks
    return tasks[0], diagnostics


@pytest.mark.parametrize(
    ("char", "kind"),
    [
        (" ", StatusType.TODO),
        ("x", StatusType.DONE),
        ("X", StatusType.DONE),
        ("/", StatusType.IN_PROGRESS),
        ("-", StatusType.CANCELLED),
        ("?", StatusType.PROPOSED),
        ("!", StatusType.TODO),  # unknown characters are kept and read as open tasks
        ("~", StatusType.TODO),
    ],
)
def test_status_characters(char, kind):
    task, _ = one(f"- [{char}] Call Bob\n")
    assert (task.status, task.status_type) == (char, kind)


def test_vault_status_table_wins_over_defaults():
    table = StatusTable(
        {" ": StatusType.TODO, "x": StatusType.DONE, "?": StatusType.TODO, "d": StatusType.DONE}
    )
    task, _ = one("- [d] Ship it\n", Dialect(table))
    assert task.status_type is StatusType.DONE
    task, _ = one("- [?] Ship it\n", Dialect(table))
    assert task.status_type is StatusType.TODO


def test_non_task_status_is_not_a_task():
    table = StatusTable({" ": StatusType.TODO, "n": StatusType.NON_TASK})
    assert parse_note("- [n] A note, not a task\n", "n.md", Dialect(table))[0] == []


@pytest.mark.parametrize(
    "line",
    [
        "- [ ] Call Bob",
        "* [ ] Call Bob",
        "+ [ ] Call Bob",
        "1. [ ] Call Bob",
        "12) [ ] Call Bob",
        "    - [ ] Call Bob",
        "\t- [ ] Call Bob",
        "> - [ ] Call Bob",
        "> > - [ ] Call Bob",
        ">   >  - [ ] Call Bob",
        "-   [ ] Call Bob",
    ],
)
def test_list_markers_indentation_and_blockquotes(line):
    task, _ = one(line + "\n")
    assert task.description == "Call Bob"


def test_callout_body_holds_tasks():
    text = "> [!todo] Follow-ups\n> - [ ] Call Bob 📅 2025-01-02\n> - [x] Send deck\n"
    tasks, _ = parse_note(text, "c.md")
    assert [(t.description, t.due, t.source.line) for t in tasks] == [
        ("Call Bob", "2025-01-02", 2),
        ("Send deck", None, 3),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "- [ ]",  # no body is still a task (an empty one)
    ],
)
def test_empty_task(line):
    task, _ = one(line + "\n")
    assert task.description == ""


@pytest.mark.parametrize(
    "line",
    [
        "- [link](https://example.com)",
        "- [] Not a checkbox",
        "- [ab] Not a checkbox",
        "[ ] No list marker",
        "-[ ] No space after the marker",
        "Some prose with - [ ] inside",
        "- [x]glued to the text",
    ],
)
def test_lines_that_are_not_tasks(line):
    assert parse_line(line) is None


def test_task_with_no_metadata_at_all():
    task, diagnostics = one("- [ ] Water the plants\n")
    assert diagnostics == []
    assert task.description == "Water the plants"
    assert (task.owner, task.due, task.priority, task.tags) == (None, None, None, ())


def test_example_line_fields():
    line = "- [?] Share role descriptions with Jason @Lior Genzel 📅 2025-10-26 ⏫ #task #proposed #auto"
    task, _ = one(line + "\n")
    assert task.status == "?"
    assert task.description == "Share role descriptions with Jason"
    assert task.owner == "Lior Genzel"
    assert task.due == "2025-10-26"
    assert task.priority is Priority.HIGH
    assert task.tags == ("task", "proposed", "auto")


@pytest.mark.parametrize("spelling", [Spelling.UTF8, MAC, WIN])
@pytest.mark.parametrize("selector", ["", "\ufe0f"])
@pytest.mark.parametrize("signifier", SIGNIFIERS, ids=lambda s: f"{s.field}-{s.emoji[0]}")
def test_every_signifier_in_every_spelling(signifier, spelling, selector):
    value = {
        "date": "2025-10-26",
        "priority": "",
        "recurrence": "every week",
        "id": "abc123",
        "ids": "abc123,def456",
        "on_completion": "delete",
    }[signifier.kind.value]
    for emoji in signifier.emoji:
        written = spell(emoji + selector, spelling)
        task, diagnostics = one(f"- [ ] Do the thing {written} {value}".rstrip() + " #work\n")
        assert diagnostics == []
        assert task.description == "Do the thing"
        assert task.tags == ("work",)
        got = getattr(task, signifier.field)
        if signifier.priority is not None:
            assert got is signifier.priority
        elif signifier.field == "depends_on":
            assert got == ("abc123", "def456")
        else:
            assert got == value
        assert task.spelling is spelling


def test_mojibake_in_description_is_repaired():
    text = "- [ ] Review Data’s plan 📅 2025-01-01".encode().decode("mac_roman") + "\n"
    task, _ = one(text)
    assert task.description == "Review Data’s plan"
    assert task.due == "2025-01-01"


def test_accented_text_is_not_mistaken_for_mojibake():
    task, _ = one("- [ ] Réunion à Zürich avec Søren\n")
    assert task.description == "Réunion à Zürich avec Søren"


@pytest.mark.parametrize(
    ("line", "description", "fields"),
    [
        (
            "- [ ] Pay rent [due:: 2025-11-01] [priority:: high]",
            "Pay rent",
            {"due": "2025-11-01", "priority": "high"},
        ),
        ("- [ ] Pay rent (due:: 2025-11-01)", "Pay rent", {"due": "2025-11-01"}),
        ("- [x] Pay rent [completion:: 2025-11-02]", "Pay rent", {"done": "2025-11-02"}),
        ("- [ ] Water [repeat:: every week] [start:: 2025-01-01]", "Water", {"recurrence": "every week"}),
        ("- [ ] A [id:: a1] [dependsOn:: b2,c3]", "A", {"id": "a1", "depends_on": ("b2", "c3")}),
        ("- [ ] A [onCompletion:: delete]", "A", {"on_completion": "delete"}),
        ("- [ ] Keep [note:: not a field]", "Keep [note:: not a field]", {}),
    ],
)
def test_dataview_fields(line, description, fields):
    task, _ = one(line + "\n")
    assert task.description == description
    for name, value in fields.items():
        got = getattr(task, name)
        assert (got.value if isinstance(got, Priority) else got) == value


def test_dataview_only_vault_ignores_emoji():
    task, _ = one("- [ ] Pay rent 📅 2025-11-01\n", Dialect(task_format=TaskFormat.DATAVIEW))
    assert task.due is None


@pytest.mark.parametrize(
    ("line", "owner", "description"),
    [
        ("- [ ] Send the deck @Myself", "Myself", "Send the deck"),
        ("- [ ] Send the deck @Lior Genzel 📅 2025-01-01", "Lior Genzel", "Send the deck"),
        ("- [ ] Send the deck @Ana Maria de Souza", None, "Send the deck @Ana Maria de Souza"),
        ("- [ ] Send the deck @Ana Maria Da Souza 📅 2025-01-01", "Ana Maria Da Souza", "Send the deck"),
        ("- [ ] Ask @Bob about the budget", None, "Ask @Bob about the budget"),
        ("- [ ] Mail bob@example.com the notes", None, "Mail bob@example.com the notes"),
        ("- [ ] Mail the notes to bob@example.com", None, "Mail the notes to bob@example.com"),
        ("- [ ] Ping @lior.genzel #ops", "lior.genzel", "Ping"),
    ],
)
def test_trailing_owner(line, owner, description):
    task, _ = one(line + "\n")
    assert (task.owner, task.description) == (owner, description)


def test_tags_anywhere_are_collected_once():
    task, _ = one("- [ ] Plan #q3 offsite with #team 📅 2025-01-01 #team #ops/infra\n")
    assert task.tags == ("q3", "team", "ops/infra")
    assert task.description == "Plan #q3 offsite with"  # a tag among the trailing fields is peeled


def test_hash_number_is_not_a_tag():
    task, _ = one("- [ ] Fix issue #123\n")
    assert task.tags == ()
    assert task.description == "Fix issue #123"


def test_block_reference_is_not_description():
    task, _ = one("- [ ] Call Bob 📅 2025-01-01 ^abc-123\n")
    assert (task.description, task.due) == ("Call Bob", "2025-01-01")


def test_fields_before_plain_text_stay_text_and_are_reported():
    task, diagnostics = one("- [ ] Call Bob 📅 2025-01-01 about the deck\n")
    assert task.due is None
    assert task.description == "Call Bob 📅 2025-01-01 about the deck"
    assert [(d.line, "not read as a field" in d.message) for d in diagnostics] == [(1, True)]


def test_impossible_date_is_reported_and_ignored():
    task, diagnostics = one("- [ ] Call Bob 📅 2025-13-45 ⏫\n")
    assert (task.description, task.due, task.priority) == ("Call Bob", None, Priority.HIGH)
    assert len(diagnostics) == 1
    assert diagnostics[0].line == 1
    assert "impossible due date '2025-13-45'" in diagnostics[0].message
    assert str(diagnostics[0]).startswith("note.md:1: ")


def test_fenced_code_and_front_matter_are_skipped():
    text = (
        "---\ntitle: T\ntodo: |\n  - [ ] in front matter\n---\n"
        "```markdown\n- [ ] in a backtick fence\n```\n"
        "~~~~\n- [ ] in a tilde fence\n```\n- [ ] still fenced\n~~~~\n"
        "> ```\n> - [ ] fenced in a quote\n> ```\n"
        "- [ ] real one\n"
    )
    tasks, diagnostics = parse_note(text, "f.md")
    assert [(t.description, t.source.line) for t in tasks] == [("real one", 17)]
    assert diagnostics == []


def test_unclosed_fence_is_reported():
    tasks, diagnostics = parse_note("```\n- [ ] hidden\n", "f.md")
    assert tasks == []
    assert "never closed" in diagnostics[0].message


def test_nested_tasks_keep_depth():
    text = "- [ ] Parent\n    - [ ] Child\n        - [x] Grandchild\n\t- [ ] Tab child\n"
    tasks, _ = parse_note(text, "n.md")
    assert [(t.description, t.depth) for t in tasks] == [
        ("Parent", 0),
        ("Child", 4),
        ("Grandchild", 8),
        ("Tab child", 4),
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_line_endings_and_bom_give_exact_byte_spans(newline, bom):
    lines = ["# Head", "- [ ] First 📅 2025-01-01", "text é", "- [x] Second ✅ 2025-01-02  "]
    text = bom + newline.join(lines) + newline
    data = text.encode("utf-8")
    tasks, _ = parse_note(text, "e.md")
    assert [t.source.line for t in tasks] == [2, 4]
    for task, line in zip(tasks, (lines[1], lines[3]), strict=True):
        assert data[task.source.start : task.source.end].decode("utf-8") == line
        assert task.description in line


def test_global_filter_limits_tasks():
    text = "- [ ] Groceries\n- [ ] Write report #task\n"
    tasks, _ = parse_note(text, "g.md", Dialect(global_filter="#task"))
    assert [t.description for t in tasks] == ["Write report"]


def test_invalid_front_matter_is_reported_and_path_identity_used():
    text = "---\ntitle: [unclosed\n---\n- [ ] A task\n"
    tasks, diagnostics = parse_note(text, "dir/bad.md")
    assert tasks[0].note == "path:dir/bad"
    assert diagnostics[0].line == 1
    assert "front matter is not valid YAML" in diagnostics[0].message


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("Ã©tÃ© Ã\xa0 ZÃ¼rich", "été à Zürich"),  # cp1252 reading of UTF-8, the Windows form
        ("Data‚Äôs ‚Äútrue‚Äù", "Data’s “true”"),  # Mac Roman reading
        ("naïve café", "naïve café"),  # real accents stay
    ],
)
def test_mojibake_repair_picks_the_plausible_reading(written, meant):
    task, _ = one(f"- [ ] {written}\n")
    assert task.description == meant


def test_capitalised_owner_in_any_script():
    task, _ = one("- [ ] Read the draft @Émile Zola 📅 2025-01-01\n")
    assert (task.owner, task.description) == ("Émile Zola", "Read the draft")


def test_unclosed_fence_names_its_line():
    _, diagnostics = parse_note("# T\n\n~~~\n- [ ] hidden\n", "f.md")
    assert diagnostics[0].line == 3


def test_dataview_vault_does_not_warn_about_emoji_text():
    _, diagnostics = parse_note(
        "- [ ] Ship 📅 2025-01-01 soon\n", "d.md", Dialect(task_format=TaskFormat.DATAVIEW)
    )
    assert diagnostics == []
