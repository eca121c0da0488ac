"""BridgeSettings's variables as `bridge.plain_settings` reads them, derived from the model by
`python -m bridge.settings_derive`
and checked against it by the tests; do not edit.
"""

from __future__ import annotations

from bridge.plain_settings import Field, Table

__all__ = ["BRIDGE"]

BRIDGE = Table(
    prefix="BRIDGE_",
    env_file=".env",
    encoding="utf-8",
    fields=(
        Field("vault", "path", nullable=True, before="bridge.setting_rules:expand_path"),
        Field("state_url", "str", nullable=True, before="bridge.setting_rules:state_url"),
        Field("connector", "str", nullable=True),
        Field("routes", "other"),
        Field("group_scope", "literal", default="vault", choices=("note", "vault")),
        Field("group_threshold", "float", default=85.0, bounds=(("ge", 0), ("le", 100))),
        Field("near_duplicates", "bool", default=True),
        Field("max_note_bytes", "int", default=10485760, bounds=(("gt", 0),)),
        Field("tasks_cache", "bool", default=True),
        Field("hold_proposed", "bool", default=False),
        Field("absent", "literal", default="leave", choices=("leave", "close", "delete")),
        Field("max_absent_share", "float", default=0.5, bounds=(("ge", 0), ("le", 1))),
        Field("conflict", "literal", default="latest", choices=("latest", "note", "tracker")),
        Field("inbox_keep_days", "float", default=7, bounds=(("ge", 1),)),
        Field("inbox_attempts", "int", default=5, bounds=(("ge", 1), ("le", 100))),
        Field("inbox_backoff", "float", default=1.0, bounds=(("gt", 0), ("le", 3600))),
        Field("serve_max_connections", "int", default=1000, bounds=(("ge", 1),)),
        Field("serve_limit_concurrency", "int", default=100, bounds=(("ge", 1),)),
        Field("serve_backlog", "int", default=2048, bounds=(("ge", 1),)),
        Field("serve_timeout_keep_alive", "int", default=5, bounds=(("ge", 1),)),
        Field("serve_header_timeout", "float", default=10, bounds=(("gt", 0),)),
        Field("serve_body_timeout", "float", default=20, bounds=(("gt", 0),)),
        Field("serve_log_lines", "int", default=20, bounds=(("ge", 1),)),
        Field("http_retries", "int", default=4, bounds=(("ge", 0), ("le", 20))),
        Field("http_deadline", "float", default=15.0, bounds=(("gt", 0), ("le", 600))),
    ),
    model="bridge.config:BridgeSettings",
    methods="bridge.settings_methods:BridgeMethods",
)
