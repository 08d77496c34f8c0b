"""REST of reaction clips: a party's clip list for platforms' backends (a declaration),
and a clip's media file (a plain route, with Range requests so players seek) for a
signed URL from clip.list / clip.added, or a moderator's bearer token."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import Field

from socialsync.domain.access import Scope
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import User
from socialsync.edge.auth import Authenticator, bearer_token
from socialsync.edge.http.endpoint import AnyEndpoint, Call, Endpoint, Nothing, Ok, Plain, QueryParams, Reply
from socialsync.edge.http.openapi import ERROR_REF
from socialsync.edge.http.pagination import (
    Page,
    PageQuery,
    decode_cursor,
    encode_cursor,
    page_answer,
    paginate,
)
from socialsync.edge.http.params import ClipPath, PartyPath
from socialsync.edge.http.rest import validate
from socialsync.protocol import inbound, outbound, shapes
from socialsync.services.clips import ClipService

TAG = "clips"
MEDIA_PATH = "/api/v1/clips/{clip}/media"


class TenantClipsQuery(PageQuery):
    party: Annotated[inbound.PartyId | None, Field(description="Only this party's clips.")] = None


class RemoveQuery(QueryParams):
    reason: Annotated[inbound.Reason | None, Field(description="Why (kept in the audit log).")] = None


def _media_operation() -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}
    return {
        "operationId": "clips_media",
        "summary": "A clip's file (Range requests answered with 206)",
        "description": "With the signed URL of clip.list (`exp`, `sig`), or a bearer token of the "
        "tenant's staff.",
        "tags": [TAG],
        "parameters": [
            {"name": "clip", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "exp", "in": "query", "required": False, "schema": {"type": "string"}},
            {"name": "sig", "in": "query", "required": False, "schema": {"type": "string"}},
        ],
        "security": [{}, {"bearer": []}],
        "responses": {
            "200": {"description": "The file.", "content": {"video/*": {"schema": {}}}},
            "206": {"description": "Part of the file.", "content": {"video/*": {"schema": {}}}},
            "400": {"description": "bad_request", **error},
            "401": {"description": "unauthorized: no signature and no token", **error},
            "404": {"description": "not_found", **error},
            "416": {"description": "The range is outside the file."},
        },
    }


class ClipRoutes:
    def __init__(self, clips: ClipService, auth: Authenticator) -> None:
        self.clips = clips
        self.auth = auth

    def endpoints(self) -> list[AnyEndpoint]:
        return [
            Endpoint(
                method="GET",
                path="/api/v1/parties/{party}/clips",
                handler=self.party_clips,
                summary="A party's clips, oldest first",
                description="The tenant's moderators and admins; each with a signed `url`.",
                tag=TAG,
                scope=Scope.MODERATION_WRITE,
                path_params=PartyPath,
                query=PageQuery,
                response=Page[shapes.ClipInfo],
            ),
            Endpoint(
                method="GET",
                path="/api/v1/clips",
                handler=self.tenant_clips,
                summary="The tenant's clips, oldest first",
                description="Ended parties' too, held ones included; each with a signed `url`. "
                "The tenant's moderators and admins.",
                tag=TAG,
                scope=Scope.MODERATION_WRITE,
                query=TenantClipsQuery,
                response=Page[shapes.ClipInfo],
            ),
            Endpoint(
                method="DELETE",
                path="/api/v1/clips/{clip}",
                handler=self.remove,
                summary="Delete a clip, its file with it",
                description="Members of its party see it go (`clip.removed`, reason `deleted`); in "
                "the audit log (`clip_delete`). The tenant's moderators and admins, whatever "
                "became of the party; its author; or the party's host while joined.",
                tag=TAG,
                scope=Scope.MODERATION_WRITE,
                path_params=ClipPath,
                query=RemoveQuery,
                response=Ok,
                errors=(413,),  # a reason over its size
            ),
        ]

    def plain(self) -> list[Plain]:
        return [Plain(method="GET", path=MEDIA_PATH, handler=self.media, operation=_media_operation())]

    async def _bearer(self, request: web.Request) -> User | None:
        header = request.headers.get("Authorization", "")
        if bearer_token(header) is None:
            return None
        return await self.auth.from_bearer(header)

    async def media(self, request: web.Request) -> web.StreamResponse:
        clip_id = validate(ClipPath, dict(request.match_info)).clip
        user = await self._bearer(request)
        if user is None and not {"exp", "sig"} <= request.query.keys():
            raise SyncError(Code.UNAUTHORIZED, "a clip's URL carries exp and sig (from clip.list)")
        path, clip = await self.clips.media_file(
            clip_id, request.query.get("exp", ""), request.query.get("sig", "")[:64], user
        )
        # FileResponse answers Range requests with 206 and sets the length.
        return web.FileResponse(
            path,
            headers={
                "Content-Type": clip.mime_type,
                "Cache-Control": "private, max-age=300",
                "Content-Disposition": "inline",
            },
        )

    async def tenant_clips(self, call: Call[Nothing, TenantClipsQuery]) -> Reply:
        q = call.query
        after: tuple[int, str] | None = None
        if q.cursor is not None:
            key = decode_cursor(q.cursor)
            if len(key) != 2 or not isinstance(key[0], int) or not isinstance(key[1], str):
                raise SyncError(Code.BAD_REQUEST, "cursor: not a cursor of this list")
            after = (key[0], key[1])
        found = await self.clips.tenant_clips(call.caller.user, after, q.limit + 1, q.party)
        page = found[: q.limit]
        last = page[-1].clip if page else None
        cursor = encode_cursor((last.created_at_ms, last.id)) if last and len(found) > q.limit else None
        return page_answer([outbound.clip_out(c) for c in page], cursor)

    async def remove(self, call: Call[ClipPath, RemoveQuery]) -> Reply:
        await self.clips.remove(call.caller.user, call.path.clip, call.query.reason)
        return {"ok": True}

    async def party_clips(self, call: Call[PartyPath, PageQuery]) -> Reply:
        clips = await self.clips.party_clips(call.caller.user, call.path.party)
        page, cursor = paginate(clips, lambda s: (s.clip.created_at_ms, s.clip.id), call.query)
        return page_answer([outbound.clip_out(c) for c in page], cursor)
