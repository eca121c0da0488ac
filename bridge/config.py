"""Settings, declared once: every `BRIDGE_*` variable, read from the environment and `.env`.

Also the rules every settings class of the product shares (`settings_config`, `Token`, `Secret`,
`http_url`, `expand_path`), so that a token pasted with a newline or a `~` in a path is handled
the same way by the core and by each connector, when the settings are read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from bridge.errors import ConfigError
from bridge.groups import DEFAULT_THRESHOLD
from bridge.keys import warn_unknown
from bridge.route import Routes
from bridge.setting_rules import expand_path, http_url, secret, token
from bridge.setting_rules import state_url as state_url_rule
from bridge.settings_methods import BridgeMethods
from bridge.vault import DEFAULT_MAX_NOTE_BYTES

__all__ = [
    "BridgeSettings",
    "Secret",
    "Token",
    "expand_path",
    "http_url",
    "load_settings",
    "readable_settings",
    "settings_config",
]

S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S]) -> S:
    """Settings from the environment and `.env`, or a ConfigError naming every bad variable."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    warn_unknown(cls)
    try:
        return cls()
    except ValidationError as exc:
        problems = [_problem(prefix, e) for e in exc.errors()]
        raise ConfigError("bad setting " + "; ".join(problems)) from exc
    except SettingsError as exc:  # a value that is not even JSON, e.g. a dict setting
        found = re.search(r'field "(\w+)"', str(exc))
        name = f"{prefix}{found.group(1).upper()}" if found else f"a {prefix}* variable"
        raise ConfigError(f"bad setting {name}: not valid JSON") from exc
    except UnicodeDecodeError as exc:  # raised by the dotenv reader, naming no file
        raise ConfigError(_undecodable(cls, exc)) from exc
    except OSError as exc:
        raise ConfigError(f"{exc.filename or '.env'}: cannot be read ({exc.strerror or exc})") from exc


def readable_settings(cls: type[S]) -> tuple[S, frozenset[str]]:
    """The settings that can be read, each field whose value is bad at its default, and the names
    of those fields: for `bridge doctor`, which reports a bad setting and still runs the checks
    that do not depend on it. Warns of nothing (`load_settings` has said it already)."""
    try:
        return cls(), frozenset()
    except ValidationError as exc:
        bad = frozenset(str(e["loc"][0]) for e in exc.errors() if e["loc"])
    except SettingsError as exc:
        found = re.search(r'field "(\w+)"', str(exc))
        bad = frozenset([found.group(1)] if found else ())
    except (UnicodeDecodeError, OSError):  # no `.env` to read: nothing is known
        return cls.model_construct(), frozenset(cls.model_fields)
    fields = cls.model_fields
    try:
        defaults = {
            name: fields[name].get_default(call_default_factory=True) for name in bad if name in fields
        }
        return cls(**defaults), bad
    except (ValidationError, SettingsError):
        return cls.model_construct(), frozenset(fields)


def _undecodable(cls: type[BaseSettings], exc: UnicodeDecodeError) -> str:
    """Which env file is not UTF-8, and where: the first bad byte, its line and offset."""
    value = cls.model_config.get("env_file")
    files = [value] if isinstance(value, str | Path) else list(value or ())
    for name in files:
        path = Path(name).expanduser()
        try:
            raw = path.read_bytes()
            raw.decode(cls.model_config.get("env_file_encoding") or "utf-8")
        except OSError:
            continue
        except UnicodeDecodeError as bad:
            line = raw.count(b"\n", 0, bad.start) + 1
            return (
                f"{name}: not UTF-8 (byte 0x{raw[bad.start]:02x} on line {line}, offset {bad.start});"
                " save it as UTF-8"
            )
    return f"{files[0] if files else '.env'}: not UTF-8 ({exc.reason}); save it as UTF-8"


def settings_config(prefix: str) -> SettingsConfigDict:
    """What every settings class of the product shares: a prefix, `.env`, and an empty value
    (`TODOIST_API_TOKEN=`) meaning unset, as it does for a person, not an empty token."""
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )


# A credential sent in a header, and a shared secret (webhook signatures): `setting_rules` says how.
Token = Annotated[SecretStr | None, BeforeValidator(token)]
Secret = Annotated[SecretStr | None, BeforeValidator(secret)]


def _problem(prefix: str, error: ErrorDetails) -> str:
    """The variable named by the error's field alone, and where inside its value in the message:
    the whole location joined (`TODOIST_OWNERS_LIOR GENZEL`) named a variable that does not exist."""
    field, *inside = error["loc"] or ("",)
    where = f"entry {', '.join(repr(part) for part in inside)}: " if inside else ""
    return f"{prefix}{str(field).upper()}: {where}{_message(error)}"


def _message(error: ErrorDetails) -> str:
    """Pydantic's message, without the "Value error, " it puts before our own validators' words."""
    cause = error.get("ctx", {}).get("error")
    return str(cause) if error["type"] == "value_error" and cause is not None else error["msg"]


class BridgeSettings(BridgeMethods, BaseSettings):
    model_config = settings_config("BRIDGE_")

    vault: Annotated[Path | None, BeforeValidator(expand_path)] = Field(
        default=None, description="The vault (folder of notes) to read."
    )
    state_url: Annotated[str | None, BeforeValidator(state_url_rule)] = Field(
        default=None, description="Where sync state lives: sqlite:///… or postgresql://…"
    )
    connector: str | None = Field(default=None, description="Default connector for `bridge sync`.")
    # NoDecode: the compact form `#jira=jira, *=todoist` is not JSON; `_routes` reads both forms.
    routes: Annotated[Routes | None, NoDecode] = Field(
        default=None,
        description="Which connector each task goes to, by owner, tag or folder; first match wins.",
    )
    group_scope: Literal["note", "vault"] = Field(
        default="vault", description="Join open items carried forward into later notes (vault) or not (note)."
    )
    group_threshold: float = Field(
        default=DEFAULT_THRESHOLD, ge=0, le=100, description="Token-set similarity (0-100) that joins lines."
    )
    near_duplicates: bool = Field(default=True, description="Group near-duplicate lines of one note.")
    max_note_bytes: int = Field(default=DEFAULT_MAX_NOTE_BYTES, gt=0, description="Larger notes are skipped.")
    tasks_cache: bool = Field(
        default=True, description="`bridge tasks` keeps parsed notes in the user's cache folder."
    )

    hold_proposed: bool = Field(
        default=False, description="Keep `[?]` proposed tasks out of the tracker until accepted (`[ ]`)."
    )
    absent: Literal["leave", "close", "delete"] = Field(
        default="leave",
        description="What to do with a linked tracker task whose line is gone from the notes.",
    )
    max_absent_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Refuse (without --force) to close or delete more than this share.",
    )
    conflict: Literal["latest", "note", "tracker"] = Field(
        default="latest", description="Who wins when note and tracker changed a status differently."
    )
    inbox_keep_days: float = Field(
        default=7,
        ge=1,
        description="Applied webhook deliveries are kept this long (to recognise late retries), then pruned.",
    )
    inbox_attempts: int = Field(
        default=5,
        ge=1,
        le=100,
        description="A webhook delivery whose application fails is tried this many times, then set aside.",
    )
    inbox_backoff: float = Field(
        default=1.0,
        gt=0,
        le=3600,
        description="Seconds before a failed delivery's second attempt; doubled for each one after.",
    )

    # `bridge serve` in the open (docs/webhooks.md#limits): every connection and request is bounded.
    serve_max_connections: int = Field(
        default=1000,
        ge=1,
        description="Open connections at most (fewer if the descriptor limit is lower); beyond, the"
        " oldest connection still sending its request is closed to make room.",
    )
    serve_limit_concurrency: int = Field(
        default=100, ge=1, description="Requests handled at once; more are answered 503 (not /healthz)."
    )
    serve_backlog: int = Field(
        default=2048,
        ge=1,
        description="Connections the kernel queues until `bridge serve` accepts them (capped by the"
        " kernel's net.core.somaxconn); a full queue makes new clients wait a second.",
    )
    serve_timeout_keep_alive: int = Field(
        default=5, ge=1, description="Seconds an idle keep-alive connection is kept open."
    )
    serve_header_timeout: float = Field(
        default=10, gt=0, description="Seconds a connection has to send a complete request head."
    )
    serve_body_timeout: float = Field(
        default=20, gt=0, description="Seconds a request has to send its whole body; then 408."
    )
    serve_log_lines: int = Field(
        default=20, ge=1, description="Warnings of one cause logged per minute at most; the rest are counted."
    )

    http_retries: int = Field(
        default=4, ge=0, le=20, description="Retries of a tracker request that got no answer (or a 429/5xx)."
    )
    http_deadline: float = Field(
        default=15.0,
        gt=0,
        le=600,
        description="Seconds after which a tracker that does not answer is given up on, retries included.",
    )

    @field_validator("routes", mode="before")
    @classmethod
    def _routes(cls, value: Any) -> Any:
        """The compact string or the JSON list form (docs/configuration.md); blank means unset."""
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str | list | tuple):
            return Routes.parse(value)
        return value
