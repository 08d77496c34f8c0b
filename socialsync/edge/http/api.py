"""HTTP edge: health, readiness and metrics; the security headers and the handshake
limit every response goes through. The REST API is edge/http/rest.py's."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from socialsync.domain.errors import Code, SyncError
from socialsync.edge.abuse import AddressBook, client_address
from socialsync.edge.auth import bearer_token
from socialsync.edge.http.errors import Handler, error_response
from socialsync.ports.observer import MetricsPage

log = logging.getLogger("socialsync.http")

# Pages and media: scripts only from this origin (no inline script), nothing framed
# by other sites unless listed (``frame_ancestors``, the embedders' origins).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: https:; "
    "media-src 'self' blob: https: http:; connect-src 'self' ws: wss: https:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)


# The pages a tenant's platform embeds (the demo/invite page at / and the widget):
# served with ``?tenant=<id>``, they may be framed by that tenant's embedders.
TENANT_PAGES = ("/", "/demo/", "/widget/")
AncestorsOf = Callable[[str], Awaitable[tuple[str, ...] | None]]


def security_headers(frame_ancestors: str = "'self'", ancestors_of: AncestorsOf | None = None) -> Any:
    """A middleware: security headers on every response (pages, media, API).

    A page of ``TENANT_PAGES`` requested with ``?tenant=<id>`` of a tenant that set its
    embedders (``PUT /api/v1/tenant/settings``) gets those as ``frame-ancestors``;
    everything else (the moderation panel, the API, media, unknown tenants) the server's."""
    csp = CSP.format(ancestors=frame_ancestors or "'none'")

    async def policy_for(request: web.Request) -> str:
        tenant = request.query.get("tenant")
        if ancestors_of is None or not tenant or not _is_tenant_page(request.path):
            return csp
        ancestors = await ancestors_of(tenant)
        return csp if ancestors is None else CSP.format(ancestors=" ".join(ancestors) or "'none'")

    @web.middleware
    async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            _secure(exc.headers, csp)
            raise
        _secure(response.headers, await policy_for(request))
        return response

    return headers


def _is_tenant_page(path: str) -> bool:
    return path == "/" or path.startswith(TENANT_PAGES[1:])


def _secure(headers: Any, csp: str) -> None:
    headers.setdefault("Content-Security-Policy", csp)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if "frame-ancestors 'none'" in csp:
        headers.setdefault("X-Frame-Options", "DENY")


def handshake_limit(addresses: AddressBook, now_ms: Callable[[], int]) -> Any:
    """A middleware: new Engine.IO sessions (a /socket.io/ request without ``sid``)
    from one address are rate-limited before python-socketio allocates anything."""

    @web.middleware
    async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/socket.io") and "sid" not in request.query:
            address = client_address(request, addresses.limits.forwarded_for)
            try:
                addresses.handshake(address, now_ms())
            except SyncError as exc:
                return error_response(exc)
        return await handler(request)

    return limit


class HttpApi:
    def __init__(
        self,
        metrics: MetricsPage,
        ready_checks: Sequence[tuple[str, Callable[[], Awaitable[None]]]],
        metrics_token: str | None = None,
    ) -> None:
        # /metrics answers only with ``Authorization: Bearer <metrics_token>``; without
        # a token configured it is not served on the public listener at all.
        self.metrics_token = metrics_token
        self.metrics = metrics
        # What /readyz tries, by name: the database, and Redis in a cluster.
        self.ready_checks = list(ready_checks)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/healthz", self.healthz),
            web.get("/readyz", self.readyz),
            web.get("/metrics", self.metrics_page),
        ]

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(self, request: web.Request) -> web.Response:
        for name, check in self.ready_checks:
            try:
                await check()
            except Exception as exc:
                log.warning("not ready: %s: %s", name, exc)
                return error_response(SyncError(Code.UNAVAILABLE, f"{name} unreachable"))
        return web.json_response({"ok": True})

    async def metrics_page(self, request: web.Request) -> web.Response:
        given = bearer_token(request.headers.get("Authorization", "")) or ""
        if not self.metrics_token or not hmac.compare_digest(given.encode(), self.metrics_token.encode()):
            return web.Response(status=404, text="not found\n")
        return web.Response(body=self.metrics.render(), content_type="text/plain", charset="utf-8")
