"""Jira's settings, declared once: every `JIRA_*` variable, read from the environment and `.env`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from bridge.config import Secret, Token, http_url, settings_config
from bridge.errors import ConfigError

__all__ = ["DEFAULT_PRIORITIES", "JiraSettings"]

DEFAULT_PRIORITIES = {
    "highest": "Highest",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
    "lowest": "Lowest",
}


class JiraSettings(BaseSettings):
    model_config = settings_config("JIRA_")

    url: str | None = Field(
        default=None, description="The site: https://your-team.atlassian.net or a DC URL."
    )
    email: str | None = Field(default=None, description="Cloud: the Atlassian account's e-mail.")
    api_token: Token = Field(default=None, description="Cloud: an API token of that account.")
    pat: Token = Field(default=None, description="Server/Data Center: a personal access token.")
    project: str | None = Field(default=None, description="Key of the project issues are created in.")
    issue_type: str = Field(default="Task", description="Issue type of created issues, by name.")
    api_version: Literal["2", "3"] = Field(
        default="2", description="REST version: 2 sends plain-text descriptions, 3 sends ADF (Cloud)."
    )
    priorities: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_PRIORITIES),
        description='Note priority → Jira priority name, as JSON: {"highest": "Blocker", "none": "Low"}.',
    )
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description="Values for required fields the bridge does not fill, by field id or name, as JSON:"
        ' {"customfield_10010": "Platform"}.',
    )
    owners: dict[str, str] = Field(
        default_factory=dict,
        description="Note owner → Cloud e-mail or accountId, or Server user name, as JSON.",
    )
    cancelled_resolution: str = Field(
        default="Won't Do",
        description="Resolution for a cancelled `[-]` line, when the transition's screen has it.",
    )
    recurrence_link: str = Field(
        default="Relates",
        description="Issue link type, by name, joining a recurring task's new occurrence to the one"
        " before it; empty: not linked.",
    )
    search_wait: float = Field(
        default=15.0,
        ge=0,
        description="Seconds to wait for search to show issues an interrupted run may have created.",
    )
    pending_window: float = Field(
        default=900.0,
        ge=0,
        description="Seconds after an interrupted create during which it is never sent again.",
    )
    timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for one response.")
    max_retries: int = Field(default=3, ge=0, description="Retries of 429 and 503 (the jira library's).")
    webhook_secret: Secret = Field(default=None, description="Secret of the admin webhook.")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        """Checked when read: a malformed site would otherwise fail inside `requests` as a failed read."""
        return http_url(value, "https://your-team.atlassian.net") if value and value.strip() else None

    def check(self) -> None:
        """The credentials make one of Jira's two auth styles, and the site and project are named."""
        missing = [
            name for name, value in (("JIRA_URL", self.url), ("JIRA_PROJECT", self.project)) if not value
        ]
        if missing:
            raise ConfigError(" and ".join(missing) + " not set")
        cloud = self.email is not None or self.api_token is not None
        if cloud and self.pat is not None:
            raise ConfigError(
                "set JIRA_EMAIL and JIRA_API_TOKEN (Cloud) or JIRA_PAT (Server/Data Center), not both"
            )
        if self.pat is None and (self.email is None or self.api_token is None):
            raise ConfigError(
                "Jira credentials missing: set JIRA_EMAIL and JIRA_API_TOKEN (Cloud) "
                "or JIRA_PAT (Server/Data Center)"
            )
        own = sorted(k for k in self.fields if k.casefold() in ("project", "issuetype", "issue type"))
        if own or any(not k.strip() for k in self.fields):
            raise ConfigError(
                f"JIRA_FIELDS: {own or ['']} cannot be set there; use JIRA_PROJECT and JIRA_ISSUE_TYPE"
                if own
                else "JIRA_FIELDS: a field name is empty"
            )
        unknown = sorted(set(self.priorities) - {*DEFAULT_PRIORITIES, "none"})
        if unknown:
            raise ConfigError(
                f"JIRA_PRIORITIES: unknown note priorities {unknown}; use {[*DEFAULT_PRIORITIES, 'none']}"
            )
