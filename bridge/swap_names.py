"""The suffixes of the files a note's rewrite (`bridge.exchange`) puts beside the note.

Apart from the rewrite itself, so that reading the vault (`bridge.vault`, which skips them) does
not import what rewriting needs (ctypes, tempfile).
"""

from __future__ import annotations

__all__ = ["SAVED_SUFFIX", "TEMP_SUFFIX"]

TEMP_SUFFIX = ".bridge-tmp"
SAVED_SUFFIX = ".bridge-saved"  # a racing save, kept while the note is rewritten from it
