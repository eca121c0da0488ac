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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge import registry
from bridge.apply import Report, apply_plan, count_planned
from bridge.cache import StoreParseCache, fingerprint
from bridge.collector import kept
from bridge.connector import Connector, RemoteTask
from bridge.errors import BridgeError, ConfigError, StateError
from bridge.groups import Group, build_groups
from bridge.model import Diagnostic, Task
from bridge.plan_model import Plan, PlanOptions
from bridge.plan_text import file_lines
from bridge.progress import SyncProgress
from bridge.settled import Settled, after_creates, quiet
from bridge.stamp import stamp
from bridge.state import Store, sqlite_path
from bridge.vault import Note, Scan, load_dialect, scan

if TYPE_CHECKING:
    from bridge.config import BridgeSettings
    from bridge.lines import Neighbours

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
        # what planning depends on besides the state and the tracker, from a stat of each note
        stamped = stamp(
            root, fingerprint(root), settings.group_policy(), settings.routes, settings.max_note_bytes
        )
        if not dry_run:
            _sweep(stamped.litter)
        notes = _Notes(root, settings, names, store)
        today = today or dt.datetime.now().astimezone().date()
        options = {
            name: PlanOptions(
                connector=name,
                vault_name=root.name,
                today=today,
                hold_proposed=settings.hold_proposed,
                absent=settings.absent,
                max_absent_share=settings.max_absent_share,
                force=force,
                conflict=settings.conflict,
                recurs=bool(getattr(classes[name], "recurs", False)),
                remove_scheduled=notes.dialect.remove_scheduled,
            )
            for name in names
        }
        inputs = {name: _inputs_digest(stamped.digest, options[name]) for name in names}
        records = {name: _record(store, name, inputs[name]) for name in names}
        if not all(records.values()):  # some connector plans unless its pull says otherwise: read now
            notes.read()
        run = SyncRun([], [], root)
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
                        options[name],
                        report,
                        progress or _Silent(),
                        _Settling(inputs[name], records[name], sum(r.notes_written for r in run.reports)),
                    )
            except BridgeError as exc:
                if len(names) == 1:
                    raise
                log.info("%s could not sync: %s", name, exc)  # the report carries it to the user
                run.failures[name] = exc
                report.errors.append(str(exc) if str(exc).startswith(f"{name}:") else f"{name}: {exc}")
            report.linked = store.link_count(name)
        told = notes.told(next(r for r in records.values() if r is not None) if not notes.scanned else None)
        run.diagnostics, run.unrouted = told.diagnostics, told.unrouted
        if not dry_run:
            notes.save()
        return run
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class _Settling:
    """What a connector's run needs to skip planning, or to record that the next run may.

    `inputs` digests what the plan is made from besides the state and the pull (None: a note is
    too recent to tell); `record` is the settled record matching it, if any; `written` counts the
    notes earlier connectors of this run wrote.
    """

    inputs: str | None
    record: Settled | None
    written: int


def plan(groups: Sequence[Group], **inputs: Any) -> Plan:
    """`bridge.plan.plan`, imported when a run first plans: a run whose connectors are all settled
    (`_record`) does not import the planner, the matcher or the parser."""
    from bridge.plan import plan as planned

    return planned(groups, **inputs)


def _record(store: Store, name: str, inputs: str | None) -> Settled | None:
    """The connector's settled record when it was made from `inputs`."""
    if inputs is None:
        return None
    found = store.quiet(name)
    return Settled.decode(found[1]) if found is not None and found[0] == inputs else None


def _sync_one(
    connector: Connector,
    notes: _Notes,
    store: Store,
    options: PlanOptions,
    report: Report,
    progress: SyncProgress,
    settling: _Settling,
) -> None:
    """Pull, plan and apply one connector's groups; the notes were read once for the whole run.

    When nothing was pulled and nothing is pending, and the notes, settings and day are those of
    a run whose plan had no step, with no commit since (`Store.quiet`), that plan is not made
    again, nor the notes read: it would be the same, as `plan()` depends on nothing else.
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
        settled = settling.record if not changes and not pending else None
        if settled is not None:
            log.info("%s: nothing changed since a sync that had nothing to do", options.connector)
            planned = settled.plan
        else:
            planned = notes.plan(store, options, changes, pending)
        if report.dry_run:
            count_planned(planned, report, file_lines(notes.root))
            return
        progress.step(f"{options.connector}: sending changes", total=len(planned.ops) or None)
        if hasattr(connector, "on_progress"):  # the connector says how far its push is
            connector.on_progress = progress.update
        # a note that an earlier connector of this run wrote since the scan is read again
        # by write-back, which finds its lines by key (bridge.writeback.set_status)
        apply_plan(
            planned,
            connector,
            store,
            root=notes.root,
            dialect=notes.dialect,
            notes=notes.by_path(),
            cursor=pulled.cursor,
            today=options.today,
            report=report,
        )
        if settled is not None:
            store.record_settled(options.connector, str(settling.inputs), settled.encode())
        elif settling.inputs is not None:
            unchanged = planned if not changes and not pending and quiet(planned) else None
            first = None
            if not changes and not pending and notes.from_nothing.get(options.connector, False):
                first = after_creates(planned)
            del planned  # a large plan is not kept while the next one is made
            _remember(notes, store, options, report, settling, unchanged, first)
    finally:
        report.requests = connector.requests
        report.target = _target(connector)


def _remember(
    notes: _Notes,
    store: Store,
    options: PlanOptions,
    report: Report,
    settling: _Settling,
    planned: Plan | None,
    first: Plan | None = None,
) -> None:
    """Record a settled plan when the next run, pulling nothing, would plan no step.

    `planned` is this run's plan when it had no step, with nothing pulled and nothing pending: it
    committed nothing but the cursor, so it is the next run's plan too. Else, after a run that
    failed nothing, left nothing pending and wrote no note, the plan is made again from the state
    just committed: that is the next run's plan, and recorded when it has no step. A written note
    is too recent to stamp anyway; a failed step or a pending create is tried again. A first sync
    that only created has that plan already (`first`, see `after_creates`): not made again.
    """
    name = options.connector
    if planned is None:
        clean = not (report.failed or report.errors or report.notes_written or settling.written)
        if not clean or store.pending(name):
            return
        if first is not None:
            log.info("%s: every create of a first sync is linked: nothing to plan again", name)
            planned = first
        else:
            log.info("%s: planning again from the state just committed", name)
            planned = notes.plan(store, options, {}, {})
            if not quiet(planned):
                return
    told = notes.told(None)
    store.record_settled(
        name, str(settling.inputs), Settled(planned, told.diagnostics, told.unrouted).encode()
    )


def _inputs_digest(notes_digest: str | None, options: PlanOptions) -> str | None:
    """The vault's stamp (notes, grouping and routing settings) with the plan's options: the
    connector, the policies and the day. A connector's groups follow from the former."""
    if notes_digest is None:
        return None
    return hashlib.sha256(f"{notes_digest}\n{options!r}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _Told:
    """What a run says of the notes besides its plans: the scan's diagnostics, unrouted groups."""

    diagnostics: list[Diagnostic]
    unrouted: int


class _Notes:
    """The notes of the run, read (parse cache, scan, groups, line neighbours) when first needed:
    a run whose connectors all skip planning (`Store.quiet`) reads none of them."""

    def __init__(self, root: Path, settings: BridgeSettings, names: Sequence[str], store: Store) -> None:
        self.root, self.settings, self.names, self.store = root, settings, names, store
        self.dialect = load_dialect(root)[0]  # what options depend on (write-back, recurrence)
        self._scan: Scan | None = None
        self._cache: StoreParseCache | None = None
        self._routed: dict[str, list[Group]] | None = None
        self._around: Neighbours | None = None
        self._unrouted = 0
        # each connector whose last plan was made from no links and no bases (a first sync)
        self.from_nothing: dict[str, bool] = {}

    @property
    def scanned(self) -> bool:
        return self._scan is not None

    def read(self) -> Scan:
        """The vault's notes, through the parse cache; once."""
        if self._scan is None:
            self._cache = StoreParseCache(self.store, self.root)
            settings = self.settings
            with kept():
                self._scan = scan(
                    self.root,
                    max_bytes=settings.max_note_bytes,
                    policy=settings.group_policy(),
                    root=self.root,
                    cache=self._cache,
                    workers=True,  # a first sync, a lost cache: parsed as a cold listing is
                )
            log.info("read %d notes (%d from the parse cache)", len(self._scan.notes), self._cache.hits)
            if settings.routes is not None and self.unrouted:
                log.info("%d task groups match no BRIDGE_ROUTES rule; not synced", self.unrouted)
        return self._scan

    def by_path(self) -> dict[str, Note]:
        """The notes read, by path; none when they were not read (a settled plan writes none)."""
        return {n.path: n for n in self._scan.notes} if self._scan is not None else {}

    def plan(
        self,
        store: Store,
        options: PlanOptions,
        changes: Mapping[str, RemoteTask],
        pending: Mapping[str, str],
    ) -> Plan:
        """The plan of connector `options.connector` against the state as stored now."""
        result = self.read()
        links, bases = store.links(options.connector), store.bases(options.connector)
        self.from_nothing[options.connector] = not links and not bases
        with kept():
            return plan(
                self.routed(options.connector),
                links=links,
                bases=bases,
                changes=changes,
                options=options,
                note_times={n.path: n.mtime_ns for n in result.notes},
                unread=result.unread,
                around=self.around(),
                pending=pending,
            )

    def told(self, record: Settled | None) -> _Told:
        """What the run says of the notes: from the scan when they were read, else from `record`."""
        if self._scan is None:
            assert record is not None  # noqa: S101 - a run reads the notes unless every connector is settled
            return _Told(record.diagnostics, record.unrouted)
        return _Told(self._scan.diagnostics, self.unrouted if self.settings.routes is not None else 0)

    def save(self) -> None:
        """Keep what this run parsed for the next (when the notes were read)."""
        if self._cache is not None:
            self._cache.save()

    def routed(self, name: str) -> list[Group]:
        """The groups routed to connector `name`."""
        if self._routed is None:
            result = self.read()
            groups = build_groups(result.tasks, result.groups)
            self._routed = {n: groups for n in self.names}
            if self.settings.routes is not None:
                split = self.settings.routes.split(groups)
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
            from bridge.lines import neighbours  # here: a run that plans nothing needs no line identity

            self._around = neighbours(self.read().tasks)
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
