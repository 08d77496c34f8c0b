"""HTTP edge: health, readiness, metrics and the REST API for platforms' backends."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import User
from socialsync.edge.abuse import AddressBook, client_address
from socialsync.edge.auth import Authenticator, bearer_token
from socialsync.ports import MessageStore
from socialsync.ports.observer import MetricsPage
from socialsync.protocol import inbound, outbound
from socialsync.services.parties import PartyService

log = logging.getLogger("socialsync.http")

_STATUS = {
    Code.BAD_REQUEST: 400,
    Code.UNAUTHORIZED: 401,
    Code.FORBIDDEN: 403,
    Code.NOT_FOUND: 404,
    Code.CONFLICT: 409,
    Code.TOO_LARGE: 413,
    Code.MODERATED: 422,
    Code.RATE_LIMITED: 429,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
                response = error_response(exc)
                if exc.retry_after_s is not None:
                    response.headers["Retry-After"] = str(max(1, round(exc.retry_after_s)))
                return response
        return await handler(request)

    return limit


def error_response(exc: SyncError) -> web.Response:
    return web.json_response(exc.to_wire(), status=_STATUS[exc.code])


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure under /api answers {ok: false, error: {code, message}}."""
    try:
        return await handler(request)
    except SyncError as exc:
        return error_response(exc)
    except web.HTTPRequestEntityTooLarge:
        return error_response(SyncError(Code.TOO_LARGE, "request body too large"))
    except web.HTTPException as exc:
        if not request.path.startswith("/api/"):
            raise
        code = {404: Code.NOT_FOUND, 405: Code.BAD_REQUEST}.get(exc.status, Code.BAD_REQUEST)
        return error_response(SyncError(code, exc.reason))
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(SyncError(Code.INTERNAL, "internal error"))


class HttpApi:
    def __init__(
        self,
        service: PartyService,
        store: MessageStore,
        auth: Authenticator,
        metrics: MetricsPage,
        ready_checks: Sequence[tuple[str, Callable[[], Awaitable[None]]]],
        metrics_token: str | None = None,
    ) -> None:
        # /metrics answers only with ``Authorization: Bearer <metrics_token>``; without
        # a token configured it is not served on the public listener at all.
        self.metrics_token = metrics_token
        self.service = service
        self.store = store
        self.auth = auth
        self.metrics = metrics
        # What /readyz tries, by name: the database, and Redis in a cluster.
        self.ready_checks = list(ready_checks)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/healthz", self.healthz),
            web.get("/readyz", self.readyz),
            web.get("/metrics", self.metrics_page),
            web.post("/api/v1/parties", self.create_party),
            web.get("/api/v1/parties", self.list_parties),
            web.get("/api/v1/parties/{party}", self.get_party),
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

    async def _user(self, request: web.Request) -> User:
        return await self.auth.from_bearer(request.headers.get("Authorization", ""))

    async def _json(self, request: web.Request) -> Any:
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise SyncError(Code.BAD_REQUEST, "the body must be JSON") from None
        except RecursionError:
            raise SyncError(Code.BAD_REQUEST, "the body is nested too deeply") from None
        inbound.check_strings(data)
        return data

    async def create_party(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        m = inbound.parse(inbound.PartyCreate, await self._json(request))
        # A backend creates parties for its viewers; the first of them to join hosts.
        party = await self.service.create(
            user, m.title, m.media.to_domain(), m.settings.to_domain(), creator_joins=False
        )
        return web.json_response(
            {"ok": True, "party": outbound.party_out(party, self.service.public_url)}, status=201
        )

    async def list_parties(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        kind = request.query.get("type")
        if kind not in (None, "watch_party", "live_room"):
            raise SyncError(Code.BAD_REQUEST, "type: watch_party or live_room")
        parties = [p for p in await self.service.list(user) if kind is None or p.settings.type.value == kind]
        # Watch parties are private: only staff see the whole list; everyone sees live rooms.
        if not user.is_staff:
            parties = [p for p in parties if p.is_live_room]
        out = [outbound.party_out(p, self.service.public_url) for p in parties]
        return web.json_response({"ok": True, "parties": out})

    async def get_party(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        ref = inbound.parse(inbound.PartyRef, {"party": request.match_info["party"]})
        party = await self.service.get(user, ref.party)
        return web.json_response(
            {
                "ok": True,
                "party": outbound.party_out(party, self.service.public_url),
                "playback": outbound.playback_out(party.id, party.playback),
                "sync": outbound.sync_health_out(party, self.service.drift_summary(party.id)),
            }
        )
