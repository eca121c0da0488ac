"""Text repair and normalisation: the mojibake of real notes, and the canonical form keys are made of.

Kept apart from parsing because identity (a contract) depends on exactly these rules.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["TAG_CHARS", "TAG_RE", "decode_cp1252_sloppy", "normalise", "repair_mojibake"]

_TAG_CHAR = r"[^\s!@#$%^&*(),.?\":{}|<>\[\]]"  # what Obsidian allows in a tag
TAG_CHARS = rf"{_TAG_CHAR}*(?!\d){_TAG_CHAR}{_TAG_CHAR}*"  # not digits alone: `#123` is text
# A tag as Obsidian reads it, only where a word starts.
TAG_RE = re.compile(rf"(?<!\S)#{TAG_CHARS}")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_TRAILING_PUNCT = " .,;:!?…。"


def decode_cp1252_sloppy(data: bytes) -> str:
    """Decode as Windows does: the five bytes cp1252 leaves undefined become the C1 controls."""
    return "".join(
        chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252") for b in data
    )


def _encode_cp1252_sloppy(text: str) -> bytes:
    out = bytearray()
    for ch in text:
        code = ord(ch)
        if code in (0x81, 0x8D, 0x8F, 0x90, 0x9D):
            out.append(code)
        else:
            out += ch.encode("cp1252")
    return bytes(out)


def _implausible(text: str) -> int:
    """How many characters no real text would hold: combining marks, controls, unassigned, private use."""
    return sum(unicodedata.category(ch) in ("Mn", "Cc", "Co", "Cn") for ch in text)


def _repair_run(run: str) -> str:
    """Undo UTF-8-read-as-Mac-Roman or -as-cp1252 on one run of non-ASCII characters.

    A run is repaired only when it re-encodes to valid UTF-8, which ordinary accented text
    (a lone `é`, `ü`) never does, and the result is plausible text; when both readings decode,
    the more plausible wins (`Ã©` is cp1252 for `é`, not Mac Roman for a combining mark).
    ftfy does not know the Mac Roman form, hence this.
    """
    best, score = run, _implausible(run)
    for encode in (lambda s: s.encode("mac_roman"), _encode_cp1252_sloppy):
        try:
            fixed = encode(run).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        fixed_score = _implausible(fixed)
        if fixed_score < score or (fixed_score == score == 0 and best == run):
            best, score = fixed, fixed_score
    return best


def repair_mojibake(text: str) -> str:
    if text.isascii():
        return text
    return _NON_ASCII_RUN.sub(lambda m: _repair_run(m.group()), text)


def normalise(description: str) -> str:
    """The canonical form of a description that task keys hash (see docs/format.md).

    Mojibake repaired, NFKC, casefolded, tags dropped, white space collapsed, trailing
    punctuation removed: a task keeps its key through all of these edits.
    """
    text = repair_mojibake(description)
    if not text.isascii():  # NFKC leaves ASCII as it is
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    if "#" in text:
        text = TAG_RE.sub(" ", text)
    # White space collapsed and trimmed (`str.split` and the `\s` of `re` agree on what is white
    # space), then trailing punctuation, the only white space left being single blanks.
    return " ".join(text.split()).rstrip(_TRAILING_PUNCT)
