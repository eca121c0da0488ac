"""`bridge emulator NAME`: one subcommand per installed connector, with its own tracker's flags.

A connector lists the flags its emulator takes in `emulator_flags` (names from `FLAGS`); one
that lists none is offered them all. Subcommands are made when asked for: a connector is
imported only to run or describe its emulator, and the registry only to find one.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import typer

from bridge.errors import BridgeError, ConfigError
from bridge.exits import fail
from bridge.helptext import HelpCommand, HelpGroup

__all__ = ["FLAGS", "EmulatorGroup"]

FLAGS = {
    "token": ("--token", "The only API token accepted."),
    "email": ("--email", "Account e-mail, with --token (Cloud style auth)."),
    "pat": ("--pat", "Personal access token (Server and Data Center style auth)."),
    "webhook_url": ("--webhook-url", "Deliver signed webhooks to this URL."),
    "client_secret": ("--client-secret", "Sign webhooks with this app secret."),
    "secret": ("--secret", "Webhook signing secret."),
}


def _verbose(value: bool) -> None:
    if value:
        from bridge import logs

        logs.configure(verbose=True)


def _parameter(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


def _signature(flags: list[str]) -> inspect.Signature:
    """The command's parameters as typer reads them: the common ones, then the connector's flags."""
    common = [
        _parameter("port", Annotated[int, typer.Option(help="Port to listen on.")], 8765),
        _parameter("host", Annotated[str, typer.Option(help="Interface to listen on.")], "127.0.0.1"),
        _parameter(
            "verbose",
            Annotated[
                bool,
                typer.Option(
                    "--verbose",
                    "-v",
                    callback=_verbose,
                    expose_value=False,
                    help="Log what happens, on stderr.",
                ),
            ],
            False,
        ),
    ]
    own = [
        _parameter(f, Annotated[str | None, typer.Option(FLAGS[f][0], help=FLAGS[f][1])], None) for f in flags
    ]
    return inspect.Signature(common + own)


def _flags_of(name: str) -> list[str]:
    from bridge import registry

    try:
        declared = getattr(registry.load(name), "emulator_flags", FLAGS)
    except ConfigError:
        declared = FLAGS  # a broken plugin: its command says so when run
    return [f for f in declared if f in FLAGS]


def _command(name: str) -> Any:
    def run(port: int = 8765, host: str = "127.0.0.1", **given: str | None) -> None:
        _serve(name, port, host, given)

    run.__signature__ = _signature(_flags_of(name))  # type: ignore[attr-defined]
    run.__doc__ = f"Run an emulator of {name}'s API; it accepts exactly the credentials given."
    one = typer.Typer(add_completion=False)
    one.command(name, cls=HelpCommand)(run)
    command = typer.main.get_command(one)
    command.name = name
    return command


def _serve(name: str, port: int, host: str, given: dict[str, str | None]) -> None:
    import uvicorn

    from bridge.connector_commands import EmulatorOptions

    options = EmulatorOptions(
        token=given.get("token"),
        email=given.get("email"),
        pat=given.get("pat"),
        secret=given.get("client_secret") or given.get("secret"),
        webhook_url=given.get("webhook_url"),
    )
    from bridge import registry

    try:
        served = registry.load(name).emulator(options)
    except (BridgeError, ValueError) as exc:
        raise fail(exc if isinstance(exc, BridgeError) else ConfigError(str(exc))) from exc
    typer.echo(f"{name} emulator on http://{host}:{port} (Ctrl-C stops it)", err=True)
    uvicorn.run(served, host=host, port=port, log_level="warning")


class EmulatorGroup(HelpGroup):
    """The installed connectors as subcommands, found through the registry when asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        from bridge import registry

        return registry.available()

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        from bridge import registry

        if cmd_name not in registry.available():
            return None
        return _command(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """An unknown name is a usage error saying which connectors there are, as before."""
        from bridge import registry

        if args and args[0] not in registry.available() and not args[0].startswith("-"):
            raise fail(ConfigError(_unknown(args[0])))
        return super().resolve_command(ctx, args)


def _unknown(name: str) -> str:
    from bridge import registry

    known = ", ".join(registry.available()) or "none installed"
    return f"no connector named {name!r} (available: {known})"
