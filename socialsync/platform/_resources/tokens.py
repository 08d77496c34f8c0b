"""Tokens minted by the server (``POST /api/v1/tokens``) and revoked (``POST
/api/v1/revocations``). To mint without a round trip, see ``mint_token``."""

from __future__ import annotations

from typing import Literal

from socialsync.platform._models import Revocation, Token, reader
from socialsync.platform._request import M, Resource, Spec, call, compact

Role = Literal["viewer", "moderator", "admin"]


class Tokens(Resource[M]):
    """``client.tokens``: sign the tenant's users in, or out."""

    @call("POST", "/api/v1/tokens")
    def create(
        self,
        user: str,
        name: str,
        *,
        role: Role = "viewer",
        ttl_s: int = 3600,
        host_of: str | None = None,
    ) -> Spec[Token]:
        """A token for ``user`` (shown as ``name``) of the caller's tenant. A viewer token
        needs ``parties:write``; a moderator or admin token ``users:admin``. ``ttl_s``:
        60 s to 30 days, at most the tenant's maximum. ``host_of``: a party under way
        that the user joins as its host (as a cohost if it has one)."""
        body = compact(user=user, name=name, role=role, ttl_s=ttl_s, host_of=host_of)
        return Spec(reader(Token), body=body)

    @call("POST", "/api/v1/revocations", idempotent=True)
    def revoke(self, jti: str) -> Spec[Revocation]:
        """Revoke one token by its ``jti`` (``users:admin``); its sockets close."""
        return Spec(reader(Revocation), body={"jti": jti})

    @call("POST", "/api/v1/revocations", idempotent=True)
    def revoke_user(self, user: str) -> Spec[Revocation]:
        """Revoke every token ``user`` holds now (``users:admin``); its sockets close."""
        return Spec(reader(Revocation), body={"user": user})
