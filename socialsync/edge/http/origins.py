"""Allowed origins per tenant: CORS on /api, and the check of a Socket.IO handshake's
``Origin`` (docs/api-keys.md, "Allowed origins").

A tenant that lists its origins is reached from browsers on those only (and on this
server's own pages, which its invite links open). A tenant that lists none: as
before, the API sends no CORS headers and any page may open a socket. A request
without ``Origin`` is not a browser's cross-origin one, and is let through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from socialsync.domain.api_keys import origin_allowed
from socialsync.domain.errors import Code, SyncError
from socialsync.edge.http.errors import error_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OriginsOf = Callable[[str], Awaitable[tuple[str, ...] | None]]
TenantOf = Callable[[str], Awaitable[str | None]]

ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key"
EXPOSE_HEADERS = "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After"
PREFLIGHT_MAX_AGE_S = 600
ALLOWED_ORIGIN = web.RequestKey("allowed_origin", str)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Origins:
    """Which origins may reach a tenant from a browser."""

    def __init__(self, origins_of: OriginsOf, in_use: Callable[[str], Awaitable[bool]], own_url: str) -> None:
        self._origins_of = origins_of
        self._in_use = in_use
        self.own = origin_of(own_url)

    async def allowed(self, tenant_id: str, origin: str | None) -> bool | None:
        """True: allowed by the tenant's list; None: the tenant lists none (or no
        Origin, or this server's own); False: refused."""
        if not origin or origin.lower() == self.own:
            return None
        allowed = await self._origins_of(tenant_id)
        if allowed is None:
            return None
        return origin_allowed(origin, allowed)

    async def check_socket(self, tenant_id: str, environ: Any) -> None:
        """Refuse a Socket.IO connection whose page's origin the tenant does not allow."""
        origin = environ.get("HTTP_ORIGIN") if isinstance(environ, dict) else None
        if await self.allowed(tenant_id, origin) is False:
            raise SyncError(Code.FORBIDDEN, f"origin {str(origin)[:100]} is not allowed for this tenant")

    def cors(self, tenant_of_key: TenantOf, tenant_of_token: Callable[[str], str | None]) -> Any:
        """A middleware: CORS on /api for the origins tenants allow. A preflight (which
        carries no credentials) passes for an origin some tenant allows; the request
        itself, for an origin its own tenant allows (another is refused forbidden). The
        tenant is the one the credentials name, unverified: a forged one is refused by
        the handler anyway, and only that tenant's origin could read the refusal."""

        async def tenant_of(authorization: str) -> str | None:
            return await tenant_of_key(authorization) or tenant_of_token(authorization)

        @web.middleware
        async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
            origin = request.headers.get("Origin")
            if not origin or not request.path.startswith("/api/") or origin.lower() == self.own:
                return await handler(request)
            if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
                return await self._preflight(origin)
            tenant_id = await tenant_of(request.headers.get("Authorization", ""))
            verdict = None if tenant_id is None else await self.allowed(tenant_id, origin)
            if verdict is False:
                refused = SyncError(Code.FORBIDDEN, f"origin {origin[:100]} is not allowed for this tenant")
                return error_response(refused)
            if verdict:
                request[ALLOWED_ORIGIN] = origin  # the headers: add_headers, as it is sent
            return await handler(request)

        return cors

    async def add_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        """``on_response_prepare``: CORS headers on a response to an allowed origin
        (streamed ones too, whose headers leave before the handler returns)."""
        origin = request.get(ALLOWED_ORIGIN)
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
            response.headers.add("Vary", "Origin")

    async def _preflight(self, origin: str) -> web.StreamResponse:
        if not await self._in_use(origin):
            return error_response(SyncError(Code.FORBIDDEN, f"origin {origin[:100]} is not allowed"))
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
                "Vary": "Origin",
            },
        )
