"""One sync run: lock → read the vault → pull → plan → apply → report.

Read failures stop the run before anything is planned, so a tracker that answers 500 or a
vault that cannot be read never looks like "every task was deleted".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from bridge import registry
from bridge.apply import Report, apply_plan, count_planned
from bridge.cache import StoreParseCache
from bridge.config import BridgeSettings
from bridge.connector import Connector
from bridge.errors import ConfigError
from bridge.lock import held_lock
from bridge.model import Diagnostic
from bridge.plan import PlanOptions, build_groups, plan
from bridge.state import Store, sqlite_path
from bridge.vault import scan

__all__ = ["SyncRun", "open_store", "run_sync"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SyncRun:
    report: Report
    diagnostics: list[Diagnostic]
    root: Path


def _lock_path(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        return None if path == ":memory:" else Path(path + ".lock")
    return None


@contextmanager
def open_store(url: str) -> Iterator[Store]:
    store = Store.open(url)
    try:
        yield store
    finally:
        store.close()


def vault_of(settings: BridgeSettings, vault: Path | None) -> Path:
    target = vault or settings.vault
    if target is None:
        raise ConfigError("no vault given: pass --vault PATH or set BRIDGE_VAULT")
    if not target.is_dir():
        raise ConfigError(f"vault {target}: not a folder")
    return target.absolute()


def run_sync(
    settings: BridgeSettings,
    *,
    vault: Path | None = None,
    connector_name: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    today: dt.date | None = None,
    connector: Connector | None = None,
) -> SyncRun:
    """Sync one vault with one connector; raises ConfigError, LockHeldError or a ConnectorError."""
    root = vault_of(settings, vault)
    name = connector_name or settings.connector
    if connector is None and not name:
        raise ConfigError(f"no connector given: pass --connector NAME or set BRIDGE_CONNECTOR ({_known()})")
    connector_cls = type(connector) if connector is not None else registry.load(name or "")
    url = settings.state_url_for(root)
    lock = _lock_path(url)
    with ExitStack() as stack:
        stack.enter_context(held_lock(lock) if lock else nullcontext())
        store = stack.enter_context(open_store(url))
        if connector is None:
            connector = connector_cls.from_env()
            stack.callback(connector.close)
        report = Report(connector_cls.name, dry_run=dry_run)
        cache = StoreParseCache(store, root)
        result = scan(
            root, max_bytes=settings.max_note_bytes, policy=settings.group_policy(), root=root, cache=cache
        )
        log.info("read %d notes (%d from the parse cache)", len(result.notes), cache.hits)
        pulled = connector.pull(store.cursor(connector_cls.name))
        options = PlanOptions(
            connector=connector_cls.name,
            vault_name=root.name,
            today=today or dt.datetime.now().astimezone().date(),
            hold_proposed=settings.hold_proposed,
            absent=settings.absent,
            max_absent_share=settings.max_absent_share,
            force=force,
            conflict=settings.conflict,
        )
        planned = plan(
            build_groups(result.tasks, result.groups),
            links=store.links(connector_cls.name),
            bases=store.bases(connector_cls.name),
            changes={c.remote_id: c for c in pulled.changes},
            options=options,
            note_times={n.path: n.mtime_ns for n in result.notes},
            complete=result.complete,
        )
        if dry_run:
            count_planned(planned, report)
            report.requests = connector.requests
        else:
            apply_plan(
                planned,
                connector,
                store,
                root=root,
                dialect=result.dialect,
                notes={n.path: n for n in result.notes},
                cursor=pulled.cursor,
                today=options.today,
                report=report,
            )
            cache.save()
        report.linked = len(store.links(connector_cls.name))
        return SyncRun(report, result.diagnostics, root)
    raise AssertionError("unreachable")  # pragma: no cover


def _known() -> str:
    names = registry.available()
    return "available: " + ", ".join(names) if names else "none installed"
