"""The state schema as named, ordered steps, so a later release can change it without losing links.

Each step is plain SQL that SQLite and PostgreSQL both run; `{serial}` stands for each one's
auto-numbered row id (`INTEGER PRIMARY KEY` in SQLite). Applied steps are recorded in
`schema_migrations`; a database written by a newer release is refused rather than guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIGRATIONS", "Migration"]


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "links, bases, cursors, parse cache, deliveries, runs",
        (
            # One row per task line linked to a tracker task; a group's lines share a remote_id.
            """CREATE TABLE links (
                connector TEXT NOT NULL, key TEXT NOT NULL, remote_id TEXT NOT NULL,
                PRIMARY KEY (connector, key))""",
            "CREATE INDEX links_remote ON links (connector, remote_id)",
            # The last synced snapshot of each tracker task: the base of the three-way merge.
            """CREATE TABLE bases (
                connector TEXT NOT NULL, remote_id TEXT NOT NULL, ref TEXT NOT NULL,
                data TEXT NOT NULL, version INTEGER NOT NULL, synced_at TEXT NOT NULL,
                PRIMARY KEY (connector, remote_id))""",
            "CREATE TABLE cursors (connector TEXT PRIMARY KEY, cursor TEXT, synced_at TEXT NOT NULL)",
            # Parse cache: a note whose size and mtime are unchanged is not read again.
            """CREATE TABLE files (
                vault TEXT NOT NULL, path TEXT NOT NULL, size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL,
                sha256 TEXT NOT NULL, fingerprint TEXT NOT NULL, data TEXT NOT NULL,
                PRIMARY KEY (vault, path))""",
            """CREATE TABLE deliveries (
                connector TEXT NOT NULL, delivery_id TEXT NOT NULL, received_at TEXT NOT NULL,
                PRIMARY KEY (connector, delivery_id))""",
            "CREATE TABLE runs (connector TEXT PRIMARY KEY, finished_at TEXT NOT NULL, report TEXT NOT NULL)",
        ),
    ),
    Migration(
        2,
        "creates sent but not yet committed",
        (
            # A create is recorded here, committed, before it is sent: a tracker without idempotency
            # keys (Jira) is then searched again, rather than written twice, after a crash.
            """CREATE TABLE pending (
                connector TEXT NOT NULL, ref TEXT NOT NULL, since TEXT NOT NULL,
                PRIMARY KEY (connector, ref))""",
        ),
    ),
    Migration(
        3,
        "webhook inbox",
        (
            # Every webhook delivery, stored before the receiver answers 2xx and applied after.
            # A repeated delivery id, or the same body under a new id, is refused by the keys.
            """CREATE TABLE inbox (
                id {serial}, connector TEXT NOT NULL, delivery_id TEXT NOT NULL,
                digest TEXT NOT NULL, body TEXT NOT NULL, received_at TEXT NOT NULL,
                state TEXT NOT NULL, claimed_by TEXT, claimed_at TEXT, outcome TEXT,
                UNIQUE (connector, delivery_id), UNIQUE (connector, digest))""",
            "CREATE INDEX inbox_state ON inbox (state, id)",
        ),
    ),
    Migration(
        4,
        "inbox attempts and set-aside deliveries",
        (
            # A delivery whose application failed is tried again after `not_before`, a bounded
            # number of times, then set aside (state 'set_aside') with the reason in `error`.
            "ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE inbox ADD COLUMN not_before TEXT",
            "ALTER TABLE inbox ADD COLUMN error TEXT",
        ),
    ),
    Migration(
        5,
        "inbox settle times",
        (
            # When a delivery was settled and its seconds from stored to settled: `/metrics` reads
            # its applied counts and latency histogram from here, since the worker that applies
            # runs in a process of its own.
            "ALTER TABLE inbox ADD COLUMN settled_at TEXT",
            "ALTER TABLE inbox ADD COLUMN apply_seconds DOUBLE PRECISION",
            "CREATE INDEX inbox_claimed_by ON inbox (claimed_by)",
        ),
    ),
    Migration(
        6,
        "settled plans",
        (
            # A run whose plan had no step records what it planned from (a digest of the notes,
            # the settings and the day) and what it reported; a later run with the same digest,
            # nothing pulled and nothing pending reports the same without planning again. Every
            # commit of a run or a webhook batch removes the row, so a changed base never skips.
            """CREATE TABLE settled (
                connector TEXT PRIMARY KEY, digest TEXT NOT NULL, outcome TEXT NOT NULL)""",
        ),
    ),
    Migration(
        7,
        "cursor tails",
        (
            # A cursor's text after its first newline, kept apart: a large part a connector
            # rarely changes (Todoist's labels of each task) is not rewritten with the rest.
            "ALTER TABLE cursors ADD COLUMN tail TEXT",
        ),
    ),
)
