"""Todoist's settings, declared once: every `TODOIST_*` variable, read from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_settings import BaseSettings

from bridge.config import Secret, Token, expand_path, settings_config
from connectors.todoist import setting_rules as rules
from connectors.todoist.setting_rules import default_oauth_file

__all__ = ["TodoistSettings", "default_oauth_file"]


class TodoistSettings(BaseSettings):
    model_config = settings_config("TODOIST_")

    api_token: Token = Field(
        default=None,
        description="Personal API token (Settings → Integrations → Developer); unset: the OAuth grant.",
    )
    oauth_file: Annotated[Path, BeforeValidator(expand_path)] = Field(
        default_factory=default_oauth_file,
        description="Where `bridge auth todoist` stores the OAuth grant, renewed as it expires.",
    )
    base_url: Annotated[str, AfterValidator(rules.base_url)] = Field(
        default="https://api.todoist.com", description="API origin; an emulator in tests."
    )
    client_id: str | None = Field(
        default=None, description="The app's client id (App Management Console), for `bridge auth todoist`."
    )
    client_secret: Secret = Field(
        default=None, description="The app's client secret (webhook HMAC, and the OAuth code exchange)."
    )
    oauth_url: Annotated[str, AfterValidator(rules.oauth_url)] = Field(
        default="https://todoist.com/oauth",
        description="Base of the OAuth endpoints (…/authorize, …/access_token); an emulator in tests.",
    )
    project: str = Field(default="Inbox", description="Project the tasks go to; created when missing.")
    owners: dict[str, str] = Field(
        default_factory=dict,
        description='Note owner → collaborator e-mail or id, as JSON: {"Lior Genzel": "lior@example.com"}.',
    )
    cancelled: Literal["close", "delete"] = Field(
        default="close",
        description="A cancelled line `[-]` closes the task (label `cancelled`) or deletes it.",
    )
