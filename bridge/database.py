"""The two databases the state lives in, behind one small surface: SQLite for one machine,
PostgreSQL for a team running several receivers. `Store` writes its SQL once, with `?` parameters;
what differs (placeholders, locking, the row-id column, skipping rows another worker holds) is
here and nowhere else.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from bridge.errors import ConfigError, LockHeldError, StateError
from bridge.lock import held_lock

__all__ = ["Database", "PostgresDatabase", "Result", "SQLiteDatabase", "connect", "sqlite_path"]


@dataclass(frozen=True, slots=True)
class Result:
    rows: list[tuple[Any, ...]]
    rowcount: int


def sqlite_path(url: str) -> str:
    """`sqlite:///relative.db`, `sqlite:////absolute.db` or `sqlite:///:memory:` to a path for sqlite3."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ConfigError(
            "BRIDGE_STATE_URL: expected sqlite:///PATH or postgresql://…"
        )  # may hold a password
    return url[len(prefix) :]


def _key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Database:
    """One connection. Not shared between threads: each thread opens its own."""

    where: str  # for messages: a path, or the URL without its password
    serial = "INTEGER PRIMARY KEY"  # an auto-numbered row id, as a column definition
    skip_locked = ""  # appended to a SELECT that claims rows another worker may be claiming

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Result:
        raise NotImplementedError

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement for many rows (a sync's bases and links): one call to the driver."""
        for args in rows:
            self.execute(sql, args)

    def transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def bulk_write(self, rows: int) -> AbstractContextManager[None]:
        """Room in memory for a write of `rows` rows (a large first sync's bases and links), for
        the block: where the database keeps a small page cache, the indexes' pages it changes
        all over stay in memory until the commit instead of being written out again and again.
        A write of fewer than `BULK_ROWS` keeps the cache as it is (a no-op's commit among them)."""
        return nullcontext()

    def serialize(self) -> None:
        """Make the open transaction the only one of its kind until it ends (schema changes)."""

    def table_exists(self, name: str) -> bool:
        raise NotImplementedError

    def writer_lock(self, wait: float) -> AbstractContextManager[None]:
        """The one-writer-at-a-time lock of this state (and so of its vault), held for the block."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


_BULK_CACHE_KIB = 32 * 1024  # SQLite's page cache for a bulk write, in KiB
BULK_ROWS = 5000  # a write of fewer rows fits SQLite's default cache of 2 MB


class SQLiteDatabase(Database):
    """WAL mode; the writer lock is an `flock` beside the file, dropped by the kernel on death.

    A new database is made under another name and linked into place whole, so an empty file at
    the path is never one being created: it is a database that lost its contents, and is refused
    rather than taken for a first run (which would create every task in the tracker again).
    """

    def __init__(self, path: str) -> None:
        self.where = path
        try:
            if path != ":memory:":
                _create(Path(path))
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise _sqlite_error(path, exc) from exc
        except OSError as exc:
            raise StateError(f"state database {path}: {exc.strerror or exc}") from exc

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Result:
        try:
            cursor = self.db.execute(sql, tuple(args))
            return Result(cursor.fetchall(), cursor.rowcount)
        except sqlite3.Error as exc:
            raise _sqlite_error(self.where, exc) from exc

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self.db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise _sqlite_error(self.where, exc) from exc

    @contextmanager
    def bulk_write(self, rows: int) -> Iterator[None]:
        if rows < BULK_ROWS:
            yield
            return
        # SQLite's default cache is 2 MB; 100,000 bases and links have about 13 MB of index
        # pages, inserted in key order that is random, so most of the pages were written to the
        # WAL several times over (800 MB for 200 MB of rows). Pages are taken as needed, and
        # the cache goes back to its size after the block.
        before = self.execute("PRAGMA cache_size").rows[0][0]
        self.execute(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
        try:
            yield
        finally:
            self.execute(f"PRAGMA cache_size = {int(before)}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.execute("BEGIN IMMEDIATE")  # takes the write lock now: no upgrade deadlocks later
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def table_exists(self, name: str) -> bool:
        return bool(
            self.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).rows
        )

    def lock_file(self) -> Path | None:
        return None if self.where == ":memory:" else Path(self.where + ".lock")

    def writer_lock(self, wait: float) -> AbstractContextManager[None]:
        path = self.lock_file()
        return held_lock(path, wait=wait) if path else nullcontext()

    def close(self) -> None:
        self.db.close()


_RECOVER = (
    "restore it from a backup, or delete it to start over (its links to tracker tasks are then"
    " lost, so tasks may be created in the tracker again)"
)


_MODE = 0o600


def _create(path: Path) -> None:
    """A new, empty WAL database at `path` (mode 0600) unless something is there; refuses an empty
    file."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        pass
    else:
        if size == 0 and path.is_file():
            raise StateError(f"state database {path} is empty (0 bytes): {_RECOVER}")
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f"{path.name}.new-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        # owner-only from the first byte: it holds the text of every synced task; SQLite gives
        # its -wal and -shm files the database's own mode
        os.close(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _MODE))
        made = sqlite3.connect(draft, isolation_level=None)
        try:
            made.execute("PRAGMA journal_mode=WAL")  # writes the header: the file is never empty
        finally:
            made.close()
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: theirs is used
        except OSError:  # a file system without hard links: moved instead, unless one appeared
            if not path.exists():
                os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)


def _sqlite_error(path: str, exc: sqlite3.Error) -> StateError:
    """The error with what to do about it when the file is not (or no longer) a database."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return StateError(f"state database {path} is not a readable SQLite database ({exc}): {_RECOVER}")
    return StateError(f"state database {path}: {exc}")


class PostgresDatabase(Database):
    """psycopg 3 in autocommit mode with explicit transactions; locks are advisory, per database,
    so receivers on several machines take turns, and the server drops a dead holder's lock."""

    serial = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str) -> None:
        self.where, self._secrets = _described(url)
        try:
            import psycopg
        except ImportError:
            raise ConfigError(
                "BRIDGE_STATE_URL is a PostgreSQL URL, but psycopg is not installed;"
                " install task-bridge[postgresql]"
            ) from None
        self._errors: type[Exception] = psycopg.Error
        try:
            self.db = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.ProgrammingError:
            # libpq's parse errors quote the part they could not read, often the password itself
            raise StateError(f"state database {self.where}: {_NOT_A_URL}") from None
        except psycopg.Error as exc:
            raise StateError(f"state database {self.where}: {self._said(exc)}") from None

    def _said(self, exc: Exception) -> str:
        return _scrubbed(_first_line(exc), self._secrets)

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Result:
        try:
            cursor = self.db.execute(sql.replace("?", "%s"), tuple(args))
            rows = cursor.fetchall() if cursor.description else []
            return Result([tuple(r) for r in rows], cursor.rowcount)
        except self._errors as exc:
            raise StateError(f"state database {self.where}: {self._said(exc)}") from exc

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            with self.db.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), [tuple(args) for args in rows])
        except self._errors as exc:
            raise StateError(f"state database {self.where}: {self._said(exc)}") from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            with self.db.transaction():
                yield
        except self._errors as exc:
            raise StateError(f"state database {self.where}: {self._said(exc)}") from exc

    def serialize(self) -> None:
        self.execute("SELECT pg_advisory_xact_lock(?)", (_key("task-bridge:schema"),))

    def table_exists(self, name: str) -> bool:
        return self.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).rows[0][0] is True

    @contextmanager
    def writer_lock(self, wait: float) -> Iterator[None]:
        key = _key("task-bridge:writer")
        deadline = time.monotonic() + wait
        while not self.execute("SELECT pg_try_advisory_lock(?)", (key,)).rows[0][0]:
            if time.monotonic() >= deadline:
                raise LockHeldError(
                    f"another sync or receiver holds the lock of {self.where}; this run did nothing"
                )
            time.sleep(0.05)
        try:
            yield
        finally:
            self.execute("SELECT pg_advisory_unlock(?)", (key,))

    def close(self) -> None:
        self.db.close()


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


_NOT_A_URL = (
    "the URL is not a valid PostgreSQL connection URL"
    " (percent-encode special characters in the password; check its query parameters)"
)


def _described(url: str) -> tuple[str, tuple[str, ...]]:
    """The URL as messages show it (user, hosts and database, no password), and the texts no
    message may hold: the user information as written and decoded, and its password.

    Read by hand, not with `urlsplit`, which raises on a bad port or bracket: the message must
    still be made. The user information is everything before the authority's last `@`, as wide
    as it could be, so that a password holding `/` or `@` is still hidden whole."""
    scheme, _, rest = url.partition("://")
    at = rest.rfind("@")
    userinfo, hosts = (rest[:at], rest[at + 1 :]) if at >= 0 else ("", rest)
    cut = min((i for i in (hosts.find(c) for c in "/?#") if i >= 0), default=len(hosts))
    path = hosts[cut:].split("?", 1)[0].split("#", 1)[0]
    user, _, password = userinfo.partition(":")
    shown = f"{scheme}://{f'{user}@' if user else ''}{hosts[:cut]}{path}"
    secrets_ = {userinfo, unquote(userinfo), password, unquote(password)} - {""}
    if user and not password:  # no password: the user name alone is no secret
        secrets_ = set()
    return shown, tuple(sorted(secrets_, key=len, reverse=True))


_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_OVERLAP = 4  # characters shared with a secret that make a quoted part of a message suspect


def _scrubbed(message: str, secrets_: Sequence[str]) -> str:
    """`message` without any secret, nor any quoted part that shares a few characters with one
    (libpq quotes what it could not read, which may be a piece of a mistyped password)."""
    for secret in secrets_:
        message = message.replace(secret, "***")

    def hidden(match: re.Match[str]) -> str:
        inner = match.group()[1:-1]
        for secret in secrets_:
            size = min(_OVERLAP, len(secret))
            if any(secret[i : i + size] in inner for i in range(len(secret) - size + 1)):
                return f"{match.group()[0]}***{match.group()[0]}"
        return match.group()

    return _QUOTED.sub(hidden, message)


def connect(url: str) -> Database:
    """The database a `BRIDGE_STATE_URL` names."""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url)
    return SQLiteDatabase(sqlite_path(url))
