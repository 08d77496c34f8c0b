"""Composition root: builds every part from the configuration and owns their lifetimes."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web

from socialsync.adapters.memory.broker import MemoryBroker
from socialsync.adapters.memory.guest_marks import MemoryGuestMarks
from socialsync.adapters.memory.lease import MemoryLease
from socialsync.adapters.memory.media_nodes import LocalMediaNodes
from socialsync.adapters.memory.party_store import MemoryPartyStore
from socialsync.adapters.memory.revocations import MemoryRevocations
from socialsync.adapters.memory.timers import LoopTimers
from socialsync.adapters.prometheus import Metrics
from socialsync.adapters.redis.cluster import RedisCluster
from socialsync.adapters.redis.guest_marks import RedisGuestMarks
from socialsync.adapters.redis.lease import RedisLease
from socialsync.adapters.redis.live_data import RedisLiveData
from socialsync.adapters.redis.party_store import RedisPartyStore
from socialsync.adapters.redis.revocations import RedisRevocations
from socialsync.adapters.redis.timers import RedisTimers
from socialsync.adapters.sql.clip_store import SqlClipStore
from socialsync.adapters.sql.moderation_store import SqlModerationStore
from socialsync.adapters.sql.privacy_store import SqlPrivacyStore
from socialsync.adapters.sql.secrets import secret_box
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.adapters.system_clock import SystemClock
from socialsync.config import Config
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.party.machine import PartyMachine
from socialsync.domain.ratelimit import Limit
from socialsync.domain.tenant import Tenant
from socialsync.edge.abuse import AbuseLimits, AddressBook, Fingerprints, GuestGate
from socialsync.edge.auth import Authenticator, new_secret
from socialsync.edge.http.api import HttpApi, errors_as_json, handshake_limit, security_headers
from socialsync.edge.http.clips import ClipRoutes
from socialsync.edge.http.privacy import PrivacyRoutes
from socialsync.edge.http.revocations import RevocationRoutes
from socialsync.edge.http.tenant import TenantRoutes
from socialsync.edge.sio import tuning
from socialsync.edge.sio.chat import ChatEvents
from socialsync.edge.sio.clips import ClipEvents
from socialsync.edge.sio.gateway import SocketGateway
from socialsync.edge.sio.moderation import ModerationEvents
from socialsync.edge.sio.packets import CheckedPacket
from socialsync.edge.sio.party import PartyEvents
from socialsync.edge.sio.playback import PlaybackEvents
from socialsync.edge.sio.reactions import ReactionEvents
from socialsync.edge.sio.rooms import SocketRooms
from socialsync.edge.sio.rtc import RtcEvents
from socialsync.edge.sio.time import TimeEvents
from socialsync.media.network import client_ice_servers, public_ipv4
from socialsync.media.relay import AiortcRelay, loopback_scope, media_kinds
from socialsync.media.routing import RoutedRelay
from socialsync.ports import Clock
from socialsync.services.admission import Admission
from socialsync.services.cameras import CameraService
from socialsync.services.chat import ChatService, Limits
from socialsync.services.clips import ClipService, ClipSettings, ClipUrls
from socialsync.services.guest_bans import GuestBans
from socialsync.services.hub import BrokerInbox, Hub
from socialsync.services.moderation import ModerationService
from socialsync.services.moderator import FilterModerator
from socialsync.services.parties import PartyCalls, PartyService
from socialsync.services.privacy import PrivacyService
from socialsync.services.sanctions import SanctionBook
from socialsync.services.tenants import Defaults, TenantPolicies
from socialsync.tasks import stop

log = logging.getLogger("socialsync.app")


@dataclass(frozen=True)
class Node:
    """What one node is made of, for its lifetime and for tests that look inside."""

    hub: Hub
    parties: PartyService
    moderation: ModerationService
    chat: ChatService
    cameras: CameraService
    clips: ClipService
    relay: RoutedRelay
    local: SocketRooms
    gateway: SocketGateway


SERVICE = web.AppKey("service", Node)
STORE = web.AppKey("store", SqlStore)
CONFIG = web.AppKey("config", Config)
SIO = web.AppKey("sio", socketio.AsyncServer)
DRAIN: web.AppKey[Callable[[], Awaitable[None]]] = web.AppKey("drain")
PRIVACY = web.AppKey("privacy", PrivacyService)

# Built by scripts/build_web.sh; a deployment can point SOCIALSYNC_WEB_DIR elsewhere.
DEFAULT_WEB_DIR = Path(__file__).resolve().parent.parent / "web_client" / "build"
WEB_SECTIONS = ("sdk", "widget", "demo", "media", "moderation")
DEMO_TENANT = "demo"
# How long a stopping node waits for its clients to move before closing their sockets.
DRAIN_MS = 1_000


async def ensure_demo_tenant(store: SqlStore, clock: Clock) -> None:
    if await store.get_tenant(DEMO_TENANT) is not None:
        return
    try:
        await store.add_tenant(Tenant(DEMO_TENANT, "Demo", new_secret(), True, clock.now_ms()))
    except SyncError as exc:
        if exc.code is not Code.CONFLICT:  # another node, starting at once, made it first
            raise


async def create_app(config: Config, clock: Clock | None = None) -> web.Application:
    """The whole server as an aiohttp application. The database is migrated and
    opened here; everything is closed by the application's cleanup."""
    # The fast paths reach into python-socketio/engineio/aiohttp internals: only on
    # the releases they were checked against, else the stock path with a warning.
    tuning_problems = tuning.problems()
    if tuning_problems:
        log.warning("socket fast paths off: python-socketio's stock path", extra={"why": tuning_problems})
    clock = clock or SystemClock()
    await upgrade_database(config.database_url)
    store = await SqlStore.open(
        config.database_url, clock=clock, box=secret_box(config.secret_key, config.database_url)
    )
    await store.seal_secrets()
    if config.demo_tenant:
        await ensure_demo_tenant(store, clock)

    cluster = RedisCluster(config, clock) if config.redis_url else None
    parties_store: MemoryPartyStore | RedisPartyStore = cluster.parties if cluster else MemoryPartyStore()
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=(cluster.socketio_manager() if cluster else None)
        or (None if tuning_problems else tuning.FanoutManager(direct_writes=config.websocket_direct_writes)),
        cors_allowed_origins="*",
        max_http_buffer_size=config.max_packet_bytes,
        logger=False,
        engineio_logger=False,
        serializer=CheckedPacket,
    )
    if not tuning_problems:
        tuning.poll_without_tasks()
        if not config.websocket_compression:
            tuning.without_compression(sio)
    rooms = SocketRooms(sio, config.base_url)
    # The broker and the timers are built before the services they call back: they
    # reach them through these two, bound once the services exist.
    inbox = BrokerInbox()
    calls = PartyCalls()
    broker = (
        cluster.broker(inbox.deliver, inbox.resumed, rooms.deliver, inbox.lost)
        if cluster
        else MemoryBroker(inbox.deliver)
    )
    timers: LoopTimers | RedisTimers = (
        cluster.timers(calls.tick) if cluster else LoopTimers(clock, calls.tick)
    )
    relay = AiortcRelay(
        ice_servers(config),
        max_connections=config.rtc_max_connections,
        ice_deadline_s=config.rtc_ice_deadline_s,
    )
    # Each party's relay work runs on its media node: this one, or (in a cluster)
    # the node that claimed the party in Redis.
    media_nodes = cluster.media_nodes() if cluster else LocalMediaNodes()
    routed = RoutedRelay(relay, media_nodes, public_ipv4(config.rtc_public_address))
    hub = Hub(
        broker=broker,
        local=rooms,
        relay=routed,
        presence=cluster.presence(calls.evict) if cluster else None,
        messages=store,
    )
    metrics = Metrics(
        sockets=lambda: hub.session_count,
        parties=lambda: len(parties_store),
        members=lambda: parties_store.member_count(),
        party_drift=lambda: parties.drift_summaries(),
    )
    moderation_store = SqlModerationStore(store)
    sanctions = SanctionBook(moderation_store)
    # Each tenant's embedders and own abuse limits over the server's (services/tenants.py);
    # a banned guest's client fingerprint (services/guest_bans.py).
    policies = TenantPolicies(store, clock, tenant_defaults(config))
    guest_bans = GuestBans(
        RedisGuestMarks(cluster.redis, cluster.keys) if cluster else MemoryGuestMarks(),
        metrics,
        config.guest_ban_ttl_s * 1000,
    )
    parties = PartyService(
        hub=hub,
        parties=parties_store,
        messages=store,
        clock=clock,
        machine=PartyMachine(config.rules),
        gate=Admission(sanctions, metrics, config.parties_per_hour, policies=policies, guest_bans=guest_bans),
        timers=timers,
        observer=metrics,
        recent=cluster.recent if cluster else None,
        public_url=config.base_url,
    )
    calls.bind(parties)
    inbox.listen(hub.on_envelope)
    inbox.listen(parties.on_envelope)
    inbox.on_resumed(parties.resume)
    inbox.on_lost(parties.lost)
    moderation = ModerationService(parties, moderation_store, FilterModerator(), sanctions, guest_bans)
    chat = ChatService(parties, moderation, metrics, chat_limits(config))
    # Personal data: export, erasure, retention (once per cluster: a lease), consent records.
    privacy = PrivacyService(
        SqlPrivacyStore(store),
        clock,
        RedisLease(cluster.redis, cluster.keys, cluster.node_id) if cluster else MemoryLease(clock),
        clip_settings(config).directory,
        recent=cluster.recent if cluster else None,
        every_ms=int(config.retention_every_s * 1000),
        forget_live=RedisLiveData(cluster.redis, cluster.keys).forget_user if cluster else None,
    )
    cameras = CameraService(
        parties,
        routed,
        config.max_cameras,
        media_kinds,
        lambda user_id: client_ice_servers(
            relay.ice_servers,
            config.rtc_turn_url,
            config.rtc_turn_secret,
            user_id,
            clock.now_ms() // 1000,
            config.rtc_turn_ttl_s,
        ),
        per_user=config.rtc_cameras_per_user,
        per_user_of=lambda tenant_id: _field(policies.limits(tenant_id), "cameras_per_user"),
        observer=metrics,
        record_consent=privacy.record_consent,
    )
    relay.on_publication_expired = cameras.expired
    relay.on_limited = metrics.limited
    media_nodes.on_lost = cameras.reset
    # Recording runs where the camera is relayed (the party's media node); the file is
    # stored, and the clip announced, by that node's ClipService.
    clips = ClipService(
        parties,
        moderation,
        routed,
        SqlClipStore(store),
        ClipUrls(store.get_tenant, config.base_url, config.clip_url_ttl_s),
        clip_settings(config),
        record_consent=privacy.record_consent,
    )
    relay.on_clip_ended = clips.recorded
    # Revoked tokens: every node checks them at verification and closes their sockets.
    revocations = RedisRevocations(cluster.redis, cluster.keys) if cluster else MemoryRevocations()
    auth = Authenticator(
        store,
        DEMO_TENANT,
        on_limited=metrics.limited,
        max_token_lifetime_s=config.max_token_lifetime_s,
        revocations=revocations,
    )
    addresses = AddressBook(abuse_limits(config), metrics)
    families = [
        TimeEvents(clock).handlers(),
        PartyEvents(parties, config.base_url).handlers(),
        PlaybackEvents(parties).handlers(),
        ChatEvents(chat).handlers(),
        ReactionEvents(chat).handlers(),
        ModerationEvents(moderation, clips, config.base_url).handlers(),
        RtcEvents(cameras).handlers(),
        ClipEvents(clips).handlers(),
    ]
    handlers = {name: handler for family in families for name, handler in family.items()}
    limit = Limit(config.event_burst, config.event_per_s)
    gateway = SocketGateway(
        sio,
        parties,
        auth,
        clock,
        metrics,
        limit,
        handlers,
        addresses,
        flood_refusals=config.flood_refusals,
        connect_deadline_s=config.connect_deadline_s,
        guests=GuestGate(
            addresses,
            Fingerprints(fingerprint_key(config)),
            guest_bans,
            lambda tenant_id: _field(policies.limits(tenant_id), "guests_per_address_per_hour"),
            DEMO_TENANT,
        ),
    )
    node = Node(hub, parties, moderation, chat, cameras, clips, routed, rooms, gateway)

    app = web.Application(
        middlewares=[
            security_headers(config.frame_ancestors, policies.frame_ancestors),
            handshake_limit(addresses, clock.now_ms),
            errors_as_json,
        ],
        client_max_size=config.max_packet_bytes,
    )
    app[SERVICE] = node
    app[STORE] = store
    app[CONFIG] = config
    app[SIO] = sio
    sio.attach(app)
    checks = [("database", store.ping)] + ([("redis", cluster.ping)] if cluster else [])
    app.router.add_routes(HttpApi(parties, store, auth, metrics, checks, config.metrics_token).routes())
    app.router.add_routes(ClipRoutes(clips, auth).routes())
    app.router.add_routes(PrivacyRoutes(privacy, auth).routes())
    app.router.add_routes(TenantRoutes(policies, auth).routes())
    app.router.add_routes(RevocationRoutes(auth).routes())
    app[PRIVACY] = privacy
    add_web_routes(app, Path(config.web_dir) if config.web_dir else DEFAULT_WEB_DIR)

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        with loopback_scope(config.rtc_loopback):
            if cluster:
                await cluster.start()
            await media_nodes.start()
            log.info(
                "serving",
                extra={
                    "url": config.base_url,
                    "database": _redacted(config.database_url),
                    "redis": _redacted(config.redis_url or "none"),
                    "node": cluster.node_id if cluster else "embedded",
                },
            )
            sweeper = asyncio.create_task(gateway.sweep_forever())
            revoker = asyncio.create_task(revocations.follow(gateway.revoked))
            retention = None
            if config.retention_every_s > 0:
                retention = asyncio.create_task(privacy.retention_forever())
            yield
            await stop(sweeper)
            await stop(revoker)
            if retention is not None:
                await stop(retention)
            await media_nodes.close()
            await relay.close()
        # What members are owed (open reaction windows), then what the database is.
        await chat.close()
        await parties.close()
        await hub.close()
        await timers.close()
        if cluster:
            await cluster.close()
        await broker.close()
        await store.close()

    async def drain() -> None:
        """Tell every client to reconnect, to another node if it knows one, then
        close its socket. Each disconnect starts the member's reconnect grace, so
        nobody is shown as gone; the lifetime's cleanup then flushes the parties.

        `socialsync serve` calls this on SIGTERM once it has stopped listening, while
        the sockets still work normally; aiohttp's own shutdown (on_shutdown) would
        come after it has begun closing connections, when a WebSocket's close can
        take the whole shutdown timeout."""
        sessions = hub.session_ids()
        if not sessions:
            return
        log.info("draining", extra={"sockets": len(sessions)})
        notice = {"reason": "shutdown", "reconnect": True}
        await asyncio.gather(*(sio.emit("server.draining", notice, to=s) for s in sessions))
        # SDKs move on their own when told; give them a moment, then close the rest.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(hub.all_disconnected.wait(), DRAIN_MS / 1000)
        for session in hub.session_ids():
            await sio.disconnect(session)

    async def close_sockets(app: web.Application) -> None:
        await drain()

    app[DRAIN] = drain
    app.on_shutdown.append(close_sockets)
    app.cleanup_ctx.append(lifetime)
    return app


def chat_limits(config: Config) -> Limits:
    return Limits(
        chat=Limit(config.chat_burst, config.chat_per_s),
        newcomer_chat=Limit(config.newcomer_chat_burst, config.newcomer_chat_per_s),
        reaction=Limit(config.reaction_burst, config.reaction_per_s),
        reaction_window_ms=config.reaction_window_ms,
    )


def tenant_defaults(config: Config) -> Defaults:
    return Defaults(
        parties_per_hour=config.parties_per_hour,
        cameras_per_user=config.rtc_cameras_per_user,
        guests_per_address_per_hour=config.guests_per_address_per_hour,
    )


async def _field(limits: Awaitable[Defaults], name: str) -> int:
    return int(getattr(await limits, name))


def fingerprint_key(config: Config) -> bytes:
    """The guest fingerprints' key: ``fingerprint_key``, else one derived from
    ``secret_key``, else random for this process (nodes of a cluster then disagree)."""
    if config.fingerprint_key:
        return config.fingerprint_key.encode()
    if config.secret_key:
        return hmac.new(config.secret_key.encode(), b"socialsync guest fingerprints", hashlib.sha256).digest()
    if config.redis_url:
        log.warning("SOCIALSYNC_FINGERPRINT_KEY unset: guest bans' fingerprints differ between nodes")
    return secrets.token_bytes(32)


def abuse_limits(config: Config) -> AbuseLimits:
    return AbuseLimits(
        connections_per_address=config.connections_per_address,
        handshakes=Limit(config.handshake_burst, config.handshake_per_s),
        guests_per_address_per_hour=config.guests_per_address_per_hour,
        forwarded_for=config.forwarded_for,
    )


def clip_settings(config: Config) -> ClipSettings:
    return ClipSettings(
        directory=Path(config.clips_path).resolve(),
        max_s=config.clip_max_s,
        max_bytes=config.clip_max_bytes,
        per_party=config.clips_per_party,
        recordings_per_party=config.clip_recordings_per_party,
        url_ttl_s=config.clip_url_ttl_s,
    )


def ice_servers(config: Config) -> list[dict[str, Any]]:
    """SOCIALSYNC_RTC_ICE_SERVERS: a JSON list of {urls, username?, credential?}."""
    if not config.rtc_ice_servers:
        return []
    try:
        servers = json.loads(config.rtc_ice_servers)
        if not isinstance(servers, list) or not all(isinstance(s, dict) and "urls" in s for s in servers):
            raise ValueError("a list of objects with urls")
    except ValueError as exc:
        raise SystemExit(f"SOCIALSYNC_RTC_ICE_SERVERS: {exc}") from None
    return [{k: s[k] for k in ("urls", "username", "credential") if k in s} for s in servers]


def add_web_routes(app: web.Application, web_dir: Path) -> None:
    """The demo page at /, the moderation panel at /moderation/, and the built SDK,
    widget and sample media beneath them.

    aiohttp's static handler answers Range requests (206), which players need to seek.
    """

    def page(path: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            if path.is_file():  # noqa: ASYNC240 - a stat of a local file, once per page view
                return web.FileResponse(path, headers={"Cache-Control": "no-cache"})
            return web.Response(
                status=503,
                content_type="text/plain",
                text="The web client is not built: run `bash scripts/serve.sh`, which builds it.\n",
            )

        return handler

    async def no_icon(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app.router.add_get("/", page(web_dir / "demo" / "index.html"))
    panel = page(web_dir / "moderation" / "index.html")
    app.router.add_get("/moderation", panel)
    app.router.add_get("/moderation/", panel)
    app.router.add_get("/favicon.ico", no_icon)
    for section in WEB_SECTIONS:
        if (web_dir / section).is_dir():
            app.router.add_static(f"/{section}/", web_dir / section)


def _redacted(url: str) -> str:
    """A database URL without its password, for logs."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"
