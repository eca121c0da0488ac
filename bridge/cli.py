"""The `bridge` command: parse flags, call the library, map errors to exit codes. No rules live here."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from bridge import __version__
from bridge.config import BridgeSettings, load_settings
from bridge.errors import AuthError, BridgeError, ConfigError, LockHeldError, StateError
from bridge.output import (
    print_diagnostics,
    print_inbox,
    print_json,
    print_report,
    print_status,
    print_tasks_table,
    task_json,
)
from bridge.vault import scan

__all__ = ["app", "main"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 75  # EX_TEMPFAIL: cron may simply try again later

app = typer.Typer(
    name="bridge",
    help="Sync the action items of Markdown notes with Todoist and Jira, both ways.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _settings() -> BridgeSettings:
    try:
        return load_settings(BridgeSettings)
    except ConfigError as exc:
        raise _fail(exc) from exc


def _version(value: bool) -> None:
    if value:
        print(f"bridge {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens, on stderr.")] = False,
) -> None:
    level = logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def tasks(
    path: Annotated[
        Path | None, typer.Argument(help="A vault folder or one note [default: BRIDGE_VAULT or .]")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document, not a table.")] = False,
) -> None:
    """List the tasks of a vault or one note: status, owner, due date, priority, tags, group."""
    settings = _settings()
    target = path or settings.vault or Path.cwd()
    if not target.exists():
        print(f"bridge: {target}: no such file or folder", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)
    result = scan(
        target, max_bytes=settings.max_note_bytes, policy=settings.group_policy(), root=settings.vault
    )
    print_diagnostics(result.root, result.diagnostics)
    routes: list[str | None] | None = None
    if settings.routes is not None or settings.connector:
        from bridge.sync import task_routes

        routes = task_routes(settings, result.tasks, result.groups)
    if as_json:
        where = routes or [None] * len(result.tasks)
        print_json([task_json(*row) for row in zip(result.tasks, result.groups, where, strict=True)])
    else:
        print_tasks_table(result.tasks, result.groups, routes)


def _exit_status(exc: BridgeError) -> int:
    """75 for a held lock (cron tries again); 2 for what needs a person: settings, credentials, and
    a state database that cannot be opened or read (retrying would fail the same way); else 1."""
    if isinstance(exc, LockHeldError):
        return EXIT_LOCKED
    if isinstance(exc, ConfigError | AuthError | StateError):
        return EXIT_USAGE
    return EXIT_FAILED


def _fail(exc: BridgeError) -> typer.Exit:
    print(f"bridge: {exc}", file=sys.stderr)
    return typer.Exit(_exit_status(exc))


@app.command()
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
) -> None:
    """Sync the vault's tasks with their trackers, both ways; exit 1 when some tasks failed."""
    from bridge.sync import run_sync

    settings = _settings()
    try:
        run = run_sync(settings, vault=vault, connector_name=connector, dry_run=dry_run, force=force)
    except BridgeError as exc:
        raise _fail(exc) from exc
    print_diagnostics(run.root, run.diagnostics)
    document = run.to_json()
    if as_json:
        print_json(document)
    else:
        for part in document["connectors"]:
            print_report(part)
        if run.unrouted:
            print(f"{run.unrouted} tasks match no BRIDGE_ROUTES rule: not synced")
    statuses = [_exit_status(exc) for exc in run.failures.values()]
    statuses += [EXIT_FAILED for report in run.reports if report.failed]
    for report in run.reports:
        if report.failed or report.connector in run.failures:
            for error in report.errors:
                print(f"bridge: {error}", file=sys.stderr)
    if statuses:  # a configuration problem outranks failed tasks: it needs a person
        raise typer.Exit(EXIT_USAGE if EXIT_USAGE in statuses else EXIT_FAILED)


@app.command()
def status(
    vault: Annotated[Path | None, typer.Option(help="The vault [default: BRIDGE_VAULT]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Show links, the last sync of each connector and its conflicts, and the webhook inbox."""
    from bridge.sync import open_store, vault_of

    settings = _settings()
    try:
        url = settings.state_url_for(vault_of(settings, vault))
        with open_store(url) as store:
            shown = url if url.startswith("sqlite:") else store.where  # a PostgreSQL password stays out
            document = {"state": shown, "connectors": store.summary(), "inbox": store.inbox_counts()}
    except BridgeError as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json(document)
    else:
        print_status(document)


inbox_app = typer.Typer(
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
) -> None:
    """List deliveries set aside or waiting: id, connector, received time, attempts, reason."""
    if ctx.invoked_subcommand is not None:
        return
    from bridge.sync import open_store, vault_of

    settings = _settings()
    try:
        with open_store(settings.state_url_for(vault_of(settings, vault))) as store:
            items = [item.to_json() for item in store.inbox_items()]
    except BridgeError as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json(items)
    else:
        print_inbox(items)


@inbox_app.command("retry")
def inbox_retry(
    ids: Annotated[list[int], typer.Argument(help="Inbox id of a set-aside delivery (see `bridge inbox`)")],
    vault: _VaultOption = None,
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
        raise _fail(exc) from exc
    if missing:
        shown = ", ".join(str(i) for i in missing)
        print(f"bridge: no delivery set aside with inbox id {shown} (see `bridge inbox`)", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on (put a TLS proxy in front)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8080,
    vault: Annotated[Path | None, typer.Option(help="The vault [default: BRIDGE_VAULT]")] = None,
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
        raise _fail(exc) from exc
    print(f"bridge serve on http://{host}:{port} (POST /webhooks/<connector>, GET /healthz)", file=sys.stderr)
    run(app, limits, host=host, port=port)


@app.command()
def emulator(
    name: Annotated[str, typer.Argument(help="Connector whose tracker to emulate, e.g. todoist")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    token: Annotated[str | None, typer.Option(help="The only API token accepted")] = None,
    email: Annotated[str | None, typer.Option(help="Account e-mail (Jira Cloud style auth)")] = None,
    pat: Annotated[str | None, typer.Option(help="Personal access token (Jira Server style auth)")] = None,
    webhook_url: Annotated[str | None, typer.Option(help="Deliver signed webhooks here")] = None,
    client_secret: Annotated[str | None, typer.Option(help="Sign webhooks with this app secret")] = None,
    secret: Annotated[str | None, typer.Option(help="Webhook signing secret")] = None,
) -> None:
    """Run a tracker's emulator, for trying the bridge without an account."""
    import uvicorn

    from bridge import registry
    from bridge.connector import EmulatorOptions

    try:
        connector_cls = registry.load(name)
    except BridgeError as exc:
        raise _fail(exc) from exc
    options = EmulatorOptions(token, email, pat, client_secret or secret, webhook_url)
    try:
        served = connector_cls.emulator(options)
    except (BridgeError, ValueError) as exc:
        raise _fail(exc if isinstance(exc, BridgeError) else ConfigError(str(exc))) from exc
    print(f"{name} emulator on http://{host}:{port} (Ctrl-C stops it)", file=sys.stderr)
    uvicorn.run(served, host=host, port=port, log_level="warning")


@app.command()
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
) -> None:
    """Authorise the bridge with a tracker through OAuth and store the grant (see the connector's docs)."""
    from functools import partial

    from bridge import registry
    from bridge.connector import AuthOptions

    try:
        connector_cls = registry.load(name)
    except BridgeError as exc:
        raise _fail(exc) from exc
    hook = getattr(connector_cls, "authorize", None)
    if hook is None:
        raise _fail(
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
        raise _fail(exc) from exc


@app.command()
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Check the setup: settings, vault, state, each tracker; exit 2: needs a person, 1: network."""
    from bridge.doctor import diagnose

    found = diagnose()
    if as_json:
        print_json(found.to_json())
    else:
        for check in found.checks:
            print(f"{check.status.value:<4}  {check.name}: {check.message}")
    raise typer.Exit(found.exit_status)


@app.command()
def demo() -> None:
    """A full round trip on a temporary copy of the example vault, against an emulator: no account needed."""
    from bridge.demo import run_demo

    try:
        run_demo()
    except BridgeError as exc:
        raise _fail(exc) from exc


def main() -> None:
    app()
