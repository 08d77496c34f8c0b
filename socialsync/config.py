"""Configuration from flags and SOCIALSYNC_* environment variables (flags win)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from socialsync.domain.party.machine import Rules

# The playback rules' defaults are the domain's own (one source).
_RULES = Rules()


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = "sqlite:///socialsync.db"
    # Scale-out: nodes sharing this Redis share parties (state, fan-out, timers,
    # presence). None: the embedded default, everything in this process.
    redis_url: str | None = None
    # This node's name in the cluster; default: host name and a random suffix.
    node_id: str | None = None
    # Prefix of every Redis key and channel (deployments or test runs sharing a Redis).
    redis_prefix: str = "ss"
    # A node's members leave this long after it stops heartbeating (it died).
    presence_ttl_ms: int = 10_000
    # "ours" (per-party channels, msgpack) or "stock" (python-socketio's
    # AsyncRedisManager: a baseline for the load tests, not for production).
    broker: str = "ours"
    log_level: str = "info"
    # Where users reach this server (invite links); defaults to http://host:port.
    public_url: str | None = None
    demo_tenant: bool = True
    # Playback rules (see socialsync.domain.party.machine.Rules for why each default).
    lead_ms: int = _RULES.lead_ms
    lead_margin_ms: int = _RULES.lead_margin_ms
    max_lead_ms: int = _RULES.max_lead_ms
    stall_threshold_ms: int = _RULES.stall_threshold_ms
    buffer_timeout_ms: int = _RULES.buffer_timeout_ms
    live_margin_s: float = _RULES.live_margin_s
    leave_grace_ms: int = _RULES.leave_grace_ms
    empty_ttl_ms: int = _RULES.empty_ttl_ms
    # Rate limits: chat burst/refill, reactions burst/refill, any event per socket
    # (the only source of these defaults: the services take them from here).
    chat_burst: float = 5
    chat_per_s: float = 1
    # In a user's first minute in a room, on top of the above.
    newcomer_chat_burst: float = 3
    newcomer_chat_per_s: float = 1 / 3
    reaction_burst: float = 20
    reaction_per_s: float = 20
    event_burst: float = 100
    event_per_s: float = 50
    reaction_window_ms: int = 250
    # permessage-deflate on WebSockets: off, it costs most of the fan-out's CPU.
    websocket_compression: bool = False
    # Broadcasts written straight to idle WebSockets (adapters/sio_tuning.py); off
    # is the load tests' baseline: a writer task per recipient, as engineio has it.
    websocket_direct_writes: bool = True
    # Largest Engine.IO packet accepted; a bigger one closes the connection.
    max_packet_bytes: int = 64 * 1024
    # Cameras (WebRTC relayed by this node): at most this many on at once per party.
    max_cameras: int = _RULES.max_cameras
    # Abuse limits (docs/privacy.md lists them all): cameras of one user at once (in
    # different parties); peer connections this node's relay holds (each holds UDP
    # sockets); how long ICE may take before a peer connection is closed.
    rtc_cameras_per_user: int = 2
    rtc_max_connections: int = 400
    rtc_ice_deadline_s: float = 15.0
    # New parties per user in any hour (REST and Socket.IO together).
    parties_per_hour: int = 20
    # Per client address, in memory only: open sockets, new connections (burst and
    # refill a second), new guest identities an hour. forwarded_for: the address is
    # X-Forwarded-For's last hop (only behind a balancer that sets it, as deploy/ does).
    connections_per_address: int = 64
    handshake_burst: float = 40
    handshake_per_s: float = 4
    guests_per_address_per_hour: int = 20
    forwarded_for: bool = False
    # A banned guest's client (a keyed hash of address and user agent, never the address)
    # stays banned this long across new guest identities (0: off). The key: the same on
    # every node of a cluster; unset, random per process (a warning in a cluster).
    guest_ban_ttl_s: int = 86_400
    fingerprint_key: str | None = field(default=None, repr=False)
    # A socket refused this many events in a row (rate_limited) is disconnected.
    flood_refusals: int = 50
    # Engine.IO sessions that do not authenticate (Socket.IO CONNECT) within this are closed.
    connect_deadline_s: float = 10.0
    # HTTP connections (edge/deadlines.py): one that has not sent its first request's
    # headers within header_timeout_s of opening is closed (slowloris; 0: no deadline);
    # one idle (or trickling its next request) keepalive_timeout_s after its last
    # response, or after it opened, is closed (aiohttp's keep-alive timeout).
    header_timeout_s: float = 10.0
    keepalive_timeout_s: float = 15.0
    # A request whose body has not all arrived this long after its headers closes its
    # connection (a body trickled a byte at a time; 0: no deadline).
    body_timeout_s: float = 30.0
    # /metrics needs "Authorization: Bearer <metrics_token>"; unset, it answers 404.
    metrics_token: str | None = None
    # Who may frame the pages (CSP frame-ancestors): space-separated origins of the
    # platforms embedding the widget; default this origin only.
    frame_ancestors: str = "'self'"
    # ICE servers for the clients and the relay, as JSON: [{"urls": "turn:...", "username": ..,
    # "credential": ..}]. None: host candidates only (fine on one network, or with a public IP).
    rtc_ice_servers: str | None = None
    # A TURN server for clients that cannot reach a relay directly (comma-separated
    # URLs, e.g. "turn:turn.example:3478,turns:turn.example:5349") and the secret it
    # shares with us: rtc.config hands each user credentials good for rtc_turn_ttl_s.
    rtc_turn_url: str | None = None
    rtc_turn_secret: str | None = None
    rtc_turn_ttl_s: int = 86_400
    # The IPv4 address clients reach this node's relay at, when it is not one of its
    # own (1:1 NAT, a container on the host's network): advertised in its candidates.
    rtc_public_address: str | None = None
    # A relay call routed to another node's media relay that gets no answer within
    # this is refused unavailable (above the relay's own 10 s negotiation bound).
    rtc_route_timeout_ms: int = 12_000
    # Tests only: ICE on 127.0.0.1 alone (aioice leaves loopback out by default).
    rtc_loopback: bool = False
    # The built web client (demo page, SDK, widget, sample media); default: web_client/build.
    web_dir: str | None = None
    # Reaction clips (members' camera recordings): where the files go (default: a
    # "clips" directory beside the SQLite file, or ./clips with PostgreSQL; the nodes
    # of a cluster must share it), and their bounds (the only source of their defaults).
    clip_dir: str | None = None
    clip_max_s: float = 30.0
    clip_max_bytes: int = 16 * 1024 * 1024
    clips_per_party: int = 200
    clip_recordings_per_party: int = 4
    # How long a clip's signed media URL works.
    clip_url_ttl_s: int = 3_600
    # The retention job (docs/privacy.md): one pass this often, by one node of the
    # cluster (a Redis lease); 0 turns it off on this node.
    retention_every_s: float = 3_600.0
    # Webhooks (docs/webhooks.md): may deliveries go to private, loopback or link-local
    # addresses (SSRF)? None: only while this server listens on loopback (a local demo).
    # Seconds between a delivery's attempts (None: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
    # 10 h); one attempt's time limit.
    webhook_private_targets: bool | None = None
    webhook_retry_s: str | None = None
    webhook_timeout_s: float = 10.0
    # Tenants' chat hooks (docs/chat-hook.md), under the webhooks' SSRF policy: calls in
    # flight per tenant on this node at most (beyond: the tenant's fallback at once).
    chat_hook_concurrency: int = 64
    # The Fernet key tenant secrets are sealed with at rest (SOCIALSYNC_SECRET_KEY).
    # Unset: a SQLite database gets a key file made 0600 beside it (socialsync.key);
    # PostgreSQL stores them unencrypted, with a warning.
    secret_key: str | None = field(default=None, repr=False)
    # Analytics (docs/analytics.md): on or off; viewers' pseudonyms are a keyed hash under
    # analytics_key (the same on every node; unset: derived from secret_key, else random per
    # process, a warning in a cluster); analytics_previous_keys (comma-separated) are the
    # keys before a rotation, still looked for by erasures. The request path's queue (full:
    # observations dropped, counted), events per batch, how long a batch may wait.
    analytics: bool = True
    analytics_key: str | None = field(default=None, repr=False)
    analytics_previous_keys: str | None = field(default=None, repr=False)
    analytics_queue: int = 20_000
    analytics_batch: int = 500
    analytics_flush_s: float = 1.0
    # Tokens whose exp - iat is longer are refused (a tenant may set its own).
    max_token_lifetime_s: int = 86_400
    # API keys, tenants' JWKS settings and allowed origins are read again after this (a
    # key revoked through another node stops working within it); a key's requests a
    # minute and burst where it has none of its own (docs/api-keys.md).
    access_cache_s: float = 30.0
    api_key_per_minute: int = 600
    api_key_burst: int = 60
    # A tenant's JWKS: fetched with this timeout, kept for its Cache-Control max-age
    # (else jwks_ttl_s), fetched again at most every jwks_refetch_s for an unknown kid.
    jwks_timeout_s: float = 5.0
    jwks_ttl_s: float = 300.0
    jwks_refetch_s: float = 60.0

    @property
    def rules(self) -> Rules:
        return Rules(
            lead_ms=self.lead_ms,
            lead_margin_ms=self.lead_margin_ms,
            max_lead_ms=max(self.lead_ms, self.max_lead_ms),
            stall_threshold_ms=self.stall_threshold_ms,
            buffer_timeout_ms=self.buffer_timeout_ms,
            live_margin_s=self.live_margin_s,
            leave_grace_ms=self.leave_grace_ms,
            empty_ttl_ms=self.empty_ttl_ms,
            max_cameras=self.max_cameras,
        )

    @property
    def clips_path(self) -> str:
        if self.clip_dir:
            return self.clip_dir
        url = self.database_url
        if url.startswith("sqlite") and ":///" in url and ":memory:" not in url:
            return os.path.join(os.path.dirname(url.split(":///", 1)[1]) or ".", "clips")
        return "clips"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Config:
        """Defaults, then SOCIALSYNC_<NAME> variables, then explicit overrides (flags)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"SOCIALSYNC_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _convert(f.type, raw, f.name)
        for name, value in (overrides or {}).items():
            if value is not None:
                values[name] = value
        return cls(**values)


def _convert(type_name: Any, raw: str, name: str) -> Any:
    kind = str(type_name)
    try:
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
        if kind.startswith("bool"):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
    except ValueError:
        raise SystemExit(f"SOCIALSYNC_{name.upper()}: cannot read {raw!r} as {kind}") from None
    return raw
