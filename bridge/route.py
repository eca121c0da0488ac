"""Routing: which connector each action item goes to, decided by its owner, tags or note folder.

A team rarely keeps every action item in one tracker: a person's own to-dos belong in their
Todoist, the team's work in Jira. `BRIDGE_ROUTES` is an ordered list of rules; the first rule
that matches a group of lines (one action item, see `bridge.groups`) names its one connector, so
no item is ever created in two trackers. An item no rule matches is synced nowhere.

Matching is case-insensitive throughout: Obsidian treats `#Jira` and `#jira` as one tag, owners
are written by hand (`@myself`), and vaults move between case-insensitive and case-sensitive
file systems.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from bridge.model import Task
from bridge.text import TAG_CHARS

__all__ = ["Routed", "Routes", "Rule"]

_CONNECTOR_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_TAG_RE = re.compile(TAG_CHARS)
_KEYS = ("owner", "tag", "folder", "connector")
_SYNTAX = "expected '#tag=NAME', '@Owner=NAME', 'folder/=NAME' or '*=NAME'"


def _fold(text: str) -> str:
    """One spelling per name: case folded, runs of white space made one space."""
    return " ".join(text.split()).casefold()


def _folder_parts(folder: str) -> tuple[str, ...]:
    return tuple(_fold(p) for p in folder.split("/") if p)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One routing rule: every condition given must hold (none given: it matches every item).

    `tag` is stored without `#`; `folder` is vault-relative and matched on whole path components,
    so `Meetings/Team` matches `Meetings/Team/Sub/n.md` but not `Meetings/Teamwork/n.md`.
    """

    owner: str | None = None
    tag: str | None = None
    folder: str | None = None
    connector: str

    @property
    def catch_all(self) -> bool:
        return self.owner is None and self.tag is None and self.folder is None

    def matches(self, owner: str | None, tags: Iterable[str], folder: Sequence[str]) -> bool:
        """Whether an item with this owner, these tags and this note folder (parts) is routed here.

        A rule tag also matches its nested tags (`jira` matches `#jira/urgent`), as Obsidian's
        tag search does. The arguments come folded by `_fold`, as `Routes.rule_for` passes them.
        """
        if self.owner is not None and owner != _fold(self.owner):
            return False
        if self.tag is not None:
            want = _fold(self.tag)
            if not any(t == want or t.startswith(want + "/") for t in tags):
                return False
        if self.folder is not None:
            parts = _folder_parts(self.folder)
            if tuple(folder[: len(parts)]) != parts:
                return False
        return True

    def __str__(self) -> str:
        """The rule in the compact `BRIDGE_ROUTES` syntax, for messages."""
        conditions = [
            *([f"@{self.owner}"] if self.owner is not None else []),
            *([f"#{self.tag}"] if self.tag is not None else []),
            *([f"{self.folder.rstrip('/')}/"] if self.folder is not None else []),
        ]
        return f"{' '.join(conditions) or '*'}={self.connector}"


class _HasTasks(Protocol):
    @property
    def tasks(self) -> tuple[Task, ...]: ...


G = TypeVar("G", bound=_HasTasks)


@dataclass(slots=True)
class Routed(Generic[G]):
    """Items split by connector (in the order the routes name connectors), and those no rule took."""

    by_connector: dict[str, list[G]]
    unrouted: list[G]


@dataclass(frozen=True, slots=True)
class Routes:
    """Ordered rules; the first match wins, so put narrow rules first and a catch-all `*` last."""

    rules: tuple[Rule, ...]

    @property
    def connectors(self) -> list[str]:
        """Every connector the rules name, in order of first appearance: the order of a sync."""
        return list(dict.fromkeys(r.connector for r in self.rules))

    def rule_for(self, tasks: Sequence[Task]) -> Rule | None:
        """The rule that routes this group of lines, judged by the group as a whole.

        The lines of a group are one tracker task, so they must go to one place: the owner and
        folder are the first line's (its lines share the owner unless a key match joined them),
        the tags are those of every line.
        """
        first = tasks[0] if tasks else None
        owner = _fold(first.owner) if first is not None and first.owner else None
        tags = {_fold(t) for task in tasks for t in task.tags}
        folder = tuple(_fold(p) for p in first.source.path.split("/")[:-1]) if first is not None else ()
        return next((r for r in self.rules if r.matches(owner, tags, folder)), None)

    def connector_for(self, tasks: Sequence[Task]) -> str | None:
        """The connector this group of lines goes to; None when no rule matches (it is not synced)."""
        rule = self.rule_for(tasks)
        return rule.connector if rule is not None else None

    def split(self, groups: Iterable[G]) -> Routed[G]:
        """Each group in exactly one place: the list of its connector, or the unrouted list."""
        routed = Routed[G]({name: [] for name in self.connectors}, [])
        for group in groups:
            name = self.connector_for(group.tasks)
            (routed.unrouted if name is None else routed.by_connector[name]).append(group)
        return routed

    @classmethod
    def parse(cls, value: str | Sequence[Any]) -> Routes:
        """Rules from the compact string or the JSON list form; ValueError names the bad entry.

        Compact: `#jira=jira, @Myself=todoist, Meetings/Team/=jira, *=jira` (comma or newline
        between entries). JSON: `[{"tag": "jira", "connector": "jira"}, {"connector": "jira"}]`,
        where one object may combine conditions (all must hold).
        """
        if isinstance(value, str) and value.lstrip().startswith("["):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from exc
            if not isinstance(value, list):
                raise ValueError("the JSON form must be a list of objects")
        if isinstance(value, str):
            entries = [e.strip() for e in re.split(r"[,\n]", value)]
            rules = [_compact(entry) for entry in entries if entry]
        else:
            rules = [_from_json(number, entry) for number, entry in enumerate(value, 1)]
        if not rules:
            raise ValueError("no rules; leave it unset to sync every task with BRIDGE_CONNECTOR")
        catch_all = next((pos for pos, rule in enumerate(rules) if rule.catch_all), len(rules))
        if catch_all < len(rules) - 1:
            raise ValueError(
                f"entry {str(rules[catch_all + 1])!r} is never used: the catch-all"
                f" {str(rules[catch_all])!r} before it matches every task (the first match wins; put * last)"
            )
        return cls(tuple(rules))


def _connector(where: str, name: str) -> str:
    name = name.strip()
    if not _CONNECTOR_RE.fullmatch(name):
        raise ValueError(f"{where}: {name!r} is not a connector name")
    return name


def _tag(where: str, tag: str) -> str:
    tag = tag.strip().removeprefix("#")
    if not _TAG_RE.fullmatch(tag):
        raise ValueError(f"{where}: {('#' + tag)!r} is not a tag")
    return tag


def _owner(where: str, owner: str) -> str:
    owner = " ".join(owner.strip().removeprefix("@").split())
    if not owner:
        raise ValueError(f"{where}: no owner name")
    return owner


def _folder(where: str, folder: str) -> str:
    parts = [p for p in folder.strip().split("/") if p]
    if not parts or parts == ["."]:
        raise ValueError(f"{where}: an empty folder matches every note; write '*' for that")
    if any(p in (".", "..") for p in parts):
        raise ValueError(f"{where}: the folder must be a path inside the vault, without . or ..")
    return "/".join(parts) + "/"


def _compact(entry: str) -> Rule:
    where = f"entry {entry!r}"
    condition, sep, name = entry.rpartition("=")
    condition = condition.strip()
    if not sep or not condition:
        raise ValueError(f"{where}: {_SYNTAX}")
    connector = _connector(where, name)
    if condition == "*":
        return Rule(connector=connector)
    if condition.startswith("#"):
        return Rule(tag=_tag(where, condition), connector=connector)
    if condition.startswith("@"):
        return Rule(owner=_owner(where, condition), connector=connector)
    if condition.endswith("/"):
        return Rule(folder=_folder(where, condition), connector=connector)
    raise ValueError(f"{where}: {_SYNTAX}")


def _from_json(number: int, entry: Any) -> Rule:
    where = f"entry {number} {json.dumps(entry, ensure_ascii=False)}"
    if not isinstance(entry, Mapping):
        # a ValueError, not TypeError: pydantic reports only the former as a bad setting
        raise ValueError(f'{where}: expected an object like {{"tag": "jira", "connector": "jira"}}')  # noqa: TRY004
    unknown = sorted(set(entry) - set(_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (keys: {', '.join(_KEYS)})")
    values: dict[str, str | None] = {}
    for key in _KEYS:
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{where}: {key!r} must be a string")
        values[key] = value
    if values["connector"] is None:
        raise ValueError(f"{where}: no 'connector'")
    owner, tag, folder = values["owner"], values["tag"], values["folder"]
    return Rule(
        owner=_owner(where, owner) if owner is not None else None,
        tag=_tag(where, tag) if tag is not None else None,
        folder=_folder(where, folder) if folder is not None else None,
        connector=_connector(where, values["connector"]),
    )
