"""HTTP edge of personal data, for the tenant's admins (the platform's backend): a
user's export (GDPR Art. 15/20) and erasure (Art. 17), the tenant's retention, a
party's consent records, and keeping a clip beyond retention (docs/privacy.md)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict

from aiohttp import web

from socialsync.domain.errors import bad_request
from socialsync.domain.model import User
from socialsync.edge.auth import Authenticator
from socialsync.protocol import inbound
from socialsync.services.privacy import PrivacyService, require_admin

_USER_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


def _user_id(request: web.Request) -> str:
    user_id = request.match_info["user"]
    if not _USER_ID.match(user_id):
        raise bad_request("user: an id of 1 to 128 letters, digits or _.:@-")
    return user_id


class PrivacyRoutes:
    def __init__(self, privacy: PrivacyService, auth: Authenticator) -> None:
        self.privacy = privacy
        self.auth = auth

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/v1/users/{user}/export", self.export),
            web.post("/api/v1/users/{user}/erase", self.erase),
            web.get("/api/v1/retention", self.get_retention),
            web.put("/api/v1/retention", self.put_retention),
            web.get("/api/v1/parties/{party}/consents", self.consents),
            web.post("/api/v1/clips/{clip}/keep", self.keep_clip),
        ]

    async def _admin(self, request: web.Request) -> User:
        user = await self.auth.from_bearer(request.headers.get("Authorization", ""))
        require_admin(user)
        return user

    async def export(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        archive = await self.privacy.export(admin.tenant_id, _user_id(request))
        return web.Response(
            body=json.dumps(archive, ensure_ascii=False, default=str).encode(),
            content_type="application/json",
            headers={
                "Content-Disposition": 'attachment; filename="user-export.json"',
                "Cache-Control": "no-store",
            },
        )

    async def erase(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        done = await self.privacy.erase(admin.tenant_id, _user_id(request))
        return web.json_response({"ok": True, **done})

    async def get_retention(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        policy = await self.privacy.retention(admin.tenant_id)
        return web.json_response({"ok": True, "retention": policy.to_data()})

    async def put_retention(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise bad_request("the body must be JSON") from None
        inbound.check_strings(body)
        policy = await self.privacy.set_retention(admin.tenant_id, body)
        return web.json_response({"ok": True, "retention": policy.to_data()})

    async def consents(self, request: web.Request) -> web.Response:
        user = await self.auth.from_bearer(request.headers.get("Authorization", ""))
        ref = inbound.parse(inbound.PartyRef, {"party": request.match_info["party"]})
        records = await self.privacy.consents(user, ref.party)
        return web.json_response({"ok": True, "consents": [asdict(c) for c in records]})

    async def keep_clip(self, request: web.Request) -> web.Response:
        user = await self.auth.from_bearer(request.headers.get("Authorization", ""))
        clip_id = inbound.parse(inbound.ClipDelete, {"party": "x", "id": request.match_info["clip"]}).id
        await self.privacy.keep_clip(user, clip_id)
        return web.json_response({"ok": True})
