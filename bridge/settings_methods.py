"""What BridgeSettings computes from its values, in plain Python: the model and the plain reader's
view of the same values (`bridge.settings_load`) share these methods, so a sync reads the settings
either way and gets the same answers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bridge.groups import GroupPolicy

__all__ = ["BridgeMethods"]


class BridgeMethods:
    """Methods of BridgeSettings over the fields it declares."""

    __slots__ = ()

    if TYPE_CHECKING:  # declared by the model, not here (pydantic would take them for fields)
        state_url: str | None
        group_threshold: float
        group_scope: Literal["note", "vault"]
        near_duplicates: bool

    def state_url_for(self, vault: Path) -> str:
        """BRIDGE_STATE_URL, or a SQLite file per vault under the user's state directory."""
        if self.state_url:
            return self.state_url
        import platformdirs  # here: a state URL set in the settings needs no state folder

        real = vault.resolve()
        tag = hashlib.sha256(str(real).encode()).hexdigest()[:8]
        folder = platformdirs.user_state_path("task-bridge")
        return f"sqlite:///{folder / f'{real.name}-{tag}.db'}"

    def group_policy(self) -> GroupPolicy:
        return GroupPolicy(self.group_threshold, self.group_scope, self.near_duplicates)
