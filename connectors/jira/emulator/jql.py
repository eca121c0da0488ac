"""The subset of JQL the connector and the tests use, parsed and evaluated over issue snapshots.

Supported: `field = | != | > | >= | < | <= | ~ | !~ value`, `field [NOT] IN (v, …)`,
`field IS [NOT] EMPTY`, `field CHANGED [AFTER d] [BEFORE d] [BY user]` (status, priority,
assignee, reporter, resolution), `AND`, `OR`, `NOT`, parentheses, `ORDER BY field [ASC|DESC], …`, over
`project`, `key`/`issuekey`/`id`, `labels`, `status`, `statusCategory`, `priority`, `resolution`,
`assignee`, `reporter`, `summary`/`description`/`text` (`~` only), `updated`, `created`,
`resolved`/`resolutiondate`, `due`/`duedate`, and the functions `currentUser()` and `now()`.
Dates are `yyyy-MM-dd HH:mm`, `yyyy/MM/dd HH:mm`, either without the time, or relative (`-15m`,
`-2h`, `-1d`, `-1w`), read in the searching user's time zone (their `timeZone`), as Jira does.
As in Jira, `!=` and `NOT IN` never match an empty field, an unknown project or key is an error,
and values compare case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.jira.emulator.errors import JiraError, bad_request
from connectors.jira.emulator.records import Issue, User
from connectors.jira.emulator.state import JiraEmulator
from connectors.jira.emulator.workflow import CATEGORIES

__all__ = ["Query", "parse"]

Predicate = Callable[[Issue], bool]
_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')"""
    r"""|(?P<op>!=|>=|<=|!~|[=<>~(),])|(?P<word>[^\s=!<>~(),"']+))"""
)
_RELATIVE = re.compile(r"^([-+]?)(\d+)([mhdw])$")
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_ALIASES = {"issuekey": "key", "issue": "key", "resolutiondate": "resolved", "duedate": "due",
            "createddate": "created", "updateddate": "updated", "type": "issuetype"}  # fmt: skip
_DATES = {"updated": "updated", "created": "created", "resolved": "resolutiondate", "due": "duedate"}
_TEXT = ("summary", "description", "text")
_LISTED = ("project", "key", "id", "labels", "status", "statuscategory", "priority", "resolution",
           "assignee", "reporter", "issuetype")  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "str", "op", "word", "end"
    text: str
    at: int

    def keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: `where` (None when the query has no restriction) and the sort order."""

    where: Predicate | None
    order: tuple[tuple[str, bool], ...]

    @property
    def bounded(self) -> bool:
        """Whether the query restricts anything (Cloud refuses unbounded searches)."""
        return self.where is not None

    def run(self, issues: Sequence[Issue], site: JiraEmulator) -> list[Issue]:
        """The matching issues, sorted (default: newest key first); ties go by id."""
        found = [i for i in issues if self.where is None or self.where(i)]
        found.sort(key=lambda i: int(i.id))
        for field, descending in reversed(self.order or (("key", True),)):
            present = [i for i in found if _sort_value(i, field, site) is not None]
            empty = [i for i in found if _sort_value(i, field, site) is None]
            present.sort(key=lambda i: _sort_value(i, field, site), reverse=descending)
            found = empty + present if descending else present + empty
        return found


def _sort_value(issue: Issue, field: str, site: JiraEmulator) -> Any:
    if field in ("key", "id"):
        return (issue.project.key, int(issue.key.rsplit("-", 1)[1])) if field == "key" else int(issue.id)
    if field in _DATES:
        return getattr(issue, _DATES[field])
    if field == "priority":
        return -int(issue.priority.id) if issue.priority else None
    if field == "status":
        return [s.id for s in site.workflow.statuses].index(issue.status.id)
    if field in ("assignee", "reporter"):
        person = getattr(issue, field)
        return person.display_name.casefold() if person else None
    return issue.summary.casefold()


def _error(message: str) -> JiraError:
    return bad_request(f"Error in the JQL Query: {message}")


class _Parser:
    def __init__(self, text: str, site: JiraEmulator) -> None:
        self.site = site
        self.tokens: list[_Tok] = []
        pos = 0
        while text[pos:].strip():
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                bad = text[pos:].lstrip()[:1]
                where = f"(line 1, character {pos + 1})"
                raise _error(f"The character '{bad}' is a reserved JQL character. {where}")
            kind = match.lastgroup or "word"
            self.tokens.append(_Tok(kind, match.group(kind), match.start(kind)))
            pos = match.end()
        self.tokens.append(_Tok("end", "", len(text)))
        self.pos = 0

    def peek(self) -> _Tok:
        return self.tokens[self.pos]

    def take(self) -> _Tok:
        token = self.tokens[self.pos]
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise _error(f"Expecting '{text}' but got '{token.text}'. (line 1, character {token.at + 1})")

    def query(self) -> Query:
        where = None if self.peek().keyword("ORDER") or self.peek().kind == "end" else self.disjunction()
        order: list[tuple[str, bool]] = []
        if self.peek().keyword("ORDER"):
            self.take()
            if not self.take().keyword("BY"):
                raise _error("Expecting 'BY' after 'ORDER'.")
            while True:
                name = self.field(self.take())
                descending = False
                if self.peek().keyword("ASC", "DESC"):
                    descending = self.take().text.upper() == "DESC"
                order.append((name, descending))
                if self.peek().text != ",":
                    break
                self.take()
        if self.peek().kind != "end":
            token = self.peek()
            raise _error(f"Expecting operator but got '{token.text}'. (line 1, character {token.at + 1})")
        return Query(where, tuple(order))

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek().keyword("OR"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda i: any(p(i) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.negation()]
        while self.peek().keyword("AND"):
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda i: all(p(i) for p in parts))

    def negation(self) -> Predicate:
        if self.peek().keyword("NOT"):
            self.take()
            inner = self.negation()
            return lambda i: not inner(i)
        if self.peek().text == "(" and self.peek().kind == "op":
            self.take()
            inner = self.disjunction()
            self.expect(")")
            return inner
        return self.clause()

    def field(self, token: _Tok) -> str:
        if token.kind in ("end", "op"):
            raise _error(f"Expecting a field name but got '{token.text}'. (line 1, character {token.at + 1})")
        name = token.text.strip("\"'").lower()
        name = _ALIASES.get(name, name)
        if name not in (*_LISTED, *_DATES, *_TEXT):
            raise bad_request(
                f"Field '{token.text}' does not exist or you do not have permission to view it."
            )
        return name

    def value(self) -> str | None:
        """One operand: a string, a word, `EMPTY`/`NULL` (None) or a function call (its name + "()")."""
        token = self.take()
        if token.kind == "str":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind != "word":
            raise _error(f"Expecting either a value, list or function but got '{token.text}'.")
        if token.keyword("EMPTY", "NULL"):
            return None
        if self.peek().text == "(":
            self.take()
            self.expect(")")
            return token.text.lower() + "()"
        return token.text

    def clause(self) -> Predicate:
        name = self.field(self.take())
        token = self.take()
        if token.keyword("IS"):
            negate = self.peek().keyword("NOT") and bool(self.take())
            if not self.take().keyword("EMPTY", "NULL"):
                raise _error("Expecting 'EMPTY' after 'IS'.")
            empty = _matcher(self, name, "is", [None])
            return (lambda i: not empty(i)) if negate else empty
        if token.keyword("CHANGED"):
            return self.changed(name)
        operator = token.text.upper() if token.kind in ("op", "word") else ""
        if token.keyword("NOT") and self.peek().keyword("IN"):
            self.take()
            operator = "NOT IN"
        if operator in ("IN", "NOT IN"):
            self.expect("(")
            values = [self.value()]
            while self.peek().text == ",":
                self.take()
                values.append(self.value())
            self.expect(")")
            return _matcher(self, name, operator, values)
        if operator not in ("=", "!=", ">", ">=", "<", "<=", "~", "!~"):
            raise _error(f"Expecting operator but got '{token.text}'. (line 1, character {token.at + 1})")
        return _matcher(self, name, operator, [self.value()])

    def changed(self, name: str) -> Predicate:
        """`field CHANGED [AFTER d] [BEFORE d] [BY user]`: judged on the issue's change history."""
        if name not in ("status", "priority", "assignee", "reporter", "resolution"):
            raise bad_request(f"The operator 'CHANGED' is not supported by the '{name}' field.")
        now = self.site.clock().astimezone(UTC)
        after: datetime | None = None
        before: datetime | None = None
        by: str | None = None
        while self.peek().keyword("AFTER", "BEFORE", "BY"):
            word = self.take().text.upper()
            value = self.value()
            if word == "BY":
                by = _resolve(self, "assignee", value or "")
            elif word == "AFTER":
                after = _date(value, name, now, _zone(self.site))
            else:
                before = _date(value, name, now, _zone(self.site))
        site = self.site

        def match(issue: Issue) -> bool:
            for entry in issue.history:
                when = _stamp(entry.created)
                if (after is not None and when < after) or (before is not None and when > before):
                    continue
                if by is not None and site.ident(entry.author).casefold() != by.casefold():
                    continue
                if any(item.get("field") == name for item in entry.items):
                    return True
            return False

        return match


def _zone(site: JiraEmulator) -> tzinfo:
    """The searching user's time zone, in which JQL reads date literals."""
    try:
        return ZoneInfo(site.me.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _date(value: str | None, name: str, now: datetime, zone: tzinfo = UTC) -> datetime:
    if value == "now()":
        return now
    relative = _RELATIVE.match(value or "")
    if relative:
        sign, amount, unit = relative.groups()
        step = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
                "w": timedelta(weeks=1)}  # fmt: skip
        return now + (-1 if sign == "-" else 1) * int(amount) * step[unit]
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(value or "", pattern).replace(tzinfo=zone)
        except ValueError:
            continue
    raise bad_request(
        f"Date value '{value}' for field '{name}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
        "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
    )


def _stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def _resolve(parser: _Parser, name: str, value: str) -> str:
    """The comparable form of one operand of a listed field (ids; names folded); 400 if unknown."""
    site = parser.site
    found: Any = None
    if name == "project":
        found = site.find_project(value)
    elif name in ("key", "id"):
        found = site.find_key(value) if not value.isdigit() else site.issues.get(value)
        if found is None and not value.isdigit():
            raise bad_request(f"An issue with key '{value}' does not exist for field '{name}'.")
        return found.id if found is not None else value
    elif name == "labels":
        return value
    elif name == "status":
        found = site.workflow.status(value)
    elif name == "statuscategory":
        keys = {k: (k, str(n), label) for k, (n, _, label) in CATEGORIES.items()}
        found = next((k for k, names in keys.items() if value.lower() in (n.lower() for n in names)), None)
        return found if found is not None else _unknown(value, name)
    elif name == "priority":
        found = site.find_priority(value)
    elif name == "resolution":
        if value.lower() == "unresolved":
            return ""
        found = site.find_resolution(value)
    elif name in ("assignee", "reporter"):
        user: User | None = site.me if value == "currentuser()" else site.find_user(value)
        return site.ident(user) if user is not None else _unknown(value, name)
    elif name == "issuetype":
        types = {t.id: t for p in site.projects for t in p.issue_types}
        found = next((t for t in types.values() if value.lower() in (t.id, t.name.lower())), None)
    if found is None:
        _unknown(value, name)
    return str(found.id)


def _unknown(value: str, name: str) -> str:
    raise bad_request(f"The value '{value}' does not exist for the field '{name}'.")


def _current(issue: Issue, name: str, site: JiraEmulator) -> list[str]:
    """The comparable values an issue holds for a listed field ([] when empty)."""
    if name == "labels":
        return list(issue.labels)
    if name == "statuscategory":
        return [issue.status.category]
    if name in ("assignee", "reporter"):
        person = getattr(issue, name)
        return [site.ident(person)] if person else []
    if name == "resolution":
        return [issue.resolution.id] if issue.resolution else [""]
    if name in ("key", "id"):
        return [issue.id]
    held = getattr(issue, name)
    return [str(held.id)] if held is not None else []


def _matcher(parser: _Parser, name: str, operator: str, values: list[str | None]) -> Predicate:
    site = parser.site
    if name in _TEXT:
        if operator not in ("~", "!~") or values[0] is None:
            raise bad_request(f"The operator '{operator}' is not supported by the '{name}' field.")
        words = values[0].casefold().replace("*", "").split()

        def contains(issue: Issue) -> bool:
            haystack = " ".join(
                [issue.summary] * (name != "description") + [issue.description or ""] * (name != "summary")
            ).casefold()
            return all(word in haystack for word in words)

        return contains if operator == "~" else (lambda i: not contains(i))
    if name in _DATES:
        return _date_matcher(parser, name, operator, values)
    if operator not in ("=", "!=", "IN", "NOT IN", "is"):
        raise bad_request(f"The operator '{operator}' is not supported by the '{name}' field.")
    wanted = {_resolve(parser, name, v).casefold() for v in values if v is not None}
    wants_empty = None in values

    def held(issue: Issue) -> list[str]:
        return [h.casefold() for h in _current(issue, name, site)]

    def match(issue: Issue) -> bool:
        values_held = held(issue)
        return any(h in wanted for h in values_held) or (wants_empty and not [h for h in values_held if h])

    if operator in ("!=", "NOT IN"):
        return lambda i: any(held(i)) and not match(i)
    return match


def _date_matcher(parser: _Parser, name: str, operator: str, values: list[str | None]) -> Predicate:
    attribute = _DATES[name]
    now = parser.site.clock().astimezone(UTC)
    zone = UTC if name == "due" else _zone(parser.site)  # a due date is a day, not a moment
    moments = [None if v is None else _date(v, name, now, zone) for v in values]

    def held(issue: Issue) -> datetime | None:
        raw = getattr(issue, attribute)
        if raw is None:
            return None
        return datetime.fromisoformat(raw).replace(tzinfo=UTC) if attribute == "duedate" else _stamp(raw)

    compare: dict[str, Callable[[datetime, datetime], bool]] = {
        "=": lambda a, b: a == b, "!=": lambda a, b: a != b, ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    }  # fmt: skip
    if operator in ("IN", "NOT IN", "is"):

        def member(issue: Issue) -> bool:
            value = held(issue)
            return (value is None and None in moments) or (value is not None and value in moments)

        return member if operator != "NOT IN" else (lambda i: held(i) is not None and not member(i))
    if operator not in compare or moments[0] is None:
        raise bad_request(f"The operator '{operator}' is not supported by the '{name}' field.")
    test, moment = compare[operator], moments[0]

    def check(issue: Issue) -> bool:
        value = held(issue)
        return value is not None and test(value, moment)

    return check


def parse(text: str, site: JiraEmulator) -> Query:
    """Parse `text` against the site (project, key, user … values must exist); 400 if invalid."""
    return _Parser(text or "", site).query()
