"""Revoked tokens in this process's memory (a restart forgets them): the test double.
The embedded server keeps them in its database (adapters/sql/revocations.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from socialsync.ports.revocations import OnRevoked, Revocation

MAX_ENTRIES = 100_000


class MemoryRevocations:
    def __init__(self, now_s: Callable[[], float] = time.time) -> None:
        self._now_s = now_s
        self._jtis: dict[tuple[str, str], float] = {}  # (tenant, jti) -> kept until
        self._users: dict[tuple[str, str], tuple[int, float]] = {}  # -> (at_s, kept until)
        self._followers: list[OnRevoked] = []

    async def revoke(self, revocation: Revocation, keep_s: int) -> None:
        until = self._now_s() + keep_s
        self._expire()
        if revocation.jti is not None:
            self._jtis[(revocation.tenant_id, revocation.jti)] = until
        if revocation.user_id is not None:
            key = (revocation.tenant_id, revocation.user_id)
            at_s = max(revocation.at_s, self._users.get(key, (0, 0.0))[0])
            self._users[key] = (at_s, until)
        for follower in list(self._followers):
            await follower(revocation)

    async def is_revoked(self, tenant_id: str, user_id: str, jti: str | None, iat_s: int | None) -> bool:
        now = self._now_s()
        if jti is not None and self._jtis.get((tenant_id, jti), 0.0) > now:
            return True
        at_s, until = self._users.get((tenant_id, user_id), (0, 0.0))
        return until > now and (iat_s is None or iat_s <= at_s)

    async def follow(self, on_revoked: OnRevoked) -> None:
        self._followers.append(on_revoked)
        try:
            await asyncio.Event().wait()  # until cancelled: revoke calls it directly
        finally:
            self._followers.remove(on_revoked)

    def _expire(self) -> None:
        if len(self._jtis) + len(self._users) < MAX_ENTRIES:
            return
        now = self._now_s()
        self._jtis = {k: v for k, v in self._jtis.items() if v > now}
        self._users = {k: v for k, v in self._users.items() if v[1] > now}
