"""The shapes of Todoist objects on the wire, built from scratch so every key is always there.

The official SDK refuses an object that lacks any key it maps (even a null one) and a null
`added_at`/`updated_at`; the OpenAPI document lists every `ItemSyncView` key as required. So tasks,
projects, labels and the user are built here whole, with ids that are opaque 16-character strings
(v1 rejects numeric ids) and timestamps as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (reference §1-3).
Due dates follow the "Due dates" guide: a small natural-language parser stands in for the server's.
"""

from __future__ import annotations

import re
import secrets
import string
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.todoist.emulator import recurring
from connectors.todoist.emulator.errors import invalid

__all__ = [
    "COLORS",
    "base62",
    "clone",
    "day_ns",
    "due_from_date",
    "due_from_object",
    "due_from_string",
    "label_rest",
    "label_sync",
    "new_id",
    "next_due",
    "parse_instant",
    "project_record",
    "stamp_ns",
    "task_record",
    "timestamp",
    "user_record",
]

_T = TypeVar("_T")


_ATOMS = frozenset((str, int, float, bool, type(None)))


def clone(value: _T) -> _T:
    """A copy of a record (JSON: dicts, lists, scalars) that shares nothing mutable with it, as
    `copy.deepcopy` makes, without its memo: every record handed out or kept in an event is one.

    Each create copies its task twice (its event, the answer's read), so a plain dict is copied
    in C and only its dicts and lists are copied again; any other value is kept as it is. Dict
    and list subclasses come back as plain dicts and lists, as the values inside them do."""
    return cast(_T, _copied(value))


def _copied(value: Any) -> Any:
    if type(value) is dict:
        copy = value.copy()
        for key, item in value.items():
            if type(item) not in _ATOMS and isinstance(item, dict | list):
                copy[key] = _copied(item)
        return copy
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [item if type(item) in _ATOMS else _copied(item) for item in value]
    return value


COLORS = (
    "berry_red", "red", "orange", "yellow", "olive_green", "lime_green", "green", "mint_green", "teal",
    "sky_blue", "light_blue", "blue", "grape", "violet", "lavender", "magenta", "salmon", "charcoal",
    "grey", "taupe",
)  # fmt: skip
_ALNUM = string.ascii_letters + string.digits
_DIGITS = string.digits + string.ascii_uppercase + string.ascii_lowercase  # in ASCII order
_NOISE = bytes(ord(_ALNUM[b % len(_ALNUM)]) for b in range(256))  # a random byte's id character
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z)?$")
_AT = re.compile(r"^(.*?)\s+at\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
_EVERY = re.compile(r"^every!?\s")


def base62(number: int) -> str:
    """`number` in digits, then upper, then lower case letters: sorts like the number when padded."""
    out = ""
    while True:
        number, rest = divmod(number, 62)
        out = _DIGITS[rest] + out
        if not number:
            return out


def new_id(serial: int) -> str:
    """An opaque id like "6X7rM8997g3RQmvh": never all digits, unique through `serial`."""
    drawn = secrets.token_bytes(11)  # one draw for the 11 random characters: ids are made in bulk
    noise = drawn[1:].translate(_NOISE).decode("ascii")  # each byte b as _ALNUM[b % 62]
    return "6" + string.ascii_letters[drawn[0] % 52] + base62(serial).rjust(4, "0") + noise


# The last second stamped and its text up to the fraction, as one tuple (swapped whole, so a
# thread stamping at the same time reads either the old pair or the new one, never a mix).
_SECOND: list[tuple[tuple[int, ...], str]] = [((), "")]


def timestamp(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC, the form the SDK parses.

    Every change stamps one, each create two, most within the second stamped before: that
    second's text is kept and only the microseconds are written (half the work of `isoformat`,
    which formats the zone's offset only for it to be cut off). A year before 1000 goes through
    `strftime`, which writes it without leading zeros."""
    utc = moment.astimezone(UTC)
    if utc.year < 1000:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    second = (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)
    last = _SECOND[0]
    if last[0] != second:
        year, month, day, hour, minute, sec = second
        last = _SECOND[0] = (second, f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{sec:02d}.")
    return last[1] + "%06dZ" % utc.microsecond  # noqa: UP031 - a third quicker than an f-string


# The last second `stamp_ns` wrote and its text up to the fraction; the last second `day_ns`
# read and its day. Each one tuple, swapped whole, as `_SECOND` is.
_NS_SECOND: list[tuple[int | None, str]] = [(None, "")]
_NS_DAY: list[tuple[int | None, date]] = [(None, date.min)]


def stamp_ns(ns: int) -> str:
    """`timestamp(datetime.now(UTC))` for the `time.time_ns()` read at the same moment.

    `datetime.now` reads the same system clock and floors it to the microsecond, its date and
    time those of `datetime.fromtimestamp` of the whole second. Read here from the nanoseconds,
    a stamp within the second stamped before is that second's text and the microseconds: no
    datetime made, no zone converted, for the two stamps of each create."""
    second, micro = divmod(ns // 1000, 1_000_000)
    last = _NS_SECOND[0]
    if last[0] != second:
        last = _NS_SECOND[0] = (second, timestamp(datetime.fromtimestamp(second, UTC))[:-7])
    return last[1] + "%06dZ" % micro  # noqa: UP031 - as in `timestamp`


def day_ns(ns: int) -> date:
    """`datetime.now(UTC).date()` for the `time.time_ns()` read at the same moment (see
    `stamp_ns`): the day of the whole second, kept for the next reading in that second."""
    second = ns // 1_000_000_000
    last = _NS_DAY[0]
    if last[0] != second:
        last = _NS_DAY[0] = (second, datetime.fromtimestamp(second, UTC).date())
    return last[1]


def parse_instant(value: str, argument: str) -> datetime:
    """An RFC 3339 date-time (a naive one is taken as UTC), else a 400 naming `argument`."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(argument, expected="an RFC 3339 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _due(
    when: str, text: str, lang: str, *, recurring: bool = False, tz: str | None = None
) -> dict[str, Any]:
    return {"date": when, "timezone": tz, "string": text, "lang": lang, "is_recurring": recurring}


def _zone(name: str, argument: str) -> tzinfo:
    """A time zone by IANA name; 400 naming `argument` for an unknown one."""
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(argument, explanation=f"unknown time zone {name!r}") from None


def _timed(local: datetime, text: str | None, lang: str, *, user_tz: str, zone: str | None,
           argument: str, recurring: bool = False) -> dict[str, Any]:  # fmt: skip
    """A due date with a time, as Todoist writes it: with microseconds; floating (no zone) as the
    wall-clock time, fixed as the UTC instant with `Z` and its zone (the user's unless given).
    A `string` not given is the time rendered in the user's time zone, "YYYY-MM-DD HH:MM"."""
    if zone is None:
        return _due(local.strftime("%Y-%m-%dT%H:%M:%S.%f"), text or local.strftime("%Y-%m-%d %H:%M"),
                    lang, recurring=recurring)  # fmt: skip
    instant = local.replace(tzinfo=_zone(zone, argument)).astimezone(UTC)
    shown = instant.astimezone(_zone(user_tz, argument)).strftime("%Y-%m-%d %H:%M")
    return _due(instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), text or shown, lang, recurring=recurring, tz=zone)


def due_from_date(
    value: str, argument: str, *, lang: str = "en", tz: str = "UTC", zone: str | None = None
) -> dict[str, Any]:
    """A due object from `YYYY-MM-DD`, floating `…THH:MM:SS[.ffffff]` or fixed `…Z` (the "Due
    dates" guide): `tz` is the user's time zone, `zone` an explicit one for a fixed date."""
    if _DATE.match(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise invalid(argument, expected="YYYY-MM-DD") from None
        return _due(value, value, lang)
    match = _DATETIME.match(value)
    if not match:
        raise invalid(argument, expected="YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or YYYY-MM-DDTHH:MM:SSZ")
    try:
        moment = datetime.fromisoformat(value.removesuffix("Z"))
    except ValueError:
        raise invalid(argument) from None
    if not match.group(3):
        return _timed(moment, None, lang, user_tz=tz, zone=None, argument=argument)
    due = _timed(moment, None, lang, user_tz=tz, zone="UTC", argument=argument)
    return {**due, "timezone": zone or tz}


def _day_of(phrase: str, today: date) -> date | None:
    if phrase in ("today", "tod"):
        return today
    if phrase in ("tomorrow", "tom"):
        return today + timedelta(days=1)
    if phrase == "yesterday":
        return today - timedelta(days=1)
    if _DATE.match(phrase):
        try:
            return date.fromisoformat(phrase)
        except ValueError:
            return None
    name = phrase.removeprefix("next ").strip()
    for index, weekday in enumerate(_WEEKDAYS):
        if name in (weekday, weekday[:3]):
            return today + timedelta(days=(index - today.weekday() - 1) % 7 + 1)
    match = re.fullmatch(r"in (\d+) (day|week)s?", phrase)
    if match:
        return today + timedelta(days=int(match.group(1)) * (7 if match.group(2) == "week" else 1))
    return None


def due_from_string(
    text: str,
    today: date,
    *,
    lang: str = "en",
    argument: str = "due_string",
    tz: str = "UTC",
    zone: str | None = None,
) -> dict[str, Any] | None:
    """Parse the few due strings the emulator knows; None for "no date"; 400 for the rest.

    Known: today, tomorrow, yesterday, YYYY-MM-DD, weekdays, "in N days/weeks", each optionally
    followed by "at H[:MM][am|pm]", and the recurring forms of `recurring` ("every …", "every! …",
    with an optional "starting YYYY-MM-DD"), whose date is the first occurrence.
    A time is floating unless `zone` is given (then fixed in it); `tz` is the user's time zone.
    """
    phrase = " ".join(text.lower().split())
    if phrase in ("no date", "no due date", ""):
        return None
    repeats = _EVERY.match(phrase) is not None
    start = None
    if repeats:
        phrase, start = recurring.split_start(phrase)
    hour = minute = None
    timed = _AT.match(phrase)
    if timed:
        phrase, hours, minutes, half = timed.groups()
        hour, minute = int(hours), int(minutes or 0)
        if half:
            hour = hour % 12 + (12 if half == "pm" else 0)
        if hour > 23 or minute > 59:
            raise invalid(argument, explanation=f"unknown time in {text!r}")
    if repeats:
        rule = recurring.read(phrase, start)
        day = rule.first(today) if rule is not None else None
    else:
        day = _day_of(phrase, today)
    if day is None:
        raise invalid(argument, explanation=f"the emulator cannot parse the date {text!r}")
    if hour is None or minute is None:
        return _due(day.isoformat(), text, lang, recurring=repeats)
    local = datetime.fromisoformat(f"{day.isoformat()}T{hour:02d}:{minute:02d}:00")  # wall clock
    return _timed(local, text, lang, user_tz=tz, zone=zone, argument=argument, recurring=repeats)


def due_from_object(
    value: object, today: date, *, argument: str = "due", tz: str = "UTC"
) -> dict[str, Any] | None:
    """A Sync `due` argument: null clears, `{"date": …}` or `{"string": …}` (plus lang,
    is_recurring and timezone, which makes a time fixed); `tz` is the user's time zone.

    A lone `{"date": "YYYY-MM-DD"}` (what a sync sends for each dated create) is answered at
    once: the steps below give that day, its own string, not recurring, for it."""
    if type(value) is dict and len(value) == 1:
        day = value.get("date")
        if type(day) is str and _DATE.match(day):
            try:
                date.fromisoformat(day)
            except ValueError:
                pass  # refused below, as `due_from_date` refuses it
            else:
                return {"date": day, "timezone": None, "string": day, "lang": "en", "is_recurring": False}
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
        every = _EVERY.match(" ".join(due["string"].lower().split())) is not None
        due["is_recurring"] = bool(value.get("is_recurring", every))
        if every and next_due(due, date.fromisoformat(due["date"][:10])) is None:
            raise invalid(argument, explanation=f"the emulator cannot parse the date {due['string']!r}")
        return due
    if isinstance(value.get("string"), str):
        return due_from_string(value["string"], today, lang=lang, argument=argument, tz=tz, zone=zone or None)
    raise invalid(argument, expected="an object with date or string, or null")


def next_due(due: dict[str, Any], today: date) -> dict[str, Any] | None:
    """The next occurrence of a recurring due date, counted from its current date (from `today`
    for "every!"); None when its string is not one `recurring` reads."""
    phrase, start = recurring.split_start(" ".join(due["string"].lower().split()))
    timed = _AT.match(phrase)
    rule = recurring.read(timed.group(1) if timed else phrase, start)
    if rule is None:
        return None
    when: str = due["date"]
    day = rule.after(date.fromisoformat(when[:10]), today)
    return {**due, "date": day.isoformat() + when[10:]}


_BLANK_TASK: dict[str, Any] = {
    "id": "",
    "user_id": "",
    "project_id": "",
    "section_id": None,
    "parent_id": None,
    "content": "",
    "description": "",
    "labels": [],
    "priority": 1,
    "due": None,
    "deadline": None,
    "duration": None,
    "is_collapsed": False,
    "child_order": 1,
    "order_key": None,
    "day_order": -1,
    "responsible_uid": None,
    "assigned_by_uid": None,
    "added_by_uid": "",
    "checked": False,
    "is_deleted": False,
    "completed_at": None,
    "completed_by_uid": None,
    "added_at": "",
    "updated_at": "",
    "note_count": 0,
    "completed_count": 0,
    "postponed_count": 0,
}


def task_record(task_id: str, user_id: str, project_id: str, now: str) -> dict[str, Any]:
    """A new task with every `ItemSyncView` key present (reference §2); callers fill in the rest.

    A copy of one blank record, its own values set (its labels a list of its own): a dict's
    copy is its table copied as one block, where a display of 28 keys hashes and inserts them
    one at a time, at every create; a quarter of the instructions."""
    task = _BLANK_TASK.copy()
    task["id"] = task_id
    task["user_id"] = user_id
    task["project_id"] = project_id
    task["labels"] = []
    task["added_by_uid"] = user_id
    task["added_at"] = now
    task["updated_at"] = now
    return task


def project_record(project_id: str, name: str, user_id: str, now: str, **fields: Any) -> dict[str, Any]:
    """A personal project with the keys `PersonalProjectSyncView` requires and the SDK maps, but
    `inbox_project`: the Sync reference says it is sent, true, on the Inbox only ("otherwise this
    property is not sent"), which the SDK allows (default None), though the schema lists it as
    required. The Inbox passes `inbox_project=True`."""
    record: dict[str, Any] = {
        "id": project_id,
        "name": name,
        "description": "",
        "parent_id": None,
        "child_order": 1,
        "order_key": None,
        "color": "charcoal",
        "is_collapsed": False,
        "is_shared": False,
        "is_favorite": False,
        "is_archived": False,
        "is_deleted": False,
        "is_frozen": False,
        "can_assign_tasks": False,
        "can_comment": True,
        "view_style": "list",
        "creator_uid": user_id,
        "created_at": now,
        "updated_at": now,
        "default_order": 0,
        "default_order_key": None,
        "public_key": "",
        "access": None,
        "role": None,
    }
    record.update(fields)
    return record


def label_sync(label: dict[str, Any]) -> dict[str, Any]:
    """A personal label as Sync sends it (`item_order`, `order_key`, `is_deleted`)."""
    return dict(label)


def label_rest(label: dict[str, Any]) -> dict[str, Any]:
    """A personal label as REST sends it (`LabelRestView`: `order`, no `is_deleted`)."""
    keys = ("id", "name", "color", "is_favorite")
    return {**{key: label[key] for key in keys}, "order": label["item_order"]}


def user_record(user: dict[str, Any], inbox_id: str, completed: int, completed_today: int) -> dict[str, Any]:
    """The account as `GET /user` (`UserJSON`) and Sync's `user` send it: all required keys."""
    return {
        "id": user["id"],
        "email": user["email"],
        "full_name": user["full_name"],
        "image_id": user["image_id"],
        "inbox_project_id": inbox_id,
        "has_password": True,
        "verification_status": "verified",
        "mfa_enabled": False,
        "is_premium": user["is_premium"],
        "has_started_a_trial": False,
        "date_format": 0,
        "time_format": 0,
        "sort_order": 0,
        "theme_id": "0",
        "theme_appearance": "system",
        "start_day": 1,
        "weekend_start_day": 6,
        "next_week": 1,
        "auto_reminder": 0,
        "start_page": "inbox",
        "lang": "en",
        "tz_info": {
            "timezone": user["timezone"],
            "gmt_string": "+00:00",
            "hours": 0,
            "minutes": 0,
            "is_dst": 0,
        },
        "karma": 0.0,
        "daily_goal": 5,
        "weekly_goal": 25,
        "days_off": [6, 7],
        "is_celebrations_enabled": True,
        "completed_count": completed,
        "completed_today": completed_today,
        "share_limit": 5,
        "features": {},
        "feature_identifier": "",
        "joinable_workspace": None,
        "onboarding_completed": True,
        "onboarding_initiated": True,
        "onboarding_started": True,
        "activated_user": True,
        "has_magic_number": False,
        "websocket_url": "",
    }
