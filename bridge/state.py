"""The sync state: links, base snapshots, cursors, the parse cache, run reports and the webhook
inbox, in one database.

SQLite in WAL mode by default, kept outside the vault (sync tools copy vaults between devices,
and a copied database would fork the links); PostgreSQL for several receivers sharing one state.
All SQL here is portable, written once with `?` parameters; `bridge.database` holds what differs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bridge.base_json import base_json
from bridge.connector import Fields, RemoteStatus
from bridge.database import Database, connect, sqlite_path
from bridge.errors import StateError
from bridge.lazy import lazy_names
from bridge.migrations import MIGRATIONS

if TYPE_CHECKING:
    from bridge.state_rows import CachedFile, InboxEvent, InboxItem

__all__ = [
    "SET_ASIDE",
    "Base",
    "CachedFile",
    "InboxEvent",
    "InboxItem",
    "Store",
    "bump",
    "reopen",
    "sqlite_path",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Base:
    """A linked tracker task as of the last sync: the note's fields and the tracker's status then."""

    remote_id: str
    ref: str
    fields: Fields
    remote_status: RemoteStatus
    remote_updated: str | None = None
    keys: tuple[str, ...] = ()
    norm: str = ""
    version: int = 0
    # Each line's own (status, due, priority, owner) as last synced: which line changed is then
    # known, so lines of a group that disagree settle instead of taking turns.
    lines: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)
    # The tracker's status as last pulled when no line could take it (note unreadable, line gone).
    remote_now: RemoteStatus | None = None
    present: bool = True  # its lines were in the notes at the last sync
    # Where each line stood: (path, line number, previous task line's key, next one's), so that a
    # line reworded in place is known for the same task (its key changed, its place did not).
    spots: Mapping[str, tuple[str, int, str | None, str | None]] = field(default_factory=dict)
    # Lines among `lines` that were already closed when first seen: history, never members.
    past: frozenset[str] = frozenset()
    # Occurrences of a recurring task the tracker counted as completed, as last seen: a higher
    # count in a pull is an occurrence completed there (the task itself stays open).
    completions: int | None = None
    # Completed occurrences the tracker has and the note does not yet: their lines could not be
    # written (a read-only note), so the next sync writes them, and sends nothing for them.
    owed: int = 0

    def to_json(self) -> str:
        """The stored text: `json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True)`."""
        return base_json(self)

    def as_dict(self) -> dict[str, Any]:
        """The base as its stored JSON object (not the key it is stored under, nor its version)."""
        return {
            "fields": self.fields.to_json(),
            "remote_status": self.remote_status.value,
            "remote_updated": self.remote_updated,
            "keys": list(self.keys),
            "norm": self.norm,
            "lines": {k: list(v) for k, v in self.lines.items()},
            "remote_now": self.remote_now.value if self.remote_now else None,
            "present": self.present,
            "spots": {k: list(v) for k, v in self.spots.items()},
            "past": sorted(self.past),
            **({"completions": self.completions} if self.completions is not None else {}),
            **({"owed": self.owed} if self.owed else {}),
        }

    @classmethod
    def from_row(cls, remote_id: str, ref: str, data: str, version: int) -> Base:
        """A stored base; ValueError saying what is wrong with a row that does not decode, so the
        caller can name the row instead of failing somewhere in planning."""
        try:
            raw = json.loads(data)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not JSON: {exc}") from exc
        if not isinstance(raw, dict):  # a damaged row, not a bug: one ValueError for the caller
            raise ValueError(f"not a JSON object but {type(raw).__name__} {str(raw)[:40]!r}")  # noqa: TRY004
        try:
            try:
                fields = Fields.from_json(raw["fields"])
            except ValueError as exc:
                raise ValueError(f"fields: {exc}") from exc
            return cls(
                remote_id=remote_id,
                ref=ref,
                fields=fields,
                remote_status=_status(raw, "remote_status"),
                remote_updated=raw.get("remote_updated"),
                keys=tuple(raw.get("keys", ())),
                norm=raw.get("norm", ""),
                version=int(version),
                lines={k: tuple(v) for k, v in raw.get("lines", {}).items()},
                remote_now=_status(raw, "remote_now") if raw.get("remote_now") else None,
                present=raw.get("present", True),
                spots={k: (str(v[0]), int(v[1]), v[2], v[3]) for k, v in raw.get("spots", {}).items()},
                past=frozenset(raw.get("past", ())),
                completions=int(raw["completions"]) if raw.get("completions") is not None else None,
                owed=int(raw.get("owed") or 0),
            )
        except KeyError as exc:
            raise ValueError(f"no {exc.args[0]!r} in it") from exc
        except (TypeError, AttributeError, IndexError) as exc:
            raise ValueError(f"a value of the wrong type ({exc})") from exc


def _status(raw: Mapping[str, Any], key: str) -> RemoteStatus:
    value = raw[key]
    try:
        return RemoteStatus(value)
    except ValueError:
        known = ", ".join(s.value for s in RemoteStatus)
        raise ValueError(f"{key} {value!r} is not one of {known}") from None


SET_ASIDE = "set_aside"  # the inbox state of a delivery that could not be applied; see `Store.defer`


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _precise_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _gone(worker: str) -> bool:
    """A worker id `host:pid:token` of a process on this host that no longer runs."""
    host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if host != os.uname().nodename or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _zombie(int(pid))


def _zombie(pid: int) -> bool:
    """A process that has exited but not been reaped (its parent died first, and the new one,
    in a container perhaps, does not reap): it answers kill(pid, 0) yet applies nothing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] in (["Z"], ["X"])


_BASES_INSERT = (
    "INSERT INTO bases (connector, remote_id, ref, data, version, synced_at) VALUES (?, ?, ?, ?, ?, ?)"
)
_BASES_UPSERT = (
    f"{_BASES_INSERT} ON CONFLICT (connector, remote_id) DO UPDATE SET ref = excluded.ref,"
    " data = excluded.data, version = excluded.version, synced_at = excluded.synced_at"
)
_LINKS_INSERT = "INSERT INTO links (connector, key, remote_id) VALUES (?, ?, ?)"
_LINKS_UPSERT = f"{_LINKS_INSERT} ON CONFLICT (connector, key) DO UPDATE SET remote_id = excluded.remote_id"


class Store:
    """One connection to the state database; every sync commits through `commit_sync` at once."""

    def __init__(self, database: Database) -> None:
        self.db = database
        self.where = database.where

    @classmethod
    def open(cls, url: str) -> Store:
        store = cls(connect(url))
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def transaction(self) -> AbstractContextManager[None]:
        return self.db.transaction()

    def writer_lock(self, *, wait: float = 0.0) -> AbstractContextManager[None]:
        """One writer of the notes at a time: a sync, or a receiver applying deliveries.
        LockHeldError when another keeps it longer than `wait` seconds."""
        return self.db.writer_lock(wait)

    def _rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return self.db.execute(sql, args).rows

    # -- schema ---------------------------------------------------------------------------------

    def schema_version(self) -> int:
        if not self.db.table_exists("schema_migrations"):
            return 0
        return int(self._rows("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0][0])

    def migrate(self) -> None:
        """Apply the steps this database lacks, in one transaction that no other process runs at
        the same time (two receivers may start together)."""
        with self.transaction():
            self.db.serialize()
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            current = self.schema_version()
            newest = MIGRATIONS[-1].version
            if current > newest:
                raise StateError(
                    f"state database {self.where} has schema {current}, newer than this release knows"
                    f" ({newest}); upgrade task-bridge"
                )
            for step in MIGRATIONS:
                if step.version <= current:
                    continue
                for statement in step.statements:
                    self.db.execute(statement.replace("{serial}", self.db.serial))
                self.db.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (step.version, step.name, _now()),
                )
                log.info("state schema migrated to %d (%s)", step.version, step.name)

    # -- links and bases ------------------------------------------------------------------------

    def links(self, connector: str) -> dict[str, str]:
        rows = self._rows("SELECT key, remote_id FROM links WHERE connector = ?", connector)
        return {key: remote_id for key, remote_id in rows}

    def bases(self, connector: str) -> dict[str, Base]:
        """Every base of `connector`; StateError naming the row when one does not decode, since
        planning without it would take its task for a new one."""
        rows = self._rows("SELECT remote_id, ref, data, version FROM bases WHERE connector = ?", connector)
        return self._decoded(connector, rows)

    def links_of(self, connector: str, keys: Iterable[str]) -> dict[str, str]:
        """The links of these line keys only: a webhook batch loads what its notes hold, not all."""
        found: dict[str, str] = {}
        for chunk in _chunks(sorted(set(keys))):
            marks = ", ".join("?" for _ in chunk)  # only placeholders are formatted into the SQL
            sql = f"SELECT key, remote_id FROM links WHERE connector = ? AND key IN ({marks})"  # noqa: S608
            found.update((str(k), str(r)) for k, r in self._rows(sql, connector, *chunk))
        return found

    def bases_of(self, connector: str, remote_ids: Iterable[str]) -> dict[str, Base]:
        """The bases of these tracker tasks only (see `bases` for an unreadable row)."""
        rows: list[tuple[Any, ...]] = []
        for chunk in _chunks(sorted(set(remote_ids))):
            marks = ", ".join("?" for _ in chunk)
            sql = (
                "SELECT remote_id, ref, data, version FROM bases"  # noqa: S608 - placeholders only
                f" WHERE connector = ? AND remote_id IN ({marks})"
            )
            rows.extend(self._rows(sql, connector, *chunk))
        return self._decoded(connector, rows)

    def _decoded(self, connector: str, rows: Iterable[tuple[Any, ...]]) -> dict[str, Base]:
        found: dict[str, Base] = {}
        for remote_id, ref, data, version in rows:
            try:
                found[remote_id] = Base.from_row(remote_id, ref, data, version)
            except ValueError as exc:
                raise StateError(
                    f"state {self.where}: base of {connector} task {remote_id} is unreadable ({exc});"
                    " restore the state database from a backup, or delete that row of its bases table"
                    " (the task's lines are then synced as new)"
                ) from exc
        return found

    def cursor(self, connector: str) -> str | None:
        """The connector's cursor as stored: the connector decodes it (and says when it cannot).

        A cursor's text after its first newline (its tail) is stored apart from the rest, and
        written only when it changed (`commit_sync`): the text returned is the one committed.
        """
        stored = self._cursor_row(connector)
        if stored is None:
            return None
        head, tail = stored
        return head if tail is None else f"{head or ''}\n{tail}"

    def _cursor_row(self, connector: str) -> tuple[str | None, str | None] | None:
        """The stored (head, tail) of the connector's cursor; StateError when either is not text."""
        rows = self._rows("SELECT cursor, tail FROM cursors WHERE connector = ?", connector)
        if not rows:
            return None
        for part in rows[0]:
            if part is not None and not isinstance(part, str):
                raise StateError(
                    f"state {self.where}: cursor of {connector} is unreadable (not text but"
                    f" {type(part).__name__}); delete that row of its cursors table"
                    " (the next sync then reads the tracker in full)"
                )
        return rows[0][0], rows[0][1]

    def _write_cursor(self, connector: str, cursor: str) -> None:
        """Store the cursor, its head and tail apart; a part equal to the stored one is not
        written again (a no-op sync rewrites no large tail, and an unchanged cursor not at all)."""
        head, cut, rest = cursor.partition("\n")
        tail = rest if cut else None
        # the tails compared by the database: a large one is not read back to be compared
        if tail is None:
            stored = self._rows("SELECT cursor, tail IS NULL FROM cursors WHERE connector = ?", connector)
        else:
            stored = self._rows(
                "SELECT cursor, tail IS NOT NULL AND tail = ? FROM cursors WHERE connector = ?",
                tail,
                connector,
            )
        if stored and stored[0][1]:  # the same tail
            if stored[0][0] != head:
                self.db.execute(
                    "UPDATE cursors SET cursor = ?, synced_at = ? WHERE connector = ?",
                    (head, _now(), connector),
                )
            return
        self.db.execute(
            "INSERT INTO cursors (connector, cursor, tail, synced_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (connector) DO UPDATE SET cursor = excluded.cursor, tail = excluded.tail,"
            " synced_at = excluded.synced_at",
            (connector, head, tail, _now()),
        )

    def commit_sync(
        self,
        connector: str,
        *,
        bases: Iterable[Base] = (),
        links: Mapping[str, str] | None = None,
        cursor: str | None = None,
        report: Mapping[str, Any] | None = None,
        settled: Iterable[str] = (),
    ) -> None:
        """Everything one run learned, in one transaction: a crash leaves the previous state whole.

        `settled` are the refs whose pending creates are now linked (see `mark_pending`). The
        connector's settled record (`record_settled`) is forgotten: what it planned from changed.
        A cursor equal to the stored one is not written again, nor an unchanged tail of it.
        """
        db = self.db
        bases, settled, links = list(bases), list(settled), links or {}
        with db.bulk_write(len(bases) + len(settled) + len(links)), self.transaction():
            db.execute("DELETE FROM settled WHERE connector = ?", (connector,))
            self._forget_pending(connector, settled)
            now = _now()
            # into a table that holds none of the connector's rows (a first sync), keys that
            # differ are plain inserts: the same rows, without a conflict looked for in each
            fresh = not self._holds("bases", connector) and len({b.remote_id for b in bases}) == len(bases)
            db.execute_many(
                _BASES_INSERT if fresh else _BASES_UPSERT,
                ((connector, b.remote_id, b.ref, b.to_json(), b.version, now) for b in bases),
            )
            fresh = not self._holds("links", connector)  # a mapping's keys differ
            db.execute_many(
                _LINKS_INSERT if fresh else _LINKS_UPSERT,
                ((connector, key, remote_id) for key, remote_id in links.items()),
            )
            if cursor is not None:
                self._write_cursor(connector, cursor)
            if report is not None:
                db.execute(
                    "INSERT INTO runs (connector, finished_at, report) VALUES (?, ?, ?)"
                    " ON CONFLICT (connector) DO UPDATE SET finished_at = excluded.finished_at,"
                    " report = excluded.report",
                    (connector, _now(), json.dumps(report, sort_keys=True)),
                )

    def _forget_pending(self, connector: str, settled: list[str]) -> None:
        """Delete the settled refs' pending rows: all of the connector's in one statement when
        each of them is settled (a first sync's creates, each a row to find and delete alone).
        Only a run holding the writer lock marks creates pending, so none is added meanwhile."""
        if not settled:
            return
        held = self._rows("SELECT ref FROM pending WHERE connector = ?", connector)
        if not held:
            return
        if {ref for (ref,) in held} <= set(settled):
            self.db.execute("DELETE FROM pending WHERE connector = ?", (connector,))
        else:
            self.db.execute_many(
                "DELETE FROM pending WHERE connector = ? AND ref = ?", ((connector, ref) for ref in settled)
            )

    def _holds(self, table: Literal["bases", "links"], connector: str) -> bool:
        """Whether `table` has a row of the connector."""
        sql = f"SELECT 1 FROM {table} WHERE connector = ? LIMIT 1"  # noqa: S608 - one of two names
        return bool(self._rows(sql, connector))

    def record_settled(self, connector: str, digest: str, outcome: str) -> None:
        """Record that a plan from the inputs of `digest` has no step (`bridge.settled`); the
        connector's next commit, of a run or a webhook batch, forgets it."""
        with self.transaction():
            self.db.execute("DELETE FROM settled WHERE connector = ?", (connector,))
            self.db.execute(
                "INSERT INTO settled (connector, digest, outcome) VALUES (?, ?, ?)",
                (connector, digest, outcome),
            )

    def quiet(self, connector: str) -> tuple[str, str] | None:
        """(digest, outcome) recorded by `record_settled` with no commit of the connector since:
        the same inputs would plan nothing again."""
        rows = self._rows("SELECT digest, outcome FROM settled WHERE connector = ?", connector)
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    def link_count(self, connector: str) -> int:
        return int(self._rows("SELECT COUNT(*) FROM links WHERE connector = ?", connector)[0][0])

    def pending(self, connector: str) -> dict[str, str]:
        """Refs whose create was sent by a run that did not commit, and since when (ISO 8601, UTC)."""
        rows = self._rows("SELECT ref, since FROM pending WHERE connector = ?", connector)
        return {str(ref): str(since) for ref, since in rows}

    def mark_pending(
        self, connector: str, refs: Iterable[str], earlier: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """Record creates about to be sent, committed at once; the first attempt's time is kept.

        Returns `pending` as it is now; given `earlier` (`pending` as read under the same writer
        lock, so nothing else changed it), without reading it again."""
        now = _now()
        refs = list(refs)
        with self.db.bulk_write(len(refs)), self.transaction():
            self.db.execute("DELETE FROM settled WHERE connector = ?", (connector,))
            self.db.execute_many(
                "INSERT INTO pending (connector, ref, since) VALUES (?, ?, ?)"
                " ON CONFLICT (connector, ref) DO NOTHING",
                ((connector, ref, now) for ref in refs),
            )
        if earlier is None:
            return self.pending(connector)
        return {**dict.fromkeys(refs, now), **earlier}

    # -- the webhook inbox -----------------------------------------------------------------------

    def receive(self, connector: str, delivery_id: str, body: bytes) -> bool:
        """Store a delivery, committed; False when this id or this exact body was stored before."""
        return self.receive_many([(connector, delivery_id, body)])[0]

    def receive_many(self, deliveries: Sequence[tuple[str, str, bytes]]) -> list[bool]:
        """Store (connector, delivery id, body) deliveries in one transaction, committed; for
        each, False when its id or exact body was stored before, in an earlier one or this one."""
        new = []
        with self.transaction():
            for connector, delivery_id, body in deliveries:
                result = self.db.execute(
                    "INSERT INTO inbox (connector, delivery_id, digest, body, received_at, state)"
                    " VALUES (?, ?, ?, ?, ?, 'new') ON CONFLICT DO NOTHING",
                    (
                        connector,
                        delivery_id,
                        hashlib.sha256(body).hexdigest(),
                        body.decode("utf-8", "replace"),
                        _precise_now(),
                    ),
                )
                new.append(result.rowcount == 1)
        return new

    def waiting(self) -> bool:
        """Whether any delivery waits to be applied (a cheap look before taking the writer lock);
        one set aside, or waiting for its next attempt, does not count."""
        return bool(
            self._rows(
                "SELECT 1 FROM inbox WHERE state IN ('new', 'claimed')"
                " AND (not_before IS NULL OR not_before <= ?) LIMIT 1",
                _precise_now(),
            )
        )

    def claim(self, worker: str, *, limit: int = 50, stale_after: float = 60.0) -> list[InboxEvent]:
        """Take the oldest unapplied deliveries for `worker`, with those a dead worker left claimed:
        one of this host whose process is gone at once, one of another host after `stale_after`.
        Rows another worker is claiming at this moment are skipped, never taken twice."""
        from bridge.state_rows import InboxEvent

        stale = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=stale_after)).isoformat(timespec="seconds")
        due = _precise_now()  # a delivery that failed waits out its back-off
        holders = [
            str(r[0]) for r in self._rows("SELECT DISTINCT claimed_by FROM inbox WHERE state = 'claimed'")
        ]
        dead = [w for w in holders if w != worker and _gone(w)] or [""]
        marks = ", ".join("?" for _ in dead)  # only placeholders are formatted into the SQL
        sql = (
            "SELECT id, connector, delivery_id, body, received_at, attempts FROM inbox"  # noqa: S608
            " WHERE (state = 'new' AND (not_before IS NULL OR not_before <= ?))"
            f" OR (state = 'claimed' AND (claimed_at < ? OR claimed_by IN ({marks})))"
            f" ORDER BY id LIMIT ?{self.db.skip_locked}"
        )
        with self.transaction():
            rows = self.db.execute(
                sql,
                (due, stale, *dead, limit),
            ).rows
            now = _now()
            for row in rows:
                self.db.execute(
                    "UPDATE inbox SET state = 'claimed', claimed_by = ?, claimed_at = ? WHERE id = ?",
                    (worker, now, row[0]),
                )
        return [InboxEvent(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5])) for r in rows]

    def settle(
        self, outcomes: Iterable[tuple[int, str]], *, seconds: Mapping[int, float] | None = None
    ) -> None:
        """Mark deliveries applied (or ignored), each with what came of it, in one transaction;
        `seconds` is each one's time from stored to settled, kept for `/metrics`."""
        now = _precise_now()
        taken = seconds or {}
        with self.transaction():
            for event_id, outcome in outcomes:
                self.db.execute(
                    "UPDATE inbox SET state = 'done', outcome = ?, settled_at = ?, apply_seconds = ?"
                    " WHERE id = ?",
                    (outcome, now, taken.get(event_id), event_id),
                )

    def settled_by(
        self, worker: str, buckets: Sequence[float]
    ) -> list[tuple[str, str, int, float, list[int]]]:
        """What `worker` settled, per connector and outcome: how many, their seconds summed, and
        how many took at most each of `buckets` seconds (a histogram, counted by the database)."""
        ups = "".join(
            f", SUM(CASE WHEN apply_seconds <= {float(b)!r} THEN 1 ELSE 0 END)"  # floats, not input
            for b in buckets
        )
        rows = self._rows(
            f"SELECT connector, COALESCE(outcome, ''), COUNT(*), COALESCE(SUM(apply_seconds), 0){ups}"  # noqa: S608
            " FROM inbox WHERE claimed_by = ? AND state = 'done' GROUP BY connector, outcome",
            worker,
        )
        return [(str(r[0]), str(r[1]), int(r[2]), float(r[3]), [int(n or 0) for n in r[4:]]) for r in rows]

    def defer(self, event_id: int, error: str, *, max_attempts: int, backoff: float) -> bool:
        """Count a failed application of a claimed delivery: it is tried again after a back-off
        that doubles each time (`backoff` seconds first), and set aside with `error` once it has
        failed `max_attempts` times. True when it was set aside."""
        rows = self._rows("SELECT attempts FROM inbox WHERE id = ?", event_id)
        attempts = (int(rows[0][0]) if rows else 0) + 1
        if attempts >= max_attempts:
            self.set_aside(event_id, error, attempts=attempts)
            return True
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=backoff * 2 ** (attempts - 1))
        with self.transaction():
            self.db.execute(
                "UPDATE inbox SET state = 'new', attempts = ?, error = ?, not_before = ?,"
                " claimed_by = NULL, claimed_at = NULL WHERE id = ? AND state = 'claimed'",
                (attempts, error, later.isoformat(timespec="microseconds"), event_id),
            )
        return False

    def set_aside(self, event_id: int, reason: str, *, attempts: int | None = None) -> None:
        """Stop trying a delivery: kept with its reason until `retry` puts it back (never pruned)."""
        with self.transaction():
            self.db.execute(
                f"UPDATE inbox SET state = '{SET_ASIDE}', error = ?, not_before = NULL,"  # noqa: S608 - a constant
                " attempts = COALESCE(?, attempts), claimed_by = NULL, claimed_at = NULL WHERE id = ?",
                (reason, attempts, event_id),
            )

    def retry(self, event_id: int) -> bool:
        """Put a set-aside delivery back to be applied, with a fresh count of attempts; False
        when no delivery with this id is set aside."""
        with self.transaction():
            result = self.db.execute(
                "UPDATE inbox SET state = 'new', attempts = 0, not_before = NULL"  # noqa: S608 - a constant
                f" WHERE id = ? AND state = '{SET_ASIDE}'",
                (event_id,),
            )
        return result.rowcount == 1

    def inbox_items(self, *, states: Iterable[str] = (SET_ASIDE, "new", "claimed")) -> list[InboxItem]:
        """The deliveries in these states, oldest first, without their bodies (`bridge inbox`)."""
        from bridge.state_rows import InboxItem

        wanted = list(states)
        marks = ", ".join("?" for _ in wanted)  # only placeholders are formatted into the SQL
        rows = self._rows(
            "SELECT id, connector, delivery_id, received_at, state, attempts, error, not_before"  # noqa: S608
            f" FROM inbox WHERE state IN ({marks}) ORDER BY id",
            *wanted,
        )
        return [
            InboxItem(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]), r[6], r[7])
            for r in rows
        ]

    def prune_inbox(self, older_than: dt.timedelta) -> int:
        """Forget applied deliveries received more than `older_than` ago; how many were removed.
        A retry of one of them after that is stored and applied again, which changes nothing."""
        cutoff = (dt.datetime.now(dt.UTC) - older_than).isoformat(timespec="microseconds")
        with self.transaction():
            removed = self.db.execute("DELETE FROM inbox WHERE state = 'done' AND received_at < ?", (cutoff,))
        return removed.rowcount

    def inbox_counts(self) -> dict[str, int]:
        rows = self._rows("SELECT state, COUNT(*) FROM inbox GROUP BY state")
        return {str(state): int(count) for state, count in rows}

    def runs(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """The last run of each connector: when it finished and its report."""
        rows = self._rows("SELECT connector, finished_at, report FROM runs ORDER BY connector")
        out: dict[str, tuple[str, dict[str, Any]]] = {}
        for name, when, report in rows:
            try:
                decoded = json.loads(report)
            except (TypeError, ValueError):
                decoded = None
            if not isinstance(decoded, dict):  # only shown by `bridge status`; the next sync rewrites it
                log.warning("state %s: the last run report of %s is unreadable; ignored", self.where, name)
                decoded = {}
            out[name] = (when, decoded)
        return out

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per connector: linked lines, tracker tasks by status, and the last run (for `bridge status`)."""
        names = {r[0] for r in self._rows("SELECT DISTINCT connector FROM links")} | set(self.runs())
        out: dict[str, dict[str, Any]] = {}
        runs = self.runs()
        for name in sorted(names):
            statuses = [b.remote_status for b in self.bases(name).values()]
            when, report = runs.get(name, (None, {}))
            out[name] = {
                "links": len(self.links(name)),
                "open": statuses.count(RemoteStatus.OPEN),
                "done": statuses.count(RemoteStatus.DONE),
                "deleted": statuses.count(RemoteStatus.DELETED),
                "last_sync": when,
                "conflicts": report.get("conflicts", 0),
                "failed": report.get("failed", 0),
                "last_report": report,
            }
        return out

    # -- parse cache ----------------------------------------------------------------------------

    def cached_files(self, vault: str) -> dict[str, CachedFile]:
        from bridge.state_rows import CachedFile

        rows = self._rows(
            "SELECT path, size, mtime_ns, sha256, fingerprint, data FROM files WHERE vault = ?", vault
        )
        return {row[0]: CachedFile(*row) for row in rows}

    def save_files(self, vault: str, files: Iterable[CachedFile], gone: Iterable[str] = ()) -> None:
        db = self.db
        with self.transaction():
            db.execute_many(
                "INSERT INTO files (vault, path, size, mtime_ns, sha256, fingerprint, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (vault, path) DO UPDATE SET"
                " size = excluded.size, mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256,"
                " fingerprint = excluded.fingerprint, data = excluded.data",
                ((vault, f.path, f.size, f.mtime_ns, f.sha256, f.fingerprint, f.data) for f in files),
            )
            db.execute_many("DELETE FROM files WHERE vault = ? AND path = ?", ((vault, p) for p in gone))


_CHUNK = 500  # parameters a statement binds at most (SQLite's limit is far above)


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def bump(base: Base, **changes: Any) -> Base:
    """The base after a sync changed it: a new version, so the next change gets a new idempotency token."""
    return replace(base, version=base.version + 1, **changes)


def reopen(store: Store | None, url: str) -> Store:
    """A new connection in place of one that failed (or none yet); StateError while the database
    is away. The old one is closed if it can be: a broken connection may fail to, and is dropped."""
    if store is not None:
        try:
            store.close()
        except Exception:
            log.debug("closing a failed state connection raised", exc_info=True)
    return Store.open(url)


# The inbox's and the parse cache's rows, defined in `bridge.state_rows` so that a sync which
# reads neither does not make their classes; still importable from here.
_ROWS = dict.fromkeys(("CachedFile", "InboxEvent", "InboxItem"), "bridge.state_rows")

if not TYPE_CHECKING:  # a type checker sees the names imported above, and refuses any other
    __getattr__, __dir__ = lazy_names(__name__, _ROWS)
