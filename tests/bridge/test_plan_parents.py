"""A plan looks for sub-tasks' parents only among the lines some line is nested under
(`bridge.plan._parent_refs`), and plans exactly what looking at every group planned: the
reference is the function as it was, which named every line of every group a parent could be."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from bridge import plan as planner
from bridge.model import StatusType
from bridge.plan import Group, PlanOptions, RemoteStatus, _Fresh, _led_by_members, build_groups, plan
from bridge.state import Base
from bridge.vault import scan
from tests.bridge.test_plan import OPTIONS
from tests.bridge.test_plan_fresh import OPTION_SETS, _half_linked
from tests.conftest import EXAMPLE_VAULT
from tests.vaults import messy_vault


def _every_group(
    groups: Sequence[Group],
    links: Mapping[str, str],
    bases: Mapping[str, Base],
    options: PlanOptions,
    fresh: _Fresh | None = None,
) -> dict[tuple[str, str], str]:
    """`_parent_refs` as it was, every group looked at."""
    fresh = fresh or _Fresh()
    found: dict[tuple[str, str], str] = {}
    for group in groups:
        rid = next((links[k] for k in group.keys if k in links and links[k] in bases), None)
        if rid is not None:
            if bases[rid].remote_status is RemoteStatus.DELETED:
                continue
            ref = bases[rid].ref
        else:
            members = fresh(group.tasks).members
            proposed = all(t.status_type is StatusType.PROPOSED for t in members)
            if not members[0].status_type.is_open or (options.hold_proposed and proposed):
                continue
            ref = _led_by_members(group, fresh).ref
        found.update({(t.source.path, t.line_key): ref for t in group.tasks})
    return found


def _alike(groups: list[Group], options: PlanOptions, monkeypatch: pytest.MonkeyPatch) -> None:
    links, bases = _half_linked(groups, options)
    deleted = next(iter(bases), None)
    if deleted is not None:  # a linked parent deleted in the tracker is no parent
        bases[deleted] = replace(bases[deleted], remote_status=RemoteStatus.DELETED)
    states = (({}, {}), (links, bases))
    made = [plan(groups, links=ln, bases=bs, changes={}, options=options) for ln, bs in states]
    with monkeypatch.context() as patched:
        patched.setattr(planner, "_parent_refs", _every_group)
        reference = [plan(groups, links=ln, bases=bs, changes={}, options=options) for ln, bs in states]
    assert made == reference


@pytest.mark.parametrize("options", OPTION_SETS)
def test_example_notes_plan_alike(options: PlanOptions, monkeypatch: pytest.MonkeyPatch) -> None:
    result = scan(EXAMPLE_VAULT)
    _alike(build_groups(result.tasks, result.groups), options, monkeypatch)


_TITLES = [f"{verb} the {thing}" for verb in ("Book", "Send", "Plan") for thing in ("room", "deck", "trip")]


def _nested_vault(root: Path, seed: int) -> None:
    """Notes of nested task lines (sub-tasks of sub-tasks, lines closed or proposed, the same line
    in several notes so that groups form), and lines in between that are no task."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    for n in range(30):
        lines, depth = [], 0
        for _ in range(rng.randrange(2, 14)):
            depth = rng.randrange(0, depth + 2) if depth < 3 else rng.randrange(0, 3)
            if rng.random() < 0.1:
                lines.append("  " * depth + "- a plain list item")
                continue
            status = rng.choice(" " * 6 + "x-?/")
            owner = rng.choice(["", "", " @ana", " @bo"])
            lines.append(f"{'  ' * depth}- [{status}] {rng.choice(_TITLES)}{owner}")
        (root / f"n{n:02}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_messy_vaults_plan_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    messy_vault(tmp_path, notes=80, seed=20261203)
    result = scan(tmp_path)
    for options in OPTION_SETS:
        _alike(build_groups(result.tasks, result.groups), options, monkeypatch)


@pytest.mark.parametrize("seed", [1, 7, 20261206])
def test_nested_notes_plan_alike(tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    _nested_vault(tmp_path, seed)
    result = scan(tmp_path)
    groups = build_groups(result.tasks, result.groups)
    assert sum(t.parent is not None for g in groups for t in g.tasks) > 20
    assert any(len(g.tasks) > 1 for g in groups)
    for options in (*OPTION_SETS, replace(OPTIONS, hold_proposed=True, recurs=True)):
        _alike(groups, options, monkeypatch)
