"""HTTP edge of reaction clips: a clip's media file (with Range requests, so players
seek), for a signed URL from clip.list / clip.added, or a moderator's bearer token;
and a party's clip list for platforms' backends."""

from __future__ import annotations

from aiohttp import web

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import User
from socialsync.edge.auth import Authenticator, bearer_token
from socialsync.protocol import inbound, outbound
from socialsync.services.clips import ClipService


class ClipRoutes:
    def __init__(self, clips: ClipService, auth: Authenticator) -> None:
        self.clips = clips
        self.auth = auth

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/v1/clips/{clip}/media", self.media),
            web.get("/api/v1/parties/{party}/clips", self.party_clips),
        ]

    async def _bearer(self, request: web.Request, required: bool) -> User | None:
        header = request.headers.get("Authorization", "")
        if not required and bearer_token(header) is None:
            return None
        return await self.auth.from_bearer(header)

    async def media(self, request: web.Request) -> web.StreamResponse:
        clip_id = inbound.parse(inbound.ClipDelete, {"party": "x", "id": request.match_info["clip"]}).id
        user = await self._bearer(request, required=False)
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

    async def party_clips(self, request: web.Request) -> web.Response:
        user = await self._bearer(request, required=True)
        assert user is not None
        ref = inbound.parse(inbound.PartyRef, {"party": request.match_info["party"]})
        clips = await self.clips.party_clips(user, ref.party)
        return web.json_response({"ok": True, "clips": [outbound.clip_out(c) for c in clips]})
