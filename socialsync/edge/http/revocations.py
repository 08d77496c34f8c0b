"""HTTP edge of token revocation, for the tenant's admins (the platform's backend):
``POST /api/v1/revocations`` with ``{jti}`` (one token) or ``{user}`` (every token the
user holds now), always within the caller's own tenant (docs/protocol.md)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from socialsync.domain.errors import bad_request
from socialsync.edge.auth import Authenticator
from socialsync.services.privacy import require_admin

_USER = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
_JTI = re.compile(r"^[!-~]{1,128}$")  # tenants choose their own: any visible ASCII


def _one_id(body: Any) -> tuple[str | None, str | None]:
    """(jti, user) from ``{"jti": ...}`` or ``{"user": ...}``: exactly one."""
    if not isinstance(body, dict) or set(body) not in ({"jti"}, {"user"}):
        raise bad_request('send {"jti": <token id>} or {"user": <user id>}')
    value = next(iter(body.values()))
    if "jti" in body and not (isinstance(value, str) and _JTI.match(value)):
        raise bad_request("jti: 1 to 128 visible ASCII characters")
    if "user" in body and not (isinstance(value, str) and _USER.match(value)):
        raise bad_request("user: an id of 1 to 128 letters, digits or _.:@-")
    return (value, None) if "jti" in body else (None, value)


class RevocationRoutes:
    def __init__(self, auth: Authenticator) -> None:
        self.auth = auth

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/api/v1/revocations", self.revoke)]

    async def revoke(self, request: web.Request) -> web.Response:
        admin = await self.auth.from_bearer(request.headers.get("Authorization", ""))
        require_admin(admin)
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise bad_request("the body must be JSON") from None
        jti, user = _one_id(body)
        revoked = await self.auth.revoke(admin.tenant_id, jti=jti, user_id=user)
        answer: dict[str, Any] = {"ok": True, "at": revoked.at_s}
        answer |= {"jti": jti} if jti is not None else {"user": user}
        return web.json_response(answer)
