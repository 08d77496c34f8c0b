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

from socialsync.adapters.chat_hook_client import AiohttpChatHookCaller
from socialsync.adapters.memory.analytics import MemoryAnalyticsBuffer
from socialsync.adapters.memory.broker import MemoryBroker
from socialsync.adapters.memory.guest_marks import MemoryGuestMarks
from socialsync.adapters.memory.invites import MemoryInvites
from socialsync.adapters.memory.lease import MemoryLease
from socialsync.adapters.memory.media_nodes import LocalMediaNodes
from socialsync.adapters.memory.party_store import MemoryPartyStore
from socialsync.adapters.memory.polls import MemoryPolls
from socialsync.adapters.memory.quotas import MemoryQuotas
from socialsync.adapters.memory.timers import LoopTimers
from socialsync.adapters.prometheus import Metrics
from socialsync.adapters.redis.analytics import RedisAnalyticsBuffer
from socialsync.adapters.redis.cluster import RedisCluster
from socialsync.adapters.redis.guest_marks import RedisGuestMarks
from socialsync.adapters.redis.invites import RedisInvites
from socialsync.adapters.redis.lease import RedisLease
from socialsync.adapters.redis.live_data import RedisLiveData
from socialsync.adapters.redis.party_store import RedisPartyStore
from socialsync.adapters.redis.polls import RedisPolls
from socialsync.adapters.redis.quotas import RedisQuotas
from socialsync.adapters.redis.revocations import RedisRevocations
from socialsync.adapters.redis.timers import RedisTimers
from socialsync.adapters.sql.analytics import SqlAnalyticsStore
from socialsync.adapters.sql.api_keys import SqlApiKeys
from socialsync.adapters.sql.badges import SqlBadges
from socialsync.adapters.sql.chat_hooks import SqlChatHooks
from socialsync.adapters.sql.clip_store import SqlClipStore
from socialsync.adapters.sql.discovery import SqlDiscovery
from socialsync.adapters.sql.engagement import SqlEngagement
from socialsync.adapters.sql.feedback import SqlFeedback
from socialsync.adapters.sql.moderation_store import SqlModerationStore
from socialsync.adapters.sql.privacy_store import SqlPrivacyStore
from socialsync.adapters.sql.revocations import SqlRevocations
from socialsync.adapters.sql.secrets import secret_box
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.adapters.sql.webhooks import SqlWebhookStore
from socialsync.adapters.system_clock import SystemClock
from socialsync.adapters.webhook_sender import AiohttpWebhookSender
from socialsync.config import Config
from socialsync.domain.analytics.pseudonyms import Pseudonyms
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.identity import UserKey
from socialsync.domain.notices import ERASED, Kicked
from socialsync.domain.party.machine import PartyMachine
from socialsync.domain.ratelimit import Limit
from socialsync.domain.tenant import Tenant
from socialsync.domain.webhooks import RetrySchedule, parse_schedule
from socialsync.edge.abuse import AbuseLimits, AddressBook, Fingerprints, GuestGate
from socialsync.edge.auth import Authenticator, new_secret
from socialsync.edge.deadlines import GuardedRunner
from socialsync.edge.http.analytics import AnalyticsRoutes
from socialsync.edge.http.api import HttpApi, handshake_limit, security_headers
from socialsync.edge.http.api_keys import ApiKeyEndpoints
from socialsync.edge.http.chat import ChatRoutes
from socialsync.edge.http.clips import ClipRoutes
from socialsync.edge.http.discovery import DiscoveryRoutes
from socialsync.edge.http.errors import errors_as_json
from socialsync.edge.http.feedback import FeedbackRoutes
from socialsync.edge.http.invites import OG_IMAGE_PATH, InvitePage, InviteRoutes
from socialsync.edge.http.members import MemberRoutes
from socialsync.edge.http.moderation import ModerationRoutes
from socialsync.edge.http.origins import Origins
from socialsync.edge.http.parties import PartyRoutes
from socialsync.edge.http.privacy import PrivacyRoutes
from socialsync.edge.http.rest import RestApi
from socialsync.edge.http.revocations import RevocationRoutes
from socialsync.edge.http.tenant import TenantRoutes
from socialsync.edge.http.tokens import TokenRoutes
from socialsync.edge.http.webhooks import WebhookRoutes
from socialsync.edge.jwks import JwksKeys
from socialsync.edge.sio import tuning
from socialsync.edge.sio.analytics import AnalyticsEvents
from socialsync.edge.sio.chat import ChatEvents
from socialsync.edge.sio.clips import ClipEvents
from socialsync.edge.sio.feedback import FeedbackEvents, PromptSender
from socialsync.edge.sio.gateway import SocketGateway
from socialsync.edge.sio.moderation import ModerationEvents
from socialsync.edge.sio.packets import CheckedPacket
from socialsync.edge.sio.party import PartyEvents
from socialsync.edge.sio.playback import PlaybackEvents
from socialsync.edge.sio.polls import PollEvents
from socialsync.edge.sio.reactions import ReactionEvents
from socialsync.edge.sio.rooms import SocketRooms
from socialsync.edge.sio.rtc import RtcEvents
from socialsync.edge.sio.time import TimeEvents
from socialsync.media.network import client_ice_servers, public_ipv4
from socialsync.media.relay import AiortcRelay, loopback_scope, media_kinds
from socialsync.media.routing import RoutedRelay
from socialsync.ports import Clock, Envelope
from socialsync.services.admission import Admission
from socialsync.services.analytics import (
    AnalyticsCapture,
    AnalyticsPipeline,
    AnalyticsService,
    AnalyticsSettings,
)
from socialsync.services.api_keys import AccessSettings, ApiKeys, KeySettings
from socialsync.services.badges import BadgeService
from socialsync.services.cameras import CameraService
from socialsync.services.chat import ChatService, Limits
from socialsync.services.chat_hook import ChatHooks, ChatHookSettings
from socialsync.services.clips import ClipService, ClipSettings, ClipUrls
from socialsync.services.discovery import DiscoveryService
from socialsync.services.feedback import EndOfParty, FeedbackService
from socialsync.services.guest_bans import GuestBans
from socialsync.services.hub import BrokerInbox, Hub
from socialsync.services.invites import InviteService
from socialsync.services.moderation import ModerationService
from socialsync.services.moderator import FilterModerator
from socialsync.services.parties import PartyCalls, PartyService
from socialsync.services.polls import PollService, PollTimers
from socialsync.services.privacy import ErasedRecords, PrivacyService, StoreErasure
from socialsync.services.sanctions import SanctionBook
from socialsync.services.tenants import Defaults, TenantPolicies
from socialsync.services.tokens import TokenService
from socialsync.services.webhooks import WebhookAdmin, WebhookDelivery, WebhookOutbox, WebhookSettings
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
    invites: InviteService | None = None


SERVICE = web.AppKey("service", Node)
STORE = web.AppKey("store", SqlStore)
CONFIG = web.AppKey("config", Config)
SIO = web.AppKey("sio", socketio.AsyncServer)
DRAIN: web.AppKey[Callable[[], Awaitable[None]]] = web.AppKey("drain")
PRIVACY = web.AppKey("privacy", PrivacyService)
METRICS = web.AppKey("metrics", Metrics)
ANALYTICS = web.AppKey("analytics", AnalyticsService)
BADGES = web.AppKey("badges", BadgeService)
FEEDBACK = web.AppKey("feedback", FeedbackService)

# Built by scripts/build_web.sh; a deployment can point SOCIALSYNC_WEB_DIR elsewhere.
DEFAULT_WEB_DIR = Path(__file__).resolve().parent.parent / "web_client" / "build"
WEB_SECTIONS = ("sdk", "widget", "embed", "demo", "media", "moderation", "dashboard", "apidocs")
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
    poll_timers = PollTimers(calls.tick)  # a poll's timers go to the polls' service
    broker = (
        cluster.broker(inbox.deliver, inbox.resumed, rooms.deliver, inbox.lost)
        if cluster
        else MemoryBroker(inbox.deliver)
    )
    timers: LoopTimers | RedisTimers = (
        cluster.timers(poll_timers.fire) if cluster else LoopTimers(clock, poll_timers.fire)
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
    # Platforms' webhooks (docs/webhooks.md): the outbox the services write to, the
    # delivery worker (one node of the cluster at a time: a lease), the endpoints.
    webhook_store = SqlWebhookStore(store)
    hooks = webhook_settings(config)
    outbox = WebhookOutbox(webhook_store, clock, metrics, hooks)
    webhook_sender = AiohttpWebhookSender(hooks.timeout_s, hooks.allow_private, hooks.concurrency)
    webhook_worker = WebhookDelivery(
        webhook_store,
        clock,
        RedisLease(cluster.redis, cluster.keys, cluster.node_id) if cluster else MemoryLease(clock),
        webhook_sender,
        metrics,
        hooks,
        wake=outbox.written,
        on_disabled=outbox.changed,
    )
    moderation_store = SqlModerationStore(store)
    sanctions = SanctionBook(moderation_store)
    # Each tenant's embedders and own abuse limits over the server's (services/tenants.py);
    # a banned guest's client fingerprint (services/guest_bans.py).
    # Tenants' synchronous chat hooks (docs/chat-hook.md): one shared HTTP client, the
    # webhooks' SSRF policy.
    chat_hook_caller = AiohttpChatHookCaller(hooks.allow_private)
    chat_hooks = ChatHooks(
        SqlChatHooks(store),
        chat_hook_caller,
        clock,
        metrics,
        ChatHookSettings(allow_private=hooks.allow_private, max_in_flight=config.chat_hook_concurrency),
    )
    policies = TenantPolicies(store, clock, tenant_defaults(config), SqlEngagement(store), chat_hooks)
    guest_bans = GuestBans(
        RedisGuestMarks(cluster.redis, cluster.keys) if cluster else MemoryGuestMarks(),
        metrics,
        config.guest_ban_ttl_s * 1000,
    )
    # Analytics (docs/analytics.md): observed on the request path into a bounded queue.
    analytics_capture = AnalyticsCapture(metrics, config.analytics_queue, enabled=config.analytics)
    pseudonyms = Pseudonyms(analytics_keys(config))
    # Engagement (docs/engagement.md): badges earned from the analytics aggregates, shown
    # beside members' names; the end of a party seen for the feedback prompt (a leave on
    # the parties' sink, an end on the broker before the hub takes the sockets out).
    badge_store = SqlBadges(store)
    badges = BadgeService(badge_store, badge_store, clock, pseudonyms, policies.engagement)
    end_of_party = EndOfParty(analytics_capture)
    party_quotas = RedisQuotas(cluster.redis, cluster.keys) if cluster else MemoryQuotas()
    parties = PartyService(
        hub=hub,
        parties=parties_store,
        messages=store,
        clock=clock,
        machine=PartyMachine(config.rules),
        gate=Admission(
            sanctions,
            metrics,
            config.parties_per_hour,
            # Parties per user an hour: counted for the whole cluster in Redis.
            quotas=party_quotas,
            policies=policies,
            guest_bans=guest_bans,
        ),
        timers=timers,
        observer=metrics,
        recent=cluster.recent if cluster else None,
        public_url=config.base_url,
        webhooks=outbox,
        analytics=end_of_party if config.analytics else None,
        badges=badges.of_user,
    )
    calls.bind(parties)
    inbox.listen(end_of_party.before_hub)
    inbox.listen(hub.on_envelope)
    inbox.listen(parties.on_envelope)
    inbox.on_resumed(parties.resume)
    inbox.on_lost(parties.lost)
    moderation = ModerationService(
        parties, moderation_store, FilterModerator(), sanctions, guest_bans, webhooks=outbox
    )
    chat = ChatService(parties, moderation, metrics, chat_limits(config), chat_hooks)
    # Polls and predictions (docs/polls.md): their state where the parties' is.
    poll_store = RedisPolls(cluster.redis, cluster.keys) if cluster else MemoryPolls(clock)
    polls = PollService(parties, moderation, poll_store, webhooks=outbox)
    poll_timers.bind(polls)
    inbox.listen(polls.on_envelope)
    # Invite links: counted where the parties' live state is (this process, or Redis).
    invite_store = RedisInvites(cluster.redis, cluster.keys) if cluster else MemoryInvites()
    invites = InviteService(parties, invite_store, config.base_url)
    # ... turned into events off it, buffered (Redis in a cluster), committed to SQL in batches.
    analytics_store = SqlAnalyticsStore(store)
    pipeline = AnalyticsPipeline(
        analytics_capture,
        RedisAnalyticsBuffer(cluster.redis, cluster.keys) if cluster else MemoryAnalyticsBuffer(),
        analytics_store,
        clock,
        pseudonyms,
        metrics,
        analytics_settings(config),
        cluster.node_id if cluster else "embedded",
        on_committed=badges.committed,
    )
    analytics = AnalyticsService(
        analytics_store, analytics_capture, clock, pseudonyms, load_party=store.load_party, pipeline=pipeline
    )
    feedback = FeedbackService(
        SqlFeedback(store),
        hub,
        moderation,
        analytics,
        PromptSender(sio),
        pseudonyms,
        policies.engagement,
        load_party=store.load_party,
    )
    end_of_party.bind(feedback)
    # Personal data: export, erasure, retention (once per cluster: a lease), consent records.
    erased_records: list[ErasedRecords] = [
        analytics,
        badges,
        feedback,
        StoreErasure("webhook_events", webhook_store.erase_user),
        StoreErasure("invites", invite_store.erase_user),
        StoreErasure("polls", poll_store.erase_user),
    ]
    if isinstance(party_quotas, RedisQuotas):  # its key names the user (memory: nothing stored)
        erased_records.append(StoreErasure("party_quota", party_quotas.erase_user))
    privacy = PrivacyService(
        SqlPrivacyStore(store),
        clock,
        RedisLease(cluster.redis, cluster.keys, cluster.node_id) if cluster else MemoryLease(clock),
        clip_settings(config).directory,
        load_party=store.load_party,
        recent=cluster.recent if cluster else None,
        every_ms=int(config.retention_every_s * 1000),
        forget_live=RedisLiveData(cluster.redis, cluster.keys).forget_user if cluster else None,
        others=erased_records,
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
    # Embedded, in the database (a restart keeps them).
    revocations = RedisRevocations(cluster.redis, cluster.keys) if cluster else SqlRevocations(store)
    # API keys, tenants' own signing keys (JWKS) and allowed origins (docs/api-keys.md).
    key_store = SqlApiKeys(store)
    access_ms = int(config.access_cache_s * 1000)
    api_keys = ApiKeys(
        key_store, clock, KeySettings(config.api_key_per_minute, config.api_key_burst, access_ms)
    )
    access = AccessSettings(key_store, clock, access_ms)
    jwks = JwksKeys(
        access.access,
        timeout_s=config.jwks_timeout_s,
        ttl_s=config.jwks_ttl_s,
        refetch_s=config.jwks_refetch_s,
    )
    origins = Origins(access.allowed_origins, access.origin_in_use, config.base_url)
    auth = Authenticator(
        store,
        DEMO_TENANT,
        on_limited=metrics.limited,
        max_token_lifetime_s=config.max_token_lifetime_s,
        revocations=revocations,
        jwks=jwks,
    )
    addresses = AddressBook(abuse_limits(config), metrics)
    families = [
        TimeEvents(clock).handlers(),
        PartyEvents(parties, config.base_url, invites).handlers(),
        PlaybackEvents(parties).handlers(),
        ChatEvents(chat).handlers(),
        ReactionEvents(chat).handlers(),
        PollEvents(polls).handlers(),
        AnalyticsEvents(parties, analytics).handlers(),
        ModerationEvents(moderation, clips, config.base_url).handlers(),
        RtcEvents(cameras).handlers(),
        ClipEvents(clips).handlers(),
        FeedbackEvents(feedback).handlers(),
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
        check_origin=origins.check_socket,
    )
    node = Node(hub, parties, moderation, chat, cameras, clips, routed, rooms, gateway, invites)

    # An erased user (services/privacy.py): memberships ended in the shared state, and on
    # every node, as a kick does (the broker, nothing stored that would keep their id),
    # their sockets taken out of the parties and closed; this node's closed at once.
    async def close_erased(envelope: Envelope) -> None:
        if isinstance(envelope.event, Kicked) and envelope.event.reason == ERASED and envelope.to_user:
            await gateway.close_user(UserKey.parse(envelope.to_user))

    async def end_live_presence(key: UserKey) -> None:
        await parties.erased(key.tenant_id, key.user_id)
        await gateway.close_user(key)

    inbox.listen(close_erased)
    privacy.on_erased = end_live_presence

    app = web.Application(
        middlewares=[
            security_headers(config.frame_ancestors, policies.frame_ancestors),
            origins.cors(api_keys.tenant_of, auth.tenant_hint),
            handshake_limit(addresses, clock.now_ms),
            errors_as_json,
        ],
        client_max_size=config.max_packet_bytes,
    )
    app.on_response_prepare.append(origins.add_headers)
    app[SERVICE] = node
    app[STORE] = store
    app[CONFIG] = config
    app[SIO] = sio
    app[METRICS] = metrics
    sio.attach(app)
    checks = [("database", store.ping)] + ([("redis", cluster.ping)] if cluster else [])
    app.router.add_routes(HttpApi(metrics, checks, config.metrics_token).routes())
    web_dir = Path(config.web_dir) if config.web_dir else DEFAULT_WEB_DIR
    # The REST API: one declaration per endpoint, a family per module (edge/http/endpoint.py).
    clip_routes = ClipRoutes(clips, auth)
    rest = RestApi(
        auth,
        [
            PartyRoutes(parties),
            MemberRoutes(parties, moderation, clock),
            TokenRoutes(TokenService(auth.mint, clock, parties.get)),
            InviteRoutes(invites),
            ChatRoutes(chat, moderation, clock),
            ModerationRoutes(moderation, clock),
            clip_routes,
            PrivacyRoutes(privacy),
            TenantRoutes(policies),
            RevocationRoutes(auth),
            WebhookRoutes(WebhookAdmin(webhook_store, clock, outbox, hooks, wake=outbox.written)),
            ApiKeyEndpoints(api_keys, access),
            AnalyticsRoutes(analytics),
            FeedbackRoutes(feedback),
            DiscoveryRoutes(DiscoveryService(parties, SqlDiscovery(store), pseudonyms), config.base_url),
        ],
        clock.now_ms,
        api_keys=api_keys,
        plain=clip_routes.plain(),
    )
    app.router.add_routes(rest.routes())
    app[PRIVACY] = privacy
    app[ANALYTICS] = analytics
    app[BADGES] = badges
    app[FEEDBACK] = feedback
    # The page at / with the Open Graph tags of the party an invite link names.
    invite_page = InvitePage(invites, config.base_url)
    add_web_routes(app, web_dir, home=invite_page.page)
    app.router.add_get(OG_IMAGE_PATH, invite_page.image)

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
            delivering = asyncio.create_task(webhook_worker.run_forever())
            awarding = None
            if config.analytics:
                pipeline.start()
                awarding = asyncio.create_task(badges.run_forever())
            yield
            if awarding is not None:
                await stop(awarding)
            await stop(delivering)
            await webhook_sender.close()
            await stop(sweeper)
            await stop(revoker)
            if retention is not None:
                await stop(retention)
            await media_nodes.close()
            await relay.close()
            await jwks.close()
        # What members are owed (open reaction windows), then what the database is.
        await chat.close()
        await chat_hook_caller.close()
        await polls.close_service()
        await parties.close()
        await pipeline.close()  # the analytics this node still holds
        with contextlib.suppress(SyncError):
            await badges.settle()  # ... and the badges they earn
        await feedback.settle()  # prompts being put
        await outbox.close()  # the webhook events still queued
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


def make_runner(app: web.Application, **kwargs: Any) -> GuardedRunner:
    """The runner of an app made by ``create_app`` (``socialsync serve`` and the tests'
    servers): HTTP connections get the header deadline and the keep-alive timeout of
    its configuration (edge/deadlines.py). Other keyword arguments are AppRunner's."""
    config = app[CONFIG]
    return GuardedRunner(
        app,
        header_timeout_s=config.header_timeout_s,
        body_timeout_s=config.body_timeout_s,
        observer=app[METRICS],
        keepalive_timeout=config.keepalive_timeout_s,
        access_log=None,
        **kwargs,
    )


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


def analytics_keys(config: Config) -> list[bytes]:
    """The keys of viewers' pseudonyms, the current one first: ``analytics_key``, else one
    derived from ``secret_key``, else random for this process (nodes of a cluster then
    disagree); then ``analytics_previous_keys`` (for erasures after a rotation)."""
    if config.analytics_key:
        current = config.analytics_key.encode()
    elif config.secret_key:
        current = hmac.new(config.secret_key.encode(), b"socialsync analytics", hashlib.sha256).digest()
    else:
        if config.redis_url:
            log.warning("SOCIALSYNC_ANALYTICS_KEY unset: viewers' pseudonyms differ between nodes")
        current = secrets.token_bytes(32)
    previous = [k.strip().encode() for k in (config.analytics_previous_keys or "").split(",") if k.strip()]
    return [current, *previous]


def analytics_settings(config: Config) -> AnalyticsSettings:
    return AnalyticsSettings(
        queue=config.analytics_queue, batch=config.analytics_batch, flush_s=config.analytics_flush_s
    )


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


def webhook_settings(config: Config) -> WebhookSettings:
    """Private targets (SSRF): as configured, else only while listening on loopback."""
    allow = config.webhook_private_targets
    if allow is None:
        allow = config.host in ("localhost", "::1") or config.host.startswith("127.")
    schedule = RetrySchedule()
    if config.webhook_retry_s:
        try:
            schedule = parse_schedule(config.webhook_retry_s)
        except ValueError as exc:
            raise SystemExit(f"SOCIALSYNC_WEBHOOK_RETRY_S: {exc}") from None
    return WebhookSettings(schedule=schedule, allow_private=allow, timeout_s=config.webhook_timeout_s)


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


Page = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_web_routes(app: web.Application, web_dir: Path, home: Callable[[Path], Page] | None = None) -> None:
    """The demo page at / (served by ``home`` when given: the invite page), the moderation
    panel at /moderation/, the analytics dashboard at /dashboard/, and the built SDK,
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

    app.router.add_get("/", (home or page)(web_dir / "demo" / "index.html"))
    panel = page(web_dir / "moderation" / "index.html")
    app.router.add_get("/moderation", panel)
    app.router.add_get("/moderation/", panel)
    dashboard = page(web_dir / "dashboard" / "index.html")
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/dashboard/", dashboard)
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
