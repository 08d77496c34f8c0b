"""REST: token revocation, for the tenant's admins (the platform's backend):
``POST /api/v1/revocations`` with ``{jti}`` (one token) or ``{user}`` (every token the
user holds now), always within the caller's own tenant (docs/protocol.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired, Self

from pydantic import ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.edge.auth import Authenticator
from socialsync.edge.http.endpoint import AnyEndpoint, Body, Call, Endpoint, Nothing, Reply
from socialsync.edge.http.params import UserId
from socialsync.services.privacy import require_admin

TAG = "tokens"
# Tenants choose their own token ids: any visible ASCII.
Jti = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[!-~]+$")]


class Revoke(Body):
    """Exactly one of ``jti`` (that token) and ``user`` (every token the user holds now)."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["jti"]}, {"required": ["user"]}]})

    jti: Jti | SkipJsonSchema[None] = None
    user: UserId | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        one = self.model_fields_set in ({"jti"}, {"user"}) and (self.jti or self.user) is not None
        if not one:
            raise PydanticCustomError("one_id", 'send {"jti": <token id>} or {"user": <user id>}')
        return self


class Revoked(TypedDict):
    ok: Literal[True]
    at: int  # epoch seconds; tokens issued before it (of the user) are refused
    jti: NotRequired[str]
    user: NotRequired[str]


class RevocationRoutes:
    def __init__(self, auth: Authenticator) -> None:
        self.auth = auth

    def endpoints(self) -> list[AnyEndpoint]:
        return [
            Endpoint(
                method="POST",
                path="/api/v1/revocations",
                handler=self.revoke,
                summary="Revoke a token, or every token a user holds now",
                description="Within the caller's tenant; sockets signed in with them close. Admins.",
                tag=TAG,
                scope=Scope.USERS_ADMIN,
                body=Revoke,
                example={"user": "viewer-42"},
                response=Revoked,
            ),
        ]

    async def revoke(self, call: Call[Nothing, Nothing, Revoke]) -> Reply:
        admin = call.caller.user
        require_admin(admin)
        jti, user = call.body.jti, call.body.user
        revoked = await self.auth.revoke(admin.tenant_id, jti=jti, user_id=user)
        answer: dict[str, Any] = {"ok": True, "at": revoked.at_s}
        answer |= {"jti": jti} if jti is not None else {"user": user}
        return answer
