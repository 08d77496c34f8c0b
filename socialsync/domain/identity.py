"""Who a user-scoped key is about: always the tenant and the user together.

Each tenant chooses its users' ids (the token's ``sub``), so two tenants may both
have a user "42". Every key about a user (rooms, rate limits, caches, quotas,
addressed notices) is built here, from both, so that they never meet.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UserKey:
    tenant_id: str
    user_id: str

    def __str__(self) -> str:
        # Tenant ids have no ":" (see _TENANT_ID in the CLI and stores); user ids may.
        return f"{self.tenant_id}:{self.user_id}"

    @classmethod
    def parse(cls, key: str) -> UserKey:
        tenant_id, sep, user_id = key.partition(":")
        if not sep or not tenant_id or not user_id:
            raise ValueError(f"not a user key: {key[:80]!r}")
        return cls(tenant_id, user_id)
