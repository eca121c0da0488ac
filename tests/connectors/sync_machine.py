"""A model-based test of the sync promise, for any connector: a hypothesis state machine drives a
vault and a tracker emulator with random operations on both sides and checks, after every sync:

- the next sync does nothing (no tracker write, no note write) and leaves the notes byte-identical;
- a sync changes no note byte but status characters and their `✅`/`❌` dates;
- every linked tracker task and all of its lines agree on open/closed, and the state agrees with
  the tracker;
- no line belongs to two tracker tasks, no tracker task is unlinked (no duplicate), and every
  open line has its open task (or one deleted in the tracker, which is not recreated).

A sync may also be killed half-way (after the tracker applied its batch, or after the notes were
written): the next sync must settle all the same, with no duplicate.

The tracker side is an adapter (`Tracker`), so one machine drives Todoist and Jira alike.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from unittest import mock

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from starlette.applications import Starlette

from bridge import apply as apply_module
from bridge import registry
from bridge.config import BridgeSettings
from bridge.connector import RemoteStatus
from bridge.model import StatusType, Task
from bridge.parse import LineParse, parse_line, parse_note
from bridge.state import Store
from bridge.sync import run_sync
from connectors.jira.emulator import JiraEmulator
from connectors.todoist.emulator import Emulator

SENTENCES = (
    "Share the Q3 roadmap",
    "Send the agenda",
    "Order a new laptop for Dana",
    "Book the offsite venue",
    "Review the hiring plan with Jason",
    "Share the Q3 roadmap with finance",
)
WORDS = ("quickly", "(draft)", "again", "for the board", "MacBook Pro 14")
OWNERS = (None, "Myself", "Dana Kim", "Lior Genzel")
DUES = (None, "2026-11-20", "2026-11-27", "2026-12-04", "2025-10-32")  # one impossible date
STATUSES = (" ", " ", "?", "/", "x", "-")
SPELLINGS = ("utf-8", "mac-roman", "dataview")
TAGS = ("", "", "#task", "#task #proposed", "#ops")
DONE_DAY = "2026-11-23"
KILL_POINTS = (
    "half-way through the tracker's writes",
    "after the tracker applied",
    "after the notes were written",
)
_FIELD_NAMES = {"due": ("📅", "due"), "done": ("✅", "completion"), "cancelled": ("❌", "cancelled")}


def spell(emoji: str, spelling: str) -> str:
    return emoji.encode("utf-8").decode("mac_roman") if spelling == "mac-roman" else emoji


def field_text(name: str, value: str, spelling: str) -> str:
    emoji, dataview = _FIELD_NAMES[name]
    return f"[{dataview}:: {value}]" if spelling == "dataview" else f"{spell(emoji, spelling)} {value}"


def render(
    sentence: str, owner: str | None, due: str | None, status: str, spelling: str, tags: str = ""
) -> str:
    parts = [f"- [{status}] {sentence}", *tags.split()]
    if owner:
        parts.append(f"@{owner}")
    if due:
        parts.append(field_text("due", due, spelling))
    if status in "x-":
        parts.append(field_text("done" if status == "x" else "cancelled", DONE_DAY, spelling))
    return " ".join(parts)


def with_due(line: str, parsed: LineParse, due: str) -> str:
    """The line with its due date set, in the spelling its due field has (a new one in UTF-8)."""
    current = parsed.first("due")
    if current is None:
        return line + " " + field_text("due", due, "utf-8")
    old = line[current.start : current.end]
    return line[: current.start] + re.sub(r"\d{4}-\d{2}-\d{2}", due, old) + line[current.end :]


class Tracker(Protocol):
    """The tracker as a person sees it in its app."""

    # Whether a pull reports deleted tasks (Todoist's sync does; Jira's search cannot list a
    # deleted issue, so the bridge learns of one when it next writes to it, or from a webhook).
    reports_deletions: bool

    def tasks(self) -> dict[str, tuple[RemoteStatus, str]]:
        """Every task the bridge made, by the id the bridge links, in creation order (ids are
        random, so an order by id would make examples irreproducible): its status and title."""
        ...

    def complete(self, remote_id: str) -> None: ...
    def reopen(self, remote_id: str) -> None: ...
    def retitle(self, remote_id: str, title: str) -> None: ...
    def delete(self, remote_id: str) -> None: ...


SITE_EMAIL = "machine@example.com"


class Killed(BaseException):
    """The process died here (kill -9): nothing after this point ran."""


@dataclass
class Outcome:
    created: int
    updated: int
    closed: int
    reopened: int
    deleted: int
    notes_written: int
    failed: int

    @property
    def writes(self) -> int:
        return self.created + self.updated + self.closed + self.reopened + self.deleted + self.notes_written


def _status_only(before: str, after: str) -> bool:
    """Whether `after` differs from `before` only by the status character and `✅`/`❌` dates."""
    a, b = parse_line(before), parse_line(after)
    if a is None or b is None or a.status_at != b.status_at:
        return False

    def strip(line: str, parsed: Any) -> str:
        cuts = sorted((f for f in parsed.fields if f.name in ("done", "cancelled")), key=lambda f: -f.start)
        text = line[: parsed.status_at] + line[parsed.status_at + 1 :]
        for f in cuts:
            start = f.start - 1  # the status character is gone: offsets shift by one
            blank = 1 if start > 0 and text[start - 1] in " \t" else 0
            text = text[: start - blank] + text[f.end - 1 :]
        return text.rstrip()

    return strip(before, a) == strip(after, b)


class _Person:
    """A person in a tracker's own app: the emulator's person helpers, by the id the bridge links."""

    reports_deletions = True
    person: Any

    def complete(self, remote_id: str) -> None:
        self.person.complete(remote_id)

    def reopen(self, remote_id: str) -> None:
        self.person.reopen(remote_id)

    def delete(self, remote_id: str) -> None:
        self.person.delete(remote_id)


class TodoistApp(_Person):
    """A person in the Todoist app, on a fresh account behind the shared server."""

    def __init__(self, app: Starlette) -> None:
        self.person = Emulator()
        app.state.emulator = self.person

    def tasks(self) -> dict[str, tuple[RemoteStatus, str]]:
        found = {}
        for rid, task in self.person.tasks.items():
            if task["is_deleted"]:
                status = RemoteStatus.DELETED
            else:
                status = RemoteStatus.DONE if task["checked"] else RemoteStatus.OPEN
            found[rid] = (status, str(task["content"]))
        return found

    def retitle(self, remote_id: str, title: str) -> None:
        self.person.update(remote_id, content=title)


class JiraSite(_Person):
    """A person in Jira's web UI, on a fresh Cloud site behind the shared server. Jira's search
    cannot list a deleted issue, so the bridge learns of one when it next writes to it."""

    reports_deletions = False

    def __init__(self, app: Starlette) -> None:
        self.person = JiraEmulator(mode="cloud", email=SITE_EMAIL)
        # The machine checks the sync's logic right after each run, with the connector's waits
        # for a lagging search switched off (JIRA_SEARCH_WAIT=0, JIRA_PENDING_WINDOW=0): so the
        # index is current here. The lag itself is tested with the connector's defences on
        # (tests/connectors/jira/test_sync.py, test_real_service.py).
        self.person.search_lag = 0.0
        app.state.emulator = self.person
        self.deleted: dict[str, str] = {}

    def tasks(self) -> dict[str, tuple[RemoteStatus, str]]:
        found = {}
        for issue in self.person.issues.values():
            done = issue.status.category == "done"
            found[issue.id] = (RemoteStatus.DONE if done else RemoteStatus.OPEN, issue.summary)
        found.update((rid, (RemoteStatus.DELETED, title)) for rid, title in self.deleted.items())
        return dict(sorted(found.items(), key=lambda item: int(item[0])))

    def retitle(self, remote_id: str, title: str) -> None:
        self.person.update(remote_id, summary=title)

    def delete(self, remote_id: str) -> None:
        self.deleted[remote_id] = self.person.issues[remote_id].summary
        super().delete(remote_id)


def check_settled(tracker: Tracker, state_url: str, connector: str, vault: Path) -> None:
    """The state, the tracker and the notes agree. Lines repeating one sentence in a note share
    a key, so the check compares, per key, how many lines are open and closed in the note with
    the lines the state remembers: it holds whichever of them the bridge took for which."""
    remote = tracker.tasks()
    with Store.open(state_url) as store:
        bases = store.bases(connector)
    by_key: dict[str, list[Task]] = {}
    for task in _vault_tasks(vault):
        by_key.setdefault(task.key, []).append(task)
    owner: dict[str, str] = {}
    for rid, base in bases.items():
        assert rid in remote, f"linked task {rid} is not in the tracker"
        status, _ = remote[rid]
        known = base.remote_now or base.remote_status  # a change no line could take yet is pending
        unseen = status is RemoteStatus.DELETED and not tracker.reports_deletions
        assert known is status or unseen, f"{rid}: state says {known}, tracker {status}"
        if not base.present:
            continue
        remembered: dict[str, list[bool]] = {}
        for entry, values in base.lines.items():
            key = entry.partition("~")[0]
            entry_open = StatusType(values[0] or "TODO").is_open
            remembered.setdefault(key, []).append(entry_open)
            deleted = RemoteStatus.DELETED in (status, known)
            if entry not in base.past and not deleted:  # a member line: it agrees with its task
                assert entry_open == (status is RemoteStatus.OPEN), f"{rid}: line {entry} is not {status}"
        for key, states in remembered.items():
            assert key not in owner, f"lines of key {key} belong to {owner[key]} and {rid}"
            owner[key] = rid
            now = sorted(t.status_type.is_open for t in by_key.get(key, []))
            assert now == sorted(states), f"{rid}: key {key} has lines {now}, the state remembers {states}"
    # a task deleted in the tracker before the bridge ever linked it is no duplicate
    unlinked = {
        rid for rid, (status, _) in remote.items() if rid not in bases and status is not RemoteStatus.DELETED
    }
    assert not unlinked, f"tracker tasks the state does not link (duplicates): {unlinked}"
    for key, tasks in by_key.items():
        for task in tasks:
            if not task.status_type.is_open:
                continue
            rid = owner.get(key)
            where = f"{task.source.path}:{task.source.line} {task.description!r}"
            assert rid is not None, f"{where} is open but has no tracker task"
            assert remote[rid][0] is not RemoteStatus.DONE, f"{where} is open, its task closed"


def _vault_tasks(vault: Path) -> list[Task]:
    found: list[Task] = []
    for path in sorted(vault.rglob("*.md")):
        tasks, _ = parse_note(path.read_text(encoding="utf-8"), path.relative_to(vault).as_posix())
        found.extend(tasks)
    return found


class SyncMachine(RuleBasedStateMachine):
    """One vault, one tracker, random edits on both sides; `connector` names the tracker.

    `totals` counts, over every example run, what the machine did (examples, steps, syncs, and
    what those syncs wrote), so a run can say how much it exercised.
    """

    connector = ""
    make_tracker: Callable[[], Tracker]
    workdir: Callable[[], Path]
    totals: Counter[str]

    def __init__(self) -> None:
        super().__init__()
        self.totals["examples"] += 1
        self.tracker = type(self).make_tracker()
        base = type(self).workdir()
        self.vault = base / "vault"
        self.vault.mkdir()
        self.state_url = f"sqlite:///{base / 'state.db'}"
        os.environ["BRIDGE_STATE_URL"] = self.state_url
        self.week = 0
        self.syncs = 0
        self.renames = 0

    # -- the vault ----------------------------------------------------------------------------------

    def note(self, name: str, lines: list[str]) -> None:
        (self.vault / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    def notes(self) -> list[Path]:
        return sorted(self.vault.glob("*.md"))

    def read(self, path: Path) -> list[str]:
        return path.read_text(encoding="utf-8").split("\n")[:-1]

    def task_lines(self) -> list[tuple[Path, int]]:
        return [
            (path, i) for path in self.notes() for i, line in enumerate(self.read(path)) if parse_line(line)
        ]

    def pick(self, index: int) -> tuple[Path, int, str, LineParse] | None:
        """A task line by index (wrapping around): its note, index in the note, text and fields."""
        found = self.task_lines()
        if not found:
            return None
        path, i = found[index % len(found)]
        line = self.read(path)[i]
        parsed = parse_line(line)
        assert parsed is not None
        return path, i, line, parsed

    def replace_line(self, path: Path, i: int, new: str | None) -> None:
        lines = self.read(path)
        if new is None:
            del lines[i]
        else:
            lines[i] = new
        self.note(path.name, lines)

    def snapshot(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in self.notes()}

    # -- note-side rules ------------------------------------------------------------------------------

    @initialize(
        lines=st.lists(
            st.tuples(
                st.sampled_from(SENTENCES),
                st.sampled_from(OWNERS),
                st.sampled_from(DUES),
                st.sampled_from(STATUSES),
                st.sampled_from(SPELLINGS),
                st.sampled_from(TAGS),
            ),
            min_size=2,
            max_size=10,
        ),
        split=st.integers(0, 10),
    )
    def start(self, lines: list[tuple[str, str | None, str | None, str, str, str]], split: int) -> None:
        """A vault as users bring it: two weekly notes of action items, synced once."""
        rendered = [render(*line) for line in lines]
        self.note("2026-11-16 weekly.md", ["# Weekly", "", *rendered[:split], "", "Prose with an @mention."])
        self.note("2026-11-23 weekly.md", ["# Weekly", "", "## Action items", *rendered[split:]])
        self.week = 1
        self.sync()

    @rule(
        where=st.integers(0, 1000),
        sentence=st.sampled_from(SENTENCES),
        owner=st.sampled_from(OWNERS),
        due=st.sampled_from(DUES),
        status=st.sampled_from(STATUSES),
        spelling=st.sampled_from(SPELLINGS),
    )
    def add_line(
        self, where: int, sentence: str, owner: str | None, due: str | None, status: str, spelling: str
    ) -> None:
        path = self.notes()[where % len(self.notes())]
        lines = self.read(path)
        at = 1 + where % len(lines)
        lines.insert(at, render(sentence, owner, due, status, spelling))
        self.note(path.name, lines)

    @rule(index=st.integers(0, 1000), status=st.sampled_from(STATUSES))
    def set_status(self, index: int, status: str) -> None:
        found = self.pick(index)
        if found is not None:
            path, i, line, parsed = found
            at = parsed.status_at
            self.replace_line(path, i, line[:at] + status + line[at + 1 :])

    @rule(index=st.integers(0, 1000), word=st.sampled_from(WORDS), entirely=st.booleans())
    def reword(self, index: int, word: str, entirely: bool) -> None:
        found = self.pick(index)
        if found is None:
            return
        path, i, line, parsed = found
        begin = parsed.description_end - len(parsed.description)
        text = parsed.description.strip()
        if entirely:
            text = (
                SENTENCES[(SENTENCES.index(text) + 1) % len(SENTENCES)] if text in SENTENCES else SENTENCES[0]
            )
        else:
            first, _, rest = text.partition(" ")
            text = f"{first} {word} {rest}".strip()
        self.replace_line(path, i, line[:begin] + text + line[parsed.description_end :])

    @rule(index=st.integers(0, 1000), owner=st.sampled_from(OWNERS))
    def change_owner(self, index: int, owner: str | None) -> None:
        found = self.pick(index)
        if found is None:
            return
        path, i, line, parsed = found
        current = parsed.first("owner")
        text = f"@{owner}" if owner else ""
        if current is not None:
            start = current.start - 1 if not text else current.start
            new = line[:start] + text + line[current.end :]
        elif text:
            new = line[: parsed.description_end] + " " + text + line[parsed.description_end :]
        else:
            return
        self.replace_line(path, i, new)

    @rule(index=st.integers(0, 1000), due=st.sampled_from(DUES[1:]))
    def change_due(self, index: int, due: str) -> None:
        found = self.pick(index)
        if found is None:
            return
        path, i, line, parsed = found
        self.replace_line(path, i, with_due(line, parsed, due))

    @rule(index=st.integers(0, 1000), due=st.sampled_from(DUES))
    def carry_into_next_week(self, index: int, due: str | None) -> None:
        """Open items carried into the next meeting's note, as generated notes do."""
        found = self.pick(index)
        if found is None:
            return
        _, _, line, parsed = found
        self.week += 1
        carried = with_due(line, parsed, due) if due and parsed.first("due") else line
        day = dt.date(2026, 11, 16) + dt.timedelta(weeks=self.week)
        self.note(f"{day} weekly.md", ["# Weekly", "", "## Carried over", carried, ""])

    @rule(index=st.integers(0, 1000), owner=st.sampled_from(OWNERS[1:]))
    def duplicate_for_another_owner(self, index: int, owner: str) -> None:
        found = self.pick(index)
        if found is None:
            return
        path, i, _, parsed = found
        sentence = parsed.description.strip()
        lines = self.read(path)
        lines.insert(i + 1, render(sentence, owner, None, " ", "utf-8"))
        self.note(path.name, lines)

    @rule(index=st.integers(0, 1000), into=st.integers(0, 1000))
    def move_line(self, index: int, into: int) -> None:
        found = self.pick(index)
        if found is None:
            return
        path, i, line, _ = found
        self.replace_line(path, i, None)
        others = self.notes()
        destination = others[into % len(others)]
        lines = self.read(destination)
        lines.append(line)
        self.note(destination.name, lines)

    @rule(index=st.integers(0, 1000))
    def delete_line(self, index: int) -> None:
        found = self.pick(index)
        if found is not None:
            self.replace_line(found[0], found[1], None)

    @rule(index=st.integers(0, 1000))
    def rename_note(self, index: int) -> None:
        path = self.notes()[index % len(self.notes())]
        self.renames += 1
        stem = path.stem.split(" (renamed")[0]  # names stay short, however often renamed
        path.rename(path.with_name(f"{stem} (renamed {self.renames}).md"))

    # -- tracker-side rules ---------------------------------------------------------------------------

    def pick_remote(self, index: int, status: RemoteStatus) -> str | None:
        found = [rid for rid, (s, _) in self.tracker.tasks().items() if s is status]  # in creation order
        return found[index % len(found)] if found else None

    @rule(index=st.integers(0, 1000))
    def complete_in_tracker(self, index: int) -> None:
        if (rid := self.pick_remote(index, RemoteStatus.OPEN)) is not None:
            self.tracker.complete(rid)

    @rule(index=st.integers(0, 1000))
    def reopen_in_tracker(self, index: int) -> None:
        if (rid := self.pick_remote(index, RemoteStatus.DONE)) is not None:
            self.tracker.reopen(rid)

    @rule(index=st.integers(0, 1000), title=st.sampled_from(("Renamed in the tracker", "Другое имя")))
    def retitle_in_tracker(self, index: int, title: str) -> None:
        if (rid := self.pick_remote(index, RemoteStatus.OPEN)) is not None:
            self.tracker.retitle(rid, title)

    @rule(index=st.integers(0, 1000))
    def delete_in_tracker(self, index: int) -> None:
        if (rid := self.pick_remote(index, RemoteStatus.OPEN)) is not None:
            self.tracker.delete(rid)

    @rule(index=st.integers(0, 1000), close_note=st.booleans())
    def change_both_sides(self, index: int, close_note: bool) -> None:
        """A conflict: a linked line set one way in the note, its task the other way in the tracker."""
        found = self.pick(index)
        if found is None:
            return
        path, i, line, parsed = found
        key = next(
            t.key
            for t in parse_note(path.read_text(encoding="utf-8"), path.name)[0]
            if t.source.line == i + 1
        )
        with Store.open(self.state_url) as store:
            rid = store.links(self.connector).get(key)
        status = self.tracker.tasks().get(rid or "", (None, ""))[0]
        if status not in (RemoteStatus.OPEN, RemoteStatus.DONE):
            return
        at = parsed.status_at
        self.replace_line(path, i, line[:at] + ("x" if close_note else " ") + line[at + 1 :])
        if close_note and status is RemoteStatus.DONE:
            self.tracker.reopen(rid or "")
        elif not close_note and status is RemoteStatus.OPEN:
            self.tracker.complete(rid or "")

    # -- syncs ----------------------------------------------------------------------------------------

    def run(self) -> Outcome:
        report = run_sync(
            BridgeSettings(vault=self.vault, _env_file=None), connector_name=self.connector
        ).report
        self.syncs += 1
        assert not report.errors, report.errors
        for name in ("created", "updated", "closed", "reopened", "notes_written", "conflicts"):
            self.totals[name] += getattr(report, name)
        self.totals["syncs"] += 1
        return Outcome(
            report.created,
            report.updated,
            report.closed,
            report.reopened,
            report.deleted,
            report.notes_written,
            report.failed,
        )

    def check_writes(self, before: dict[str, bytes], after: dict[str, bytes]) -> None:
        assert before.keys() == after.keys(), "a sync created or removed a note"
        for name, old in before.items():
            new = after[name]
            if old == new:
                continue
            old_lines, new_lines = old.decode().split("\n"), new.decode().split("\n")
            assert len(old_lines) == len(new_lines), f"{name}: a sync added or removed lines"
            for a, b in zip(old_lines, new_lines, strict=True):
                assert a == b or _status_only(a, b), f"{name}: a sync changed more than a status:\n{a}\n{b}"

    @rule()
    def sync(self) -> None:
        before = self.snapshot()
        first = self.run()
        assert first.failed == 0
        settled = self.snapshot()
        self.check_writes(before, settled)
        second = self.run()
        assert second.writes == 0, f"the sync after a sync did something: {second}"
        assert self.snapshot() == settled, "the sync after a sync wrote a note"
        self.check_agreement()

    @rule()
    def sync_once_more(self) -> None:
        """The same as `sync`: a second rule makes syncs as frequent as the edits between them."""
        self.sync()

    @rule(point=st.sampled_from(KILL_POINTS))
    def sync_killed(self, point: str) -> None:
        before = self.snapshot()
        with self.killed(point), suppress(Killed):
            self.run()
        self.totals["killed"] += 1
        self.check_writes(before, self.snapshot())

    @contextmanager
    def killed(self, point: str) -> Iterator[None]:
        def die(*_: Any, **__: Any) -> None:
            raise Killed(point)

        if point == "half-way through the tracker's writes":
            connector = registry.load(self.connector)
            push = connector.push

            def half(this: Any, ops: Any) -> Any:
                if len(ops) < 2:
                    raise Killed(point)
                push(this, ops[: len(ops) // 2])  # the tracker applies these, then the run dies
                raise Killed(point)

            with mock.patch.object(connector, "push", half):
                yield
        elif point == "after the tracker applied":
            with mock.patch.object(apply_module, "_write_notes", die):
                yield
        else:
            with mock.patch.object(Store, "commit_sync", die):
                yield

    # -- what must hold after every settled sync ----------------------------------------------------

    def vault_tasks(self) -> list[Task]:
        found: list[Task] = []
        for path in self.notes():
            tasks, _ = parse_note(path.read_text(encoding="utf-8"), path.name)
            found.extend(tasks)
        return found

    def check_agreement(self) -> None:
        check_settled(self.tracker, self.state_url, self.connector, self.vault)

    @invariant()
    def vault_is_readable(self) -> None:
        self.totals["steps"] += 1
        assert all(p.is_file() for p in self.notes())
