"""Rules and checks of Jira's settings, in plain Python: the model (`connectors.jira.settings`) and
the plain reader (`bridge.plain_settings`, by the derived table) both use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bridge.errors import ConfigError
from bridge.setting_rules import PlainSecret, http_url

__all__ = ["DEFAULT_PRIORITIES", "JiraChecks", "default_priorities", "site"]

DEFAULT_PRIORITIES = {
    "highest": "Highest",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
    "lowest": "Lowest",
}


def default_priorities() -> dict[str, str]:
    return dict(DEFAULT_PRIORITIES)


def site(value: str | None) -> str | None:
    """Checked when read: a malformed site would otherwise fail inside `requests` as a failed read."""
    return http_url(value, "https://your-team.atlassian.net") if value and value.strip() else None


class JiraChecks:
    """What JiraSettings checks of its values together, for the model and the plain reader's view."""

    __slots__ = ()

    if TYPE_CHECKING:  # declared by the model, not here (pydantic would take them for fields)
        from pydantic import SecretStr

        url: str | None
        project: str | None
        email: str | None
        api_token: SecretStr | PlainSecret | None
        pat: SecretStr | PlainSecret | None
        fields: dict[str, Any]
        priorities: dict[str, str]

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
