"""The WebhookStore contract (ports/webhooks.py), run against the memory store, SQLite
and PostgreSQL: endpoints and their sealed secrets, the outbox written in a change's own
transaction, fan-out once per event and endpoint, claiming (two workers never hold one
delivery at once), recording attempts, the delivery log, summaries' records."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from services import scratch_postgres_database

from socialsync.adapters.memory.clip_store import MemoryClipStore
from socialsync.adapters.memory.message_store import MemoryMessageStore
from socialsync.adapters.memory.moderation_store import MemoryModerationStore
from socialsync.adapters.memory.webhooks import MemoryWebhookStore
from socialsync.adapters.sql.clip_store import SqlClipStore
from socialsync.adapters.sql.moderation_store import SqlModerationStore
from socialsync.adapters.sql.secrets import SecretBox
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.adapters.sql.webhooks import SqlWebhookStore
from socialsync.domain import webhooks as w
from socialsync.domain.chat.messages import MessageDraft
from socialsync.domain.clips import Clip, ClipStatus
from socialsync.domain.model import Media, Party, Playback, Settings
from socialsync.domain.moderation.sanctions import AuditEntry, Report
from socialsync.domain.tenant import Tenant
from socialsync.ports import ClipStore, MessageStore, ModerationStore
from socialsync.ports.webhooks import WebhookStore

NOW = 1_800_000_000_000
SECRET = w.secret_from_bytes(b"k" * 24)
TTL = 30_000


@dataclasses.dataclass
class Hooks:
    store: WebhookStore
    other: WebhookStore  # another node's instance on the same backing store
    messages: MessageStore
    moderation: ModerationStore
    clips: ClipStore
    url: str | None = None  # the database (SQL)


@pytest.fixture(
    scope="module", params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str | None]:
    """One migrated database per backend for the module (None: memory); each test
    empties it first (a scratch database per test would cost a second or two each)."""
    if request.param == "memory":
        yield None
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('webhooks') / 'store.db'}"
        asyncio.run(upgrade_database(url))
        yield url
        return
    # One runner for the scratch database's whole life (asyncio.run would finalise its
    # context manager, dropping the database, as soon as it returned).
    with asyncio.Runner() as runner:
        scratch = scratch_postgres_database()
        url = runner.run(scratch.__aenter__())
        try:
            runner.run(upgrade_database(url))
            yield url
        finally:
            runner.run(scratch.__aexit__(None, None, None))


# Children first (foreign keys).
_TABLES = (
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_events",
    "webhook_endpoints",
    "webhook_party_stats",
    "audit_log",
    "reports",
    "held_messages",
    "clip_reports",
    "clips",
    "messages",
    "parties",
    "tenants",
)


@pytest.fixture
async def hooks(database: str | None) -> AsyncIterator[Hooks]:
    if database is None:
        messages = MemoryMessageStore()
        store = MemoryWebhookStore(messages)
        made = Hooks(store, store, messages, MemoryModerationStore(messages, store), MemoryClipStore(store))
        await _tenants(made)
        yield made
        return
    box = SecretBox(Fernet.generate_key())
    one = await SqlStore.open(database, box=box)
    two = await SqlStore.open(database, box=box)
    try:
        async with one._writer.begin() as conn:
            for table in _TABLES:
                await conn.execute(sa.text(f"DELETE FROM {table}"))
        made = Hooks(
            SqlWebhookStore(one),
            SqlWebhookStore(two),
            one,
            SqlModerationStore(one),
            SqlClipStore(one),
            database,
        )
        await _tenants(made)
        yield made
    finally:
        await one.close()
        await two.close()


async def _tenants(h: Hooks) -> None:
    for tenant_id, party_id in (("t1", "p1"), ("t2", "p2")):
        await h.messages.add_tenant(Tenant(tenant_id, tenant_id, "s", True, NOW))
        media = Media("https://cdn.example/film.mp4")
        await h.messages.record_party(
            Party(party_id, tenant_id, "Night", NOW, "u0", Settings(), Playback(media))
        )


def endpoint(endpoint_id: str = "ep_1", tenant_id: str = "t1", **kw: object) -> w.Endpoint:
    made = w.Endpoint(endpoint_id, tenant_id, f"https://{endpoint_id}.example/in", "", (), NOW, NOW)
    return dataclasses.replace(made, **kw)  # type: ignore[arg-type]


def event(uid: str, kind: str = "party.created", tenant_id: str = "t1", **kw: object) -> w.OutboxEvent:
    body = '{"type":"' + kind + '","data":{}}'
    made = w.OutboxEvent(uid, tenant_id, kind, NOW, body, "p1" if tenant_id == "t1" else "p2")
    return dataclasses.replace(made, **kw)  # type: ignore[arg-type]


async def fanned(h: Hooks, *events: w.OutboxEvent) -> list[w.Delivery]:
    """The events written and fanned out to every endpoint of their tenant: their deliveries."""
    await h.store.add_events(events)
    pending = await h.store.unfanned(100)
    endpoints = await h.store.enabled_endpoints(["t1", "t2"])
    new = [
        w.NewDelivery(w.delivery_id(e.uid, p.id), e.id, p.id, e.tenant_id, NOW)
        for e in pending
        for p in endpoints
        if w.receives(p, e)
    ]
    await h.store.fan_out([e.id for e in pending], new)
    return await h.store.deliveries("t1", None, None, 1_000) + await h.store.deliveries(
        "t2", None, None, 1_000
    )


def record(
    claimed: w.Claimed, status: int | None, at_ms: int = NOW, failing: int | None = None
) -> w.AttemptRecord:
    d = claimed.delivery
    decision = w.RetrySchedule().decide(d.attempts + 1, status, at_ms, failing)
    attempt = w.Attempt(d.id, d.attempts + 1, at_ms, status, 12, None if status else "refused")
    return w.AttemptRecord(d.seq, claimed.claim, d.endpoint_id, attempt, decision)


# --- endpoints ---------------------------------------------------------------------------


async def test_endpoints_round_trip_per_tenant(hooks: Hooks) -> None:
    store = hooks.store
    one = endpoint(event_types=("party.*", "member.joined"), description="ops")
    await store.add_endpoint(one, SECRET)
    await store.add_endpoint(endpoint("ep_2", "t2"), SECRET)
    assert await store.endpoint("t1", "ep_1") == one
    assert await store.endpoint("t2", "ep_1") is None  # another tenant's does not exist
    assert [e.id for e in await store.endpoints("t1")] == ["ep_1"]
    assert await store.count_endpoints("t1") == 1
    changed = dataclasses.replace(one, url="https://new.example/", enabled=False, disabled_reason="manual")
    assert await store.update_endpoint(changed)
    assert await store.endpoint("t1", "ep_1") == changed
    assert not await store.listening("t1") and await store.listening("t2")
    assert not await store.update_endpoint(dataclasses.replace(changed, tenant_id="t2"))
    assert not await store.delete_endpoint("t2", "ep_1")
    assert await store.delete_endpoint("t1", "ep_1")
    assert await store.endpoints("t1") == []


async def test_secrets_are_sealed_at_rest_and_a_rotation_signs_with_both_until_its_end(hooks: Hooks) -> None:
    store = hooks.store
    await store.add_endpoint(endpoint(), SECRET)
    assert await store.secrets("t1", "ep_1", NOW) == (SECRET,)
    new = w.secret_from_bytes(b"n" * 24)
    assert await store.rotate_secret("t1", "ep_1", new, NOW + 1_000, NOW)
    assert await hooks.other.secrets("t1", "ep_1", NOW + 999) == (new, SECRET)
    assert await hooks.other.secrets("t1", "ep_1", NOW + 1_000) == (new,)
    assert (await store.endpoint("t1", "ep_1")).rotated_until_ms == NOW + 1_000  # type: ignore[union-attr]
    assert await store.secrets("t2", "ep_1", NOW) == ()
    assert not await store.rotate_secret("t2", "ep_1", new, NOW, NOW)
    if hooks.url is not None:
        stored = await _column(hooks.url, "SELECT secret, previous_secret FROM webhook_endpoints")
        assert all(s.startswith("fernet:") and "whsec" not in s for s in stored[0])


async def _column(url: str, query: str) -> list[tuple[str, ...]]:
    from socialsync.adapters.sql.engine import make_engine

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(sa.text(query))]
    finally:
        await engine.dispose()


# --- the outbox ---------------------------------------------------------------------------


async def test_events_with_a_dedupe_key_are_written_once(hooks: Hooks) -> None:
    keyed = event("evt_1", dedupe_key="party.started:p1")
    assert await hooks.store.add_events([keyed, event("evt_2")]) == 2
    assert await hooks.other.add_events([dataclasses.replace(keyed, uid="evt_3")]) == 0
    assert [e.uid for e in await hooks.store.unfanned(10)] == ["evt_1", "evt_2"]


async def test_a_changes_events_are_written_in_its_transaction_or_not_at_all(hooks: Hooks) -> None:
    entry = AuditEntry("t1", "p1", "mod", "Moe", "ban", NOW, target_user="u1")
    stored = await hooks.moderation.audit(entry, outbox=lambda e: [_stamped(w.moderation_action(e))])
    (written,) = await hooks.store.unfanned(10)
    assert written.type == "moderation.action" and f'"audit_id":{stored.id}' in written.body

    def refuse(_: object) -> list[w.OutboxEvent]:
        raise RuntimeError("the change fails after its insert")

    with pytest.raises(Exception, match="after its insert"):
        await hooks.moderation.audit(dataclasses.replace(entry, action="kick"), outbox=refuse)
    assert [e.action for e in await hooks.moderation.audit_entries("t1", None, None, 10)] == ["ban"]
    assert len(await hooks.store.unfanned(10)) == 1


async def test_reports_and_clips_write_their_events_only_when_they_change_something(hooks: Hooks) -> None:
    message, _ = await hooks.messages.append(MessageDraft("p1", "u1", "Ann", "hi", NOW, "n1"))
    report = Report("p1", message.id, "u2", "Bo", "rude", NOW)

    def reported(n: int) -> list[w.OutboxEvent]:
        return [_stamped(w.message_reported("t1", report, n))]

    assert await hooks.moderation.report(report, outbox=reported) == 1
    assert await hooks.moderation.report(report, outbox=reported) is None  # a repeat
    clip = Clip("c1", "t1", "p1", "u1", "Ann", "m", 1.0, 2.0, NOW, "p1/c1.webm", "video/webm", 9, 2, 2)
    await hooks.clips.add(clip, outbox=lambda c: [_stamped(w.clip_recorded(c))])
    removed = lambda _: [_stamped(w.clip_removed(clip, "reported", NOW))]  # noqa: E731
    assert await hooks.clips.set_status("c1", ClipStatus.VISIBLE, ClipStatus.HELD, outbox=removed)
    assert not await hooks.clips.set_status("c1", ClipStatus.VISIBLE, ClipStatus.HELD, outbox=removed)
    assert await hooks.clips.delete("c1", outbox=removed)
    assert not await hooks.clips.delete("c1", outbox=removed)
    kinds = [e.type for e in await hooks.store.unfanned(10)]
    assert kinds == ["message.reported", "clip.recorded", "clip.removed", "clip.removed"]


def _stamped(draft: w.EventDraft) -> w.OutboxEvent:
    return w.outbox_event(draft, f"evt_{id(draft)}_{draft.type}")


async def test_fan_out_makes_one_delivery_per_event_and_endpoint_even_when_repeated(hooks: Hooks) -> None:
    await hooks.store.add_endpoint(endpoint("ep_1"), SECRET)
    await hooks.store.add_endpoint(endpoint("ep_2"), SECRET)
    await hooks.store.add_endpoint(endpoint("ep_3", "t2"), SECRET)
    deliveries = await fanned(hooks, event("evt_1"), event("evt_2", tenant_id="t2"))
    assert sorted((d.endpoint_id, d.event_uid) for d in deliveries) == [
        ("ep_1", "evt_1"),
        ("ep_2", "evt_1"),
        ("ep_3", "evt_2"),
    ]
    assert all(d.status is w.DeliveryStatus.PENDING and d.attempts == 0 for d in deliveries)
    assert await hooks.store.unfanned(10) == []
    # The same fan-out again (a worker that died before it knew it had committed).
    (evt,) = [e for e in [event("evt_1")]]
    first = deliveries[0]
    again = w.NewDelivery(first.id, 1, first.endpoint_id, "t1", NOW)
    await hooks.other.fan_out([1], [again])
    assert len(await hooks.store.deliveries("t1", None, None, 100)) == 2
    assert evt.uid == "evt_1"


async def test_a_delivery_to_an_endpoint_deleted_meanwhile_is_dropped(hooks: Hooks) -> None:
    await hooks.store.add_events([event("evt_1")])
    (pending,) = await hooks.store.unfanned(10)
    await hooks.store.fan_out([pending.id], [w.NewDelivery("msg_x", pending.id, "ep_gone", "t1", NOW)])
    assert await hooks.store.deliveries("t1", None, None, 10) == []
    assert await hooks.store.unfanned(10) == []


# --- claiming and recording ----------------------------------------------------------------


async def test_claim_takes_due_deliveries_to_enabled_endpoints_until_the_claim_lapses(hooks: Hooks) -> None:
    await hooks.store.add_endpoint(endpoint("ep_1"), SECRET)
    await hooks.store.add_endpoint(endpoint("ep_2", enabled=False), SECRET)
    await fanned(hooks, event("evt_1"))
    await hooks.store.update_endpoint(endpoint("ep_2"))  # on again: its delivery was never made
    assert await hooks.store.claim(NOW - 1, 10, TTL, "a") == []  # not due yet
    (claimed,) = await hooks.store.claim(NOW, 10, TTL, "a")
    assert claimed.url == "https://ep_1.example/in" and claimed.secrets == (SECRET,)
    assert claimed.body == '{"type":"party.created","data":{}}' and claimed.claim == "a"
    assert await hooks.other.claim(NOW + TTL - 1, 10, TTL, "b") == []
    (taken,) = await hooks.other.claim(NOW + TTL + 1, 10, TTL, "b")
    assert taken.delivery.id == claimed.delivery.id
    # The first claimer's attempt, recorded late, changes nothing.
    await hooks.store.finish([record(claimed, 200)])
    assert (await hooks.store.deliveries("t1", None, None, 1))[0].status is w.DeliveryStatus.PENDING


async def test_two_workers_claiming_at_once_never_hold_the_same_delivery(hooks: Hooks) -> None:
    await hooks.store.add_endpoint(endpoint("ep_1"), SECRET)
    await fanned(hooks, *(event(f"evt_{i}") for i in range(60)))
    claims: dict[str, list[str]] = {"a": [], "b": []}

    async def worker(store: WebhookStore, name: str) -> None:
        while True:
            got = await store.claim(NOW, 7, TTL, name)
            if not got:
                return
            claims[name] += [c.delivery.id for c in got]
            await store.finish([record(c, 200) for c in got])

    await asyncio.gather(worker(hooks.store, "a"), worker(hooks.other, "b"))
    every = claims["a"] + claims["b"]
    assert len(every) == len(set(every)) == 60
    assert all(
        d.status is w.DeliveryStatus.DELIVERED for d in await hooks.store.deliveries("t1", None, None, 100)
    )


async def test_attempts_are_logged_and_the_schedule_and_the_endpoints_state_follow(hooks: Hooks) -> None:
    store = hooks.store
    await store.add_endpoint(endpoint("ep_1"), SECRET)
    await fanned(hooks, event("evt_1"), event("evt_2"))
    first, second = await store.claim(NOW, 10, TTL, "a")
    await store.finish([record(first, 500, NOW), record(second, None, NOW + 5)])
    failing = await store.endpoint("t1", "ep_1")
    assert failing is not None and failing.failing_since_ms == NOW and failing.enabled
    retry = await store.delivery("t1", first.delivery.id)
    assert retry is not None and retry.status is w.DeliveryStatus.PENDING and retry.attempts == 1
    assert retry.next_attempt_ms == NOW + 5_000 and retry.last_status == 500 and retry.last_response_ms == 12
    (again,) = await store.claim(NOW + 5_000, 1, TTL, "b")
    await store.finish([record(again, 200, NOW + 5_000, failing=NOW)])
    done = await store.delivery("t1", first.delivery.id)
    assert (
        done is not None and done.status is w.DeliveryStatus.DELIVERED and done.delivered_at_ms == NOW + 5_000
    )
    assert done.next_attempt_ms is None
    assert [(a.number, a.status) for a in await store.attempts("t1", first.delivery.id)] == [
        (1, 500),
        (2, 200),
    ]
    assert await store.attempts("t2", first.delivery.id) == []
    assert (await store.endpoint("t1", "ep_1")).failing_since_ms is None  # type: ignore[union-attr]


async def test_410_disables_the_endpoint_and_its_deliveries_wait(hooks: Hooks) -> None:
    store = hooks.store
    await store.add_endpoint(endpoint("ep_1"), SECRET)
    await fanned(hooks, event("evt_1"), event("evt_2"))
    first, _ = await store.claim(NOW, 1, TTL, "a") + [None]  # type: ignore[list-item]
    await store.finish([record(first, 410)])
    gone = await store.endpoint("t1", "ep_1")
    assert gone is not None and not gone.enabled and gone.disabled_reason == "gone"
    assert not await store.listening("t1")
    assert await store.claim(NOW + 10 * TTL, 10, TTL, "a") == []
    failed = await store.delivery("t1", first.delivery.id)
    assert failed is not None and failed.status is w.DeliveryStatus.FAILED


async def test_the_delivery_log_pages_newest_first_and_redelivery_makes_one_due_now(hooks: Hooks) -> None:
    store = hooks.store
    await store.add_endpoint(endpoint("ep_1"), SECRET)
    await store.add_endpoint(endpoint("ep_2"), SECRET)
    await fanned(hooks, *(event(f"evt_{i}") for i in range(3)))
    page = await store.deliveries("t1", "ep_1", None, 2)
    assert len(page) == 2 and page[0].seq > page[1].seq
    rest = await store.deliveries("t1", "ep_1", page[-1].seq, 2)
    assert len(rest) == 1 and {d.endpoint_id for d in page + rest} == {"ep_1"}
    assert len(await store.deliveries("t1", None, None, 10)) == 6
    assert await store.deliveries("t2", None, None, 10) == []
    oldest = rest[0]
    claimed = [c for c in await store.claim(NOW, 10, TTL, "a") if c.delivery.id == oldest.id]
    await store.finish([record(claimed[0], 404, NOW)])
    again = await store.redeliver("t1", oldest.id, NOW + 1)
    assert again is not None and again.status is w.DeliveryStatus.PENDING and again.next_attempt_ms == NOW + 1
    assert again.attempts == 1
    assert await store.redeliver("t2", oldest.id, NOW) is None


async def test_a_direct_event_is_one_delivery_to_one_endpoint(hooks: Hooks) -> None:
    await hooks.store.add_endpoint(endpoint("ep_1"), SECRET)
    await hooks.store.add_endpoint(endpoint("ep_2"), SECRET)
    ping = w.outbox_event(w.ping_event("t1", "ep_2", NOW), "evt_ping")
    made = await hooks.store.add_direct(
        ping, w.NewDelivery(w.delivery_id("evt_ping", "ep_2"), 0, "ep_2", "t1", NOW)
    )
    assert made.event_type == "webhook.test" and made.endpoint_id == "ep_2"
    assert await hooks.store.unfanned(10) == []
    (claimed,) = await hooks.store.claim(NOW, 10, TTL, "a")
    assert claimed.delivery.id == made.id


# --- summaries and pruning ------------------------------------------------------------------


async def test_party_activity_reads_member_events_messages_and_reactions(hooks: Hooks) -> None:
    joined = w.EventDraft("member.joined", "t1", NOW, {"user": {"id": "u1", "name": "Ann"}}, "p1")
    left = w.EventDraft("member.left", "t1", NOW + 9_000, {"user": {"id": "u1"}}, "p1")
    other = w.EventDraft("member.joined", "t2", NOW, {"user": {"id": "u1", "name": "Zed"}}, "p2")
    await hooks.store.add_events([w.outbox_event(d, f"evt_{i}") for i, d in enumerate((joined, left, other))])
    await hooks.store.add_events([], {"p1": 3})
    await hooks.other.add_events([], {"p1": 4, "p2": 1})
    for nonce in ("a", "b"):
        await hooks.messages.append(MessageDraft("p1", "u1", "Ann", "hi", NOW, nonce))
    activity = await hooks.store.party_activity("p1")
    assert activity == w.PartyActivity(
        (("u1", "Ann", "member.joined", NOW), ("u1", "", "member.left", NOW + 9_000)), 2, 7
    )


async def test_an_erasure_pseudonymises_the_user_in_the_tenants_bodies_only(hooks: Hooks) -> None:
    joined = w.EventDraft("member.joined", "t1", NOW, {"user": {"id": "u1", "name": "Ann Q"}}, "p1")
    action = w.EventDraft(
        "moderation.action",
        "t1",
        NOW,
        {"actor": {"id": "m1", "name": "Mo"}, "target_user_id": "u1", "reason": "Ann Q again"},
        "p1",
    )
    unrelated = w.EventDraft("member.joined", "t1", NOW, {"user": {"id": "u10", "name": "Bo"}}, "p1")
    other = w.EventDraft("member.joined", "t2", NOW, {"user": {"id": "u1", "name": "Ann Q"}}, "p2")
    drafts = (joined, action, unrelated, other)
    await hooks.store.add_events([w.outbox_event(d, f"evt_{i}") for i, d in enumerate(drafts)])
    assert await hooks.other.erase_user("t1", "u1", "erased-x") == 2
    bodies = {e.uid: e.body for e in await hooks.store.unfanned(100)}
    assert "u1" not in bodies["evt_0"].replace("u10", "") and "Ann" not in bodies["evt_0"]
    assert '"user":{"id":"erased-x","name":"erased-x"}' in bodies["evt_0"]
    assert '"target_user_id":"erased-x"' in bodies["evt_1"] and "Ann" not in bodies["evt_1"]
    assert bodies["evt_2"] == w.outbox_event(unrelated, "evt_2").body  # another user's id around it
    assert bodies["evt_3"] == w.outbox_event(other, "evt_3").body  # another tenant's user
    assert await hooks.store.erase_user("t1", "u1", "erased-y") == 0


async def test_prune_forgets_old_events_whose_deliveries_are_over(hooks: Hooks) -> None:
    store = hooks.store
    await store.add_endpoint(endpoint("ep_1", created_at_ms=NOW - 100), SECRET)
    await fanned(hooks, event("evt_old", ts_ms=NOW - 10), event("evt_open", ts_ms=NOW - 10), event("evt_new"))
    claimed = {c.delivery.event_uid: c for c in await store.claim(NOW, 10, TTL, "a")}
    await store.finish([record(claimed["evt_old"], 200), record(claimed["evt_new"], 200)])
    await store.finish([record(claimed["evt_open"], 500)])
    assert await store.prune(NOW) == 1
    assert sorted(d.event_uid for d in await store.deliveries("t1", None, None, 10)) == [
        "evt_new",
        "evt_open",
    ]


async def test_fan_out_can_claim_what_it_makes_up_to_a_limit(hooks: Hooks) -> None:
    await hooks.store.add_endpoint(endpoint("ep_1"), SECRET)
    await hooks.store.add_endpoint(endpoint("ep_2", enabled=False), SECRET)
    await hooks.store.add_events([event("evt_1"), event("evt_2"), event("evt_3")])
    pending = await hooks.store.unfanned(10)
    new = [
        w.NewDelivery(w.delivery_id(e.uid, p), e.id, p, "t1", NOW) for e in pending for p in ("ep_1", "ep_2")
    ]
    taken = await hooks.store.fan_out([e.id for e in pending], new, w.ClaimRequest("a", NOW, TTL, 2))
    assert [c.delivery.event_uid for c in taken] == ["evt_1", "evt_2"]
    assert all(c.claim == "a" and c.secrets == (SECRET,) and c.url.startswith("https://ep_1.") for c in taken)
    (rest,) = await hooks.other.claim(NOW, 10, TTL, "b")  # the third; none to the disabled endpoint
    assert rest.delivery.event_uid == "evt_3"
    assert len(await hooks.store.deliveries("t1", None, None, 10)) == 3
