"""Webhooks: the outbox writer (``WebhookOutbox``, the ``WebhookEvents`` the other
services call), the delivery worker (``WebhookDelivery``, once per cluster), and the
tenants' endpoints (``WebhookAdmin``). docs/webhooks.md says what is promised.

Events of a change committed to SQL (moderation, clips) are written by that change's
own transaction, through ``outbox_for``. Events of a party transition (its state is
in memory or Redis) are written by ``party_changed`` after the transition is committed
and before it is published: through a bounded queue to one writer that commits them in
groups; a full queue makes callers wait (counted), and a caller waits for its events'
commit, for ``commit_wait_s`` at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from socialsync.domain.access import Caller, Scope
from socialsync.domain.errors import Code, SyncError, bad_request, forbidden, not_found
from socialsync.domain.model import Party, TenantRole
from socialsync.domain.party.machine import Transition
from socialsync.domain.webhooks import (
    MAX_DESCRIPTION,
    MAX_ENDPOINTS_PER_TENANT,
    MEMBER_JOINED,
    MEMBER_LEFT,
    PARTY_ENDED,
    PARTY_STARTED,
    ROTATION_OVERLAP_MS,
    SECRET_BYTES,
    Attempt,
    AttemptRecord,
    Claimed,
    ClaimRequest,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EventDraft,
    NewDelivery,
    OutboxEvent,
    PartyActivity,
    RetrySchedule,
    check_filter,
    check_url,
    delivery_id,
    headers_for,
    member_event_of,
    outbox_event,
    party_events,
    party_summary,
    ping_event,
    receives,
    secret_from_bytes,
)
from socialsync.ports import Clock
from socialsync.ports.privacy_store import Lease
from socialsync.ports.webhooks import WebhookObserver, WebhookSender, WebhookStore
from socialsync.tasks import stop

log = logging.getLogger("socialsync.webhooks")

T = TypeVar("T")

# Whether a tenant has an endpoint is read again after this long (an endpoint made on
# another node starts receiving within it; on this node at once).
LISTENING_TTL_MS = 5_000
# Parties whose party.started this node wrote, remembered at most (the outbox's
# dedupe key makes it once anyway: this only spares the database the repeats).
STARTED_MEMORY = 100_000
# Reaction counts are written at least this often while there are some.
REACTIONS_EVERY_S = 1.0
LEASE = "webhooks"
MEMBER_EVENTS = (MEMBER_JOINED, MEMBER_LEFT)
# The worker's lease runs in periods of ``lease_period_ms``; the holder asks for the
# next one this early, and each is held this long past its end (clock skew).
LEASE_EARLY_MS = 500
LEASE_SKEW_MS = 1_000
LEASE_RETRY_S = 0.5
FAN_OUT_BATCH = 200
PRUNE_EVERY_MS = 3_600_000


@dataclass(frozen=True)
class WebhookSettings:
    """Built from the configuration (socialsync/config.py)."""

    schedule: RetrySchedule = field(default_factory=RetrySchedule)
    allow_private: bool = False
    timeout_s: float = 10.0
    queue_events: int = 10_000  # the outbox's queue, in events
    batch_events: int = 500  # events per outbox transaction at most
    commit_wait_s: float = 5.0
    concurrency: int = 16  # deliveries in flight per worker
    poll_ms: int = 100  # the worker looks for other nodes' events this often
    lease_period_ms: int = 2_000
    retain_ms: int = 30 * 86_400_000  # delivered or failed deliveries kept this long

    @property
    def claim_ttl_ms(self) -> int:
        return round(self.timeout_s * 3_000) + 5_000


def _random_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(12)


def _remember(seen: OrderedDict[str, None], key: str) -> bool:
    """Add ``key`` (bounded: the oldest go first); whether it is new."""
    if key in seen:
        seen.move_to_end(key)
        return False
    seen[key] = None
    if len(seen) > STARTED_MEMORY:
        seen.popitem(last=False)
    return True


@dataclass
class _Queued:
    events: list[OutboxEvent]
    written: asyncio.Future[None]


# ---------------------------------------------------------------------------- the outbox


class WebhookOutbox:
    """The ``WebhookEvents`` port: what the services report, into the outbox."""

    def __init__(
        self, store: WebhookStore, clock: Clock, observer: WebhookObserver, settings: WebhookSettings
    ) -> None:
        self.store = store
        self.clock = clock
        self.observer = observer
        self.settings = settings
        self.written = asyncio.Event()  # set after each commit: the local worker looks at once
        self._listening: dict[str, tuple[int, bool]] = {}
        self._started: OrderedDict[str, None] = OrderedDict()
        # Parties of listening tenants seen here: only theirs have reactions counted.
        self._watched: OrderedDict[str, None] = OrderedDict()
        self._queue: deque[_Queued] = deque()
        self._queued_events = 0
        self._room = asyncio.Event()
        self._work = asyncio.Event()
        self._reactions: dict[str, int] = {}
        self._writer: asyncio.Task[None] | None = None
        self._closing = False

    # --------------------------------------------------------------- what services call
    async def listening(self, tenant_id: str) -> bool:
        now = self.clock.now_ms()
        cached = self._listening.get(tenant_id)
        if cached is not None and now - cached[0] < LISTENING_TTL_MS:
            return cached[1]
        try:
            found = await self.store.listening(tenant_id)
        except SyncError:
            if cached is None:
                raise
            return cached[1]  # the database is away: as it was
        if len(self._listening) > 10_000:
            self._listening.clear()
        self._listening[tenant_id] = (now, found)
        return found

    def changed(self, tenant_id: str) -> None:
        """This node changed the tenant's endpoints: look again on next use."""
        self._listening.pop(tenant_id, None)

    def stamp(self, drafts: Sequence[EventDraft]) -> list[OutboxEvent]:
        return [outbox_event(d, _random_id("evt_")) for d in drafts]

    async def outbox_for(
        self, tenant_id: str, build: Callable[[T], Sequence[EventDraft]]
    ) -> Callable[[T], Sequence[OutboxEvent]] | None:
        if not await self.listening(tenant_id):
            return None

        def events_of(stored: T) -> Sequence[OutboxEvent]:
            # Called inside the change's transaction: the worker looks once it has committed.
            asyncio.get_running_loop().call_later(0.01, self.written.set)
            return self.stamp(build(stored))

        return events_of

    async def party_changed(self, before: Party | None, transition: Transition) -> None:
        """Never raises: the transition is committed already and must be published."""
        try:
            await self._party_changed(before, transition)
        except SyncError as exc:  # the database away when the tenant's endpoints were looked up
            log.warning("a party transition's webhook events were not written: %s", exc.message)
            self.observer.set_aside("webhook")
        except Exception:
            log.exception("a party transition's webhook events were not written")
            self.observer.set_aside("webhook")

    async def _party_changed(self, before: Party | None, transition: Transition) -> None:
        party = transition.party
        now = self.clock.now_ms()
        drafts = party_events(before, party, transition.events, now)
        if not drafts or not await self.listening(party.tenant_id):
            return
        _remember(self._watched, party.id)
        drafts = [d for d in drafts if d.type != PARTY_STARTED or _remember(self._started, party.id)]
        events = self.stamp(drafts)
        if any(d.type == PARTY_ENDED for d in drafts):
            # With the end, in one write: from the member events written before, and this one's.
            activity = await self._activity(party.id, events)
            events += self.stamp([party_summary(party, activity, now)])
        await self.emit(events)

    async def _activity(self, party_id: str, current: list[OutboxEvent]) -> PartyActivity:
        try:
            activity = await self.store.party_activity(party_id)
        except SyncError as exc:
            log.warning("a party's summary has no records: %s", exc.message)
            activity = PartyActivity()
        members = [m for m in map(member_event_of, (e.body for e in current if e.type in MEMBER_EVENTS)) if m]
        return replace(
            activity,
            member_events=activity.member_events + tuple(members),
            reactions=activity.reactions + self._reactions.pop(party_id, 0),
        )

    def reacted(self, party_id: str, count: int) -> None:
        if count > 0 and party_id in self._watched:
            self._reactions[party_id] = self._reactions.get(party_id, 0) + count
            self._start_writer()

    # --------------------------------------------------------------- the queue
    async def emit(self, events: Sequence[OutboxEvent]) -> None:
        """Queue the events (waiting for room: back-pressure) and wait for their commit,
        ``commit_wait_s`` at most (then they stay queued, and it is counted)."""
        if not events:
            return
        if self._closing:
            raise SyncError(Code.UNAVAILABLE, "shutting down")
        full = False
        while self._queued_events and self._queued_events + len(events) > self.settings.queue_events:
            if not full:
                full = True
                self.observer.webhook_outbox_full()
            self._room.clear()
            await self._room.wait()
        queued = _Queued(list(events), asyncio.get_running_loop().create_future())
        self._queue.append(queued)
        self._queued_events += len(events)
        self._work.set()
        self._start_writer()
        try:
            await asyncio.wait_for(asyncio.shield(queued.written), self.settings.commit_wait_s)
        except TimeoutError:
            self.observer.webhook_outbox_late()
            log.warning("webhook events not written yet: they stay queued", extra={"events": len(events)})

    @property
    def queued(self) -> int:
        return self._queued_events

    def _start_writer(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_forever())

    async def _write_forever(self) -> None:
        while True:
            if not self._queue:
                self._work.clear()
                if self._reactions:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._work.wait(), REACTIONS_EVERY_S)
                else:
                    await self._work.wait()
            await self._write_batch()

    def _take(self) -> list[_Queued]:
        batch: list[_Queued] = []
        size = 0
        while self._queue and (not batch or size + len(self._queue[0].events) <= self.settings.batch_events):
            item = self._queue.popleft()
            batch.append(item)
            size += len(item.events)
        return batch

    async def _write_batch(self) -> None:
        batch = self._take()
        reactions, self._reactions = self._reactions, {}
        try:
            await self._write([e for item in batch for e in item.events], reactions)
        except SyncError as exc:
            # Refused, not unavailable (a value the database cannot store): each alone,
            # so that only the bad one is set aside.
            log.error("webhook events refused by the database: %s", exc.message)
            for item in batch:
                try:
                    await self._write(item.events, {})
                except SyncError:
                    self.observer.set_aside("webhook")
        for item in batch:
            self._queued_events -= len(item.events)
            if not item.written.done():
                item.written.set_result(None)
        self._room.set()
        if batch:
            self.written.set()

    async def _write(self, events: list[OutboxEvent], reactions: dict[str, int]) -> None:
        delay_s = 0.1
        while True:
            try:
                await self.store.add_events(events, reactions)
                return
            except SyncError as exc:
                if exc.code is not Code.UNAVAILABLE:
                    raise
                log.warning("outbox write failed, will retry: %s", exc.message)
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, 5.0)

    async def close(self, deadline_s: float = 5.0) -> None:
        """Write what is queued (for ``deadline_s`` at most), then stop."""
        self._closing = True
        if self._queue or self._reactions:
            self._start_writer()
            loop = asyncio.get_running_loop()
            until = loop.time() + deadline_s
            while (self._queue or self._queued_events) and loop.time() < until:
                self._room.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._room.wait(), max(0.01, until - loop.time()))
            if self._queued_events:
                log.error("webhook events lost at shutdown", extra={"events": self._queued_events})
        await stop(self._writer)


# ---------------------------------------------------------------------------- the worker


class WebhookDelivery:
    """Fans events out to their endpoints and posts the deliveries, on the node that
    holds the lease (one per cluster at a time; the claims make two safe anyway)."""

    def __init__(
        self,
        store: WebhookStore,
        clock: Clock,
        lease: Lease,
        sender: WebhookSender,
        observer: WebhookObserver,
        settings: WebhookSettings,
        *,
        wake: asyncio.Event | None = None,
        on_disabled: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.lease = lease
        self.sender = sender
        self.observer = observer
        self.settings = settings
        self.wake = wake or asyncio.Event()
        self.on_disabled = on_disabled
        self._held: set[int] = set()
        self._asked_next: int | None = None
        self._claimer = secrets.token_hex(6)
        self._claims = itertools.count(1)
        self._inflight: set[asyncio.Task[None]] = set()
        self._records: list[tuple[AttemptRecord, asyncio.Future[None]]] = []
        self._recorder: asyncio.Task[None] | None = None
        self._pruned_ms = 0
        self._looked_ms = 0

    async def run_forever(self) -> None:
        """The worker (a task owned by app.py)."""
        try:
            while True:
                try:
                    if not await self._lead():
                        await asyncio.sleep(LEASE_RETRY_S)
                        continue
                    # Cleared before looking: a wake-up while it looks is not lost.
                    self.wake.clear()
                    if not await self.deliver_once():
                        await self._idle()
                except SyncError as exc:
                    log.warning("webhook worker: %s", exc.message)
                    await asyncio.sleep(1.0)
        finally:
            for task in list(self._inflight):
                await stop(task)
            await stop(self._recorder)

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), self.settings.poll_ms / 1000)

    async def _lead(self) -> bool:
        now = self.clock.now_ms()
        period_ms = self.settings.lease_period_ms
        period = now // period_ms
        if period not in self._held and not await self._acquire(period, now):
            return False
        following = period + 1
        if now >= following * period_ms - LEASE_EARLY_MS and self._asked_next != following:
            self._asked_next = following
            await self._acquire(following, now)
        return True

    async def _acquire(self, period: int, now_ms: int) -> bool:
        ttl_ms = (period + 1) * self.settings.lease_period_ms - now_ms + LEASE_SKEW_MS
        if not await self.lease.acquire(f"{LEASE}:{period % 1000}", ttl_ms):
            return False
        self._held = {p for p in self._held if p >= period - 1} | {period}
        return True

    async def deliver_once(self) -> bool:
        """Fan out what is new, start the due deliveries there is room for; whether
        there was anything to do."""
        now = self.clock.now_ms()
        room = self.settings.concurrency - len(self._inflight)
        # The new deliveries are claimed as they are made (room permitting), the due
        # retries after them.
        fanned, claimed = await self.fan_out(now, self._claim_request(now, room))
        await self._prune(now)
        room -= len(claimed)
        # Due retries: when nothing new came, and at least every poll while events stream in.
        if room > 0 and (not fanned or now - self._looked_ms >= self.settings.poll_ms):
            self._looked_ms = now
            request = self._claim_request(now, room)
            claimed += await self.store.claim(now, room, request.ttl_ms, request.claim)
        for delivery in claimed:
            task = asyncio.create_task(self._attempt(delivery))
            self._inflight.add(task)
            task.add_done_callback(self._done)
        return bool(fanned or claimed)

    def _done(self, task: asyncio.Task[None]) -> None:
        if len(self._inflight) >= self.settings.concurrency:
            self.wake.set()  # there is room again
        self._inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a webhook attempt failed", exc_info=task.exception())

    def _claim_request(self, now_ms: int, limit: int) -> ClaimRequest:
        return ClaimRequest(
            f"{self._claimer}:{next(self._claims)}", now_ms, self.settings.claim_ttl_ms, limit
        )

    async def fan_out(self, now_ms: int, claim: ClaimRequest | None = None) -> tuple[int, list[Claimed]]:
        """Events fanned out, and the deliveries claimed with them."""
        events = await self.store.unfanned(FAN_OUT_BATCH)
        if not events:
            return 0, []
        endpoints = await self.store.enabled_endpoints(sorted({e.tenant_id for e in events}))
        new = [
            NewDelivery(delivery_id(event.uid, endpoint.id), event.id, endpoint.id, event.tenant_id, now_ms)
            for event in events
            for endpoint in endpoints
            if receives(endpoint, event)
        ]
        return len(events), await self.store.fan_out([e.id for e in events], new, claim)

    async def _attempt(self, claimed: Claimed) -> None:
        delivery = claimed.delivery
        started = self.clock.now_ms()
        body = claimed.body.encode()
        headers = headers_for(claimed.secrets, delivery.id, started // 1000, body)
        result = await self.sender.post(claimed.url, headers, body)
        number = delivery.attempts + 1
        now = self.clock.now_ms()
        decision = self.settings.schedule.decide(number, result.status, now, claimed.failing_since_ms)
        attempt = Attempt(delivery.id, number, started, result.status, result.elapsed_ms, result.error)
        await self._finish(
            AttemptRecord(delivery.seq, claimed.claim, delivery.endpoint_id, attempt, decision)
        )
        outcome = {DeliveryStatus.DELIVERED: "delivered", DeliveryStatus.PENDING: "retry"}.get(
            decision.status, "failed"
        )
        self.observer.webhook_delivery(outcome, result.elapsed_ms / 1000)
        if decision.disable is not None:
            self.observer.webhook_endpoint_disabled(decision.disable)
            log.warning("webhook endpoint disabled", extra={"reason": decision.disable})
            if self.on_disabled is not None:
                self.on_disabled(delivery.tenant_id)

    async def _finish(self, record: AttemptRecord) -> None:
        """Recorded with the other attempts that ended meanwhile, in one transaction
        (group commit); or, the database away for long, left to the claim's lapse: the
        delivery is posted again then (at least once)."""
        done = asyncio.get_running_loop().create_future()
        self._records.append((record, done))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_all())
        await asyncio.shield(done)

    async def _record_all(self) -> None:
        while self._records:
            batch, self._records = self._records, []
            try:
                await self._record([r for r, _ in batch])
            except Exception as exc:
                log.error("webhook attempts not recorded: they will be sent again", exc_info=exc)
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def _record(self, records: list[AttemptRecord]) -> None:
        delay_s = 0.1
        for _ in range(8):
            try:
                await self.store.finish(records)
                return
            except SyncError as exc:
                if exc.code is not Code.UNAVAILABLE:
                    raise
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, 2.0)
        log.error("webhook attempts not recorded: they will be sent again")

    async def _prune(self, now_ms: int) -> None:
        if now_ms - self._pruned_ms < PRUNE_EVERY_MS:
            return
        self._pruned_ms = now_ms
        pruned = await self.store.prune(now_ms - self.settings.retain_ms)
        if pruned:
            log.info("webhook events pruned", extra={"events": pruned})


# ---------------------------------------------------------------------------- endpoints


def _tenant_of(caller: Caller) -> str:
    """Webhooks are for an API key with ``webhooks:admin``, or a tenant admin's token."""
    caller.require(Scope.WEBHOOKS_ADMIN)
    if caller.scopes is None and TenantRole.ADMIN not in caller.user.roles:
        raise forbidden("webhooks are for the tenant's admins")
    return caller.user.tenant_id


def _description(text: str | None) -> str:
    text = text or ""
    if len(text) > MAX_DESCRIPTION:
        raise bad_request(f"description: at most {MAX_DESCRIPTION} characters")
    return text


class WebhookAdmin:
    """A tenant's endpoints: made with a secret shown once, listed, changed, deleted,
    their secret rotated (both sign for 24 h), pinged; their delivery log, redelivery."""

    def __init__(
        self,
        store: WebhookStore,
        clock: Clock,
        outbox: WebhookOutbox,
        settings: WebhookSettings,
        *,
        wake: asyncio.Event | None = None,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self.store = store
        self.clock = clock
        self.outbox = outbox
        self.settings = settings
        self.wake = wake
        self.random_bytes = random_bytes

    async def create(
        self, caller: Caller, url: str, event_types: Sequence[str], description: str | None
    ) -> tuple[Endpoint, str]:
        tenant_id = _tenant_of(caller)
        if await self.store.count_endpoints(tenant_id) >= MAX_ENDPOINTS_PER_TENANT:
            raise SyncError(Code.CONFLICT, f"a tenant has at most {MAX_ENDPOINTS_PER_TENANT} endpoints")
        now = self.clock.now_ms()
        endpoint = Endpoint(
            _random_id("ep_"),
            tenant_id,
            check_url(url, self.settings.allow_private),
            _description(description),
            check_filter(event_types),
            now,
            now,
        )
        secret = secret_from_bytes(self.random_bytes(SECRET_BYTES))
        await self.store.add_endpoint(endpoint, secret)
        self.outbox.changed(tenant_id)
        return endpoint, secret

    async def endpoints(self, caller: Caller) -> list[Endpoint]:
        return await self.store.endpoints(_tenant_of(caller))

    async def endpoint(self, caller: Caller, endpoint_id: str) -> Endpoint:
        endpoint = await self.store.endpoint(_tenant_of(caller), endpoint_id)
        if endpoint is None:
            raise not_found(f"no webhook endpoint {endpoint_id}")
        return endpoint

    async def update(
        self,
        caller: Caller,
        endpoint_id: str,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> Endpoint:
        endpoint = await self.endpoint(caller, endpoint_id)
        changed = replace(endpoint, updated_at_ms=self.clock.now_ms())
        if url is not None:
            changed = replace(changed, url=check_url(url, self.settings.allow_private))
        if event_types is not None:
            changed = replace(changed, event_types=check_filter(event_types))
        if description is not None:
            changed = replace(changed, description=_description(description))
        if enabled is True:
            changed = replace(changed, enabled=True, disabled_reason=None, failing_since_ms=None)
        elif enabled is False:
            changed = replace(changed, enabled=False, disabled_reason="manual")
        if not await self.store.update_endpoint(changed):
            raise not_found(f"no webhook endpoint {endpoint_id}")
        self.outbox.changed(endpoint.tenant_id)
        return changed

    async def delete(self, caller: Caller, endpoint_id: str) -> None:
        tenant_id = _tenant_of(caller)
        if not await self.store.delete_endpoint(tenant_id, endpoint_id):
            raise not_found(f"no webhook endpoint {endpoint_id}")
        self.outbox.changed(tenant_id)

    async def rotate(self, caller: Caller, endpoint_id: str) -> tuple[Endpoint, str]:
        """A new secret, shown once; the old one keeps signing beside it for 24 h."""
        endpoint = await self.endpoint(caller, endpoint_id)
        now = self.clock.now_ms()
        secret = secret_from_bytes(self.random_bytes(SECRET_BYTES))
        until = now + ROTATION_OVERLAP_MS
        if not await self.store.rotate_secret(endpoint.tenant_id, endpoint.id, secret, until, now):
            raise not_found(f"no webhook endpoint {endpoint_id}")
        return replace(endpoint, rotated_until_ms=until, updated_at_ms=now), secret

    async def ping(self, caller: Caller, endpoint_id: str) -> Delivery:
        """A ``webhook.test`` event to this endpoint only, whatever its filter."""
        endpoint = await self.endpoint(caller, endpoint_id)
        if not endpoint.enabled:
            raise SyncError(Code.CONFLICT, "the endpoint is disabled: enable it first")
        now = self.clock.now_ms()
        (event,) = self.outbox.stamp([ping_event(endpoint.tenant_id, endpoint.id, now)])
        new = NewDelivery(delivery_id(event.uid, endpoint.id), 0, endpoint.id, endpoint.tenant_id, now)
        delivery = await self.store.add_direct(event, new)
        if self.wake is not None:
            self.wake.set()
        return delivery

    async def deliveries(
        self, caller: Caller, endpoint_id: str | None, before: int | None, limit: int
    ) -> tuple[list[Delivery], int | None]:
        """A page of the delivery log (newest first) and the next page's cursor."""
        tenant_id = _tenant_of(caller)
        if endpoint_id is not None:
            await self.endpoint(caller, endpoint_id)
        page = await self.store.deliveries(tenant_id, endpoint_id, before, limit + 1)
        more = len(page) > limit
        page = page[:limit]
        return page, page[-1].seq if more and page else None

    async def delivery(self, caller: Caller, delivery_id_: str) -> tuple[Delivery, list[Attempt]]:
        tenant_id = _tenant_of(caller)
        found = await self.store.delivery(tenant_id, delivery_id_)
        if found is None:
            raise not_found(f"no delivery {delivery_id_}")
        return found, await self.store.attempts(tenant_id, delivery_id_)

    async def redeliver(self, caller: Caller, delivery_id_: str) -> Delivery:
        tenant_id = _tenant_of(caller)
        found = await self.store.redeliver(tenant_id, delivery_id_, self.clock.now_ms())
        if found is None:
            raise not_found(f"no delivery {delivery_id_}")
        if self.wake is not None:
            self.wake.set()
        return found
