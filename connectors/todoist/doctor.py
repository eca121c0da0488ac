"""`bridge doctor` for Todoist: settings, token, project, owner map and webhook secret, checked
with the connector's own client and one read-only `/sync` (projects, user and collaborators)."""

from __future__ import annotations

from typing import Any

from bridge.config import load_settings
from bridge.connector_commands import Check, CheckStatus
from bridge.doctor import patience, without_name
from bridge.errors import AuthError, ConfigError, ConnectorError
from connectors.todoist.settings import TodoistSettings

__all__ = ["checks"]

OK, WARN, FAIL = CheckStatus.OK, CheckStatus.WARN, CheckStatus.FAIL


def checks() -> list[Check]:
    from connectors.todoist.connector import TodoistConnector

    try:
        settings = load_settings(TodoistSettings)
        connector = TodoistConnector(settings, patience=patience())
    except ConfigError as exc:
        return [Check("todoist settings", FAIL, str(exc))]
    found = [Check("todoist settings", OK, "read")]
    try:
        data = connector.client.sync("*", ("projects", "user", "collaborators"))
    except AuthError as exc:
        return [*found, Check("todoist", FAIL, without_name(exc, "todoist"))]
    except ConnectorError as exc:
        return [
            *found,
            Check(
                "todoist",
                FAIL,
                f"{without_name(exc, 'todoist')} (TODOIST_BASE_URL {settings.base_url})",
                "network",
            ),
        ]
    finally:
        connector.close()
    user = data.get("user") or {}
    who = f" as {user['email']}" if isinstance(user, dict) and user.get("email") else ""
    found.append(Check("todoist", OK, f"{settings.base_url} reached, token accepted{who}"))
    found.append(_project(settings, data))
    found.append(_owners(settings, data, user if isinstance(user, dict) else {}))
    if settings.client_secret is None:
        found.append(
            Check(
                "todoist webhooks",
                WARN,
                "TODOIST_CLIENT_SECRET not set: `bridge serve` refuses Todoist webhooks",
            )
        )
    else:
        found.append(Check("todoist webhooks", OK, "TODOIST_CLIENT_SECRET set"))
    return found


def _project(settings: TodoistSettings, data: dict[str, Any]) -> Check:
    """The project exists, or the first sync will create it (said, with the projects there are)."""
    active = [p for p in data.get("projects", []) if not (p.get("is_deleted") or p.get("is_archived"))]
    wanted = settings.project
    if any(p.get("name") == wanted or (wanted == "Inbox" and p.get("inbox_project")) for p in active):
        return Check("todoist project", OK, f"TODOIST_PROJECT {wanted!r} found")
    names = ", ".join(sorted(str(p.get("name")) for p in active)) or "none"
    return Check(
        "todoist project",
        WARN,
        f"TODOIST_PROJECT {wanted!r} not found: the first sync creates it (projects: {names})",
    )


def _owners(settings: TodoistSettings, data: dict[str, Any], user: dict[str, Any]) -> Check:
    """Each TODOIST_OWNERS value is the user or a collaborator, by e-mail or id."""
    if not settings.owners:
        return Check("todoist owners", OK, "TODOIST_OWNERS not set: only @Myself is assigned")
    people = [*data.get("collaborators", []), user]
    known = {str(p.get("email", "")).lower() for p in people} | {str(p.get("id", "")) for p in people}
    missing = sorted(owner for owner, value in settings.owners.items() if value.lower() not in known)
    if missing:
        return Check(
            "todoist owners",
            WARN,
            f"TODOIST_OWNERS: {', '.join(missing)} not among the collaborators: left unassigned",
        )
    return Check("todoist owners", OK, f"TODOIST_OWNERS: {len(settings.owners)} resolved")
