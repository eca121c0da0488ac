"""Task arguments from both front doors — REST JSON bodies and Sync command args — checked and
turned into one dict of `ItemSyncView` keys, so the account applies a change the same way whichever
door it came through.

REST names follow the create/update request bodies of the OpenAPI document and the SDK
(`due_string`/`due_date`/`due_datetime`, `assignee_id`, `order`, `duration`+`duration_unit`,
`deadline_date`); Sync names follow the `item_add`/`item_update` argument tables (`due` object,
`responsible_uid`, `deadline` object, `duration` object). Wrong types or values are a 400
`INVALID_ARGUMENT_VALUE` naming the argument. Ids are passed through; the Sync handler resolves temp ids.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from connectors.todoist.emulator.errors import invalid
from connectors.todoist.emulator.records import due_from_date, due_from_object, due_from_string

__all__ = ["rest_task_changes", "sync_task_changes"]

_INT32 = (-(2**31), 2**31 - 1)
_PLACEMENT = ("project_id", "section_id", "parent_id")


def _text(args: dict[str, Any], key: str, *, empty: bool = True) -> str:
    value = args[key]
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise invalid(key, expected="a non-empty string" if not empty else "a string")
    return value


def _integer(args: dict[str, Any], key: str, low: int, high: int) -> int:
    value = args[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(key, expected=f"an integer from {low} to {high}")
    return value


def _flag(args: dict[str, Any], key: str) -> bool:
    value = args[key]
    if isinstance(value, bool):
        return value
    if value in (0, 1):  # Sync accepts 0/1 for booleans
        return bool(value)
    raise invalid(key, expected="a boolean")


def _labels(args: dict[str, Any], key: str = "labels") -> list[str]:
    value = args[key]
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(name, str) and name.strip() for name in value):
        raise invalid(key, expected="a list of label names")
    return list(dict.fromkeys(value))


def _user_id(args: dict[str, Any], key: str) -> str | None:
    value = args[key]
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid(key, expected="a user id")
    return str(value)


def _place(args: dict[str, Any], out: dict[str, Any]) -> None:
    for key in _PLACEMENT:
        if key in args:
            value = args[key]
            if value is not None and not isinstance(value, str):
                raise invalid(key, expected="an id string or null")
            out[key] = value or None


def _common(args: dict[str, Any], out: dict[str, Any], *, creating: bool) -> None:
    if "content" in args or creating:
        if "content" not in args:
            raise invalid("content", explanation="content is required")
        out["content"] = _text(args, "content", empty=False)
    if "description" in args:
        out["description"] = "" if creating and args["description"] is None else _text(args, "description")
    if "labels" in args:
        out["labels"] = _labels(args)
    if "priority" in args and not (creating and args["priority"] is None):
        out["priority"] = _integer(args, "priority", 1, 4)
    for key in ("child_order", "day_order"):
        if key in args:
            out[key] = _integer(args, key, *_INT32)
    if "is_collapsed" in args:
        out["is_collapsed"] = _flag(args, "is_collapsed")


def rest_task_changes(body: object, today: date, *, creating: bool, tz: str = "UTC") -> dict[str, Any]:
    """`POST /tasks` (creating) or `POST /tasks/{id}` body → task changes; `tz` is the user's
    time zone (a `…Z` due_datetime is fixed in it, and due strings are rendered in it)."""
    if not isinstance(body, dict):
        raise invalid("body", expected="a JSON object")
    args = dict(body)
    if "collapsed" in args:  # the SDK's name on update
        args.setdefault("is_collapsed", args.pop("collapsed"))
    if creating and "order" in args:
        args["child_order"] = args.pop("order")
    out: dict[str, Any] = {}
    _common(
        {k: v for k, v in args.items() if not (creating and v is None and k != "content")},
        out,
        creating=creating,
    )
    if creating:
        _place(args, out)
    lang = args.get("due_lang") or "en"
    given = [key for key in ("due_string", "due_date", "due_datetime") if args.get(key) is not None]
    if len(given) > 1:
        raise invalid(given[1], explanation="give only one of due_string, due_date, due_datetime")
    if given == ["due_string"]:
        out["due"] = due_from_string(_text(args, "due_string"), today, lang=lang, tz=tz)
    elif given:
        key = given[0]
        due = due_from_date(_text(args, key), key, lang=lang, tz=tz)
        if (key == "due_date") != ("T" not in due["date"]):
            raise invalid(key, expected="YYYY-MM-DD" if key == "due_date" else "YYYY-MM-DDTHH:MM:SS[Z]")
        out["due"] = due
    if "assignee_id" in args and not (creating and args["assignee_id"] is None):
        out["responsible_uid"] = _user_id(args, "assignee_id")
    if args.get("duration") is not None or args.get("duration_unit") is not None:
        amount, unit = args.get("duration"), args.get("duration_unit")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise invalid("duration", expected="a positive integer, with duration_unit")
        if unit not in ("minute", "day"):
            raise invalid("duration_unit", expected="minute or day")
        out["duration"] = {"amount": amount, "unit": unit}
    elif "duration" in args and not creating:
        out["duration"] = None
    if args.get("deadline_date") is not None:
        deadline = due_from_date(_text(args, "deadline_date"), "deadline_date")
        if "T" in deadline["date"]:
            raise invalid("deadline_date", expected="YYYY-MM-DD")
        out["deadline"] = {"date": deadline["date"], "lang": args.get("deadline_lang") or "en"}
    elif "deadline_date" in args and not creating:
        out["deadline"] = None
    return out


_PLAIN = frozenset(("content", "description", "labels", "priority", "project_id", "due"))


def _plain_create(args: dict[str, Any], today: date, tz: str) -> dict[str, Any] | None:
    """`sync_task_changes` of a plain `item_add` (the arguments a sync's creates send, each of
    its exact type and valid), or None for anything else, which the full checks then read.

    A first sync sends 100,000 such creates and waits for each batch's answer: checked in one
    pass here, a create's arguments cost half what the general checks (a call per argument, each
    asking `isinstance`) do. The keys are set in the order those checks set them."""
    if "content" not in args or not _PLAIN.issuperset(args):
        return None
    content = args["content"]
    if type(content) is not str or not content.strip():
        return None
    out: dict[str, Any] = {"content": content}
    if "description" in args:
        description = args["description"]
        if description is None:
            out["description"] = ""
        elif type(description) is str:
            out["description"] = description
        else:
            return None
    if "labels" in args:
        labels = args["labels"]
        if labels is None:
            out["labels"] = []
        elif type(labels) is not list:
            return None
        else:
            for name in labels:
                if type(name) is not str or not name.strip():
                    return None
            out["labels"] = list(dict.fromkeys(labels)) if len(labels) > 1 else labels[:]
    if "priority" in args:
        priority = args["priority"]
        if type(priority) is int and 1 <= priority <= 4:
            out["priority"] = priority
        elif priority is not None:  # None: the default, as `_common` leaves it when creating
            return None
    if "project_id" in args:
        project = args["project_id"]
        if project is not None and type(project) is not str:
            return None
        out["project_id"] = project or None
    if "due" in args:
        out["due"] = due_from_object(args["due"], today, tz=tz)  # its own errors, the first one's
    return out


def sync_task_changes(args: object, today: date, *, creating: bool, tz: str = "UTC") -> dict[str, Any]:
    """`item_add` (creating) or `item_update` args → task changes (ids still unresolved); `tz` is
    the user's time zone, as for `rest_task_changes`."""
    if creating and type(args) is dict:
        plain = _plain_create(args, today, tz)
        if plain is not None:
            return plain
    if not isinstance(args, dict):
        raise invalid("args", expected="an object")
    out: dict[str, Any] = {}
    _common(args, out, creating=creating)
    if creating:
        _place(args, out)
    if "due" in args:
        out["due"] = due_from_object(args["due"], today, tz=tz)
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
            out[key] = _user_id(args, key)
    return out
