"""Prometheus metrics, in a registry of the app's own (no process globals)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from socialsync.domain.party.health import DriftSummary

_ACK_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_DRIFT_BUCKETS = (0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 5.0)
# A party whose members' p95 is beyond this is out of sync (the product's promise: 80 ms).
PARTY_OUT_OF_SYNC_S = 0.08


class PartyDrift(Collector):
    """Each party's drift p50/p95 (over its last minute of reports to this node), read at
    scrape time. A label per party would be unbounded cardinality (and a party's id is its
    invite secret), so the parties are counted into buckets by their p95 and p50 (a gauge
    histogram: how many parties are how far apart now), beside a count of the parties out
    of sync. Where a party is out of sync, the REST API says for that party."""

    def __init__(self, summaries: Callable[[], Iterable[DriftSummary]]) -> None:
        self.summaries = summaries

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        found = list(self.summaries())
        for quantile, values in (
            ("p95", [s.p95_ms / 1000 for s in found]),
            ("p50", [s.p50_ms / 1000 for s in found]),
        ):
            buckets = [(str(le), float(sum(1 for v in values if v <= le))) for le in _DRIFT_BUCKETS]
            buckets.append(("+Inf", float(len(values))))
            yield GaugeHistogramMetricFamily(
                f"socialsync_party_drift_{quantile}_seconds",
                f"Parties by the {quantile} of their members' reported |drift| over the last minute",
                buckets=buckets,
                gsum_value=sum(values),
            )
        out = sum(1 for s in found if s.p95_ms / 1000 > PARTY_OUT_OF_SYNC_S)
        yield GaugeMetricFamily(
            "socialsync_parties_out_of_sync",
            f"Parties whose members' drift p95 is over {PARTY_OUT_OF_SYNC_S * 1000:.0f} ms",
            value=out,
        )


class Metrics:
    def __init__(
        self,
        sockets: Callable[[], float],
        parties: Callable[[], float],
        members: Callable[[], float],
        party_drift: Callable[[], Iterable[DriftSummary]] = lambda: (),
    ) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        r.register(PartyDrift(party_drift))
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
        self.limits = Counter("socialsync_limited", "Refusals by an abuse limit", ["limit"], registry=r)
        self.poisoned = Counter(
            "socialsync_set_aside", "Writes the database refused, set aside", ["what"], registry=r
        )
        self.webhook_queue = Counter(
            "socialsync_webhook_outbox_waits",
            "Webhook events that waited for room in the outbox's queue (full: back-pressure), "
            "or were not written within the wait (late: still queued)",
            ["why"],
            registry=r,
        )
        self.webhook_attempts = Histogram(
            "socialsync_webhook_attempt_seconds",
            "Webhook delivery attempts by outcome (delivered, retry, failed) and duration",
            ["outcome"],
            buckets=(*_ACK_BUCKETS[4:], 5.0, 10.0),
            registry=r,
        )
        self.webhook_disabled = Counter(
            "socialsync_webhook_endpoints_disabled", "Webhook endpoints disabled", ["reason"], registry=r
        )
        self.analytics_lost = Counter(
            "socialsync_analytics_dropped",
            "Analytics observations or batches dropped (queue full, buffer full past the wait)",
            ["stage"],
            registry=r,
        )
        self.analytics_events = Counter(
            "socialsync_analytics_events_committed", "Analytics events committed to the store", registry=r
        )
        self.chat_hook_outcomes = Counter(
            "socialsync_chat_hook",
            "Chat messages at tenants' chat hooks, by outcome (allowed, masked, rejected, timeout,"
            " error, busy: over the tenant's cap, not called)",
            ["outcome"],
            registry=r,
        )
        self.chat_hook_seconds = Histogram(
            "socialsync_chat_hook_seconds",
            "Time a chat hook call took (the deadline included), by outcome",
            ["outcome"],
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0),
            registry=r,
        )

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

    def limited(self, limit: str) -> None:
        self.limits.labels(limit).inc()

    def set_aside(self, what: str) -> None:
        self.poisoned.labels(what).inc()

    # WebhookObserver of the webhooks' service
    def webhook_outbox_full(self) -> None:
        self.webhook_queue.labels("full").inc()

    def webhook_outbox_late(self) -> None:
        self.webhook_queue.labels("late").inc()

    def webhook_delivery(self, outcome: str, seconds: float) -> None:
        self.webhook_attempts.labels(outcome).observe(seconds)

    def webhook_endpoint_disabled(self, reason: str) -> None:
        self.webhook_disabled.labels(reason).inc()

    # AnalyticsObserver of the analytics pipeline
    def analytics_dropped(self, stage: str) -> None:
        self.analytics_lost.labels(stage).inc()

    def analytics_committed(self, events: int) -> None:
        self.analytics_events.inc(events)

    # ChatHookObserver of the chat hooks
    def chat_hook(self, outcome: str, seconds: float | None) -> None:
        self.chat_hook_outcomes.labels(outcome).inc()
        if seconds is not None:
            self.chat_hook_seconds.labels(outcome).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
