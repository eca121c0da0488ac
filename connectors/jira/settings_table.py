"""JiraSettings's variables as `bridge.plain_settings` reads them, derived from the model by
`python -m bridge.settings_derive connectors.jira.settings:JiraSettings JIRA`
and checked against it by the tests; do not edit.
"""

from __future__ import annotations

from bridge.plain_settings import Field, Table

__all__ = ["JIRA"]

JIRA = Table(
    prefix="JIRA_",
    env_file=".env",
    encoding="utf-8",
    fields=(
        Field("url", "str", nullable=True, after="connectors.jira.setting_rules:site"),
        Field("email", "str", nullable=True),
        Field("api_token", "secret", nullable=True, before="bridge.setting_rules:token"),
        Field("pat", "secret", nullable=True, before="bridge.setting_rules:token"),
        Field("project", "str", nullable=True),
        Field("issue_type", "str", default="Task"),
        Field("api_version", "literal", default="2", choices=("2", "3")),
        Field("priorities", "str_dict", factory="connectors.jira.setting_rules:default_priorities"),
        Field("fields", "any_dict", factory="builtins:dict"),
        Field("owners", "str_dict", factory="builtins:dict"),
        Field("cancelled_resolution", "str", default="Won't Do"),
        Field("recurrence_link", "str", default="Relates"),
        Field("search_wait", "float", default=15.0, bounds=(("ge", 0),)),
        Field("pending_window", "float", default=900.0, bounds=(("ge", 0),)),
        Field("timeout", "float", default=30.0, bounds=(("gt", 0),)),
        Field("max_retries", "int", default=3, bounds=(("ge", 0),)),
        Field("webhook_secret", "secret", nullable=True, before="bridge.setting_rules:secret"),
    ),
    model="connectors.jira.settings:JiraSettings",
    methods="connectors.jira.setting_rules:JiraChecks",
)
