"""Rules for Todoist's settings values, in plain Python: the model (`connectors.todoist.settings`)
and the plain reader (`bridge.plain_settings`, by the derived table) both apply them.
"""

from __future__ import annotations

from pathlib import Path

from bridge.setting_rules import http_url

__all__ = ["base_url", "default_oauth_file", "oauth_url"]


def default_oauth_file() -> Path:
    """Beside the state databases, not among the config files: the grant changes every hour, and
    a config folder synced to another machine would replay a used refresh token (Todoist then
    revokes every token of the grant)."""
    import platformdirs  # here: a token in the settings needs no grant file

    return platformdirs.user_state_path("task-bridge") / "todoist-oauth.json"


def base_url(value: str) -> str:
    """Checked when read: a malformed origin would otherwise fail inside httpx, on the first request."""
    return http_url(value, "https://api.todoist.com")


def oauth_url(value: str) -> str:
    """Only the origin can be redirected below the SDK (`bridge.transport`), so the path stays /oauth."""
    value = value.rstrip("/")
    if not value.startswith(("http://", "https://")) or not value.endswith("/oauth"):
        raise ValueError("expected an http(s) URL ending in /oauth, e.g. https://todoist.com/oauth")
    return value
