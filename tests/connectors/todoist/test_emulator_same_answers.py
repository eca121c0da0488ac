"""The emulator's cheaper create path answers exactly as the former one did.

The former helpers (`clone`, `timestamp`, `new_id`, `due_from_object`, `sync_task_changes`,
`task_record`, a parse of each /sync body on each call, `handle_sync` copying what it read, the
route rendering that copy, the event log as a list of dicts) and methods (`Account.today`,
`Account._now`, `Account._emit`, `Emulator.add_task`) are kept here as the reference. Generated
/sync exchanges (creates with and without parents, labels and due dates, updates, moves,
completions, reopenings, deletions, projects and labels, bad arguments, unknown and temporary
ids, replays, reads from tokens) run once with the reference swapped in and once as shipped, with
the same random draws and a clock that moves at each reading (the account's own clock, or the
default one, whose system clock readings are then moved). The answers (as JSON text, so key order
counts; through `handle_sync` or as the /sync route renders them), the webhook events (as logged
and as handed to `on_event`, compared by `repr`, so types count) and the account must be the
same, and so must the clock's readings.
"""

from __future__ import annotations

import json
import random
import secrets
import string
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any, TypeVar
from unittest import mock
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from bridge.testing import serve_in_thread
from connectors.todoist.emulator import Emulator, account, app, create_app, fields, records, state, sync
from connectors.todoist.emulator.errors import ApiError, invalid
from connectors.todoist.emulator.events import EventLog
from connectors.todoist.emulator.records import (
    base62,
    day_ns,
    due_from_date,
    due_from_string,
    label_sync,
    next_due,
    stamp_ns,
    user_record,
)

Json = dict[str, Any]
_T = TypeVar("_T")

# -- the former code, kept as the reference --------------------------------------------------------


def old_clone(value: _T) -> _T:
    if isinstance(value, dict):
        return {key: old_clone(item) for key, item in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [old_clone(item) for item in value]  # type: ignore[return-value]
    return value


_ALNUM = string.ascii_letters + string.digits


def old_new_id(serial: int) -> str:
    drawn = secrets.token_bytes(11)
    noise = "".join(_ALNUM[b % len(_ALNUM)] for b in drawn[1:])
    return "6" + string.ascii_letters[drawn[0] % 52] + base62(serial).rjust(4, "0") + noise


def old_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def old_due_from_object(
    value: object, today: date, *, argument: str = "due", tz: str = "UTC"
) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(argument, expected="an object with date or string, or null")
    lang = value.get("lang") or "en"
    if not isinstance(lang, str):
        raise invalid(argument, explanation="lang must be a string")
    zone = value.get("timezone")
    if zone is not None and not isinstance(zone, str):
        raise invalid(argument, explanation="timezone must be a string")
    if isinstance(value.get("date"), str):
        due = due_from_date(value["date"], argument, lang=lang, tz=tz, zone=zone or None)
        if isinstance(value.get("string"), str) and value["string"]:
            due["string"] = value["string"]
        phrase = " ".join(due["string"].lower().split())
        due["is_recurring"] = bool(value.get("is_recurring", records._EVERY.match(phrase) is not None))
        if records._EVERY.match(phrase) and next_due(due, date.fromisoformat(due["date"][:10])) is None:
            raise invalid(argument, explanation=f"the emulator cannot parse the date {due['string']!r}")
        return due
    if isinstance(value.get("string"), str):
        return due_from_string(value["string"], today, lang=lang, argument=argument, tz=tz, zone=zone or None)
    raise invalid(argument, expected="an object with date or string, or null")


def old_sync_task_changes(args: object, today: date, *, creating: bool, tz: str = "UTC") -> Json:
    if not isinstance(args, dict):
        raise invalid("args", expected="an object")
    out: Json = {}
    fields._common(args, out, creating=creating)
    if creating:
        fields._place(args, out)
    if "due" in args:
        out["due"] = old_due_from_object(args["due"], today, tz=tz)
    if "deadline" in args:
        value = args["deadline"]
        if value is None:
            out["deadline"] = None
        elif isinstance(value, dict) and isinstance(value.get("date"), str):
            day = due_from_date(value["date"], "deadline")["date"]
            if "T" in day:
                raise invalid("deadline", expected="a date YYYY-MM-DD")
            out["deadline"] = {"date": day, "lang": value.get("lang") or "en"}
        else:
            raise invalid("deadline", expected="an object with date, or null")
    if "duration" in args:
        value = args["duration"]
        if value is None:
            out["duration"] = None
        elif (
            isinstance(value, dict)
            and isinstance(value.get("amount"), int)
            and not isinstance(value.get("amount"), bool)
            and value["amount"] > 0
            and value.get("unit") in ("minute", "day")
        ):
            out["duration"] = {"amount": value["amount"], "unit": value["unit"]}
        else:
            raise invalid("duration", expected="{amount: positive integer, unit: minute|day} or null")
    for key in ("responsible_uid", "assigned_by_uid"):
        if key in args:
            out[key] = fields._user_id(args, key)
    return out


def old_now(self: account.Account) -> str:
    return old_timestamp(self.clock())


def old_today(self: account.Account) -> date:
    try:
        zone: tzinfo = ZoneInfo(str(self.user.get("timezone") or "UTC"))
    except (ValueError, ZoneInfoNotFoundError):
        zone = UTC
    return self.clock().astimezone(zone).date()


def old_emit(
    self: account.Account, name: str, data: Json, *, old: Json | None = None, intent: str | None = None
) -> None:
    initiator = {key: self.user[key] for key in ("id", "email", "full_name", "image_id", "is_premium")}
    url = f"https://app.todoist.com/app/task/{data['id']}" if name.startswith("item:") else None
    event: Json = {
        "event_name": name,
        "user_id": self.user_id,
        "version": "1",
        "triggered_at": self._now(),
        "initiator": initiator,
        "event_data": {**old_clone(data), **({"url": url} if url else {})},
    }
    if old is not None:
        event["event_data_extra"] = {"old_item": {**old, "url": url}, "update_intent": intent}
    self.events.append(event)
    if self.on_event is not None:
        self.on_event(event)


def old_task_record(task_id: str, user_id: str, project_id: str, now: str) -> Json:
    """The record as a dict display, before it was a copy of a blank one."""
    return {
        "id": task_id, "user_id": user_id, "project_id": project_id, "section_id": None,
        "parent_id": None, "content": "", "description": "", "labels": [], "priority": 1,
        "due": None, "deadline": None, "duration": None, "is_collapsed": False, "child_order": 1,
        "order_key": None, "day_order": -1, "responsible_uid": None, "assigned_by_uid": None,
        "added_by_uid": user_id, "checked": False, "is_deleted": False, "completed_at": None,
        "completed_by_uid": None, "added_at": now, "updated_at": now, "note_count": 0,
        "completed_count": 0, "postponed_count": 0,
    }  # fmt: skip


def old_add_task(self: Emulator, changes: Json) -> str:
    with self.lock:
        where = self._placement(*(changes.get(key) for key in state._PLACEMENT))
        self._room_for_a_task(where["project_id"])
        task = old_task_record(self._new_id(), self.user_id, where["project_id"], self._now())
        task.update(where)
        top = self._next_top(where["project_id"], where["section_id"], where["parent_id"])
        task["child_order"] = 1 if top is None else top + 1
        task.update({key: value for key, value in changes.items() if key in state._EDITABLE})
        task["order_key"] = "a" + base62(next(self._serial)).rjust(5, "0")
        self._check_assignee(task)
        self.tasks[task["id"]] = task
        self._bump("items", task["id"])
        self._remember_order(task, top)
        self._emit("item:added", task)
        return str(task["id"])


def old_read_resources(em: Emulator, since: int | None, wanted: set[str]) -> Json:
    out: Json = {}

    def pick(kind: str, table: dict[str, Json], active: Any) -> list[Json]:
        if since is None:
            return [row for row in table.values() if active(row)]
        return [table[key] for key in em.changed_since(kind, since) if key in table]

    if "items" in wanted:
        out["items"] = pick(
            "items",
            em.tasks,
            lambda t: not (t["checked"] or t["is_deleted"] or em.projects[t["project_id"]]["is_archived"]),
        )
    if "projects" in wanted:
        out["projects"] = pick(
            "projects", em.projects, lambda p: not p["is_deleted"] and not p["is_archived"]
        )
    if "labels" in wanted:
        out["labels"] = [label_sync(lb) for lb in pick("labels", em.labels, lambda lb: not lb["is_deleted"])]
    if "user" in wanted:
        done = [t for t in em.tasks.values() if t["checked"] and not t["is_deleted"]]
        today = [t for t in done if t["completed_at"][:10] == em.today().isoformat()]
        out["user"] = user_record(em.user, em.inbox_id, len(done), len(today))
    if "collaborators" in wanted:
        sharing = {state["user_id"] for state in em.collaborator_states.values()}
        out["collaborators"] = pick("collaborators", em.collaborators, lambda c: c["id"] in sharing)
        states = {f"{p}:{u}": state for (p, u), state in em.collaborator_states.items()}
        out["collaborator_states"] = pick("collaborator_states", states, lambda s: True)
    return sync.clone(out)


def old_handle_sync(em: Emulator, content_type: str, body: bytes, parsed: sync.Parsed | None = None) -> Json:
    token, types, commands = sync.parse_request(content_type, body) if parsed is None else parsed
    full = token in (None, "*")
    since = None if full or token is None else em.token_version(token)
    if not full and types and em.full_sync_next:
        em.full_sync_next, full, since = False, True, None
    statuses, mapping = sync.run_commands(em, commands) if commands is not None else ({}, {})
    if commands is not None and em.after_commands is not None:
        em.after_commands()
    with em.lock:
        answer: Json = {"sync_token": em.issue_token(), "full_sync": full}
        if full:
            answer["full_sync_date_utc"] = sync.timestamp(em.clock())
        answer.update(old_read_resources(em, since, sync._wanted(types)))
        if commands is not None:
            answer["sync_status"] = statuses
            answer["temp_id_mapping"] = mapping
        return answer


def old_answer_sync(
    em: Emulator, content_type: str, body: bytes, parsed: sync.Parsed | None, respond: Callable[[Json], _T]
) -> _T:
    """The route as it was: `JSONResponse(handle_sync(...))`, rendered after the lock."""
    return respond(old_handle_sync(em, content_type, body, parsed))


@contextmanager
def reference() -> Iterator[None]:
    """The emulator as it was: every replaced name bound again to its former code."""
    swaps: list[tuple[object, str, object]] = [
        *((module, "clone", old_clone) for module in (records, account, state, sync, app)),
        *((module, "timestamp", old_timestamp) for module in (records, account, sync)),
        *((module, "new_id", old_new_id) for module in (records, account)),
        *((module, "due_from_object", old_due_from_object) for module in (records, sync, fields)),
        *((module, "task_record", old_task_record) for module in (records, state)),
        *((module, "sync_task_changes", old_sync_task_changes) for module in (fields, state, sync)),
        (account.Account, "today", old_today),
        (account.Account, "_now", old_now),
        (account.Account, "_emit", old_emit),
        (Emulator, "add_task", old_add_task),
        (account, "EventLog", list),
        (sync, "handle_sync", old_handle_sync),
        (sync, "answer_sync", old_answer_sync),
    ]
    with ExitStack() as stack:
        for owner, name, value in swaps:
            stack.enter_context(mock.patch.object(owner, name, value))
        yield


# -- a run: the same draws, a moving clock -----------------------------------------------------------


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """`secrets` draws (ids, sync tokens, error event ids) from one seeded generator."""
    draw = random.Random(seed)  # noqa: S311 - the same draws in both runs, not secrets

    def token_bytes(n: int = 32) -> bytes:
        return draw.randbytes(n)

    with (
        mock.patch.object(secrets, "token_bytes", token_bytes),
        mock.patch.object(secrets, "token_hex", lambda n: token_bytes(n).hex()),
        mock.patch.object(secrets, "token_urlsafe", lambda n: token_bytes(n).hex()),
    ):
        yield


class Clock:
    """A clock that moves `step` at each reading, and counts them."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.now, self.step, self.readings = start, step, 0

    def __call__(self) -> datetime:
        self.readings += 1
        self.now += self.step
        return self.now


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@contextmanager
def system_clock(clock: Clock) -> Iterator[None]:
    """The default clock's readings (`datetime.now(UTC)` in `utc_now`, `time.time_ns` in the
    account) taken from `clock`: the nanoseconds with a part below the microsecond, floored away
    by `datetime.now` as by the account."""

    class Now(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return clock().astimezone(tz)

    def time_ns() -> int:
        return (clock() - _EPOCH) // timedelta(microseconds=1) * 1000 + clock.readings % 1000

    with mock.patch.object(account, "datetime", Now), mock.patch.object(account, "time_ns", time_ns):
        yield


ZONES: tuple[tzinfo, ...] = (UTC, timezone(timedelta(hours=-7)), ZoneInfo("Europe/Paris"))
USER_ZONES = ("UTC", "America/Los_Angeles", "Asia/Tokyo", "Not/AZone")
LABELS = ("task", "home", "Home", "errand")
DUES: tuple[object, ...] = (
    {"date": "2026-01-11"},
    {"date": "2026-01-11T10:00:00"},
    {"date": "2026-01-11T10:00:00Z", "timezone": "Europe/Paris"},
    {"date": "2026-01-11", "string": "every monday"},
    {"date": "2026-01-11", "string": "every florp"},
    {"date": "2026-01-11", "is_recurring": True},
    {"string": "tomorrow at 5pm"},
    {"string": "every 2 weeks starting 2026-03-01"},
    {"string": "next friday", "lang": "de", "timezone": "Asia/Tokyo"},
    {"date": "2026-02-30"},
    {"string": 3},
    "today",
    None,
)

Step = tuple[str, int, int, int]  # (command, which object, which variant, another number)
KINDS = (
    "item_add", "item_add", "item_add", "child", "temp_child", "item_update", "item_move",
    "item_close", "item_complete", "item_uncomplete", "item_delete", "project_add", "label_add",
    "replay", "bad",
)  # fmt: skip
STEPS = st.tuples(st.sampled_from(KINDS), st.integers(0, 999), st.integers(0, 99), st.integers(0, 99))
REQUESTS = st.lists(
    st.tuples(
        st.lists(STEPS, max_size=8),
        st.sampled_from(("last", "last", "*", "none", "unknown")),
        st.lists(
            st.sampled_from(("items", "projects", "labels", "user", "collaborators", "all", "-user")),
            max_size=3,
        ),
        st.booleans(),  # form-encoded or JSON
        st.booleans(),  # through `handle_sync`, or rendered as the /sync route does
    ),
    min_size=1,
    max_size=6,
)


def _command(em: Emulator, step: Step, temps: list[str], done: list[str]) -> Json:
    kind, which, variant, other = step
    tasks = [key for key, task in em.tasks.items() if not task["is_deleted"]]
    projects = [key for key, project in em.projects.items() if not project["is_deleted"]]
    task = tasks[which % len(tasks)] if tasks else "6Xunknown0000000"
    known = tasks + temps
    uid = str(uuid.UUID(int=len(done) + 1))
    if kind == "replay" and done:
        return {"type": "item_close", "uuid": done[which % len(done)], "args": {"id": task}}
    command: Json = {"type": kind, "uuid": uid, "args": {"id": task}}
    if kind in ("item_add", "child", "temp_child", "bad", "replay"):
        temp = str(uuid.UUID(int=10**6 + len(done)))
        args: Json = {"content": f"Task {which}" if kind != "bad" else ""}
        if variant % 2:
            args["description"] = f"From note {other}"
        if variant % 3:
            args["labels"] = [LABELS[(other + n) % len(LABELS)] for n in range(variant % 4)]
        if variant % 5:
            args["priority"] = variant % 5 if kind != "bad" else 7
        if variant % 7:
            args["due"] = DUES[(other + which) % len(DUES)]
        if kind == "child" and tasks:
            args["parent_id"] = task
        elif kind == "temp_child":
            args["parent_id"] = (
                known[which % len(known)] if known and other % 4 else str(uuid.UUID(int=2**100 + which))
            )
        elif other % 3 == 0:
            args["project_id"] = projects[which % len(projects)]
        temps.append(temp)
        command = {"type": "item_add", "uuid": uid, "args": args}
        if other % 5:
            command["temp_id"] = temp
    elif kind == "item_update":
        fields: Json = {
            "content": f"Edited {other}",
            "labels": [LABELS[other % 4]],
            "priority": 1 + other % 4,
        }
        fields["due"] = DUES[other % len(DUES)]
        command["args"] = {
            "id": known[which % len(known)] if known else task,
            **dict(list(fields.items())[: 1 + variant % 4]),
        }
    elif kind == "item_move":
        target = (
            {"parent_id": known[other % len(known)]}
            if known and variant % 2
            else {"project_id": projects[other % len(projects)]}
        )
        command["args"] = {"id": task, **target}
    elif kind == "item_complete" and variant % 2:
        command["args"] = {"id": task, "date_completed": "2026-01-02T03:04:05Z"}
    elif kind == "project_add":
        command["args"] = {"name": f"Project {which}"}
        command["temp_id"] = str(uuid.UUID(int=10**7 + len(done)))
        temps.append(command["temp_id"])
    elif kind == "label_add":
        command["args"] = {"name": LABELS[which % len(LABELS)]}
    done.append(uid)
    return command


def _body(token: str | None, types: list[str], commands: list[Json], form: bool) -> tuple[str, bytes]:
    fields: Json = {"resource_types": types}
    if commands:
        fields["commands"] = commands
    if token is not None:
        fields["sync_token"] = token
    if not form:
        return "application/json", json.dumps(fields).encode()
    data = {key: value if key == "sync_token" else json.dumps(value) for key, value in fields.items()}
    return "application/x-www-form-urlencoded", urlencode(data).encode()


Plan = list[tuple[list[Step], str, list[str], bool, bool]]


def run(
    plan: Plan,
    seed: int,
    start: datetime,
    step: timedelta,
    zone: str,
    default_clock: bool = False,
) -> tuple[list[str], str, int]:
    """Every answer (JSON text, or the error), then the events and account, and clock readings."""
    clock = Clock(start, step)
    with seeded(seed), system_clock(clock) if default_clock else ExitStack():
        em = Emulator(timezone=zone) if default_clock else Emulator(timezone=zone, clock=clock)
        em.full_sync_limit = em.partial_sync_limit = None
        handed: list[Json] = []
        em.on_event = handed.append
        em.add_collaborator(em.create_project("Shared")["id"], full_name="Bob", email="bob@example.com")
        answers: list[str] = []
        tokens: list[str] = []
        done: list[str] = []
        for steps, which, types, form, rendered in plan:
            temps: list[str] = []
            commands = [_command(em, each, temps, done) for each in steps]
            token = {"last": tokens[-1] if tokens else "*", "*": "*", "none": None, "unknown": "nope"}[which]
            content_type, body = _body(token, types, commands, form)
            try:
                parsed = sync.parse_request(content_type, body)  # as the /sync route does, before counting it
                if rendered:
                    text = bytes(sync.answer_sync(em, content_type, body, parsed, JSONResponse).body).decode()
                else:
                    answer = sync.handle_sync(em, content_type, body, parsed)
                    text = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
            except ApiError as error:  # an error answer is compared as well
                answers.append(f"{error.status} {json.dumps(error.body())}")
                continue
            tokens.append(json.loads(text)["sync_token"])
            answers.append(text)
        events = list(em.events)
        account_now = json.dumps([events, em.tasks, em.projects, em.labels, em.commands, em.version])
        account_now += repr(events) + repr(handed)
    return answers, account_now, clock.readings


@settings(max_examples=120, deadline=None)
@given(
    plan=REQUESTS,
    seed=st.integers(0, 2**32),
    start=st.sampled_from(
        (datetime(2026, 1, 5, 23, 59, 59, 999_000, UTC), datetime(999, 6, 1, 12, tzinfo=UTC))
    ),
    zone=st.sampled_from(ZONES),
    step=st.integers(1, 3_000_000_000),
    user_zone=st.sampled_from(USER_ZONES),
    default_clock=st.booleans(),
)
def test_generated_sync_exchanges_answer_as_the_former_code(
    plan: Plan,
    seed: int,
    start: datetime,
    zone: tzinfo,
    step: int,
    user_zone: str,
    default_clock: bool,
) -> None:
    moment, pace = start.replace(tzinfo=zone), timedelta(microseconds=step)  # the wall time in `zone`
    with reference():
        expected = run(plan, seed, moment, pace, user_zone, default_clock)
    assert run(plan, seed, moment, pace, user_zone, default_clock) == expected


def test_a_long_run_of_creates_answers_as_the_former_code() -> None:
    """Ten batches of 100 creates into a project, each read back from the last token, as a first sync."""
    batch: list[Step] = [("item_add", n, n % 100, 0) for n in range(100)]
    types = ["items", "projects", "collaborators"]
    plan: Plan = [(batch, "last", types, True, n % 2 == 0) for n in range(10)]
    moment = datetime(2026, 1, 5, 12, tzinfo=UTC)
    for default_clock in (False, True):
        with reference():
            expected = run(plan, 7, moment, timedelta(microseconds=1), "UTC", default_clock)
        assert run(plan, 7, moment, timedelta(microseconds=1), "UTC", default_clock) == expected


# -- the helpers one by one ------------------------------------------------------------------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=3), inner, max_size=4)
        | st.tuples(inner, inner)
    ),
    max_leaves=20,
)


class SubDict(dict[str, Any]):
    pass


class SubList(list[Any]):
    pass


def _shape(value: object) -> object:
    """The value with each container's exact type, for comparing copies type by type."""
    if isinstance(value, dict):
        return (type(value), [(key, _shape(item)) for key, item in value.items()])
    if isinstance(value, list | tuple):
        return (type(value), [_shape(item) for item in value])
    return (type(value), value)


def _containers(value: object) -> Iterator[object]:
    if isinstance(value, dict | list):
        yield value
        for item in value.values() if isinstance(value, dict) else value:
            yield from _containers(item)


def _subclassed(value: object, flip: Callable[[], bool]) -> object:
    if isinstance(value, dict):
        items = {key: _subclassed(item, flip) for key, item in value.items()}
        return SubDict(items) if flip() else items
    if isinstance(value, list):
        items_ = [_subclassed(item, flip) for item in value]
        return SubList(items_) if flip() else items_
    return value


@settings(max_examples=300, deadline=None)
@given(value=JSONISH, flips=st.randoms(use_true_random=False))
def test_clone_copies_as_the_former_clone(value: object, flips: random.Random) -> None:
    value = _subclassed(value, lambda: flips.random() < 0.3)
    copy = records.clone(value)
    assert _shape(copy) == _shape(old_clone(value))
    assert not {id(c) for c in _containers(copy)} & {id(c) for c in _containers(value)}


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(timezones=st.sampled_from((None, *ZONES))).filter(
        lambda m: (
            datetime.min.replace(tzinfo=UTC) + timedelta(days=2)
            < m.replace(tzinfo=m.tzinfo or UTC)
            < datetime.max.replace(tzinfo=UTC) - timedelta(days=2)
        )
    )
)
def test_timestamp_writes_as_strftime(moment: datetime) -> None:
    assert records.timestamp(moment) == old_timestamp(moment)


SECONDS = st.datetimes(  # naive: made UTC below, then shown in a zone
    min_value=datetime(999, 12, 31, 23, 59, 58),  # noqa: DTZ001
    max_value=datetime(9998, 1, 1),  # noqa: DTZ001
).map(lambda m: m.replace(microsecond=0))


@settings(max_examples=200, deadline=None)
@given(
    seconds=st.lists(SECONDS, min_size=1, max_size=4),
    picks=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 999_999), st.sampled_from(ZONES)), max_size=30
    ),
)
def test_timestamps_in_a_row_write_as_strftime(
    seconds: list[datetime], picks: list[tuple[int, int, tzinfo]]
) -> None:
    """Stamps in a row, as a run of changes makes them: most within the second stamped before,
    some in another one, or back in an earlier one, or in another zone (the same second in UTC
    or not), each written as `strftime` writes it."""
    for which, micro, zone in picks:
        moment = (seconds[which % len(seconds)] + timedelta(microseconds=micro)).replace(tzinfo=UTC)
        moment = moment.astimezone(zone)
        assert records.timestamp(moment) == old_timestamp(moment)


def test_task_records_are_the_former_records_and_share_no_list() -> None:
    first = records.task_record("6Xa", "1", "6Xp", "2026-01-05T12:00:00.000000Z")
    again = records.task_record("6Xb", "2", "6Xq", "2026-01-05T12:00:01.000000Z")
    expected = old_task_record("6Xa", "1", "6Xp", "2026-01-05T12:00:00.000000Z")
    assert list(first.items()) == list(expected.items())  # the same keys, values and order
    assert list(again.items()) == list(
        old_task_record("6Xb", "2", "6Xq", "2026-01-05T12:00:01.000000Z").items()
    )
    first["labels"].append("home")
    first["content"] = "changed"
    assert again["labels"] == []
    assert records.task_record("6Xc", "1", "6Xp", "")["labels"] == []
    assert records.task_record("6Xc", "1", "6Xp", "")["content"] == ""


@given(drawn=st.binary(min_size=11, max_size=11), serial=st.integers(0, 10**9))
def test_new_id_maps_the_draw_as_before(drawn: bytes, serial: int) -> None:
    with mock.patch.object(secrets, "token_bytes", return_value=drawn):
        assert records.new_id(serial) == old_new_id(serial)


def test_the_route_parses_a_body_once() -> None:
    """The /sync route hands its parse (read for the sync limits) to `answer_sync`."""
    app = create_app("token")
    calls: list[bytes] = []
    real = sync._parse

    def counted(content_type: str, body: bytes) -> sync.Parsed:
        calls.append(body)
        return real(content_type, body)

    with mock.patch.object(sync, "_parse", counted), serve_in_thread(app) as url:
        answer = httpx.post(
            f"{url}/api/v1/sync",
            headers={"Authorization": "Bearer token"},
            data={"sync_token": "*", "resource_types": '["items"]'},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["full_sync"] is True
    assert len(calls) == 1


@settings(max_examples=100, deadline=None)
@given(values=st.lists(JSONISH, max_size=5), flips=st.randoms(use_true_random=False))
def test_the_event_log_reads_back_each_event_as_logged(values: list[object], flips: random.Random) -> None:
    """As a list of the former copies (`clone`): equal, type for type, however the logged values
    change later; each read a copy of its own."""
    subclassed = [_subclassed(value, lambda: flips.random() < 0.2) for value in values]
    events = [{"n": n, "event_data": value} for n, value in enumerate(subclassed)]
    log = EventLog()
    for event in events:
        log.append(event)
    expected = [_shape(old_clone(event)) for event in events]
    copies = [old_clone(event) for event in events]
    for event in events:  # what a task's later changes would do to a shared record
        for container in _containers(event):
            container.clear()
    assert len(log) == len(events)
    assert [_shape(event) for event in log] == expected
    assert [_shape(log[n]) for n in range(-len(log), len(log))] == expected * 2
    assert [_shape(event) for event in log[1:4]] == expected[1:4]
    if events:
        first, again = log[0], log[0]
        assert not {id(c) for c in _containers(first)} & {id(c) for c in _containers(again)}
    with pytest.raises(IndexError):
        log[len(events)]
    assert log == copies  # equal to the list it replaced, as that list was
    assert (log != copies) is False
    assert (log == [*copies, {}]) is False


class SubStr(str):
    __slots__ = ()


class SubInt(int):
    pass


DUE_VALUES = (
    *DUES,
    {"date": "２０２６-01-11"},  # digits of another script, which `\d` matches
    {"date": "2026-01-11\n"},
    {"date": 20260111},
    SubDict(date="2026-01-11"),
    {"date": "2026-01-11", "lang": "en"},
    {"date": "2026-01-11", "is_recurring": True},
)
ARG_CHOICES: dict[str, tuple[object, ...]] = {
    "content": ("Task", " Task ", "  ", "", None, 3, SubStr("Task"), ["Task"]),
    "description": ("", "From a note", None, 0, SubStr("x")),
    "labels": (
        None,
        [],
        ["task"],
        ["task", "home", "task"],
        ["  "],
        ["task", " "],
        [3],
        "task",
        ("task",),
        [SubStr("task")],
        SubList(["task"]),
    ),
    "priority": (1, 4, None, 0, 5, True, False, 2.0, "1", SubInt(2)),
    "project_id": ("6Xp", "", None, 5, SubStr("6Xp")),
    "due": DUE_VALUES,
    "section_id": ("6Xs", None),
    "child_order": (3, "3"),
    "deadline": ({"date": "2026-02-01"}, None, "soon"),
    "responsible_uid": ("2671355", None, 1.5),
}
ARGS = st.lists(st.sampled_from(sorted(ARG_CHOICES)), unique=True, max_size=8).flatmap(
    lambda keys: st.fixed_dictionaries({key: st.sampled_from(ARG_CHOICES[key]) for key in keys})
)
PLAIN_CREATES = (  # valid, each argument that a plain create sends
    {"content": "Task"},
    {"content": "Task", "description": "", "labels": [], "priority": 1, "project_id": "6Xp", "due": None},
    {
        "content": " Task ",
        "description": None,
        "labels": None,
        "priority": None,
        "project_id": "",
        "due": {"date": "2026-01-11"},
    },
)


def _outcome(call: Callable[[], object]) -> object:
    """What a call gives, key order and types included, or the error it raises."""
    try:
        return _shape(call())
    except ApiError as error:
        return (error.status, error.error, error.tag, error.extra)


def _same_changes(args: object, creating: bool, tz: str = "UTC") -> None:
    today = date(2026, 1, 5)
    expected = _outcome(lambda: old_sync_task_changes(args, today, creating=creating, tz=tz))
    assert _outcome(lambda: fields.sync_task_changes(args, today, creating=creating, tz=tz)) == expected


def test_a_plain_create_with_any_one_argument_changes_as_before() -> None:
    """Each argument of a plain create given each value of every kind, the others valid: the
    quick checks give what the full ones give, or leave it to them (the same changes, key order
    and types included, or the same error)."""
    for base in PLAIN_CREATES:
        for key, values in ARG_CHOICES.items():
            for value in values:
                for creating in (True, False):
                    _same_changes({**base, key: value}, creating)
                    _same_changes(SubDict({**base, key: value}), creating)


@settings(max_examples=400, deadline=None)
@given(
    args=ARGS,
    creating=st.booleans(),
    subclassed=st.booleans(),
    tz=st.sampled_from(("UTC", "Asia/Tokyo")),
)
def test_task_changes_are_the_former_changes(args: Json, creating: bool, subclassed: bool, tz: str) -> None:
    """Any mix of arguments, as the test above for one: the same changes or the same error."""
    _same_changes(SubDict(args) if subclassed else args, creating, tz)


@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(
        st.sampled_from(DUE_VALUES),
        st.dates().map(lambda d: {"date": d.isoformat()}),
        st.text("0123456789-\n٣", min_size=8, max_size=11).map(lambda text: {"date": text}),
    ),
    tz=st.sampled_from(USER_ZONES[:3]),
)
def test_due_objects_are_the_former_ones(value: object, tz: str) -> None:
    today = date(2026, 1, 5)
    expected = _outcome(lambda: old_due_from_object(value, today, tz=tz))
    assert _outcome(lambda: records.due_from_object(value, today, tz=tz)) == expected


NANOSECONDS = st.integers(
    (datetime(1000, 1, 2, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1) * 1000,
    (datetime(9999, 12, 30, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1) * 1000,
)


@settings(max_examples=200, deadline=None)
@given(
    readings=st.lists(NANOSECONDS, min_size=1, max_size=4),
    steps=st.lists(st.integers(0, 3 * 10**9), max_size=20),
)
def test_stamps_and_days_from_nanoseconds_are_those_of_the_datetime(
    readings: list[int], steps: list[int]
) -> None:
    """As `datetime.now(UTC)` reads the system clock (floored to the microsecond), stamped by the
    former `timestamp`, and its day: readings in a row, within a second, across seconds and back."""
    for ns in readings:
        for step in (0, *steps):
            ns += step
            moment = _EPOCH + timedelta(microseconds=ns // 1000)
            assert stamp_ns(ns) == old_timestamp(moment)
            assert day_ns(ns) == moment.date()


def test_the_default_clock_reads_as_the_system_clock() -> None:
    """`datetime.now(UTC)` and `time.time_ns` read the same clock: an account's stamp and day
    fall between two `datetime.now` readings around them."""
    em = Emulator()
    for _ in range(200):
        before = datetime.now(UTC)
        stamp, day = em._now(), em.today()
        after = datetime.now(UTC)
        assert old_timestamp(before) <= stamp <= old_timestamp(after)
        assert before.date() <= day <= after.date()
    em.clock = lambda: datetime(2026, 1, 5, 12, tzinfo=UTC)  # a clock of its own, read as before
    assert (em._now(), em.today()) == ("2026-01-05T12:00:00.000000Z", date(2026, 1, 5))
