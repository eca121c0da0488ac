"""Task identity (a contract: keys must not change between releases; see docs/format.md).

key = first 16 hex digits of SHA-256 over the note identity and the normalised description,
so editing a due date, priority, owner, tag, status or the emoji spelling keeps a task's key.
"""

from __future__ import annotations

import hashlib

from bridge.front_matter import read_simple

__all__ = ["front_matter_identity", "owner_identity", "task_key"]

_SEP = "\x1f"  # cannot occur in a note title or a normalised description


def task_key(
    note_identity: str, normalised: str, task_id: str | None = None, owner: str | None = None
) -> str:
    """A task's key; a `🆔` in the line replaces the note and text, so rewording keeps the link.

    `owner` is given only when lines of one note share the sentence with different owners: they
    are different action items, so the owner joins the material (otherwise it does not, and a
    new owner keeps the key).
    """
    if task_id:
        material = f"id{_SEP}{task_id}"
    elif owner:
        material = f"{note_identity}{_SEP}{normalised}{_SEP}owner{_SEP}{owner}"
    else:
        material = f"{note_identity}{_SEP}{normalised}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]


def owner_identity(owner: str | None) -> str | None:
    """An owner as identity sees it: `@Dana Kim` and `@dana  kim` are one person."""
    return " ".join(owner.casefold().split()) if owner else None


def _path_identity(path: str) -> str:
    stem = path[: -len(".md")] if path.lower().endswith(".md") else path
    return f"path:{stem}"


def front_matter_identity(
    front_matter: str | None, path: str, *, simple: bool = True
) -> tuple[str, str | None]:
    """The note identity and, when the front matter cannot be read, why.

    Front matter `id`, else `title` with `date`, else the vault-relative path without extension:
    a note renamed or moved keeps its tasks' keys when its front matter names it. Front matter of
    the common shape is read without PyYAML (`bridge.front_matter`); `simple=False` reads all of
    it with PyYAML (the reference that shortcut is tested against).
    """
    if not front_matter:
        return _path_identity(path), None
    data: object = read_simple(front_matter) if simple else None
    if data is None:
        data, problem = _load_yaml(front_matter)
        if problem is not None:
            return _path_identity(path), problem
    if not isinstance(data, dict):
        return _path_identity(path), None
    note_id = data.get("id")
    if isinstance(note_id, str) and note_id.strip():
        return f"id:{note_id.strip()}", None
    title = data.get("title")
    if isinstance(title, str) and title.strip():
        date = data.get("date")
        return f"title:{title.strip()}{_SEP}{date.strip() if isinstance(date, str) else ''}", None
    return _path_identity(path), None


def _load_yaml(front_matter: str) -> tuple[object, str | None]:
    """The front matter as PyYAML's BaseLoader reads it (every scalar a string), or why it cannot be."""
    import yaml  # here: a vault without front matter does not pay for importing PyYAML

    # libyaml's loader is an order of magnitude faster; both keep every scalar a plain string.
    loader: type[yaml.BaseLoader | yaml.CBaseLoader] = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    try:
        return yaml.load(front_matter, Loader=loader), None  # noqa: S506 - BaseLoader builds plain strings only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        return None, f"front matter is not valid YAML{where}; note identity falls back to its path"
