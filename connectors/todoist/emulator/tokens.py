"""The OAuth tokens the emulated Todoist has issued, with their expiry and refresh tokens.

A set of access tokens (`in` is the API's token check) that also knows when each expires, the
refresh tokens and their rotation (reference, "Refreshing access tokens"), and a clock tests move
with `pass_time` or `expire_all` rather than sleeping.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["GRACE", "LEGACY_LIFETIME", "LIFETIME", "AccessTokens"]

LIFETIME = 3600
LEGACY_LIFETIME = 315_360_000  # what Todoist answers for tokens that do not expire
GRACE = 60.0  # seconds a used refresh token is still honoured (a network retry, not a replay)


@dataclass
class _Refresh:
    scope: str
    used_at: float | None = None
    replacement: str | None = None  # the access token its use issued


class AccessTokens(set[str]):
    """The OAuth access tokens issued, as `Knobs.access_tokens`: `in` says no once one has expired
    (the API's token check then answers 401); with the refresh tokens and the emulated clock."""

    def __init__(self, issued: Iterable[str] = ()) -> None:
        super().__init__(issued)
        self.lifetime: int | None = LIFETIME
        """Seconds an access token lives; None: a legacy app's long-lived tokens, no refresh token."""
        self.skew = 0.0
        self.expires: dict[str, float] = {}
        self.refresh: dict[str, _Refresh] = {}
        self.code_scopes: dict[str, str] = {}
        self.on_refresh: Callable[[], None] | None = None
        """Called once a refresh has rotated the tokens, before the answer is sent (a test can
        kill the client there: Todoist has spent the old refresh token, the client never hears)."""

    def now(self) -> float:
        return time.time() + self.skew

    def pass_time(self, seconds: float) -> None:
        """Let `seconds` pass for tokens: access tokens expire, used refresh tokens leave the grace."""
        self.skew += seconds

    def expire_all(self) -> None:
        """Every access token issued so far expires now; refresh tokens stay good."""
        now = self.now()
        for token in self:
            self.expires[token] = min(self.expires.get(token, now), now)

    def __contains__(self, token: object) -> bool:
        if not super().__contains__(token):
            return False
        end = self.expires.get(token) if isinstance(token, str) else None
        return end is None or self.now() < end

    def grant(self, scope: str) -> dict[str, Any]:
        """A new access token (and refresh token, unless legacy): the token endpoint's answer."""
        token = secrets.token_hex(20)
        lifetime = self.lifetime if self.lifetime is not None else LEGACY_LIFETIME
        self.add(token)
        self.expires[token] = self.now() + lifetime
        answer: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
        if self.lifetime is not None:
            answer["refresh_token"] = secrets.token_hex(20)
            self.refresh[answer["refresh_token"]] = _Refresh(scope)
        answer["scope"] = scope
        return answer

    def use_refresh(self, token: str, scope: str) -> dict[str, Any] | str:
        """The answer to a refresh with `token`, or the error word (`invalid_grant`, `invalid_scope`)."""
        entry, now = self.refresh.get(token), self.now()
        if entry is None:
            return "invalid_grant"
        if entry.used_at is not None:
            replacement = entry.replacement
            if now - entry.used_at <= GRACE and replacement is not None and replacement in self:
                left = max(0, int(self.expires[replacement] - now))
                return {
                    "access_token": replacement,
                    "token_type": "Bearer",
                    "expires_in": left,
                    "scope": entry.scope,
                }
            self.revoke_all()  # a replay: Todoist revokes every token of the grant
            return "invalid_grant"
        if scope and not set(scope.split(",")) <= set(entry.scope.split(",")):
            return "invalid_scope"
        answer = self.grant(scope or entry.scope)
        entry.used_at, entry.replacement = now, answer["access_token"]
        if self.on_refresh is not None:
            self.on_refresh()
        return answer

    def revoke_all(self) -> None:
        self.clear()
        self.expires.clear()
        self.refresh.clear()
