"""`bridge doctor`: every setup check in one run, each a line ok/warn/fail, nothing changed.

A cron job that fails says one thing and stops; a person setting the bridge up wants to see every
problem at once. The core checks what it owns (the program on PATH, settings and where they came
from, the vault, the state database); each connector checks its tracker through its own `doctor`
hook, found through the registry like everything else of a connector.

Exit status: 2 when a failed check needs a person (a setting, a credential, a missing project),
else 1 when a tracker could not be reached, else 0 (warnings included).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings

from bridge import registry
from bridge.config import BridgeSettings, load_settings, readable_settings
from bridge.connector_commands import Check, CheckStatus
from bridge.errors import ConfigError, StateError
from bridge.keys import known_names, said, sources, unknown_names
from bridge.transport import Patience

__all__ = ["Diagnosis", "diagnose", "patience", "without_name"]

OK, WARN, FAIL = CheckStatus.OK, CheckStatus.WARN, CheckStatus.FAIL
PROGRAM = "task-bridge"  # the product's own name for the command, free of clashes


def patience() -> Patience:
    """BRIDGE_HTTP_RETRIES and BRIDGE_HTTP_DEADLINE as far as they can be read, for a connector's
    checks: a bad `BRIDGE_*` setting is the core's check to report, not the tracker's."""
    return Patience.of(readable_settings(BridgeSettings)[0])


def without_name(exc: Exception, connector: str) -> str:
    """A connector's error without its name, which the check's name already gives."""
    return str(exc).removeprefix(f"{connector}: ")


@dataclass
class Diagnosis:
    checks: list[Check] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)  # name -> "environment" or a file

    def add(self, name: str, status: CheckStatus, message: str, cause: str = "setup") -> None:
        self.checks.append(Check(name, status, message, "network" if cause == "network" else "setup"))

    @property
    def exit_status(self) -> int:
        failed = [c for c in self.checks if c.status is FAIL]
        if any(c.cause == "setup" for c in failed):
            return 2
        return 1 if failed else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "checks": [c.to_json() for c in self.checks],
            "settings": self.settings,
            "exit": self.exit_status,
        }


def diagnose() -> Diagnosis:
    """Run every check; a check that fails never stops the ones after it."""
    found = Diagnosis()
    _program(found)
    classes = _connector_classes(found)
    all_settings: list[type[BaseSettings]] = [BridgeSettings, *classes.values()]
    _sources(found, all_settings)
    bad: frozenset[str] = frozenset()
    try:
        settings = load_settings(BridgeSettings)
    except ConfigError as exc:
        found.add("settings", FAIL, str(exc))
        # the checks below still run, on the settings that could be read; a bad one is not
        # reported again as missing
        settings, bad = readable_settings(BridgeSettings)
    vault = _vault(found, settings) if "vault" not in bad else None
    if "state_url" not in bad:
        _state(found, settings, vault)
    _trackers(found, settings, classes, bad)
    return found


def _program(found: Diagnosis) -> None:
    """iproute2 ships /usr/sbin/bridge: the `bridge` a shell finds may not be this program."""
    path = shutil.which("bridge")
    if path is None:
        found.add("program", WARN, f"no `bridge` on PATH; run `{PROGRAM}` or `python -m bridge`")
        return
    if not _is_ours(Path(path)):
        found.add("program", WARN, f"`bridge` on PATH is {path}, another program; run `{PROGRAM}` instead")
        return
    found.add("program", OK, f"`bridge` on PATH is this program ({path})")


def _is_ours(path: Path) -> bool:
    """A Python console script importing `bridge` (ours), not a compiled binary (iproute2's)."""
    if Path(sys.argv[0]).resolve() == path.resolve():
        return True
    try:
        head = path.read_bytes()[:2048]
    except OSError:
        return False
    return head.startswith(b"#!") and b"python" in head.split(b"\n", 1)[0] and b"bridge" in head


def _connector_classes(found: Diagnosis) -> dict[str, type[BaseSettings]]:
    """Each installed connector's settings class, by connector name (for names and typos)."""
    classes: dict[str, type[BaseSettings]] = {}
    for name in registry.available():
        try:
            settings_class = getattr(registry.load(name), "settings_class", None)
        except ConfigError as exc:
            found.add(f"{name} connector", FAIL, str(exc))
            continue
        if isinstance(settings_class, type) and issubclass(settings_class, BaseSettings):
            classes[name] = settings_class
    return classes


def _sources(found: Diagnosis, classes: list[type[BaseSettings]]) -> None:
    """Where each setting came from (names only: values may be secrets), and the unknown names."""
    for cls in classes:
        found.settings.update(sources(cls))
    by_source: dict[str, list[str]] = {}
    for name, where in found.settings.items():
        by_source.setdefault(where, []).append(name)
    for where, names in sorted(by_source.items()):
        shown = "the environment" if where == "environment" else where
        found.add("settings", OK, f"from {shown}: {', '.join(names)}")
    if not found.settings:
        found.add("settings", WARN, f"none set, in the environment or in {Path('.env').absolute()}")
    for cls in classes:
        unknown = unknown_names(cls)
        said(unknown)
        for item in unknown:
            found.add("settings", WARN, item.message())


def _vault(found: Diagnosis, settings: BridgeSettings) -> Path | None:
    vault = settings.vault
    if vault is None:
        found.add("vault", WARN, "BRIDGE_VAULT not set: `bridge sync` then needs --vault")
        return None
    if not vault.is_dir():
        found.add("vault", FAIL, f"BRIDGE_VAULT {vault}: no such folder")
        return None
    notes = _count_notes(vault)
    if (vault / ".obsidian").is_dir() or notes:
        found.add("vault", OK, f"{vault}: Markdown notes: {notes}{'+' if notes >= _ENOUGH else ''}")
    else:
        found.add("vault", WARN, f"{vault}: no Markdown notes and no .obsidian folder; is this the vault?")
    return vault


_ENOUGH = 1000  # notes counted at most: a doctor run must stay quick on a large vault


def _count_notes(vault: Path) -> int:
    count = 0
    for _, folders, files in os.walk(vault):
        folders[:] = [f for f in folders if not f.startswith(".")]
        count += sum(1 for f in files if f.endswith(".md"))
        if count >= _ENOUGH:
            break
    return count


def _state(found: Diagnosis, settings: BridgeSettings, vault: Path | None) -> None:
    """The state database readable, opened read-only: a doctor run must not create it."""
    if vault is None and not settings.state_url:
        return
    url = settings.state_url_for(vault) if vault is not None else str(settings.state_url)
    if not url.startswith("sqlite:///"):
        _postgres_state(found, url)
        return
    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is None or not os.access(parent, os.W_OK):
            found.add("state", FAIL, f"{path}: not there yet, and {parent} cannot be written")
        else:
            found.add("state", OK, f"{path}: not there yet; the first sync creates it")
        return
    if path.is_file() and path.stat().st_size == 0:
        found.add("state", FAIL, f"{path} is empty (0 bytes): restore it from a backup, or delete it")
        return
    try:
        with closing(sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        found.add("state", FAIL, f"{path}: not a readable SQLite database ({exc})")
        return
    found.add("state", OK, f"{path}: readable ({len(tables)} tables)")


def _postgres_state(found: Diagnosis, url: str) -> None:
    """Connected to and read, in a read-only session: never migrated nor created, as the SQLite
    file is not. A failure is a setup problem (the URL, the server, the credentials), and its
    message holds no password (`bridge.database`)."""
    from bridge.database import PostgresDatabase
    from bridge.migrations import MIGRATIONS

    try:
        db = PostgresDatabase(url)
    except (ConfigError, StateError) as exc:
        found.add("state", FAIL, str(exc))
        return
    try:
        db.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        db.execute("SELECT 1")
        version = None
        if db.table_exists("schema_migrations"):
            version = int(db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").rows[0][0])
    except StateError as exc:
        found.add("state", FAIL, str(exc))
        return
    finally:
        db.close()
    newest = MIGRATIONS[-1].version
    if version is None:
        found.add("state", OK, f"{db.where}: reached; no state yet, the first sync creates it")
    elif version > newest:
        found.add(
            "state",
            FAIL,
            f"{db.where} has schema {version}, newer than this release knows ({newest}); upgrade {PROGRAM}",
        )
    else:
        found.add("state", OK, f"{db.where}: reached and readable (schema {version})")


def _trackers(
    found: Diagnosis,
    settings: BridgeSettings,
    classes: dict[str, type[BaseSettings]],
    bad: frozenset[str] = frozenset(),
) -> None:
    """The connectors named by BRIDGE_CONNECTOR or BRIDGE_ROUTES, or with any setting of theirs set."""
    named = [*(settings.routes.connectors if settings.routes else []), settings.connector or ""]
    for name, cls in classes.items():
        known = known_names(cls)  # not any name under its prefix: Atlassian hosts set JIRA_HOME
        if any(key in known for key in found.settings):
            named.append(name)
    wanted = list(dict.fromkeys(n for n in named if n))
    if not wanted:
        found.add("trackers", WARN, "no connector configured: set BRIDGE_CONNECTOR or BRIDGE_ROUTES")
    elif settings.routes is None and not settings.connector and not bad & {"routes", "connector"}:
        # inferred from its settings only: a plain `sync` (cron's) would refuse to guess
        found.add(
            "sync",
            WARN,
            f"BRIDGE_CONNECTOR is not set, so `sync` needs --connector {wanted[0]};"
            f" or set BRIDGE_CONNECTOR={wanted[0]}",
        )
    for name in wanted:
        try:
            connector = registry.load(name)
        except ConfigError as exc:
            found.add(f"{name}", FAIL, str(exc))
            continue
        hook = getattr(connector, "doctor", None)
        if hook is None:
            found.add(name, WARN, "this connector has no checks of its own")
            continue
        found.checks.extend(hook())
