"""Jira's settings, declared once: every `JIRA_*` variable, read from the environment and `.env`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field
from pydantic_settings import BaseSettings

from bridge.config import Secret, Token, settings_config
from connectors.jira import setting_rules as rules
from connectors.jira.setting_rules import DEFAULT_PRIORITIES, JiraChecks

__all__ = ["DEFAULT_PRIORITIES", "JiraSettings"]


class JiraSettings(JiraChecks, BaseSettings):
    model_config = settings_config("JIRA_")

    url: Annotated[str | None, AfterValidator(rules.site)] = Field(
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
        default_factory=rules.default_priorities,
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
