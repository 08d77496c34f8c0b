"""The webhooks' service on the memory store: the outbox's bounded queue (back-pressure,
counted, nothing dropped), party transitions into events and the summary, the worker's
lease (one worker leads per period), an attempt's outcome, endpoints' management."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Mapping, Sequence

import pytest

from socialsync.adapters.memory.lease import MemoryLease
from socialsync.adapters.memory.webhooks import MemoryWebhookStore
from socialsync.domain import webhooks as w
from socialsync.domain.access import Caller, Scope
from socialsync.domain.errors import SyncError
from socialsync.domain.model import Media, TenantRole, User
from socialsync.domain.party import commands as c
from socialsync.domain.party.machine import PartyMachine, create_party
from socialsync.ports.webhooks import SendResult
from socialsync.services.webhooks import WebhookAdmin, WebhookDelivery, WebhookOutbox, WebhookSettings

T0 = 1_800_000_000_000
ADMIN = Caller(User("admin", "Admin", "t1", frozenset({TenantRole.ADMIN})))


class Clock:
    def __init__(self) -> None:
        self.ms = T0

    def now_ms(self) -> int:
        return self.ms


class Observer:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def webhook_outbox_full(self) -> None:
        self.counts["full"] += 1

    def webhook_outbox_late(self) -> None:
        self.counts["late"] += 1

    def webhook_delivery(self, outcome: str, seconds: float) -> None:
        self.counts[outcome] += 1

    def webhook_endpoint_disabled(self, reason: str) -> None:
        self.counts[f"disabled:{reason}"] += 1

    def set_aside(self, what: str) -> None:
        self.counts["set_aside"] += 1


class SlowStore(MemoryWebhookStore):
    """Writes only while ``open`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.open = asyncio.Event()
        self.writes = 0

    async def add_events(
        self, outbox: Sequence[w.OutboxEvent], reactions: Mapping[str, int] | None = None
    ) -> int:
        await self.open.wait()
        self.writes += 1
        return await super().add_events(outbox, reactions)


class Sender:
    def __init__(self, *statuses: int | None) -> None:
        self.statuses = list(statuses)
        self.posts: list[tuple[str, dict[str, str], bytes]] = []

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult:
        self.posts.append((url, dict(headers), body))
        return SendResult(self.statuses.pop(0) if self.statuses else 200, 3)


def events(n: int) -> list[w.OutboxEvent]:
    return [w.OutboxEvent(f"evt_{n}", "t1", "party.created", T0, "{}")]


async def until(condition, timeout_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_a_full_queue_makes_emitters_wait_counts_it_and_drops_nothing() -> None:
    store, observer = SlowStore(), Observer()
    outbox = WebhookOutbox(store, Clock(), observer, WebhookSettings(queue_events=3, commit_wait_s=30))
    emits = [asyncio.create_task(outbox.emit(events(i))) for i in range(8)]
    await until(lambda: outbox.queued == 3 and observer.counts["full"] >= 1)
    assert not any(t.done() for t in emits)  # waiting: for room, or for their commit
    store.open.set()
    await asyncio.gather(*emits)
    assert len(await store.unfanned(100)) == 8 and outbox.queued == 0
    assert observer.counts["full"] == 5  # each emitter that found the queue full, once
    await outbox.close()


async def test_an_emit_waits_for_its_commit_at_most_commit_wait_s_then_stays_queued() -> None:
    store, observer = SlowStore(), Observer()
    outbox = WebhookOutbox(store, Clock(), observer, WebhookSettings(commit_wait_s=0.05))
    await outbox.emit(events(1))
    assert observer.counts["late"] == 1 and outbox.queued == 1
    store.open.set()
    await until(lambda: outbox.queued == 0)
    assert len(await store.unfanned(10)) == 1
    await outbox.close()


async def test_a_partys_life_becomes_events_and_a_summary_with_its_reactions() -> None:
    store, clock = MemoryWebhookStore(), Clock()
    outbox = WebhookOutbox(store, clock, Observer(), WebhookSettings())
    await store.add_endpoint(w.Endpoint("ep_1", "t1", "https://x.example/", "", (), T0, T0), "whsec_AAAA")
    machine = PartyMachine()
    ann, bob = User("ann", "Ann", "t1"), User("bob", "Bob", "t1")
    made = create_party("p1", ann, "Film", Media("https://m/a.mp4"), _settings(), T0, machine.rules)
    await outbox.party_changed(None, made)
    party = made.party
    for step, command in enumerate(
        [c.Join(ann, "s1"), c.Join(bob, "s2"), c.Control("ann", c.Action.PLAY), c.End("ann")], start=1
    ):
        clock.ms = T0 + step * 10_000
        transition = machine.handle(party, command, clock.ms)
        if command == c.End("ann"):
            outbox.reacted("p1", 5)
        await outbox.party_changed(party, transition)
        party = transition.party
    written = await store.unfanned(100)
    assert [e.type for e in written] == [
        "party.created",
        "member.joined",
        "member.joined",
        "party.started",
        "party.ended",
        "party.summary",
    ]
    summary = json.loads(written[-1].body)["data"]
    assert summary["members"] == 2 and summary["reactions"] == 5
    assert summary["watch_time_s"] == 40.0 + 20.0
    await outbox.close()


async def test_a_tenant_without_endpoints_writes_nothing() -> None:
    store = MemoryWebhookStore()
    outbox = WebhookOutbox(store, Clock(), Observer(), WebhookSettings())
    made = create_party("p1", User("ann", "Ann", "t1"), "Film", Media("https://m/a.mp4"), _settings(), T0)
    await outbox.party_changed(None, made)
    assert await store.unfanned(10) == []


async def test_one_worker_leads_each_period_and_the_leader_keeps_the_next() -> None:
    clock = Clock()
    lease = MemoryLease(clock)
    settings = WebhookSettings(lease_period_ms=2_000)
    a, b = (WebhookDelivery(MemoryWebhookStore(), clock, lease, Sender(), Observer(), settings) for _ in "ab")
    clock.ms = 1_000_000  # a period's start
    assert await a._lead() and not await b._lead()
    clock.ms += 1_600  # inside the last 500 ms: the leader takes the next period early
    assert await a._lead() and not await b._lead()
    clock.ms += 1_000
    assert await a._lead() and not await b._lead()
    clock.ms += 10_000  # the leader went quiet: its periods lapse, the other takes over
    assert await b._lead() and not await a._lead()


async def test_the_worker_signs_posts_and_records_retries_then_success() -> None:
    store, clock, observer = MemoryWebhookStore(), Clock(), Observer()
    sender = Sender(500, 200)
    schedule = w.RetrySchedule((1_000,))
    worker = WebhookDelivery(
        store, clock, MemoryLease(clock), sender, observer, WebhookSettings(schedule=schedule)
    )
    secret = w.secret_from_bytes(b"s" * 24)
    await store.add_endpoint(w.Endpoint("ep_1", "t1", "https://x.example/in", "", (), T0, T0), secret)
    await store.add_events([w.OutboxEvent("evt_1", "t1", "party.created", T0, '{"a":1}')])
    assert await worker.deliver_once()
    await until(lambda: observer.counts["retry"] == 1)
    clock.ms += 1_000
    assert await worker.deliver_once()
    await until(lambda: observer.counts["delivered"] == 1)
    (first, second) = sender.posts
    assert first[1]["webhook-id"] == second[1]["webhook-id"] == w.delivery_id("evt_1", "ep_1")
    assert w.verify(secret, second[1], second[2], clock.ms / 1000) == {"a": 1}
    (delivery,) = await store.deliveries("t1", None, None, 10)
    assert delivery.status is w.DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert not await worker.deliver_once()  # nothing left


async def test_410_disables_and_the_outbox_forgets_the_tenant_listens() -> None:
    store, clock, observer = MemoryWebhookStore(), Clock(), Observer()
    outbox = WebhookOutbox(store, clock, observer, WebhookSettings())
    worker = WebhookDelivery(
        store, clock, MemoryLease(clock), Sender(410), observer, WebhookSettings(), on_disabled=outbox.changed
    )
    await store.add_endpoint(w.Endpoint("ep_1", "t1", "https://x.example/in", "", (), T0, T0), "whsec_AAAA")
    assert await outbox.listening("t1")
    await store.add_events([w.OutboxEvent("evt_1", "t1", "party.created", T0, "{}")])
    await worker.deliver_once()
    await until(lambda: observer.counts["disabled:gone"] == 1)
    assert not await outbox.listening("t1")


async def test_endpoints_are_for_admins_and_keys_with_the_scope() -> None:
    store, clock = MemoryWebhookStore(), Clock()
    admin = WebhookAdmin(
        store, clock, WebhookOutbox(store, clock, Observer(), WebhookSettings()), WebhookSettings()
    )
    made, secret = await admin.create(ADMIN, "https://x.example/in", ["party.*"], "ops")
    assert secret.startswith("whsec_") and await store.secrets("t1", made.id, T0) == (secret,)
    viewer = Caller(User("v", "V", "t1"))
    keyed = Caller(
        User("k", "K", "t1", frozenset({TenantRole.ADMIN})), frozenset({Scope.PARTIES_WRITE}), "k1"
    )
    for caller in (viewer, keyed):
        with pytest.raises(SyncError):
            await admin.endpoints(caller)
    with pytest.raises(SyncError, match="private"):
        await admin.create(ADMIN, "http://127.0.0.1:9/", [], None)
    rotated, new = await admin.rotate(ADMIN, made.id)
    assert new != secret and await store.secrets("t1", made.id, T0) == (new, secret)
    assert rotated.rotated_until_ms == T0 + w.ROTATION_OVERLAP_MS
    off = await admin.update(ADMIN, made.id, enabled=False)
    assert not off.enabled and off.disabled_reason == "manual"
    with pytest.raises(SyncError, match="disabled"):
        await admin.ping(ADMIN, made.id)
    await admin.update(ADMIN, made.id, enabled=True)
    ping = await admin.ping(ADMIN, made.id)
    assert ping.event_type == "webhook.test"
    page, more = await admin.deliveries(ADMIN, made.id, None, 10)
    assert [d.id for d in page] == [ping.id] and more is None
    await admin.delete(ADMIN, made.id)
    with pytest.raises(SyncError):
        await admin.endpoint(ADMIN, made.id)


def _settings():
    from socialsync.domain.model import Settings

    return Settings()
