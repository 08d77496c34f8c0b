"""Who may join a party and who may create one: the parties' gate.

Joining: not while banned from the room or the tenant (a guest also not while its
client's fingerprint is: services/guest_bans.py). Creating: not while banned from the
tenant, and at most ``parties_per_hour`` parties per user in any hour (the tenant's
own limit where it has one; counted by the ``Quotas`` port: in this process embedded,
in Redis for the whole cluster).
"""

from __future__ import annotations

from socialsync.domain.errors import Code, SyncError, forbidden
from socialsync.domain.identity import UserKey
from socialsync.domain.model import User
from socialsync.domain.moderation.sanctions import SanctionKind
from socialsync.ports import Observer
from socialsync.ports.quotas import Quotas
from socialsync.services.guest_bans import GuestBans
from socialsync.services.sanctions import SanctionBook
from socialsync.services.tenants import TenantPolicies

HOUR_MS = 3_600_000
# The quota's name in the Quotas port (and in Redis keys).
PARTIES_QUOTA = "parties"


class Admission:
    def __init__(
        self,
        sanctions: SanctionBook,
        observer: Observer,
        parties_per_hour: int,
        *,
        quotas: Quotas,
        policies: TenantPolicies | None = None,
        guest_bans: GuestBans | None = None,
    ) -> None:
        self.sanctions = sanctions
        self.observer = observer
        self.parties_per_hour = parties_per_hour
        # The tenant's own limits (None: ``parties_per_hour`` for every tenant).
        self.policies = policies
        self.guest_bans = guest_bans
        self.quotas = quotas

    async def check_join(self, user: User, party_id: str, now_ms: int) -> None:
        await self.sanctions.check_join(user, party_id, now_ms)
        if self.guest_bans is not None:
            await self.guest_bans.check(user, party_id, now_ms)

    async def check_create(self, user: User, now_ms: int) -> None:
        for sanction in await self.sanctions.sanctions_of(user, now_ms):
            if sanction.kind is SanctionKind.BAN and sanction.party_id is None and sanction.active(now_ms):
                raise forbidden("you are banned from this tenant's rooms")
        if self.guest_bans is not None:
            await self.guest_bans.check(user, None, now_ms)
        per_hour = self.parties_per_hour
        if self.policies is not None:
            per_hour = (await self.policies.limits(user.tenant_id)).parties_per_hour
        wait_s = await self.quotas.take(
            PARTIES_QUOTA, UserKey(user.tenant_id, user.id), per_hour, HOUR_MS, now_ms
        )
        if wait_s:
            self.observer.limited("parties_per_hour")
            raise SyncError(
                Code.RATE_LIMITED, f"at most {per_hour} new parties an hour", retry_after_s=wait_s
            )
