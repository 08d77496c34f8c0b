"""REST endpoints of a tenant's API keys (create, list, revoke) and of its access settings
(its JWKS, its allowed origins): scope ``users:admin``, or a person's admin token
(docs/api-keys.md). A key grants only scopes its creator holds; changing the JWKS by
key needs every scope (a JWKS lets its holder mint admin tokens)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import Field
from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.domain.api_keys import MAX_KEY_NAME, MAX_ORIGINS, MAX_PER_MINUTE, ApiKey, TenantAccess
from socialsync.edge.http.endpoint import AnyEndpoint, Body, Call, Endpoint, Nothing, PathParams, Reply
from socialsync.edge.http.pagination import Page, PageQuery, decode_cursor, encode_cursor, page_answer
from socialsync.services.api_keys import AccessSettings, ApiKeys

TAG = "api_keys"
ScopeName = Literal["parties:write", "moderation:write", "analytics:read", "users:admin", "webhooks:admin"]
assert set(get_args(ScopeName)) == {s.value for s in Scope}  # the wire's names are the enum's
Rate = Annotated[int, Field(ge=1, le=MAX_PER_MINUTE)]


class KeyCreate(Body):
    name: Annotated[str, Field(min_length=1, max_length=MAX_KEY_NAME, description="What the key is for.")]
    scopes: Annotated[list[ScopeName], Field(min_length=1, max_length=len(Scope))]
    expires_at: Annotated[int, Field(gt=0, description="Unix ms after which it stops working.")] | None = None
    per_minute: Annotated[Rate | None, Field(description="Requests a minute (null: the server's).")] = None
    burst: Annotated[Rate | None, Field(description="Its requests at once (null: the server's).")] = None


class KeyPath(PathParams):
    key: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$", description="The key's id.")]


class AccessChange(Body):
    """Fields left out keep their value; null clears one (no JWKS: HS256 only; no
    origins: any). ``jwks_url`` and ``jwks`` are alternatives."""

    jwks_url: Annotated[str, Field(min_length=8, max_length=2048)] | None = None
    jwks: dict[str, Any] | None = None
    allowed_origins: Annotated[list[str], Field(max_length=MAX_ORIGINS)] | None = None


class KeyOut(TypedDict):
    id: str
    name: str
    scopes: list[ScopeName]
    created_at: int
    expires_at: int | None
    revoked_at: int | None
    last_used_at: int | None
    per_minute: int | None
    burst: int | None
    prefix: str


class KeyAnswer(TypedDict):
    ok: Literal[True]
    key: KeyOut


class KeyCreated(TypedDict):
    ok: Literal[True]
    key: KeyOut
    api_key: str  # ssk_<id>_<secret>: in this answer only


class AccessOut(TypedDict):
    jwks_url: str | None
    jwks: dict[str, Any] | None
    allowed_origins: list[str] | None


class AccessAnswer(TypedDict):
    ok: Literal[True]
    access: AccessOut


def _key(key: ApiKey) -> dict[str, Any]:
    return key.to_data()


def _access(access: TenantAccess) -> dict[str, Any]:
    return {"ok": True, "access": access.to_data()}


class ApiKeyEndpoints:
    def __init__(self, keys: ApiKeys, access: AccessSettings) -> None:
        self.keys = keys
        self.access = access

    def endpoints(self) -> list[AnyEndpoint]:
        admin = Scope.USERS_ADMIN
        return [
            Endpoint(
                method="POST",
                path="/api/v1/api-keys",
                handler=self.create_key,
                summary="Create an API key (its text is in this answer only)",
                tag=TAG,
                scope=admin,
                body=KeyCreate,
                response=KeyCreated,
                status=201,
                description="A key may grant only the scopes its creator holds (an admin's token: any).",
            ),
            Endpoint(
                method="GET",
                path="/api/v1/api-keys",
                handler=self.list_keys,
                summary="The tenant's API keys (revoked ones too; never their secrets)",
                tag=TAG,
                scope=admin,
                query=PageQuery,
                response=Page[KeyOut],
            ),
            Endpoint(
                method="DELETE",
                path="/api/v1/api-keys/{key}",
                handler=self.revoke_key,
                summary="Revoke an API key (refused by every node within 30 s)",
                tag=TAG,
                scope=admin,
                path_params=KeyPath,
                response=KeyAnswer,
            ),
            Endpoint(
                method="GET",
                path="/api/v1/tenant/access",
                handler=self.get_access,
                summary="The tenant's JWKS and allowed origins",
                tag=TAG,
                scope=admin,
                response=AccessAnswer,
            ),
            Endpoint(
                method="PUT",
                path="/api/v1/tenant/access",
                handler=self.put_access,
                summary="Change the tenant's JWKS or allowed origins",
                tag=TAG,
                scope=admin,
                body=AccessChange,
                response=AccessAnswer,
                description="A key changes the JWKS only if it holds every scope.",
            ),
        ]

    async def create_key(self, call: Call[Nothing, Nothing, KeyCreate]) -> Reply:
        made = await self.keys.create_for(call.caller, call.body.model_dump())
        return {"ok": True, "key": _key(made.key), "api_key": made.text}

    async def list_keys(self, call: Call[Nothing, PageQuery, Nothing]) -> Reply:
        after = None
        if call.query.cursor is not None:
            (last, *_) = decode_cursor(call.query.cursor)
            after = str(last)
        found = await self.keys.keys_for(call.caller, after, call.query.limit + 1)
        page = found[: call.query.limit]
        more = len(found) > call.query.limit and page
        return page_answer([_key(k) for k in page], encode_cursor((page[-1].id,)) if more else None)

    async def revoke_key(self, call: Call[KeyPath, Nothing, Nothing]) -> Reply:
        key = await self.keys.revoke_for(call.caller, call.path.key)
        return {"ok": True, "key": _key(key)}

    async def get_access(self, call: Call[Nothing, Nothing, Nothing]) -> Reply:
        return _access(await self.access.get_for(call.caller))

    async def put_access(self, call: Call[Nothing, Nothing, AccessChange]) -> Reply:
        changes = call.body.model_dump(include=call.body.model_fields_set)
        return _access(await self.access.update_for(call.caller, changes))
