"""Routing rules: both spellings of BRIDGE_ROUTES, first match wins, and what a group is matched by."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bridge.cli import app
from bridge.config import BridgeSettings, load_settings
from bridge.errors import ConfigError
from bridge.model import Source, StatusType, Task
from bridge.plan import build_groups
from bridge.route import Routes, Rule
from tests.conftest import EXAMPLE_VAULT

COMPACT = "#jira=jira, @Myself=todoist, Meetings/Team/=jira, *=jira"
JSON_FORM = [
    {"tag": "jira", "connector": "jira"},
    {"owner": "Myself", "connector": "todoist"},
    {"folder": "Meetings/Team/", "connector": "jira"},
    {"connector": "jira"},
]


def task(key: str = "k", *, owner: str | None = None, tags: tuple[str, ...] = (), path: str = "n.md") -> Task:
    return Task(
        key=key,
        status=" ",
        status_type=StatusType.TODO,
        description=f"item {key}",
        source=Source(path, 1, 0, 10),
        note=path,
        owner=owner,
        tags=tags,
        norm=f"item {key}",
    )


def routed(value: str, *tasks: Task) -> str | None:
    return Routes.parse(value).connector_for(tasks)


# -- parsing -------------------------------------------------------------------------------------


def test_compact_form_reads_every_kind_of_condition():
    routes = Routes.parse(COMPACT)
    assert routes.rules == (
        Rule(tag="jira", connector="jira"),
        Rule(owner="Myself", connector="todoist"),
        Rule(folder="Meetings/Team/", connector="jira"),
        Rule(connector="jira"),
    )
    assert routes.connectors == ["jira", "todoist"]  # in order of first appearance
    assert [str(r) for r in routes.rules] == [e.strip() for e in COMPACT.split(",")]


def test_json_form_reads_the_same_rules():
    assert Routes.parse(json.dumps(JSON_FORM)) == Routes.parse(COMPACT)
    assert Routes.parse(JSON_FORM) == Routes.parse(COMPACT)


def test_newlines_separate_entries_and_blank_entries_are_skipped():
    routes = Routes.parse("\n  @Lior Genzel = jira\n\n#Home=todoist,\n")
    assert routes.rules == (
        Rule(owner="Lior Genzel", connector="jira"),
        Rule(tag="Home", connector="todoist"),
    )


def test_json_rule_may_combine_conditions_and_all_must_hold():
    routes = Routes.parse(
        '[{"owner": "Myself", "tag": "#work", "connector": "jira"}, {"connector": "todoist"}]'
    )
    assert routes.rules[0] == Rule(owner="Myself", tag="work", connector="jira")
    assert str(routes.rules[0]) == "@Myself #work=jira"
    assert routes.connector_for([task(owner="Myself", tags=("work",))]) == "jira"
    assert routes.connector_for([task(owner="Myself", tags=("home",))]) == "todoist"
    assert routes.connector_for([task(owner="Lior Genzel", tags=("work",))]) == "todoist"


def test_settings_read_both_forms_from_the_environment(monkeypatch):
    monkeypatch.setenv("BRIDGE_ROUTES", COMPACT)
    assert load_settings(BridgeSettings).routes == Routes.parse(COMPACT)
    monkeypatch.setenv("BRIDGE_ROUTES", json.dumps(JSON_FORM))
    assert load_settings(BridgeSettings).routes == Routes.parse(COMPACT)
    monkeypatch.setenv("BRIDGE_ROUTES", "  ")
    assert load_settings(BridgeSettings).routes is None
    monkeypatch.delenv("BRIDGE_ROUTES")
    assert load_settings(BridgeSettings).routes is None


def test_settings_read_a_multi_line_value_from_dotenv(monkeypatch, tmp_path: Path):
    (tmp_path / ".env").write_text('BRIDGE_ROUTES="#jira=jira\n@Myself=todoist\n*=jira"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    routes = load_settings(BridgeSettings).routes
    assert routes is not None
    assert [str(r) for r in routes.rules] == ["#jira=jira", "@Myself=todoist", "*=jira"]


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("#=jira", "'#=jira'"),
        ("Meetings=jira", "'Meetings=jira'"),  # a folder must end in /
        ("@Myself", "'@Myself'"),  # no connector
        ("@=todoist", "'@=todoist'"),
        ("#jira=", "'#jira='"),
        ("@Myself=to doist", "'@Myself=to doist'"),
        ("../up/=jira", "'../up/=jira'"),
        ("/=jira", "'/=jira'"),
        ("*=jira, @Myself=todoist", "'@Myself=todoist'"),  # after a catch-all: never used
        ('[{"tagg": "jira", "connector": "jira"}]', "'tagg'"),
        ('[{"owner": "Myself"}]', '{"owner": "Myself"}'),
        ('[{"tag": "jira", "connector": "jira"}, "x"]', 'entry 2 "x"'),
        ('[{"tag": 5, "connector": "jira"}]', '{"tag": 5'),
        ("[{", "not valid JSON"),
        (", ,", "no rules"),
    ],
)
def test_bad_entry_is_a_config_error_naming_the_setting_and_the_entry(monkeypatch, value, named):
    monkeypatch.setenv("BRIDGE_ROUTES", value)
    with pytest.raises(ConfigError) as caught:
        load_settings(BridgeSettings)
    message = str(caught.value)
    assert "BRIDGE_ROUTES" in message
    assert named in message
    assert "Value error" not in message


# -- matching ------------------------------------------------------------------------------------


def test_first_matching_rule_wins():
    tagged_mine = task(owner="Myself", tags=("jira",))
    assert routed("#jira=jira, @Myself=todoist", tagged_mine) == "jira"
    assert routed("@Myself=todoist, #jira=jira", tagged_mine) == "todoist"
    assert routed("@Myself=todoist, #jira=jira, *=other", task(owner="Lior Genzel")) == "other"


def test_no_matching_rule_means_not_routed():
    assert routed("@Myself=todoist", task(owner="Lior Genzel")) is None
    assert routed("@Myself=todoist", task()) is None  # no owner at all


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Meetings/Team/standup.md", "jira"),
        ("Meetings/Team/2025/standup.md", "jira"),
        ("meetings/team/standup.md", "jira"),  # case-insensitive, like the owner and tags
        ("Meetings/Teamwork/standup.md", None),  # a prefix of a component is not the folder
        ("Meetings/Team.md", None),  # a note named like the folder is not in it
        ("Meetings/standup.md", None),
        ("Archive/Meetings/Team/standup.md", None),  # the folder is vault-relative
        ("standup.md", None),
    ],
)
def test_folder_matches_whole_leading_path_components(path, expected):
    assert routed("Meetings/Team/=jira", task(path=path)) == expected


def test_owner_and_tag_compare_case_insensitively():
    assert routed("@myself=todoist", task(owner="Myself")) == "todoist"
    assert routed("@LIOR   genzel=jira", task(owner="Lior Genzel")) == "jira"
    assert routed("#Jira=jira", task(tags=("jira",))) == "jira"
    assert routed("#jira=jira", task(tags=("JIRA",))) == "jira"


def test_tag_rule_matches_nested_tags_but_not_longer_names():
    assert routed("#jira=jira", task(tags=("jira/urgent",))) == "jira"
    assert routed("#jira=jira", task(tags=("jiraish",))) is None
    assert routed("#jira/urgent=jira", task(tags=("jira",))) is None


def test_a_group_is_routed_by_its_first_owner_and_folder_and_all_its_tags():
    first = task("a", owner="Myself", path="Meetings/Team/one.md")
    later = task("b", owner="Lior Genzel", tags=("jira",), path="Home/two.md")
    assert routed("@Lior Genzel=jira, *=todoist", first, later) == "todoist"
    assert routed("Home/=jira, *=todoist", first, later) == "todoist"
    assert routed("#jira=jira, *=todoist", first, later) == "jira"  # a tag on any line counts
    assert routed("#jira=jira, *=todoist", later, first) == "jira"


def test_split_keeps_group_order_and_lists_every_named_connector():
    groups = build_groups(
        [task("a", owner="Myself"), task("b", owner="Lior Genzel"), task("c", owner="Myself"), task("d")],
        [None, None, None, None],
    )
    split = Routes.parse("@Myself=todoist, @Lior Genzel=jira, #never=other").split(groups)
    assert {k: [g.ref for g in v] for k, v in split.by_connector.items()} == {
        "todoist": ["a", "c"],
        "jira": ["b"],
        "other": [],
    }
    assert [g.ref for g in split.unrouted] == ["d"]


# -- property: one place per group ---------------------------------------------------------------

OWNERS = ["Myself", "Lior Genzel", "Ann"]
TAGS = ["jira", "home", "jira/urgent", "work"]
FOLDERS = ["", "Meetings", "Meetings/Team", "Meetings/Teamwork", "Home"]
CONNECTORS = ["todoist", "jira", "other"]


def _case(draw: st.DrawFn, text: str) -> str:
    return draw(st.sampled_from([text, text.lower(), text.upper()]))


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    owner = draw(st.none() | st.sampled_from(OWNERS))
    tag = draw(st.none() | st.sampled_from(TAGS))
    folder = draw(st.none() | st.sampled_from([f for f in FOLDERS if f]))
    return Rule(
        owner=_case(draw, owner) if owner else None,
        tag=_case(draw, tag) if tag else None,
        folder=_case(draw, folder) + "/" if folder else None,
        connector=draw(st.sampled_from(CONNECTORS)),
    )


@st.composite
def vaults(draw: st.DrawFn) -> tuple[list[Task], list[str | None]]:
    count = draw(st.integers(1, 12))
    tasks = [
        task(
            f"t{i}",
            owner=draw(st.none() | st.sampled_from(OWNERS)),
            tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))),
            path="/".join(p for p in (draw(st.sampled_from(FOLDERS)), f"n{i}.md") if p),
        )
        for i in range(count)
    ]
    # each task stands alone (None) or joins one of a few groups
    labels = draw(st.lists(st.none() | st.integers(0, 3), min_size=count, max_size=count))
    return tasks, [f"g{label}" if label is not None else None for label in labels]


def _oracle(routes: Routes, tasks: tuple[Task, ...]) -> str | None:
    """The rules read literally, for comparison: the first whose every condition holds."""
    owner = (tasks[0].owner or "").lower() or None
    tags = {t.lower() for x in tasks for t in x.tags}
    folder = tasks[0].source.path.lower().split("/")[:-1]
    for rule in routes.rules:
        wanted = rule.folder.lower().strip("/").split("/") if rule.folder else []
        if rule.owner and rule.owner.lower() != owner:
            continue
        if rule.tag and not any(t == rule.tag.lower() or t.startswith(rule.tag.lower() + "/") for t in tags):
            continue
        if rule.folder and folder[: len(wanted)] != wanted:
            continue
        return rule.connector
    return None


@settings(max_examples=300, deadline=None)
@given(vaults(), st.lists(rules(), max_size=5), st.booleans())
def test_every_group_goes_to_at_most_one_connector_and_with_a_catch_all_exactly_one(
    vault, rule_list, catch_all
):
    tasks, group_keys = vault
    rule_list = [r for r in rule_list if not r.catch_all]
    if catch_all:
        rule_list.append(Rule(connector="fallback"))
    if not rule_list:
        return
    routes = Routes(tuple(rule_list))
    groups = build_groups(tasks, group_keys)
    split = routes.split(groups)
    placed = [g.ref for found in split.by_connector.values() for g in found] + [g.ref for g in split.unrouted]
    assert sorted(placed) == sorted(g.ref for g in groups)  # each group once, none lost
    for name, found in split.by_connector.items():
        for group in found:
            assert routes.connector_for(group.tasks) == name == _oracle(routes, group.tasks)
    for group in split.unrouted:
        assert _oracle(routes, group.tasks) is None
    if catch_all:
        assert split.unrouted == []


# -- `bridge tasks` shows the route ----------------------------------------------------------------


def test_tasks_json_shows_each_tasks_connector(monkeypatch):
    monkeypatch.setenv("BRIDGE_ROUTES", "@Myself=todoist, *=jira")
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT), "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert len(listed) == 9
    for item in listed:
        assert item["connector"] == ("todoist" if item["owner"] == "Myself" else "jira")
        assert {"key", "status", "description", "owner", "due", "tags", "path", "line", "group"} <= set(item)


def test_tasks_json_connector_is_null_without_routing_and_the_default_with_bridge_connector(monkeypatch):
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT), "--json"])
    assert {item["connector"] for item in json.loads(result.stdout)} == {None}
    monkeypatch.setenv("BRIDGE_CONNECTOR", "todoist")
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT), "--json"])
    assert {item["connector"] for item in json.loads(result.stdout)} == {"todoist"}


def test_tasks_table_has_a_connector_column_only_when_routing_is_set(monkeypatch):
    terminal = {"COLUMNS": "200", "TTY_COMPATIBLE": "1"}  # a table at a terminal (TSV when piped)
    plain = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT)], env=terminal)
    assert "Connector" not in plain.stdout
    monkeypatch.setenv("BRIDGE_ROUTES", "@Myself=todoist")
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT)], env=terminal)
    assert result.exit_code == 0, result.output
    shown = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    assert "Connector" in shown
    rows = [r for r in shown.splitlines() if r.startswith("│") and ("Myself" in r or "Lior Genzel" in r)]
    assert len(rows) == 9
    for row in rows:  # the route sits in the row's last column
        assert row.rstrip(" │").split("│")[-1].strip() == ("todoist" if "Myself" in row else "none")
