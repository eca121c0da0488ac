"""`bridge tasks --json` from listing lines prints exactly what the listing of Task objects prints.

The reference is the listing without the parse cache (`--no-cache`: scan, `group_tasks`,
`task_json`, one `json.dumps`); the new path keeps per note the JSON text around each group and
the line each task joins inside its note, and joins the notes' groups across the vault. Both are
compared byte for byte on generated messy vaults, cold, warm and after edits, with every filter
and grouping setting, and the grouping alone on generated notes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import bridge.listing
from bridge.cli import app
from bridge.groups import GroupPolicy, Joins, _Union, carried_key, group_tasks, note_links
from bridge.model import StatusType, Task
from bridge.output import task_json, tasks_json_parts
from bridge.parse import parse_note
from bridge.tasks_cache import note_entry, note_json
from bridge.vault import scan
from tests.bridge.test_groups_fast import LINES, THRESHOLDS
from tests.conftest import EXAMPLE_VAULT
from tests.vaults import action_item_note, messy_vault


def join_groups(  # the reference: every join at once, as the listing did before `Joins`
    keys: Sequence[str], links: Sequence[int], carried: Sequence[str | None]
) -> list[str | None]:
    """`group_tasks` of a vault from what each note's lines keep: their keys, `links` (each line's
    `note_links` answer, as an index into the vault's lines) and `carried` (`carried_key`, or
    None everywhere with scope "note").

    The same groups: union-find's components do not depend on the order of the joins, and a
    near-duplicate bucket never spans notes. Only the lines that share a key or a carried key
    with another, or are linked, are joined; every other line stands alone.
    """
    key_count = Counter(keys)
    carried_count = Counter(carried)
    carried_count[None] = 0
    joined = [
        i
        for i, (key, link, line) in enumerate(zip(keys, links, carried, strict=True))
        if key_count[key] > 1 or link != i or carried_count[line] > 1
    ]
    union = _Union(len(keys))
    join = union.join
    first_key: dict[str, int] = {}
    first_carried: dict[str, int] = {}
    for i in joined:
        if (first := first_key.setdefault(keys[i], i)) != i:
            join(first, i)
        if (link := links[i]) != i:
            join(link, i)
        if (line := carried[i]) is not None and (first := first_carried.setdefault(line, i)) != i:
            join(first, i)
    groups: list[str | None] = [None] * len(keys)
    members = set(joined).union(links[i] for i in joined)
    roots = {i: union.find(i) for i in members}
    sizes = Counter(roots.values())
    for i, root in roots.items():
        if sizes[root] > 1:
            groups[i] = keys[root]
    return groups


def _joined(notes: Sequence[Sequence[Task]], policy: GroupPolicy) -> list[str | None]:
    """`group_tasks` of the notes' tasks, as a listing finds it from each note's `note_links`:
    joined at once (`join_groups`) and note by note as they are added (`Joins`), which agree."""
    keys: list[str] = []
    links: list[int] = []
    carried: list[str | None] = []
    joins = Joins(carry=policy.scope == "vault")
    for tasks in notes:
        offset = len(keys)
        note = note_links(tasks, policy)
        links += [offset + link for link in note]
        joins.add(offset, [t.key for t in tasks], note, [carried_key(t) for t in tasks])
        keys += [t.key for t in tasks]
        carried += [carried_key(t) if policy.scope == "vault" else None for t in tasks]
    joined = join_groups(keys, links, carried)
    assert joins.groups(keys) == joined
    return joined


def _assert_same_groups(notes: Sequence[Sequence[Task]], thresholds: Sequence[float] = THRESHOLDS) -> None:
    tasks = [task for note in notes for task in note]
    for threshold in thresholds:
        for scope in ("vault", "note"):
            for near in (True, False):
                policy = GroupPolicy(threshold, scope, near)  # type: ignore[arg-type]
                assert _joined(notes, policy) == group_tasks(tasks, policy), (threshold, scope, near)


def _by_note(tasks: Sequence[Task]) -> list[list[Task]]:
    notes: dict[str, list[Task]] = {}
    for task in tasks:
        notes.setdefault(task.source.path, []).append(task)
    return list(notes.values())


def test_example_notes_join_alike():
    _assert_same_groups(_by_note(scan(EXAMPLE_VAULT).tasks))


def test_messy_vault_joins_alike(tmp_path: Path):
    messy_vault(tmp_path, notes=120)
    _assert_same_groups(_by_note(scan(tmp_path).tasks), (0.0, 80.0, 85.0, 100.0))


def test_one_large_bucket_joins_alike():
    tasks, _ = parse_note(action_item_note(300), "big.md")
    _assert_same_groups([tasks], (50.0, 85.0, 100.0))


@settings(max_examples=300, deadline=None)
@given(
    notes=st.lists(st.lists(LINES, min_size=0, max_size=20), min_size=1, max_size=4),
    front=st.lists(st.booleans(), min_size=4, max_size=4),
    threshold=st.sampled_from(THRESHOLDS),
    scope=st.sampled_from(("vault", "note")),
    near_duplicates=st.booleans(),
)
def test_generated_notes_join_alike(
    notes: list[list[str]], front: list[bool], threshold: float, scope: str, near_duplicates: bool
):
    """Some notes share an identity (front matter), so keys repeat across notes too."""
    parsed = []
    for n, lines in enumerate(notes):
        head = "---\nid: shared\n---\n" if front[n] else ""
        found, _ = parse_note(head + "\n".join(lines) + "\n", f"{dt.date(2025, 1, 1 + n).isoformat()}.md")
        parsed.append(found)
    policy = GroupPolicy(threshold, scope, near_duplicates)  # type: ignore[arg-type]
    assert _joined(parsed, policy) == group_tasks([t for note in parsed for t in note], policy)


@settings(max_examples=500, deadline=None)
@given(
    notes=st.lists(
        st.lists(
            st.tuples(
                st.sampled_from("abcdefg"),
                st.integers(0, 30),
                st.one_of(st.none(), st.sampled_from("uvwxyz")),
            ),
            max_size=12,
        ),
        max_size=8,
    ),
    carry=st.booleans(),
)
def test_lines_joined_note_by_note_are_grouped_as_joined_at_once(
    notes: list[list[tuple[str, int, str | None]]], carry: bool
):
    """Few keys and carried texts, so that lines share them within and across notes; each line's
    link any line of its note (itself: none)."""
    keys: list[str] = []
    links: list[int] = []
    carried: list[str | None] = []
    joins = Joins(carry=carry)
    for lines in notes:
        start = len(keys)
        note_keys = [key for key, _link, _line in lines]
        note_links_ = [link % len(lines) for _key, link, _line in lines]
        note_carried = [line for _key, _link, line in lines]
        joins.add(start, note_keys, note_links_, note_carried)
        keys += note_keys
        links += [start + link for link in note_links_]
        carried += note_carried if carry else [None] * len(lines)
    assert joins.groups(keys) == join_groups(keys, links, carried)


def test_the_json_text_of_tasks_is_their_json_items_around_the_groups(tmp_path: Path):
    messy_vault(tmp_path, notes=40)
    tasks = scan(tmp_path).tasks
    assert len(tasks) > 200
    tricky = replace(tasks[0], description='}, {"key": x, "group": null, "status_type": \0 ü')
    for some in ([], tasks[:1], tasks, [tricky, *tasks[:3]]):
        parts = tasks_json_parts(some).split("\0")
        assert len(parts) == len(some) + 1
        for groups in ([None] * len(some), [t.key for t in some], ['a "quoted" group ü'] * len(some)):
            values = [json.dumps(g, ensure_ascii=False) for g in groups]
            filled = "".join(p + v for p, v in zip(parts, values, strict=False)) + parts[-1]
            expected = json.dumps(
                [task_json(t, g) for t, g in zip(some, groups, strict=True)], ensure_ascii=False
            )
            assert f"[{filled}]" == expected


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(LINES, min_size=1, max_size=12),
    words=st.lists(st.sampled_from(["%", "%s", "%%", "%(x)s", "\\0", "ü", '"', "}, {"]), max_size=4),
    grouped=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_a_notes_kept_json_template_filled_with_its_groups_is_its_json_items(
    lines: list[str], words: list[str], grouped: list[bool]
):
    """What the cache keeps of a note's JSON (`note_entry`, read back by `note_json`), filled in
    with `%` as a listing does, is the `task_json` items `print_json` writes, `%` signs and all."""
    tasks, diagnostics = parse_note("\n".join(f"{line} {' '.join(words)}" for line in lines) + "\n", "a.md")
    groups = [t.key if g else None for t, g in zip(tasks, grouped, strict=False)]
    values = tuple(json.dumps(g, ensure_ascii=False).encode() for g in groups)
    template = note_json(note_entry(tasks, diagnostics, GroupPolicy())[5])
    expected = json.dumps([task_json(t, g) for t, g in zip(tasks, groups, strict=True)], ensure_ascii=False)
    assert b"[" + template % values + b"]" == expected.encode()


def test_carried_keys_tell_owners_apart_as_tuples_do(tmp_path: Path):
    messy_vault(tmp_path, notes=60)
    tasks = scan(tmp_path).tasks
    pairs = {(t.owner, t.norm) for t in tasks if t.norm and t.status_type.is_open}
    keys = {carried_key(t) for t in tasks} - {None}
    assert len(keys) == len(pairs) > 100
    no_owner = replace(tasks[0], owner=None, norm="x", status_type=StatusType.TODO)
    assert carried_key(no_owner) != carried_key(replace(no_owner, owner=""))


# --- the command, new path against the reference -------------------------------------------------

FILTERS = (
    (),
    ("--status", "open"),
    ("--status", "done", "--status", "cancelled"),
    ("--status", "proposed"),
    ("--owner", "@Dana Kim"),
    ("--owner", "lior genzel"),
    ("--due-before", "2025-06-01"),
    ("--tag", "task", "--tag", "#FollowUp"),
    ("--limit", "7"),
    ("--limit", "0"),
    ("--status", "open", "--due-before", "2026-01-01", "--limit", "25"),
)
POLICIES = (
    {},
    {"BRIDGE_GROUP_SCOPE": "note"},
    {"BRIDGE_GROUP_THRESHOLD": "60"},
    {"BRIDGE_NEAR_DUPLICATES": "false"},
)


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def _age(*paths: Path) -> None:
    for path in paths:
        os.utime(path, (time.time() - 3600,) * 2)


def _tasks(vault: Path, *args: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    result = CliRunner().invoke(app, ["tasks", str(vault), "--json", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def _assert_listings_alike(vault: Path, env: dict[str, str]) -> None:
    for args in FILTERS:
        reference = _tasks(vault, "--no-cache", *args, env=env)
        assert _tasks(vault, *args, env=env) == reference, args  # cold, or warm after the first
        assert _tasks(vault, *args, env=env) == reference, args  # warm


@pytest.mark.parametrize("env", POLICIES)
def test_listings_from_the_cache_print_what_the_reference_prints(tmp_path: Path, cache_home: Path, env):
    vault = tmp_path / "vault"
    notes = messy_vault(vault, 50, seed=20261203 + POLICIES.index(env))
    _age(*notes)
    _assert_listings_alike(vault, env)
    # edits: a note changed, one deleted, one added, one with its tasks copied into another
    edited = notes[3].read_text(encoding="utf-8").replace("- [ ]", "- [x]", 2)
    notes[3].write_text(edited + "\n- [ ] A task carried forward from elsewhere\n", encoding="utf-8")
    notes[5].unlink()
    (vault / "new.md").write_text(notes[7].read_text(encoding="utf-8"), encoding="utf-8")
    notes[9].write_text(notes[9].read_text(encoding="utf-8") + notes[11].read_text(encoding="utf-8"))
    _age(notes[3], notes[9], vault / "new.md")
    _assert_listings_alike(vault, env)


@pytest.mark.parametrize("kept", [0, 30_000])  # none, some (all: the other cold listings)
def test_a_cold_listing_prints_alike_whichever_notes_json_text_it_kept_whole(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch, kept: int
):
    """A note parsed in the run is filled in from its JSON text as made up to `KEPT_JSON` bytes in
    all, from the compressed text after that (0: as before, every note decompressed)."""
    monkeypatch.setattr(bridge.listing, "KEPT_JSON", kept)
    vault = tmp_path / "vault"
    _age(*messy_vault(vault, 20))
    for args in FILTERS[:2] + FILTERS[4:5] + FILTERS[-1:]:  # whole notes and some of their tasks
        reference = _tasks(vault, "--no-cache", *args)
        shutil.rmtree(cache_home, ignore_errors=True)
        assert _tasks(vault, *args) == reference, args  # cold


def test_a_note_edited_just_now_is_listed_alike_and_read_again(tmp_path: Path, cache_home: Path):
    vault = tmp_path / "vault"
    notes = messy_vault(vault, 20)
    _age(*notes[1:])  # notes[0] is racy: listed, never kept
    _assert_listings_alike(vault, {})


def test_one_folder_and_one_note_are_listed_alike(tmp_path: Path, cache_home: Path):
    vault = tmp_path / "vault"
    notes = messy_vault(vault, 40)
    _age(*notes)
    folders = sorted({n.parent for n in notes if n.parent != vault})
    for target in (*folders[:2], notes[0], vault):
        reference = _tasks(target, "--no-cache")
        assert _tasks(target) == reference
        assert _tasks(target) == reference


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes from the second note parsed on, in batches of three, few in flight."""
    monkeypatch.setattr(bridge.listing, "PARALLEL_AFTER", 1)
    monkeypatch.setattr(bridge.listing, "WORKERS", 2)
    monkeypatch.setattr(bridge.listing, "BATCH", 3)
    monkeypatch.setattr(bridge.listing, "IN_FLIGHT", 4)


@pytest.mark.parametrize("env", POLICIES[:2])
def test_notes_parsed_by_worker_processes_are_listed_alike(tmp_path: Path, cache_home: Path, parallel, env):
    vault = tmp_path / "vault"
    notes = messy_vault(vault, 40)
    _age(*notes)
    _assert_listings_alike(vault, env)
    # every third note changed: parsed ones come back between cached ones, in vault order
    for note in notes[::3]:
        note.write_text(
            note.read_text(encoding="utf-8") + "\n- [ ] One more thing @Dana Kim\n", encoding="utf-8"
        )
    _age(*notes[::3])
    reference = _tasks(vault, "--no-cache", env=env)
    assert _tasks(vault, env=env) == reference
    assert _tasks(vault, env=env) == reference


def test_a_note_a_worker_cannot_parse_is_named(
    tmp_path: Path, cache_home: Path, parallel, monkeypatch: pytest.MonkeyPatch
):
    vault = tmp_path / "vault"
    notes = messy_vault(vault, 10)
    _age(*notes)
    broken = notes[6].relative_to(vault).as_posix()
    real = bridge.listing.note_parts

    def failing(tasks, diagnostics, policy):  # type: ignore[no-untyped-def]
        if tasks and tasks[0].source.path == broken:
            raise ValueError("a parser bug")
        return real(tasks, diagnostics, policy)

    monkeypatch.setattr(bridge.listing, "note_parts", failing)  # the forked workers inherit it
    result = CliRunner().invoke(app, ["tasks", str(vault), "--json"])
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    assert broken in str(result.exception)
    assert "a parser bug" in str(result.exception)


def test_grouping_settings_changed_between_listings_of_one_cache(tmp_path: Path, cache_home: Path):
    """The scope is applied when notes are joined; the threshold and the switch rebuild the cache."""
    vault = tmp_path / "vault"
    _age(*messy_vault(vault, 40))
    for env in (*POLICIES, *reversed(POLICIES)):
        reference = _tasks(vault, "--no-cache", env=env)
        assert _tasks(vault, env=env) == reference, env


def test_problems_of_notes_read_around_worker_parsed_ones_are_said_in_vault_order(
    tmp_path: Path, cache_home: Path, parallel
):
    vault = tmp_path / "vault"
    vault.mkdir()
    notes = []
    for i in range(14):
        note = vault / f"n{i:03}.md"
        if i % 2:
            note.write_text(f"- [ ] Call supplier {i} 📅 2025-10-32\n", encoding="utf-8")
        else:  # too large to read under the limit below
            note.write_text("- [ ] Big note\n" + "x" * 4000 + "\n", encoding="utf-8")
        notes.append(note)
    _age(*notes)
    env = {"BRIDGE_MAX_NOTE_BYTES": "2000"}
    reference = _tasks(vault, "--no-cache", env=env)
    assert "n000.md" in reference[1]
    assert "n013.md" in reference[1]
    assert _tasks(vault, env=env) == reference  # cold: parsed by the workers
    assert _tasks(vault, env=env) == reference  # warm


def test_a_cold_listing_parses_its_notes_but_the_first_in_the_workers_and_a_warm_one_its_few_changes_here(
    tmp_path: Path, cache_home: Path, parallel, monkeypatch: pytest.MonkeyPatch
):
    """Workers start after the first note (parsed here: they are forked with what parsing it
    imported and built) when the cache holds nothing for enough of the vault."""
    monkeypatch.setattr(bridge.listing, "PARALLEL_AFTER", 5)
    vault = tmp_path / "vault"
    notes = messy_vault(vault, 12)
    _age(*notes)
    here: list[str] = []  # notes parsed in this process (a forked worker appends to its own copy)
    real = bridge.listing.parse_entry

    def spy(text, rel, dialect, policy):  # type: ignore[no-untyped-def]
        here.append(rel)
        return real(text, rel, dialect, policy)

    monkeypatch.setattr(bridge.listing, "parse_entry", spy)
    reference = _tasks(vault, "--no-cache")
    assert _tasks(vault) == reference  # cold
    assert here == [min(n.relative_to(vault).as_posix() for n in notes)]
    here.clear()
    for note in notes[:2]:
        note.write_text(note.read_text(encoding="utf-8") + "\n- [ ] One more thing\n", encoding="utf-8")
    _age(*notes[:2])
    reference = _tasks(vault, "--no-cache")
    assert _tasks(vault) == reference  # two changed notes: parsed here, no worker started
    assert sorted(here) == sorted(n.relative_to(vault).as_posix() for n in notes[:2])
