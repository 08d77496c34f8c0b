"""Prometheus metrics, in a registry of the app's own (no process globals)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_ACK_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_DRIFT_BUCKETS = (0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 5.0)


class Metrics:
    def __init__(
        self,
        sockets: Callable[[], float],
        parties: Callable[[], float],
        members: Callable[[], float],
    ) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        Gauge("socialsync_sockets", "Connected Socket.IO sockets", registry=r).set_function(sockets)
        Gauge("socialsync_parties", "Parties live on this node", registry=r).set_function(parties)
        Gauge("socialsync_members", "Members of the parties live on this node", registry=r).set_function(
            members
        )
        self.events = Counter("socialsync_events", "Client events received", ["event", "outcome"], registry=r)
        self.ack_seconds = Histogram(
            "socialsync_ack_seconds",
            "Time from receiving an event to answering it",
            ["event"],
            buckets=_ACK_BUCKETS,
            registry=r,
        )
        self.drift_seconds = Histogram(
            "socialsync_drift_seconds",
            "Members' reported distance from the party position",
            buckets=_DRIFT_BUCKETS,
            registry=r,
        )
        self.messages = Counter("socialsync_messages", "Messages published", ["kind"], registry=r)
        self.connects = Counter("socialsync_connects", "Connection attempts", ["outcome"], registry=r)

    # Observer protocol of the service
    def drift(self, drift_s: float) -> None:
        self.drift_seconds.observe(abs(drift_s))

    def message(self, kind: str) -> None:
        self.messages.labels(kind).inc()

    def connected(self, outcome: str) -> None:
        self.connects.labels(outcome).inc()

    def answered(self, event: str, outcome: str, seconds: float) -> None:
        self.events.labels(event, outcome).inc()
        self.ack_seconds.labels(event).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
