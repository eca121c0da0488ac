"""TodoistSettings's variables as `bridge.plain_settings` reads them, derived from the model by
`python -m bridge.settings_derive connectors.todoist.settings:TodoistSettings TODOIST`
and checked against it by the tests; do not edit.
"""

from __future__ import annotations

from bridge.plain_settings import Field, Table

__all__ = ["TODOIST"]

TODOIST = Table(
    prefix="TODOIST_",
    env_file=".env",
    encoding="utf-8",
    fields=(
        Field("api_token", "secret", nullable=True, before="bridge.setting_rules:token"),
        Field(
            "oauth_file",
            "path",
            before="bridge.setting_rules:expand_path",
            factory="connectors.todoist.setting_rules:default_oauth_file",
        ),
        Field(
            "base_url",
            "str",
            default="https://api.todoist.com",
            after="connectors.todoist.setting_rules:base_url",
        ),
        Field("client_id", "str", nullable=True),
        Field("client_secret", "secret", nullable=True, before="bridge.setting_rules:secret"),
        Field(
            "oauth_url",
            "str",
            default="https://todoist.com/oauth",
            after="connectors.todoist.setting_rules:oauth_url",
        ),
        Field("project", "str", default="Inbox"),
        Field("owners", "str_dict", factory="builtins:dict"),
        Field("cancelled", "literal", default="close", choices=("close", "delete")),
    ),
    model="connectors.todoist.settings:TodoistSettings",
)
