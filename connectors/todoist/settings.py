"""Todoist's settings, declared once: every `TODOIST_*` variable, read from the environment and `.env`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["TodoistSettings"]


class TodoistSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TODOIST_", env_file=".env", extra="ignore")

    api_token: SecretStr | None = Field(
        default=None, description="Personal API token (Settings → Integrations → Developer) or OAuth token."
    )
    base_url: str = Field(default="https://api.todoist.com", description="API origin; an emulator in tests.")
    client_secret: SecretStr | None = Field(
        default=None, description="The app's client secret (webhook HMAC)."
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
