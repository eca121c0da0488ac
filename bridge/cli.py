"""The command (`task-bridge`, also `bridge`): parse flags, call the library, map errors to exit
codes. No rules live here.

No `from __future__ import annotations` here: typer reads each command's parameters from its
annotations, and annotations kept as text were compiled and evaluated again on every run (about
a tenth of `bridge --help`); evaluated once where each command is defined, they are the same
objects typer would get from the text."""

from bridge.collector import importing, leave

with importing():
    import copy
    import os
    import sys
    from pathlib import Path
    from typing import TYPE_CHECKING, Annotated, Any

    import typer
    import typer.main

    from bridge import __version__
    from bridge.emulator_cli import EmulatorGroup
    from bridge.errors import BridgeError, ConfigError
    from bridge.exits import EXIT_FAILED, EXIT_LOCKED, EXIT_USAGE, exit_status, fail, prog, say
    from bridge.helptext import HelpCommand, HelpGroup
    from bridge.wording import counted

if TYPE_CHECKING:
    from typer.models import CommandInfo

    from bridge.config import BridgeSettings

# Each command imports what it alone needs (the vault reader, the sync, rich for tables, the
# output and logging), so that `--help`, and each command, starts without paying for the others'
# imports.

# `bridge.selection.STATUS_CHOICES`, spelled out for `tasks --help`: the selection builds it from
# the task model, whose enums and dataclasses `--help` need not create (a test keeps them equal).
STATUS_CHOICES = ("open", "todo", "in-progress", "on-hold", "done", "cancelled", "non-task", "proposed")

__all__ = ["EXIT_FAILED", "EXIT_LOCKED", "EXIT_USAGE", "app", "main"]  # the statuses, for callers

app = typer.Typer(
    cls=HelpGroup,
    name="task-bridge",
    help="Sync the action items of Markdown notes with Todoist and Jira, both ways.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion, under the name it was run by
    context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every subcommand
    pretty_exceptions_enable=False,
)


def _settings() -> "BridgeSettings":
    from bridge.config import BridgeSettings, load_settings

    try:
        return load_settings(BridgeSettings)
    except ConfigError as exc:
        raise fail(exc) from exc


def _run_settings() -> "BridgeSettings":
    """The settings for a sync: read plainly when they can be (no pydantic), else by the model,
    with the same values and the same errors."""
    from bridge.settings_load import load
    from bridge.settings_table import BRIDGE

    try:
        settings: BridgeSettings = load(BRIDGE)
    except ConfigError as exc:
        raise fail(exc) from exc
    return settings


def _listing_settings() -> "tuple[dict[str, Any], BridgeSettings | None]":
    """The settings' values for `bridge tasks`, and the model when it had to be read: without
    routes to show, the plain reader (no pydantic) gives the same values."""
    from bridge.keys import warn_unknown
    from bridge.plain_settings import read
    from bridge.settings_table import BRIDGE

    warn_unknown(BRIDGE)
    values = read(BRIDGE)
    if values is not None and values["routes"] is None:
        return values, None
    settings = _settings()
    return dict(settings), settings


def _verbose(value: bool) -> None:
    if value:
        from bridge import logs

        logs.configure(verbose=True)


# Accepted after the subcommand as well as before it: `bridge sync -v` is how people type it.
_Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", callback=_verbose, expose_value=False, help="Log what happens, on stderr."
    ),
]


def _version(value: bool) -> None:
    if value:
        print(f"{prog()} {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens, on stderr.")] = False,
) -> None:
    from bridge import logs

    logs.configure(verbose=verbose)


@app.command(cls=HelpCommand)
def tasks(
    path: Annotated[
        Path | None, typer.Argument(help="A vault folder or one note [default: BRIDGE_VAULT or .]")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document, not a table.")] = False,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            help=f"Only tasks of this status type ({', '.join(STATUS_CHOICES)}); repeat for several.",
        ),
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Only tasks of this owner (@Name, any case).")] = None,
    due_before: Annotated[
        str | None, typer.Option(help="Only tasks due before this date (YYYY-MM-DD).")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Only tasks with this tag; repeat for any of several.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Show at most this many tasks.")] = None,
    force: Annotated[
        bool, typer.Option(help="Read a folder that does not look like a vault (a home directory).")
    ] = False,
    cache: Annotated[
        bool,
        typer.Option(
            "--cache/--no-cache",
            help="Reuse notes parsed by an earlier listing while unchanged [default: BRIDGE_TASKS_CACHE].",
            show_default=False,
        ),
    ] = True,
    _verbose: _Verbose = False,
) -> None:
    """List the tasks of a vault or one note: status, owner, due date, priority, tags, group."""
    from bridge.collector import for_one_run

    for_one_run()  # first: the imports below allocate enough for dozens of collections at the default pace
    from bridge.groups import GroupPolicy
    from bridge.output import print_diagnostics, print_json, task_json
    from bridge.selection import Selection
    from bridge.vault import scan, vault_root
    from bridge.vault_check import look

    values, settings = _listing_settings()
    target = path or values["vault"] or Path.cwd()
    if not target.exists():
        say(f"{target}: no such file or folder")
        raise typer.Exit(EXIT_USAGE)
    try:
        chosen = Selection.of(status or (), owner, due_before, tag or (), limit)
    except ConfigError as exc:
        raise fail(exc) from exc
    seen = look(target, force=force) if values["vault"] is None or path is not None else None
    if seen is not None and seen.refusal:
        raise fail(ConfigError(seen.refusal))
    if seen is not None and seen.warning:
        say(seen.warning)
    notes = None
    if cache and values["tasks_cache"]:
        from bridge.tasks_cache import TasksCache, default_folder

        root = vault_root(target, values["vault"])
        policy = GroupPolicy(values["group_threshold"], values["group_scope"], values["near_duplicates"])
        notes = TasksCache(root, default_folder(), whole=target.absolute() == root, policy=policy)
        if as_json and values["routes"] is None and not values["connector"] and not sys.stdout.isatty():
            # the common case, from the cache's listing lines: no Task object for an unchanged note
            from bridge.listing import list_tasks
            from bridge.output import write_json_bytes

            listing = list_tasks(
                target, notes, max_bytes=values["max_note_bytes"], root=values["vault"], scope=policy.scope
            )
            notes.save()
            print_diagnostics(listing.scan.root, listing.scan.diagnostics)
            write_json_bytes(listing.chunks(chosen))
            return
    result = scan(
        target,
        max_bytes=values["max_note_bytes"],
        policy=GroupPolicy(values["group_threshold"], values["group_scope"], values["near_duplicates"]),
        root=values["vault"],
        cache=notes,
    )
    if notes is not None:
        notes.save()
    print_diagnostics(result.root, result.diagnostics)
    routes: list[str | None] | None = None
    if settings is not None and (settings.routes is not None or settings.connector):
        from bridge.sync import task_routes

        routes = task_routes(settings, result.tasks, result.groups)
    elif values["connector"]:  # no routes: every task goes to BRIDGE_CONNECTOR, as task_routes says
        routes = [values["connector"]] * len(result.tasks)
    picked = chosen.pick(result.tasks)
    shown = [result.tasks[i] for i in picked]
    groups = [result.groups[i] for i in picked]
    where = [routes[i] for i in picked] if routes is not None else None
    if as_json:
        print_json([task_json(*row) for row in zip(shown, groups, where or [None] * len(shown), strict=True)])
    else:
        from bridge.output import print_tasks_table

        print_tasks_table(shown, groups, where)
        if len(shown) < len(result.tasks):
            say(f"{len(shown):,} of {counted(len(result.tasks), 'task')} shown")


@app.command(cls=HelpCommand)
def sync(
    vault: Annotated[Path | None, typer.Option(help="The vault [default: BRIDGE_VAULT]")] = None,
    connector: Annotated[
        str | None,
        typer.Option(
            help="Sync only this connector (default: every one BRIDGE_ROUTES names, else BRIDGE_CONNECTOR)"
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document of counts.")] = False,
    force: Annotated[bool, typer.Option(help="Close or delete even when many vanished at once.")] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print only changes and errors: nothing when nothing changed."),
    ] = False,
    _verbose: _Verbose = False,
) -> None:
    """Sync the vault's tasks with their trackers, both ways; exit 1 when some tasks failed.

    When stdout is not a terminal (cron, a log file) each line starts with a timestamp.
    """
    from bridge.collector import for_one_run

    for_one_run()  # first: the imports below allocate enough for dozens of collections at the default pace
    from contextlib import nullcontext

    from bridge.output import print_diagnostics, print_json
    from bridge.progress import progress_for
    from bridge.sync import run_sync
    from bridge.sync_lines import changed, print_line, print_sync_report

    settings = _run_settings()
    bar = None if quiet else progress_for(sys.stderr)
    try:
        with bar or nullcontext():
            run = run_sync(
                settings, vault=vault, connector_name=connector, dry_run=dry_run, force=force, progress=bar
            )
    except BridgeError as exc:
        raise fail(exc) from exc
    if not quiet:  # the same every run until the note is fixed; `bridge tasks` shows them
        print_diagnostics(run.root, run.diagnostics)
    document = run.to_json()
    stamp = not sys.stdout.isatty()
    if as_json:
        print_json(document)
    else:
        for part, report in zip(document["connectors"], run.reports, strict=True):
            if not quiet or changed(part):
                print_sync_report(part, stamp=stamp, target=report.target)
        if run.unrouted and not quiet:
            verb = "matches" if run.unrouted == 1 else "match"
            print_line(
                f"{counted(run.unrouted, 'task group')} {verb} no BRIDGE_ROUTES rule: not synced", stamp=stamp
            )
    statuses = [exit_status(exc) for exc in run.failures.values()]
    statuses += [EXIT_FAILED for report in run.reports if report.failed]
    for report in run.reports:
        if report.failed or report.connector in run.failures:
            for error in report.errors:
                say(error)
    if statuses:  # a configuration problem outranks failed tasks: it needs a person
        raise typer.Exit(EXIT_USAGE if EXIT_USAGE in statuses else EXIT_FAILED)


@app.command(cls=HelpCommand)
def status(
    vault: Annotated[Path | None, typer.Option(help="The vault [default: BRIDGE_VAULT]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    _verbose: _Verbose = False,
) -> None:
    """Show links, the last sync of each connector and its conflicts, and the webhook inbox."""
    from bridge.output import print_json
    from bridge.sync import never_created, open_store, vault_of

    settings = _settings()
    try:
        url = settings.state_url_for(vault_of(settings, vault))
        if never_created(url):
            document: dict[str, object] = {"state": url, "connectors": {}, "inbox": {}}
        else:
            with open_store(url) as store:
                shown = url if url.startswith("sqlite:") else store.where  # a PostgreSQL password stays out
                document = {"state": shown, "connectors": store.summary(), "inbox": store.inbox_counts()}
    except BridgeError as exc:
        raise fail(exc) from exc
    if as_json:
        print_json(document)
    else:
        from bridge.output import print_status

        print_status(document)


inbox_app = typer.Typer(
    cls=HelpGroup,
    help="The webhook inbox: deliveries set aside (could not be applied) or still waiting.",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(inbox_app, name="inbox")

_VaultOption = Annotated[Path | None, typer.Option(help="The vault [default: BRIDGE_VAULT]")]


@inbox_app.callback()
def inbox(
    ctx: typer.Context,
    vault: _VaultOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    _verbose: _Verbose = False,
) -> None:
    """List deliveries set aside or waiting: id, connector, received time, attempts, reason."""
    if ctx.invoked_subcommand is not None:
        return
    from bridge.output import print_json
    from bridge.sync import never_created, open_store, vault_of

    settings = _settings()
    items: list[dict[str, object]] = []
    try:
        url = settings.state_url_for(vault_of(settings, vault))
        if not never_created(url):
            with open_store(url) as store:
                items = [item.to_json() for item in store.inbox_items()]
    except BridgeError as exc:
        raise fail(exc) from exc
    if as_json:
        print_json(items)
    else:
        from bridge.output import print_inbox

        print_inbox(items)


@inbox_app.command("retry", cls=HelpCommand)
def inbox_retry(
    ids: Annotated[list[int], typer.Argument(help="Inbox id of a set-aside delivery (see `bridge inbox`)")],
    vault: _VaultOption = None,
    _verbose: _Verbose = False,
) -> None:
    """Put set-aside deliveries back to be applied by the running `bridge serve`, attempts counted afresh."""
    from bridge.sync import open_store, vault_of

    settings = _settings()
    missing: list[int] = []
    try:
        with open_store(settings.state_url_for(vault_of(settings, vault))) as store:
            for item in ids:
                if store.retry(item):
                    print(f"inbox {item}: put back to be applied")
                else:
                    missing.append(item)
    except BridgeError as exc:
        raise fail(exc) from exc
    if missing:
        shown = ", ".join(str(i) for i in missing)
        say(f"no delivery set aside with inbox id {shown} (see `{prog()} inbox`)")
        raise typer.Exit(EXIT_USAGE)


@app.command(cls=HelpCommand)
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on (put a TLS proxy in front)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8080,
    vault: Annotated[Path | None, typer.Option(help="The vault [default: BRIDGE_VAULT]")] = None,
    _verbose: _Verbose = False,
) -> None:
    """Receive tracker webhooks and apply completions to the notes as they happen."""
    from bridge.serve import create_app
    from bridge.serve_limits import prepare, run
    from bridge.sync import vault_of

    settings = _settings()
    limits = prepare(settings)  # log lines limited per cause from the start
    try:
        app = create_app(settings, vault_of(settings, vault), worker_process=True)
    except BridgeError as exc:
        raise fail(exc) from exc
    print(
        f"{prog()} serve on http://{host}:{port} (POST /webhooks/<connector>, GET /healthz)", file=sys.stderr
    )
    run(app, limits, host=host, port=port)


emulator_app = typer.Typer(
    cls=EmulatorGroup,
    help="Run a tracker's emulator, for trying the bridge without an account.",
    no_args_is_help=True,
)
app.add_typer(emulator_app, name="emulator")


@app.command(cls=HelpCommand)
def auth(
    name: Annotated[str, typer.Argument(help="Connector to authorise, e.g. todoist")],
    port: Annotated[
        int, typer.Option(help="Port of the redirect listener on localhost (0: any free port)")
    ] = 8766,
    browser: Annotated[
        bool, typer.Option("--browser/--no-browser", help="Open the authorisation page in a browser.")
    ] = True,
    env_file: Annotated[Path, typer.Option(help="The .env file the settings are read from")] = Path(".env"),
    scope: Annotated[
        list[str] | None,
        typer.Option(help="A permission to ask for; repeat for several (default: the connector's)"),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the browser to come back")] = 300.0,
    _verbose: _Verbose = False,
) -> None:
    """Authorise the bridge with a tracker through OAuth and store the grant (see the connector's docs)."""
    from functools import partial

    from bridge import registry
    from bridge.connector_commands import AuthOptions

    try:
        connector_cls = registry.load(name)
    except BridgeError as exc:
        raise fail(exc) from exc
    hook = getattr(connector_cls, "authorize", None)
    if hook is None:
        raise fail(
            ConfigError(
                f"{name} needs no OAuth authorisation: set its {name.upper()}_* credentials"
                " instead (see .env.example)"
            )
        )
    options = AuthOptions(
        env_file=env_file,
        port=port,
        open_browser=browser,
        scopes=tuple(scope or ()),
        timeout=timeout,
        echo=partial(print, flush=True),
    )
    try:
        print(hook(options), flush=True)
    except BridgeError as exc:
        raise fail(exc) from exc


@app.command(cls=HelpCommand)
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    _verbose: _Verbose = False,
) -> None:
    """Check the setup: settings, vault, state, each tracker; exit 2: needs a person, 1: network."""
    from bridge.doctor import diagnose
    from bridge.output import print_json

    found = diagnose()
    if as_json:
        print_json(found.to_json())
    else:
        for check in found.checks:
            print(f"{check.status.value:<4}  {check.name}: {check.message}")
    raise typer.Exit(found.exit_status)


@app.command(cls=HelpCommand)
def demo(_verbose: _Verbose = False) -> None:
    """A full round trip on a temporary copy of the example vault, against an emulator: no account needed."""
    from bridge.demo import run_demo

    try:
        run_demo()
    except BridgeError as exc:
        raise fail(exc) from exc


def one_command_app(name: str) -> typer.Typer | None:
    """`app` holding only its command `name` (None when it has no such command): what a run that
    names its command first needs. Typer converts every command's signature to click's on each
    run, about 1.5 ms a command; the command run, its help and its errors are the same."""
    found = [info for info in app.registered_commands if _command_name(info) == name]
    if len(found) != 1:
        return None
    lean = copy.copy(app)
    lean.registered_commands = found
    lean.registered_groups = []
    return lean


def _command_name(info: "CommandInfo") -> str | None:
    if info.name is not None:
        return info.name
    return None if info.callback is None else typer.main.get_command_name(info.callback.__name__)


def main() -> None:
    # httpx imports its own command-line client (click, pygments, rich) when imported, if it can:
    # a fifth of a small sync's start-up, for a program the bridge never runs. Marked absent, httpx
    # puts a stub in its place (what it does when they are not installed).
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    named = sys.argv[1] if len(sys.argv) > 1 else ""
    # shell completion (`_..._COMPLETE`) and the group's own options and help see every command
    completing = any(key.startswith("_") and key.endswith("_COMPLETE") for key in os.environ)
    run = None if completing else one_command_app(named)
    from bridge.collector import own_process

    own_process()
    try:
        (run or app)()
    finally:
        leave()
