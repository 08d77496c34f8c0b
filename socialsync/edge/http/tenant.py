"""HTTP edge of the tenant's own policy, for its admins: who may frame its pages
(CSP frame-ancestors) and its abuse limits over the server's (docs/privacy.md)."""

from __future__ import annotations

from aiohttp import web

from socialsync.domain.errors import bad_request
from socialsync.domain.model import User
from socialsync.edge.auth import Authenticator
from socialsync.protocol import inbound
from socialsync.services.tenants import TenantPolicies


class TenantRoutes:
    def __init__(self, policies: TenantPolicies, auth: Authenticator) -> None:
        self.policies = policies
        self.auth = auth

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/v1/tenant/settings", self.get_settings),
            web.put("/api/v1/tenant/settings", self.put_settings),
        ]

    async def _user(self, request: web.Request) -> User:
        return await self.auth.from_bearer(request.headers.get("Authorization", ""))

    async def get_settings(self, request: web.Request) -> web.Response:
        admin = await self._user(request)
        policy = await self.policies.get(admin)
        return web.json_response({"ok": True, "settings": policy.to_data(self.policies.defaults)})

    async def put_settings(self, request: web.Request) -> web.Response:
        admin = await self._user(request)
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise bad_request("the body must be JSON") from None
        inbound.check_strings(body)
        policy = await self.policies.update(admin, body)
        return web.json_response({"ok": True, "settings": policy.to_data(self.policies.defaults)})
