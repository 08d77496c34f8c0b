"""REST: tokens minted for the tenant's users, so a backend need not hold the tenant's
secret to sign its viewers in."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.domain.model import TenantRole
from socialsync.edge.http.endpoint import AnyEndpoint, Body, Call, Endpoint, Nothing, Reply
from socialsync.edge.http.params import UserId
from socialsync.protocol.inbound import PartyId
from socialsync.services.tokens import MAX_NAME_CHARS, TokenService

TAG = "tokens"
DEFAULT_TTL_S = 3_600
MAX_TTL_S = 30 * 24 * 3_600


class TokenRequest(Body):
    user: UserId
    name: Annotated[str, Field(min_length=1, max_length=4 * MAX_NAME_CHARS, description="Display name.")]
    role: Literal["viewer", "moderator", "admin"] = "viewer"
    ttl_s: Annotated[
        int, Field(ge=60, le=MAX_TTL_S, description="Lifetime, s (at most the tenant's maximum).")
    ] = DEFAULT_TTL_S
    host_of: Annotated[
        PartyId | None,
        Field(description="A party under way: the user joins it as its host (cohost if it has one)."),
    ] = None


class TokenAnswer(TypedDict):
    ok: Literal[True]
    token: str
    user: str
    roles: list[str]
    expires_at: int  # epoch seconds
    host_of: NotRequired[str]


class TokenRoutes:
    def __init__(self, tokens: TokenService) -> None:
        self.tokens = tokens

    def endpoints(self) -> list[AnyEndpoint]:
        return [
            Endpoint(
                method="POST",
                path="/api/v1/tokens",
                handler=self.mint,
                summary="Mint a token for a user of the tenant",
                description="A viewer token needs the scope parties:write; a moderator or admin "
                "token users:admin. With a person's token: the tenant's admins only. With "
                "`host_of`, a host token: its user joins that party (of the tenant, under way) as "
                "its host, or as a cohost if it has a host.",
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
                body=TokenRequest,
                example={"user": "viewer-42", "name": "Ada", "role": "viewer", "ttl_s": 3600},
                response=TokenAnswer,
                status=201,
                errors=(404,),
            ),
        ]

    async def mint(self, call: Call[Nothing, Nothing, TokenRequest]) -> Reply:
        m = call.body
        role = TenantRole(m.role)
        if role is not TenantRole.VIEWER:
            call.caller.require(Scope.USERS_ADMIN)
        minted = await self.tokens.mint(call.caller.user, m.user, m.name, role, m.ttl_s, m.host_of)
        answer: dict[str, Any] = {
            "ok": True,
            "token": minted.token,
            "user": minted.user_id,
            "roles": list(minted.roles),
            "expires_at": minted.expires_at_s,
        }
        if minted.host_of is not None:
            answer["host_of"] = minted.host_of
        return answer
