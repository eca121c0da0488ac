"""Todoist's settings, declared once: every `TODOIST_*` variable, read from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from bridge.config import Secret, Token, expand_path, http_url, settings_config

__all__ = ["TodoistSettings", "default_oauth_file"]


def default_oauth_file() -> Path:
    """Beside the state databases, not among the config files: the grant changes every hour, and
    a config folder synced to another machine would replay a used refresh token (Todoist then
    revokes every token of the grant)."""
    return platformdirs.user_state_path("task-bridge") / "todoist-oauth.json"


class TodoistSettings(BaseSettings):
    model_config = settings_config("TODOIST_")

    api_token: Token = Field(
        default=None,
        description="Personal API token (Settings → Integrations → Developer); unset: the OAuth grant.",
    )
    oauth_file: Path = Field(
        default_factory=default_oauth_file,
        description="Where `bridge auth todoist` stores the OAuth grant, renewed as it expires.",
    )
    base_url: str = Field(default="https://api.todoist.com", description="API origin; an emulator in tests.")
    client_id: str | None = Field(
        default=None, description="The app's client id (App Management Console), for `bridge auth todoist`."
    )
    client_secret: Secret = Field(
        default=None, description="The app's client secret (webhook HMAC, and the OAuth code exchange)."
    )
    oauth_url: str = Field(
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

    @field_validator("oauth_file", mode="before")
    @classmethod
    def _oauth_file(cls, value: Any) -> Any:
        return expand_path(value)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        """Checked when read: a malformed origin would otherwise fail inside httpx, on the first request."""
        return http_url(value, "https://api.todoist.com")

    @field_validator("oauth_url")
    @classmethod
    def _oauth_url(cls, value: str) -> str:
        """Only the origin can be redirected below the SDK (`bridge.transport`), so the path stays /oauth."""
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")) or not value.endswith("/oauth"):
            raise ValueError("expected an http(s) URL ending in /oauth, e.g. https://todoist.com/oauth")
        return value
