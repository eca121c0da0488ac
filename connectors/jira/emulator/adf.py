"""Plain text ↔ Atlassian Document Format, the two spellings of a description (REST v2 / v3).

The emulator stores descriptions as plain text; REST v3 reads and writes them as ADF documents
(reference §2). A line becomes a paragraph and back, so text survives a v3 round trip unchanged.
"""

from __future__ import annotations

from typing import Any

__all__ = ["adf_to_text", "is_adf", "text_to_adf"]


def text_to_adf(text: str) -> dict[str, Any]:
    """An ADF `doc`: one paragraph per line (an empty line is an empty paragraph)."""
    content: list[dict[str, Any]] = []
    for line in text.split("\n"):
        paragraph: dict[str, Any] = {"type": "paragraph"}
        if line:
            paragraph["content"] = [{"type": "text", "text": line}]
        content.append(paragraph)
    return {"type": "doc", "version": 1, "content": content}


def is_adf(value: Any) -> bool:
    """Whether `value` looks like an ADF document (`type: doc`, `version: 1`, a content list)."""
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )


def adf_to_text(doc: dict[str, Any]) -> str:
    """The text of an ADF document: block nodes become lines, `hardBreak` a line break."""
    lines = [_inline(block) for block in doc.get("content", []) if isinstance(block, dict)]
    return "\n".join(lines)


def _inline(node: dict[str, Any]) -> str:
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("type") == "hardBreak":
        return "\n"
    children = node.get("content", [])
    parts = [_inline(child) for child in children if isinstance(child, dict)]
    block = node.get("type") not in ("paragraph", "heading", None) and any(
        isinstance(child, dict) and child.get("type") not in ("text", "hardBreak") for child in children
    )
    return ("\n" if block else "").join(parts)
