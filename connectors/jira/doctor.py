"""`bridge doctor` for Jira: settings, site, credentials, project, owner map and webhook secret,
checked with the connector's own client and read-only requests."""

from __future__ import annotations

import requests
from jira import JIRAError

from bridge.config import load_settings
from bridge.connector_commands import Check, CheckStatus
from bridge.doctor import patience, without_name
from bridge.errors import AuthError, ConfigError, ConnectorError
from connectors.jira.adapter import UnreachableError
from connectors.jira.settings import JiraSettings

__all__ = ["checks"]

OK, WARN, FAIL = CheckStatus.OK, CheckStatus.WARN, CheckStatus.FAIL


def checks() -> list[Check]:
    from connectors.jira.connector import _ACCOUNT_ID, AUTOMATIC, JiraConnector, missing_project

    try:
        settings = load_settings(JiraSettings)
        connector = JiraConnector(settings, patience=patience())
    except ConfigError as exc:
        return [Check("jira settings", FAIL, str(exc))]
    found = [Check("jira settings", OK, "read")]
    client = connector.client
    try:
        client.connect()
        me = client.myself()
        keys = client.project_keys()
        wanted = settings.project or ""
        # Jira matches a key in any case, so sync takes `bridge` for BRIDGE: the check does too
        project = next((key for key in keys if key.casefold() == wanted.casefold()), None)
        if project is None:
            return [
                *found,
                _reached(settings, me),
                Check("jira project", FAIL, missing_project(wanted, keys)),
            ]
        named = f"JIRA_PROJECT {wanted!r} found" + (f" (as {project})" if project != wanted else "")
        found += [_reached(settings, me), Check("jira project", OK, named)]
        missing = []
        for owner, value in sorted(settings.owners.items()):
            exact = client.cloud and bool(_ACCOUNT_ID.match(value))
            if value != AUTOMATIC and not client.assignable(project, value, exact=exact):
                missing.append(owner)
    except AuthError as exc:
        return [*found, Check("jira", FAIL, without_name(exc, "jira"))]
    except ConnectorError as exc:
        if _no_answer(exc):
            return [
                *found,
                Check("jira", FAIL, f"{without_name(exc, 'jira')} (JIRA_URL {settings.url})", "network"),
            ]
        return [*found, Check("jira", FAIL, f"{without_name(exc, 'jira')}: check JIRA_URL ({settings.url})")]
    finally:
        connector.close()
    if missing:
        found.append(
            Check(
                "jira owners",
                WARN,
                f"JIRA_OWNERS: {', '.join(missing)} not assignable in {project}: left unassigned",
            )
        )
    else:
        said = (
            f"{len(settings.owners)} resolved" if settings.owners else "not set: owners are looked up by name"
        )
        found.append(Check("jira owners", OK, f"JIRA_OWNERS: {said}"))
    if settings.webhook_secret is None:
        found.append(
            Check("jira webhooks", WARN, "JIRA_WEBHOOK_SECRET not set: `bridge serve` refuses Jira webhooks")
        )
    else:
        found.append(Check("jira webhooks", OK, "JIRA_WEBHOOK_SECRET set"))
    return found


def _no_answer(exc: ConnectorError) -> bool:
    """Whether the site gave no answer (no connection, a timeout) or a passing one (429, 5xx):
    worth trying again later, exit 1. Any other answer (a 404 from a wrong path in JIRA_URL, a
    login page that is not JSON) will be the same next time: it needs a person, exit 2."""
    cause = exc.__cause__
    if isinstance(cause, UnreachableError | requests.ConnectionError | requests.Timeout):
        return True
    if isinstance(cause, JIRAError):
        return cause.status_code is None or cause.status_code == 429 or cause.status_code >= 500
    return False


def _reached(settings: JiraSettings, me: dict[str, object]) -> Check:
    who = me.get("displayName") or me.get("name") or me.get("accountId")
    return Check("jira", OK, f"{settings.url} reached, credentials accepted{f' as {who}' if who else ''}")
