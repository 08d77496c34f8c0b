"""What the service needs from the world. Each port has a memory implementation (the
embedded default and the test double) and, where it matters, a networked one.

Delivery and consistency guarantees are part of each contract and are checked by
the shared contract suites in tests/contract.
"""

from __future__ import annotations

from socialsync.ports.broker import Broker, Envelope, Handler, LocalDelivery
from socialsync.ports.clock import Clock
from socialsync.ports.media import Relay
from socialsync.ports.messages import MessageStore, RecentMessages
from socialsync.ports.moderation import ModerationContext, Moderator, Verdict
from socialsync.ports.observer import Observer
from socialsync.ports.parties import PartyStore
from socialsync.ports.presence import Presence
from socialsync.ports.timers import Timers

__all__ = [
    "Broker",
    "Clock",
    "Envelope",
    "Handler",
    "LocalDelivery",
    "MessageStore",
    "ModerationContext",
    "Moderator",
    "Observer",
    "PartyStore",
    "Presence",
    "RecentMessages",
    "Relay",
    "Timers",
    "Verdict",
]
