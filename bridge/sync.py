"""One sync run: lock → read the vault → route → for each connector: pull → plan → apply → report.

The vault is read once and the lock taken once, however many trackers the routes name, so the
connectors of a run see the same notes and a cron run never races itself. Each connector plans
only the groups routed to it (`bridge.route`), so no action item reaches two trackers.

Read failures stop a connector before anything is planned, so a tracker that answers 500 or a
vault that cannot be read never looks like "every task was deleted". When a run has several
connectors, one connector's failure is recorded in its report and the others still sync.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge import registry
from bridge.apply import Report, apply_plan, count_planned, settled_plan
from bridge.cache import StoreParseCache
from bridge.connector import Connector
from bridge.errors import BridgeError, ConfigError, StateError
from bridge.lines import Neighbours, neighbours
from bridge.model import Diagnostic, Task
from bridge.plan import Group, PlanOptions, build_groups, plan
from bridge.plan_text import file_lines
from bridge.progress import SyncProgress
from bridge.state import Store, sqlite_path
from bridge.vault import Scan, scan

if TYPE_CHECKING:
    from bridge.config import BridgeSettings

__all__ = ["SyncRun", "never_created", "open_store", "run_sync", "task_routes"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SyncRun:
    """A run's outcome: one report per connector, in the order they synced.

    `failures` holds the error of each connector that could not sync (its report says so too);
    `unrouted` counts the groups no `BRIDGE_ROUTES` rule matched, which were synced nowhere.
    """

    reports: list[Report]
    diagnostics: list[Diagnostic]
    root: Path
    unrouted: int = 0
    failures: dict[str, BridgeError] = field(default_factory=dict)

    @property
    def report(self) -> Report:
        """The first connector's report: the whole outcome of a one-connector run."""
        return self.reports[0]

    def to_json(self) -> dict[str, Any]:
        """The `bridge sync --json` document (design section 12).

        One connector: its report, as before routing existed. Several: the counts summed, the
        lists (errors, notices, plan) joined, and `connector` null. Either way `connectors` lists
        each connector's own report, with `error` set when that connector could not sync.
        """
        parts = [
            {
                **r.to_json(),
                "error": str(self.failures[r.connector]) if r.connector in self.failures else None,
            }
            for r in self.reports
        ]
        top = dict(parts[0]) if len(parts) == 1 else _combined(parts)
        return {**top, "unrouted": self.unrouted, "connectors": parts}


def _combined(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several reports as one: numbers summed, flags or-ed, lists joined, texts joined or null."""
    top: dict[str, Any] = {}
    for key, first in parts[0].items():
        values = [p[key] for p in parts]
        if isinstance(first, bool):
            top[key] = any(values)
        elif isinstance(first, int):
            top[key] = sum(values)
        elif isinstance(first, list):
            top[key] = [item for value in values for item in value]
        else:
            texts = [str(v) for v in values if v is not None]
            top[key] = "; ".join(texts) if texts and key != "connector" else None
    return top


def never_created(url: str) -> bool:
    """A SQLite state whose file is not there yet: a command that only reads (`status`, `inbox`)
    says "never synced" rather than creating the file, and its folder, by opening it."""
    if not url.startswith("sqlite:"):
        return False
    path = sqlite_path(url)
    return path != ":memory:" and not Path(path).exists()


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


def _targets(settings: BridgeSettings, name: str | None) -> list[str]:
    """The connectors a run syncs, in order: the one asked for, else all the routes name, else the default."""
    routes = settings.routes
    if routes is not None:
        installed = registry.available()
        for rule in routes.rules:
            if rule.connector not in installed and rule.connector != name:
                known = ", ".join(installed) or "none"
                raise ConfigError(
                    f"BRIDGE_ROUTES rule {str(rule)!r}: no connector named {rule.connector!r}"
                    f" (installed: {known})"
                )
        if name is None:
            return routes.connectors
        if name not in routes.connectors:
            raise ConfigError(
                f"no BRIDGE_ROUTES rule sends tasks to {name!r}"
                f" (the rules name {', '.join(routes.connectors)})"
            )
        return [name]
    name = name or settings.connector
    if not name:
        raise ConfigError(
            f"no connector given: pass --connector NAME, set BRIDGE_CONNECTOR or BRIDGE_ROUTES ({_known()})"
        )
    return [name]


def task_routes(
    settings: BridgeSettings, tasks: Sequence[Task], group_keys: Sequence[str | None]
) -> list[str | None]:
    """For each task, the connector a sync would send it to (None: none), judged by its whole group."""
    routes = settings.routes
    if routes is None:
        return [settings.connector] * len(tasks)
    where = {t.key: routes.connector_for(g.tasks) for g in build_groups(tasks, group_keys) for t in g.tasks}
    return [where[t.key] for t in tasks]


def run_sync(
    settings: BridgeSettings,
    *,
    vault: Path | None = None,
    connector_name: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    today: dt.date | None = None,
    connector: Connector | None = None,
    progress: SyncProgress | None = None,
) -> SyncRun:
    """Sync one vault with the connector asked for (`connector_name` or an instance), else with
    every connector `BRIDGE_ROUTES` names, else with `BRIDGE_CONNECTOR`.

    Raises ConfigError or LockHeldError for the whole run. A connector's own failure (settings,
    credentials, a failed read) is raised when it is the run's only connector; with several it is
    recorded in `SyncRun.failures` and in its report, and the other connectors still sync.
    `progress` hears of each stage, for a bar on a terminal.
    """
    root = vault_of(settings, vault)
    names = _targets(settings, type(connector).name if connector is not None else connector_name)
    # loaded before the lock is taken: an unknown or broken plugin is a configuration error
    classes = {name: type(connector) if connector is not None else registry.load(name) for name in names}
    with ExitStack() as stack:
        store = stack.enter_context(open_store(_state_url(settings, root, dry_run=dry_run)))
        stack.enter_context(store.writer_lock())
        cache = StoreParseCache(store, root)
        result = scan(
            root, max_bytes=settings.max_note_bytes, policy=settings.group_policy(), root=root, cache=cache
        )
        log.info("read %d notes (%d from the parse cache)", len(result.notes), cache.hits)
        if not dry_run:
            _sweep(result.litter)
        # what planning depends on besides the state and the tracker: equal, a settled plan stands
        notes_digest = cache.digest(
            result.notes,
            sorted(result.unread),
            settings.group_policy(),
            settings.routes,
            settings.max_note_bytes,
        )
        notes = _Notes(result, settings, names)
        unrouted = notes.unrouted if settings.routes is not None else 0
        if unrouted:
            log.info("%d task groups match no BRIDGE_ROUTES rule; not synced", unrouted)
        options = PlanOptions(
            connector="",
            vault_name=root.name,
            today=today or dt.datetime.now().astimezone().date(),
            hold_proposed=settings.hold_proposed,
            absent=settings.absent,
            max_absent_share=settings.max_absent_share,
            force=force,
            conflict=settings.conflict,
        )
        run = SyncRun([], result.diagnostics, root, unrouted)
        for name in names:
            report = Report(name, dry_run=dry_run)
            run.reports.append(report)
            try:
                with ExitStack() as own:
                    active = connector
                    if active is None:
                        active = classes[name].from_env()
                        own.callback(active.close)
                    _sync_one(
                        active,
                        notes,
                        store,
                        result,
                        replace(
                            options,
                            connector=name,
                            recurs=bool(getattr(classes[name], "recurs", False)),
                            remove_scheduled=result.dialect.remove_scheduled,
                        ),
                        report,
                        progress or _Silent(),
                        notes_digest,
                    )
            except BridgeError as exc:
                if len(names) == 1:
                    raise
                log.info("%s could not sync: %s", name, exc)  # the report carries it to the user
                run.failures[name] = exc
                report.errors.append(str(exc) if str(exc).startswith(f"{name}:") else f"{name}: {exc}")
            report.linked = store.link_count(name)
        if not dry_run:
            cache.save()
        return run
    raise AssertionError("unreachable")  # pragma: no cover


def _sync_one(
    connector: Connector,
    notes: _Notes,
    store: Store,
    result: Scan,
    options: PlanOptions,
    report: Report,
    progress: SyncProgress,
    notes_digest: str | None = None,
) -> None:
    """Pull, plan and apply one connector's groups; the notes were read once for the whole run.

    When nothing was pulled and nothing is pending, and the notes, settings and day are those of
    a run whose plan had no step, with no commit since (`Store.quiet`), that plan is not made
    again: it would be the same, as `plan()` depends on nothing else.
    """
    try:
        progress.step(f"{options.connector}: reading the tracker")
        try:
            pulled = connector.pull(store.cursor(options.connector))
        except StateError as exc:  # the connector read its cursor: say which database holds it
            raise StateError(f"state {store.where}: {exc}") from exc
        changes = {c.remote_id: c for c in pulled.changes}
        pending = store.pending(options.connector)
        recover = getattr(connector, "recover", None)
        if recover is not None and pending:
            # creates a dead run sent: found whatever happened to them since (a pull may not show it)
            seen = {c.ref for c in pulled.changes}
            for found in recover({ref: since for ref, since in pending.items() if ref not in seen}):
                changes.setdefault(found.remote_id, found)
        inputs = None
        if notes_digest is not None and not changes and not pending:
            inputs = _inputs_digest(notes_digest, options)
        quiet = store.quiet(options.connector) if inputs is not None else None
        settled = settled_plan(quiet[1]) if quiet is not None and quiet[0] == inputs else None
        if settled is not None:
            log.info("%s: nothing changed since a sync that had nothing to do", options.connector)
        planned = settled or plan(
            notes.routed(options.connector),
            links=store.links(options.connector),
            bases=store.bases(options.connector),
            changes=changes,
            options=options,
            note_times={n.path: n.mtime_ns for n in result.notes},
            unread=result.unread,
            around=notes.around(),
            pending=pending,
        )
        if report.dry_run:
            count_planned(planned, report, file_lines(result.root))
        else:
            progress.step(f"{options.connector}: sending changes", total=len(planned.ops) or None)
            if hasattr(connector, "on_progress"):  # the connector says how far its push is
                connector.on_progress = progress.update
            # a note that an earlier connector of this run wrote since the scan is read again
            # by write-back, which finds its lines by key (bridge.writeback.set_status)
            apply_plan(
                planned,
                connector,
                store,
                root=result.root,
                dialect=result.dialect,
                notes={n.path: n for n in result.notes},
                cursor=pulled.cursor,
                today=options.today,
                report=report,
                inputs=inputs,
            )
    finally:
        report.requests = connector.requests
        report.target = _target(connector)


def _inputs_digest(notes_digest: str, options: PlanOptions) -> str:
    """The notes' digest (notes, grouping and routing settings) with the plan's options: the
    connector, the policies and the day. A connector's groups follow from the former."""
    return hashlib.sha256(f"{notes_digest}\n{options!r}".encode()).hexdigest()


class _Notes:
    """The groups and line neighbours of the notes read, worked out once, when first needed: a
    run whose connectors all skip planning (`Store.quiet`) needs neither."""

    def __init__(self, result: Scan, settings: BridgeSettings, names: Sequence[str]) -> None:
        self.result, self.routes, self.names = result, settings.routes, names
        self._routed: dict[str, list[Group]] | None = None
        self._around: Neighbours | None = None
        self._unrouted = 0

    def routed(self, name: str) -> list[Group]:
        """The groups routed to connector `name`."""
        if self._routed is None:
            groups = build_groups(self.result.tasks, self.result.groups)
            self._routed = {n: groups for n in self.names}
            if self.routes is not None:
                split = self.routes.split(groups)
                self._routed = {n: split.by_connector.get(n, []) for n in self.names}
                self._unrouted = len(split.unrouted)
        return self._routed[name]

    @property
    def unrouted(self) -> int:
        """How many groups no `BRIDGE_ROUTES` rule matched (the groups are worked out for it)."""
        self.routed(self.names[0])
        return self._unrouted

    def around(self) -> Neighbours:
        """Once: every connector plans against the same notes."""
        if self._around is None:
            self._around = neighbours(self.result.tasks)
        return self._around


def _target(connector: Connector) -> str:
    """Where the connector creates tasks, in words, when it can say so without asking the tracker."""
    described = getattr(connector, "target", None)
    return described if isinstance(described, str) else ""


class _Silent:
    """No progress shown: cron, a pipe, `--quiet`, the webhook receiver."""

    def step(self, label: str, total: int | None = None) -> None:
        pass

    def update(self, done: int, total: int | None = None) -> None:
        pass


def _state_url(settings: BridgeSettings, root: Path, *, dry_run: bool) -> str:
    """The state to sync against; for a dry run with no SQLite state yet, an empty one in memory,
    so that trying the bridge on a vault leaves no file behind (a first run plans as if new)."""
    url = settings.state_url_for(root)
    if dry_run and url.startswith("sqlite:"):
        path = sqlite_path(url)
        if path != ":memory:" and not Path(path).exists():
            log.info("no state at %s yet: the dry run plans as a first sync, and creates none", path)
            return "sqlite:///:memory:"
    return url


def _sweep(litter: list[Path]) -> None:
    """Remove what a killed write-back left; safe under the writer lock, as no write is under way."""
    for path in litter:
        try:
            path.unlink()
        except OSError as exc:
            log.warning("cannot remove %s, left by an interrupted write: %s", path, exc.strerror or exc)
        else:
            log.info("removed %s, left by an interrupted write", path)


def _known() -> str:
    names = registry.available()
    return "available: " + ", ".join(names) if names else "none installed"
