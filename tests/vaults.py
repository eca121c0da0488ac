"""Generated vaults shaped like real exports of meeting notes, for tests and benchmarks.

Real vaults are messy in ways clean fixtures never are: series of weekly notes carry open items
from week to week (some ticked in one note only, some with a new due date), generated notes
repeat an item in other words, the same sentence is given to two people, done items pile up as
history, emoji arrive as Mac Roman or Windows mojibake, some notes use Dataview fields, code
fences hold task-like lines, and a typo makes a date impossible. `messy_vault` writes such a
vault, deterministically from a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

PEOPLE = (
    "Myself",
    "Dana Kim",
    "Lior Genzel",
    "Jason Vallery",
    "Glenn Lockwood",
    "Priya Raman",
    "Tomás Ortega",
    "Mei Chen",
    "dana.kim",
)
VERBS = (
    "Share",
    "Review",
    "Draft",
    "Send",
    "Schedule",
    "Update",
    "Prepare",
    "Confirm",
    "Follow up on",
    "Book",
)
OBJECTS = (
    "the role descriptions",
    "the Q3 roadmap",
    "the hiring plan",
    "the offsite agenda",
    "the budget forecast",
    "the customer escalation notes",
    "the Azure GTM deck",
    "the storage benchmark results",
    "the onboarding checklist",
    "the partner contract",
    "the launch retrospective",
    "the pricing proposal",
)
WITH = ("with Jason", "with finance", "for the board", "with the field team", "for Lior", "before Friday", "")
REWORDINGS = (
    lambda s: s.replace("the ", "our ", 1),
    lambda s: s + " (draft)",
    lambda s: "Please " + s[0].lower() + s[1:],
    lambda s: s + " asap",
)
TAGS = ("#task", "#proposed", "#auto", "#followup", "#ops")
PRIORITIES = ("🔺", "⏫", "🔼", "🔽", "⏬")
SERIES = (
    "Weekly staff",
    "1-1 Lior Genzel",
    "Azure GTM sync",
    "Hiring committee",
    "Storage roadmap",
    "Customer escalations",
    "Partner pipeline",
    "Offsite planning",
)


def _mojibake(text: str, style: str) -> str:
    """Emoji as transcript tools leave them: UTF-8 bytes read as Mac Roman or as Windows-1252."""
    if style == "mac-roman":
        return "".join(
            ch.encode("utf-8").decode("mac_roman") if ord(ch) > 0xFFFF or ch in "✅❌⏫⏬" else ch
            for ch in text
        )
    if style == "cp1252":
        out = []
        for ch in text:
            if ord(ch) > 0xFFFF or ch in "✅❌⏫⏬":
                out.append(ch.encode("utf-8").decode("cp1252", errors="replace").replace("\ufffd", "?"))
            else:
                out.append(ch)
        joined = "".join(out)
        return joined if "?" not in joined else text  # cp1252 cannot spell every emoji byte
    return text


@dataclass
class Item:
    """An action item as a meeting series carries it from week to week."""

    sentence: str
    owner: str | None
    due: dt.date | None
    priority: str | None = None
    tags: tuple[str, ...] = ()
    status: str = " "
    done: dt.date | None = None


@dataclass
class _Series:
    name: str
    open_items: list[Item] = field(default_factory=list)


def _sentence(rng: random.Random) -> str:
    extra = rng.choice(WITH)
    return " ".join(part for part in (rng.choice(VERBS), rng.choice(OBJECTS), extra) if part)


def _line(item: Item, spelling: str, rng: random.Random, *, impossible: bool = False) -> str:
    """One task line in the note's spelling: emoji (UTF-8 or mojibake) or Dataview fields."""
    parts = [f"- [{item.status}] {item.sentence}"]
    if item.owner:
        parts.append(f"@{item.owner}")
    due = item.due.isoformat() if item.due else None
    if impossible and due:
        due = due[:8] + "32"
    if spelling == "dataview":
        if due:
            parts.append(f"[due:: {due}]")
        if item.priority:
            name = ("highest", "high", "medium", "low", "lowest")[PRIORITIES.index(item.priority)]
            parts.append(f"[priority:: {name}]")
        if item.status == "x" and item.done:
            parts.append(f"[completion:: {item.done.isoformat()}]")
    else:
        if due:
            parts.append(f"📅 {due}")
        if item.priority:
            parts.append(item.priority)
        if item.status == "x" and item.done:
            parts.append(f"✅ {item.done.isoformat()}")
    parts.extend(item.tags)
    text = " ".join(parts)
    if rng.random() < 0.05:
        text += " "  # trailing white space, which write-back must keep
    return _mojibake(text, spelling) if spelling in ("mac-roman", "cp1252") else text


def _new_item(rng: random.Random, day: dt.date) -> Item:
    owner = rng.choice((*PEOPLE, None, None))
    due = day + dt.timedelta(days=rng.choice((3, 5, 7, 10, 14))) if rng.random() < 0.7 else None
    priority = rng.choice(PRIORITIES) if rng.random() < 0.3 else None
    tags = tuple(t for t in TAGS if rng.random() < 0.3)
    status = rng.choices((" ", "?", "/", "x", "-"), weights=(40, 35, 5, 15, 5))[0]
    done = day if status == "x" else None
    return Item(_sentence(rng), owner, due, priority, tags, status, done)


def _front_matter(rng: random.Random, series: str, day: dt.date, number: int) -> list[str]:
    kind = rng.random()
    if kind < 0.3:
        return [
            "---",
            f"title: {series} {day.isoformat()}",
            f"date: '{day.isoformat()}'",
            "tags:",
            "- meeting",
            "---",
        ]
    if kind < 0.4:
        return ["---", f"id: {series.lower().replace(' ', '-')}-{number}", "---"]
    return []


def messy_vault(root: Path, notes: int = 200, *, seed: int = 20261203) -> list[Path]:
    """Write `notes` weekly meeting notes (about ten task lines each) under `root`; their paths."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    series = [_Series(name) for name in SERIES]
    start = dt.date(2025, 1, 6)
    written: list[Path] = []
    for number in range(notes):
        s = series[number % len(series)]
        week = number // len(series)
        day = start + dt.timedelta(weeks=week, days=number % 5)
        spelling = rng.choices(("utf-8", "mac-roman", "cp1252", "dataview"), weights=(60, 20, 5, 15))[0]
        lines = [*_front_matter(rng, s.name, day, number), f"# {s.name} — {day:%d %B %Y}", ""]
        lines += [f"Attendees: {', '.join(rng.sample(PEOPLE[1:8], 3))}", "", "## Notes", ""]
        lines += [f"- {rng.choice(OBJECTS).capitalize()} discussed; @{rng.choice(PEOPLE)} raised a concern."]
        if rng.random() < 0.1:
            lines += ["", "```markdown", "- [ ] An example task inside a code block", "```"]
        lines += ["", "## Action items", ""]
        items: list[Item] = []
        for carried in list(s.open_items):  # carried forward, as generated notes do
            if rng.random() < 0.15:
                s.open_items.remove(carried)  # dropped from the agenda
                continue
            copy = Item(**{**carried.__dict__})
            if rng.random() < 0.2 and copy.due:
                copy.due = copy.due + dt.timedelta(days=7)  # pushed to next week
            if rng.random() < 0.15:
                copy.status, copy.done = "x", day  # ticked in this note only
                s.open_items.remove(carried)
            items.append(copy)
        for _ in range(max(0, rng.randint(7, 12) - len(items))):
            item = _new_item(rng, day)
            items.append(item)
            if item.status in " ?/":
                s.open_items.append(item)
            if rng.random() < 0.15:  # the transcript tool repeats it in other words
                items.append(Item(**{**item.__dict__, "sentence": rng.choice(REWORDINGS)(item.sentence)}))
            if rng.random() < 0.08 and item.owner:  # the same sentence for another person
                other = rng.choice([p for p in PEOPLE if p != item.owner])
                items.append(Item(**{**item.__dict__, "owner": other, "status": " "}))
        del s.open_items[:-12]  # a series keeps a dozen open items at most
        rng.shuffle(items)
        for i, item in enumerate(items):
            lines.append(_line(item, spelling, rng, impossible=(number * 31 + i) % 997 == 0))
        lines += ["", "## Transcript summary", "", rng.choice(OBJECTS).capitalize() + " was covered.", ""]
        newline = "\r\n" if rng.random() < 0.05 else "\n"
        folder = root / s.name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{day.isoformat()} {s.name}.md"
        bom = "\ufeff" if rng.random() < 0.02 else ""
        path.write_bytes((bom + newline.join(lines)).encode("utf-8"))
        written.append(path)
    return written


def action_item_note(
    lines: int, *, owner: str = "Lior Genzel", due: dt.date | None = None, seed: int = 18
) -> str:
    """One note of `lines` action items, all of one owner and one due date: one grouping bucket.

    The sentences are the generator's (verb, object, detail), about one in seven repeated in other
    words, with the generator's mix of statuses; a transcript of a long meeting series looks so.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    due = due or dt.date(2025, 10, 26)
    out = ["# Action items", ""]
    while len(out) - 2 < lines:
        status = rng.choices((" ", "?", "/", "x", "-"), weights=(40, 35, 5, 15, 5))[0]
        sentence = _sentence(rng)
        if rng.random() < 0.15:
            sentence = rng.choice(REWORDINGS)(sentence)
        item = Item(sentence, owner, due, status=status, done=due if status == "x" else None)
        out.append(_line(item, "utf-8", rng))
    return "\n".join(out) + "\n"
