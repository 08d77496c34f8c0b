"""Tokens minted for a platform's users over REST (``POST /api/v1/tokens``): a backend
that holds an API key (or an admin's token) signs its viewers in without keeping the
tenant's secret itself. Who may mint which role is decided here; the signing is the
edge's (``Authenticator.mint``, injected by app.py)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from socialsync.domain.errors import bad_request, forbidden
from socialsync.domain.model import TenantRole, User
from socialsync.domain.text import check_name
from socialsync.ports import Clock

_USER_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
MAX_NAME_CHARS = 64


class Signer(Protocol):
    """Signs a token of the tenant; (token, its expiry in epoch seconds). The lifetime
    may be shortened to the tenant's maximum."""

    async def __call__(
        self,
        tenant_id: str,
        user_id: str,
        name: str,
        roles: list[str],
        ttl_s: int,
        now_s: int,
        *,
        host_of: str | None = None,
    ) -> tuple[str, int]: ...


@dataclass(frozen=True, slots=True)
class Minted:
    token: str
    user_id: str
    roles: tuple[str, ...]
    expires_at_s: int
    host_of: str | None = None


class TokenService:
    def __init__(
        self,
        sign: Signer,
        clock: Clock,
        party_of: Callable[[User, str], Awaitable[object]] | None = None,
    ) -> None:
        self.sign = sign
        self.clock = clock
        # The party a host token names, as ``actor`` sees it (not_found: none of its tenant's).
        self.party_of = party_of

    async def mint(
        self, actor: User, user_id: str, name: str, role: TenantRole, ttl_s: int, host_of: str | None = None
    ) -> Minted:
        """A token of ``actor``'s tenant for ``user_id`` with ``role``. Only the tenant's
        admins mint tokens (a token is the user: whoever mints one may act as anyone).
        ``host_of``: a party of the tenant under way, which the user joins as its host (or
        cohost, beside a host)."""
        if actor.guest or TenantRole.ADMIN not in actor.roles:
            raise forbidden("only the tenant's admins mint tokens")
        if not _USER_ID.match(user_id):
            raise bad_request("user: an id of 1 to 128 letters, digits or _.:@-")
        name = " ".join(name.split())
        try:
            if not 1 <= len(name) <= MAX_NAME_CHARS:
                raise ValueError(f"1 to {MAX_NAME_CHARS} characters")
            check_name(name)
        except ValueError as exc:
            raise bad_request(f"name: {exc}") from None
        if host_of is not None and self.party_of is not None:
            await self.party_of(actor, host_of)
        roles = [role.value]
        token, expires = await self.sign(
            actor.tenant_id, user_id, name, roles, ttl_s, self.clock.now_ms() // 1000, host_of=host_of
        )
        return Minted(token, user_id, tuple(roles), expires, host_of)
