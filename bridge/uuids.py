"""Name-based (version 5) uuids as text, for the idempotency tokens a large first sync makes by
the hundred thousand.

`str(uuid.uuid5(namespace, name))` builds and checks a `UUID` object for each one; this writes the
same text straight from the SHA-1 digest (RFC 4122, section 4.3), about twice as fast.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

__all__ = ["for_name", "namer", "uuid5"]


def uuid5(namespace: uuid.UUID | str, name: str) -> str:
    """`str(uuid.uuid5(namespace, name))`; a namespace given as text is read as a uuid."""
    space = namespace.bytes if isinstance(namespace, uuid.UUID) else _uuid_bytes(namespace)
    return _text(hashlib.sha1(space + name.encode("utf-8"), usedforsecurity=False).digest())


def namer(namespace: uuid.UUID | str, prefix: str = "") -> Callable[[str], str]:
    """`uuid5(namespace, prefix + name)`, the namespace and prefix hashed once: each name then
    costs a copy of the hash so far (starting a SHA-1 anew and reading the namespace's bytes
    cost about as much as the rest)."""
    raw = namespace.bytes if isinstance(namespace, uuid.UUID) else _uuid_bytes(namespace)
    space = hashlib.sha1(raw + prefix.encode("utf-8"), usedforsecurity=False)

    def named(name: str) -> str:
        sha = space.copy()
        sha.update(name.encode("utf-8"))
        return _text(sha.digest())

    return named


def for_name(name: str) -> Callable[[str], str]:
    """`uuid5` of one name in each namespace given as text (a create's new token, made from its
    planned one and the time it was first marked): the name's bytes made once."""
    tail = name.encode("utf-8")
    sha1 = hashlib.sha1

    def named(namespace: str) -> str:
        return _text(sha1(_uuid_bytes(namespace) + tail, usedforsecurity=False).digest())

    return named


def _text(sha1: bytes) -> str:
    """The uuid's text from the name's SHA-1 digest, cut from the digest's hex: the version is the
    13th digit, always 5, and the variant the top two bits of the 17th (`_VARIANT`), which
    leaves the digits as they are written (no bytearray of the digest set bit by bit)."""
    text = sha1.hex()
    return f"{text[:8]}-{text[8:12]}-5{text[13:16]}-{_VARIANT[text[16]]}{text[17:20]}-{text[20:32]}"


# the 17th hex digit with its top two bits set to 10 (RFC 4122's variant): 8, 9, a or b
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _uuid_bytes(text: str) -> bytes:
    """`uuid.UUID(text).bytes`: a uuid as written (32 hex digits and its four hyphens) read as
    hex at once; any other spelling `UUID` accepts (braces, `urn:uuid:`) is left to it."""
    digits = text.replace("-", "")
    if len(digits) == _DIGITS:
        try:
            raw = bytes.fromhex(digits)
        except ValueError:
            pass
        else:
            if len(raw) == _DIGITS // 2:  # no blank among them (`fromhex` skips blanks)
                return raw
    return uuid.UUID(text).bytes


_DIGITS = 32
