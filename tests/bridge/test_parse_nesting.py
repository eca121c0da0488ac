"""Sub-tasks in a note: which task line each task line is nested under (`Task.parent`)."""

from __future__ import annotations

from bridge.parse import parse_note


def _parents(text: str) -> dict[str, str | None]:
    """Each task's description -> its parent's description (None at the top)."""
    tasks, _ = parse_note(text, "n.md")
    by_key = {t.line_key: t.description for t in tasks}
    return {t.description: by_key[t.parent] if t.parent else None for t in tasks}


def test_three_levels_and_siblings() -> None:
    text = "- [ ] A\n  - [ ] B\n    - [ ] C\n  - [ ] D\n- [ ] E\n"
    assert _parents(text) == {"A": None, "B": "A", "C": "B", "D": "A", "E": None}


def test_parent_is_a_line_key_that_tells_repeated_lines_apart() -> None:
    text = "- [ ] Same\n  - [ ] child one\n- [ ] Same\n  - [ ] child two\n"
    tasks, _ = parse_note(text, "n.md")
    same = [t for t in tasks if t.description == "Same"]
    assert [t.parent for t in tasks if t.description.startswith("child")] == [s.line_key for s in same]
    assert same[0].line_key != same[1].line_key


def test_tabs_and_spaces_compare_as_columns() -> None:
    text = "- [ ] A\n\t- [ ] B\n    - [ ] C\n\t\t- [ ] D\n"
    assert _parents(text) == {"A": None, "B": "A", "C": "A", "D": "C"}


def test_numbered_lists_and_other_markers_nest_too() -> None:
    text = "1. [ ] A\n   * [ ] B\n   + [ ] C\n2) [ ] D\n"
    assert _parents(text) == {"A": None, "B": "A", "C": "A", "D": None}


def test_blockquote_and_callout_nest_inside_the_quote() -> None:
    text = "> [!todo] Actions\n> - [ ] A\n>   - [ ] B\n>\n>   - [ ] C\n- [ ] D\n  - [ ] E\n"
    assert _parents(text) == {"A": None, "B": "A", "C": "A", "D": None, "E": "D"}


def test_a_quote_ends_the_list_above_it() -> None:
    assert _parents("- [ ] A\n>   - [ ] B\n") == {"A": None, "B": None}


def test_a_plain_bullet_between() -> None:
    # a deeper bullet is a sibling of the child: the task below still belongs to A
    assert _parents("- [ ] A\n  - a remark\n  - [ ] B\n") == {"A": None, "B": "A"}
    # a bullet at A's level starts another item: the task below is nested under the bullet
    assert _parents("- [ ] A\n- a remark\n  - [ ] B\n") == {"A": None, "B": None}


def test_a_parent_that_is_not_a_task_gives_no_parent() -> None:
    text = "- Project kickoff\n  - [ ] A\n  - [ ] B\n"
    assert _parents(text) == {"A": None, "B": None}
    assert _parents("- [ ] A\n  - [-] dropped\n    - [ ] B\n")["B"] == "dropped"


def test_a_checkbox_that_is_no_task_is_a_plain_list_item() -> None:
    text = "- [ ] A\n  - [x] done\n  - [ ] B\n"
    assert _parents(text)["B"] == "A"


def test_text_at_the_left_edge_ends_the_list_and_blank_lines_do_not() -> None:
    assert _parents("- [ ] A\n\n  - [ ] B\n") == {"A": None, "B": "A"}
    assert _parents("- [ ] A\n\nSome text.\n\n  - [ ] B\n") == {"A": None, "B": None}
    assert _parents("- [ ] A\n## Heading\n  - [ ] B\n") == {"A": None, "B": None}
    assert _parents("- [ ] A\n  more words about A\n  - [ ] B\n") == {"A": None, "B": "A"}


def test_crlf_and_front_matter() -> None:
    text = "---\ntitle: T\n---\r\n- [ ] A\r\n  - [ ] B\r\n\r\n  - [ ] C\r\n"
    assert _parents(text) == {"A": None, "B": "A", "C": "A"}


def test_a_task_with_no_task_above_it_has_no_parent() -> None:
    assert _parents("Intro\n\n   - [ ] A\n") == {"A": None}
