"""What the service needs from the world. Each port has a memory implementation (the
embedded default and the test double) and, where it matters, a networked one.

Delivery and consistency guarantees are part of each contract and are checked by
the shared contract suites in tests/contract.
"""

from __future__ import annotations

from socialsync.ports.broker import Broker, Envelope, Handler, LocalDelivery, Packet, PacketHandler
from socialsync.ports.clip_store import ClipStore
from socialsync.ports.clock import Clock
from socialsync.ports.media import MediaNodes, MediaRelay, Relay, RelayHost
from socialsync.ports.messages import MessageStore, RecentMessages
from socialsync.ports.moderation import ModerationContext, Moderator, Verdict
from socialsync.ports.moderation_store import ModerationStore
from socialsync.ports.observer import Observer
from socialsync.ports.parties import PartyStore
from socialsync.ports.presence import Presence
from socialsync.ports.timers import Timers

__all__ = [
    "Broker",
    "ClipStore",
    "Clock",
    "Envelope",
    "Handler",
    "LocalDelivery",
    "MediaNodes",
    "MediaRelay",
    "MessageStore",
    "ModerationContext",
    "ModerationStore",
    "Moderator",
    "Observer",
    "Packet",
    "PacketHandler",
    "PartyStore",
    "Presence",
    "RecentMessages",
    "Relay",
    "RelayHost",
    "Timers",
    "Verdict",
]
