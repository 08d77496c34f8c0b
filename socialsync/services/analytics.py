"""Analytics (docs/analytics.md): capture on the request path, the pipeline off it, and
the metrics the REST API answers with.

- ``AnalyticsCapture`` is the ``AnalyticsSink`` the parties' and chat services call:
  it makes a small observation and queues it (bounded; full: dropped and counted).
  Nothing on the request path hashes, encodes or waits.
- ``AnalyticsPipeline`` runs two tasks owned by app.py: the worker turns observations
  into events (domain.analytics.tracker: watch sections, pseudonyms) and pushes them
  in batches to the ``AnalyticsBuffer`` (Redis in a cluster; a full buffer makes it
  wait, so the queue fills: back-pressure), and the committer claims batches and
  commits them to the ``AnalyticsStore`` (SQL), which aggregates them incrementally.
- ``AnalyticsService`` reads the store and computes the metrics (domain.analytics.
  metrics) for the tenant's staff; it is also the privacy service's analytics part
  (export, erasure, retention) and what other services call for invites, shares,
  polls and surveys.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from socialsync.domain.analytics.events import Batch, Event, Kind, MediaInfo, media_id_of
from socialsync.domain.analytics.fold import VIEW_ROW, fold
from socialsync.domain.analytics.metrics import (
    Concurrency,
    Moment,
    PositionRow,
    Ranked,
    Retention,
    Step,
    Summary,
    ViewerStats,
    concurrency,
    funnels,
    moments,
    per_viewer,
    positions_by_second,
    ranked,
    retention,
    summary,
    top_moments,
)
from socialsync.domain.analytics.observations import (
    Joined,
    Left,
    Marked,
    Moved,
    Observation,
    Posted,
    Reported,
    Stopped,
)
from socialsync.domain.analytics.pseudonyms import Pseudonyms
from socialsync.domain.analytics.tracker import Tracker
from socialsync.domain.errors import Code, SyncError, bad_request, forbidden, not_found
from socialsync.domain.model import Media, MediaKind, Party, User
from socialsync.domain.party import commands as c
from socialsync.domain.party.machine import Transition
from socialsync.domain.party.playback import position_at
from socialsync.domain.privacy import DAY_MS
from socialsync.domain.privacy import Retention as RetentionPolicy
from socialsync.ports import Clock
from socialsync.ports.analytics import AnalyticsBuffer, AnalyticsObserver, AnalyticsStore, Scope
from socialsync.tasks import stop

log = logging.getLogger("socialsync.analytics")

# Pseudonyms computed, remembered (an HMAC each otherwise).
PSEUDONYM_CACHE = 100_000
# The buffer holds a pushed batch this long for its committer before another may take it.
CLAIM_TTL_MS = 60_000
# A push the buffer refuses (full) is tried again this often, for this long, then dropped.
PUSH_RETRY_S = 0.05
PUSH_WAIT_S = 10.0
# Observations turned into events per slice (the loop runs other work between slices).
SLICE = 1_000
# The worker looks at the queue this often (sooner when it is half full).
TICK_S = 0.1
# Commits in a row before the committer waits for its next tick.
COMMIT_ROUNDS = 50
# The widest range a query may ask for.
MAX_RANGE_MS = 400 * DAY_MS
DEFAULT_RANGE_MS = 30 * DAY_MS
# What a report's ``at`` may be off the server's receipt before the receipt is used (as
# the party machine does).
REPORT_SKEW_MS = 5_000
# Members' top moments of a media item (protocol 18): from the aggregates of this long
# before now, remembered per node for a while (every member asks when it joins).
MEMBER_MOMENTS_RANGE_MS = DEFAULT_RANGE_MS
MEMBER_MOMENTS_TTL_MS = 60_000
MEMBER_MOMENTS_CACHE = 1_024


@dataclass(frozen=True)
class AnalyticsSettings:
    """Built from the configuration (socialsync/config.py)."""

    queue: int = 20_000  # observations waiting for the worker, at most
    batch: int = 500  # events per batch, at most
    flush_s: float = 1.0  # a batch leaves at least this often while there are events
    commit_batches: int = 20  # batches per commit, at most


# ---------------------------------------------------------------------------- capture

_KINDS = frozenset(k.value for k in Kind)


class AnalyticsCapture:
    """The ``AnalyticsSink``: a bounded queue in front of the pipeline."""

    def __init__(self, observer: AnalyticsObserver, capacity: int, *, enabled: bool = True) -> None:
        self.observer = observer
        self.capacity = capacity if enabled else 0
        self.enabled = enabled
        self.queue: deque[Observation] = deque()
        self.wake = asyncio.Event()
        self.dropped = 0

    def observe(self, observation: Observation) -> None:
        if not self.enabled:
            return
        if len(self.queue) >= self.capacity:
            self.dropped += 1
            self.observer.analytics_dropped("queue")
            return
        self.queue.append(observation)
        if len(self.queue) == self.capacity // 2:
            self.wake.set()

    def party_changed(
        self, before: Party, command: c.Command, transition: Transition, now_ms: int, ref: str | None = None
    ) -> None:
        try:
            self._party_changed(before, command, transition, now_ms, ref)
        except Exception:  # never the command's failure: it is committed
            log.exception("an observation was not made")
            self.observer.analytics_dropped("error")

    def _party_changed(
        self, before: Party, command: c.Command, transition: Transition, now_ms: int, ref: str | None
    ) -> None:
        after = transition.party
        kind = type(command)
        if kind is c.ReportStatus:
            assert isinstance(command, c.ReportStatus)
            member = after.members.get(command.user_id)
            if member is not None:
                at = command.at_ms
                if at is None or abs(at - now_ms) > REPORT_SKEW_MS:
                    at = now_ms
                watching = command.playing and not member.buffering and not member.in_ad
                self.observe(
                    Reported(
                        after.tenant_id,
                        after.id,
                        member.user_id,
                        member.joined_at_ms,
                        after.playback.media,
                        command.position_s,
                        watching,
                        after.playback.rate,
                        at,
                    )
                )
        if after.playback is not before.playback and after.playback.seq != before.playback.seq:
            self.observe(Moved(after, before.playback, now_ms))
        if kind is c.Join:
            assert isinstance(command, c.Join)
            self._joined(before, after, command.user.id, now_ms, ref)
        elif kind is c.Leave or kind is c.Disconnect:
            assert isinstance(command, c.Leave | c.Disconnect)
            member = after.members.get(command.user_id)
            if member is None or not member.connected:
                self.observe(Stopped(after.id, command.user_id, now_ms))
        if len(after.members) < len(before.members):
            media = before.playback.media
            for user_id in before.members.keys() - after.members.keys():
                gone = before.members[user_id]
                self.observe(Left(after.tenant_id, after.id, user_id, gone.joined_at_ms, media, now_ms))
        if after.ended is not None and before.ended is None:
            for member in after.members.values():
                self.observe(
                    Left(
                        after.tenant_id,
                        after.id,
                        member.user_id,
                        member.joined_at_ms,
                        after.playback.media,
                        now_ms,
                    )
                )

    def _joined(self, before: Party, after: Party, user_id: str, now_ms: int, ref: str | None) -> None:
        member = after.members.get(user_id)
        was = before.members.get(user_id)
        if member is None or (was is not None and was.connected):
            return  # another socket of a member already present
        self.observe(
            Joined(after.tenant_id, after.id, user_id, member.joined_at_ms, after.playback.media, now_ms, ref)
        )

    def posted(
        self, party: Party, user: User, media_time_s: float | None, now_ms: int, emoji: str | None = None
    ) -> None:
        member = party.members.get(user.id)
        at = media_time_s if media_time_s is not None else position_at(party.playback, now_ms)
        self.observe(  # plain values: nothing here can raise
            Posted(
                party.tenant_id,
                party.id,
                user.id,
                None if member is None else member.joined_at_ms,
                party.playback.media,
                at,
                now_ms,
                emoji,
            )
        )

    def marked(
        self,
        kind: str,
        tenant_id: str,
        now_ms: int,
        *,
        party_id: str | None = None,
        user_id: str | None = None,
        ref: str | None = None,
        value: str | None = None,
        media: Media | None = None,
    ) -> None:
        if kind not in _KINDS:
            log.warning("unknown analytics kind %r", kind)
            self.observer.analytics_dropped("error")
            return
        self.observe(Marked(tenant_id, str(kind), now_ms, party_id, user_id, ref, value, media))


# ---------------------------------------------------------------------------- pipeline


class AnalyticsPipeline:
    """Queue → tracker → batches → buffer → store. Two tasks (``start``/``close``)."""

    def __init__(
        self,
        capture: AnalyticsCapture,
        buffer: AnalyticsBuffer,
        store: AnalyticsStore,
        clock: Clock,
        pseudonyms: Pseudonyms,
        observer: AnalyticsObserver,
        settings: AnalyticsSettings,
        node_id: str,
        on_committed: Callable[[Sequence[Batch]], None] | None = None,
    ) -> None:
        self.capture = capture
        self.buffer = buffer
        self.store = store
        self.clock = clock
        self.pseudonyms = pseudonyms
        self.observer = observer
        self.settings = settings
        self.node_id = node_id
        # Told of each group of batches once committed (badges are earned from them);
        # must not block or raise.
        self.on_committed = on_committed
        self._names: OrderedDict[tuple[str, str], str] = OrderedDict()
        self.tracker = Tracker(self._pseudonym)
        self._pending: list[Event] = []
        self._oldest: float | None = None  # loop time the oldest pending event was made
        self._batches = 0
        self._committed = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._committer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one drain at a time (the worker's, or a flush)
        # One commit at a time on this node: a flush (before an erasure) waits for the
        # committer's batch in flight, so nothing of the user is written after it.
        self._commit_lock = asyncio.Lock()

    def _pseudonym(self, tenant_id: str, user_id: str) -> str:
        key = (tenant_id, user_id)
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = self.pseudonyms.of(tenant_id, user_id)
            if len(self._names) > PSEUDONYM_CACHE:
                self._names.popitem(last=False)
        return found

    def start(self) -> None:
        self._worker = asyncio.create_task(self._work_forever())
        self._committer = asyncio.create_task(self._commit_forever())

    async def close(self) -> None:
        """Stop the tasks, then write what this node still holds (open sections are
        closed as of now)."""
        await stop(self._worker)
        await stop(self._committer)
        try:
            await self.flush(close_sections=True)
        except Exception:
            log.exception("analytics not written at shutdown")

    async def flush(self, *, close_sections: bool = False) -> None:
        """Everything queued so far, through to the store (tests; shutdown)."""
        async with self._lock:
            await self._drain()
            if close_sections:
                self._pending += self.tracker.close_all(self.clock.now_ms())
            await self._push(force=True)
        while await self._commit_once():
            pass

    # ------------------------------------------------------------------ worker
    async def _work_forever(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.capture.wake.wait(), TICK_S)
            except TimeoutError:
                pass
            self.capture.wake.clear()
            try:
                async with self._lock:
                    await self._drain()
                    self._pending += self.tracker.sweep(self.clock.now_ms())
                    await self._push(force=False)
            except Exception:
                log.exception("analytics worker step failed")
                await asyncio.sleep(self.settings.flush_s)

    async def _drain(self) -> None:
        queue, handle = self.capture.queue, self.tracker.handle
        while queue:
            pending = self._pending  # _push replaces the list
            for _ in range(min(SLICE, len(queue))):
                pending += handle(queue.popleft())
            if len(pending) >= self.settings.batch:
                await self._push(force=False)
            await asyncio.sleep(0)

    async def _push(self, *, force: bool) -> None:
        """Full batches; the rest once its oldest event has waited ``flush_s`` (or now,
        ``force``)."""
        size = self.settings.batch
        now = asyncio.get_running_loop().time()
        if not self._pending:
            self._oldest = None
            return
        if self._oldest is None:
            self._oldest = now
        while self._pending and (
            force or len(self._pending) >= size or now - self._oldest >= self.settings.flush_s
        ):
            events, self._pending = self._pending[:size], self._pending[size:]
            self._batches += 1
            batch = Batch(
                f"{self.node_id}-{secrets.token_hex(4)}-{self._batches}", tuple(events), tuple(self._media())
            )
            await self._push_one(batch)
        self._oldest = now if self._pending else None

    def _media(self) -> list[MediaInfo]:
        return self.tracker.take_media()

    async def _push_one(self, batch: Batch) -> None:
        waited = 0.0
        while True:
            try:
                if await self.buffer.push(batch):
                    self._committed.set()
                    return
            except Exception as exc:
                log.warning("analytics buffer unavailable: %s", exc)
            if waited >= PUSH_WAIT_S:
                self.observer.analytics_dropped("buffer")
                log.warning("an analytics batch was dropped: the buffer stayed full")
                return
            await asyncio.sleep(PUSH_RETRY_S)
            waited += PUSH_RETRY_S

    # ------------------------------------------------------------------ committer
    async def _commit_forever(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._committed.wait(), self.settings.flush_s)
            except TimeoutError:
                pass
            self._committed.clear()
            try:
                for _ in range(COMMIT_ROUNDS):
                    if not await self._commit_once():
                        break
            except Exception as exc:
                log.warning("analytics commit failed: %s", exc)
                await asyncio.sleep(self.settings.flush_s)

    async def _commit_once(self) -> bool:
        """Claim and commit some batches; whether there were any."""
        async with self._commit_lock:
            return await self._claim_and_commit()

    async def _claim_and_commit(self) -> bool:
        found = await self.buffer.claim(self.settings.commit_batches, self.clock.now_ms(), CLAIM_TTL_MS)
        if not found:
            return False
        try:
            written = await self.store.commit(found)
        except SyncError as exc:
            if exc.code is Code.UNAVAILABLE:
                raise  # the claims lapse; the batches come back
            written = await self._commit_one_by_one(found)
        await self.buffer.done([b.batch_id for b in found])
        self.observer.analytics_committed(written)
        if self.on_committed is not None and written:
            self.on_committed(found)
        return True

    async def _commit_one_by_one(self, found: list[Batch]) -> int:
        """A group the store refused (not for being unreachable): each batch alone, and
        one it refuses alone is dropped, counted, so that it cannot hold the rest back."""
        written = 0
        for batch in found:
            try:
                written += await self.store.commit([batch])
            except SyncError as exc:
                if exc.code is Code.UNAVAILABLE:
                    raise
                log.warning("an analytics batch the store refuses was dropped: %s", exc.message)
                self.observer.analytics_dropped("commit")
        return written


# ---------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Query:
    """What a REST call asks about: a party, a media item or the tenant, over a range."""

    party_id: str | None = None
    media_id: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None


@dataclass(frozen=True)
class Range:
    scope: Scope
    since: int
    until: int
    now: int


@dataclass(frozen=True)
class MediaMoments:
    """What a party's members see of its media item's analytics: the views it had and its
    top moments (counts only: nothing of who)."""

    media_id: str | None
    views: int
    top: list[Moment]


LoadParty = Callable[[str], Awaitable[Party | None]]
MomentsKey = tuple[str, str, int, int]


class AnalyticsService:
    def __init__(
        self,
        store: AnalyticsStore,
        capture: AnalyticsCapture,
        clock: Clock,
        pseudonyms: Pseudonyms,
        *,
        load_party: LoadParty,
        pipeline: AnalyticsPipeline | None = None,
    ) -> None:
        self.store = store
        self.capture = capture
        self.clock = clock
        self.pseudonyms = pseudonyms
        self.load_party = load_party
        self.pipeline = pipeline
        # (tenant, media, bucket_s, top) -> (until when, the answer), oldest first.
        self._member_moments: OrderedDict[MomentsKey, tuple[int, MediaMoments]] = OrderedDict()

    async def flush(self) -> None:
        if self.pipeline is not None:
            await self.pipeline.flush()

    # ------------------------------------------------------------------ what other services report
    # (invites report through the sink themselves: services/invites.py)
    def shared(self, user: User, party: Party, ref: str, channel: str | None = None) -> None:
        self.capture.marked(
            Kind.SHARED,
            party.tenant_id,
            self.clock.now_ms(),
            party_id=party.id,
            user_id=user.id,
            ref=ref,
            value=channel,
            media=party.playback.media,
        )

    def poll_vote(self, user: User, party: Party, poll_id: str, choice: str) -> None:
        self.capture.marked(
            Kind.POLL_VOTE,
            party.tenant_id,
            self.clock.now_ms(),
            party_id=party.id,
            user_id=user.id,
            ref=poll_id,
            value=choice,
        )

    def survey_answer(self, user: User, party_id: str | None, survey_id: str, answer: str) -> None:
        self.capture.marked(
            Kind.SURVEY_ANSWER,
            user.tenant_id,
            self.clock.now_ms(),
            party_id=party_id,
            user_id=user.id,
            ref=survey_id,
            value=answer,
        )

    # ------------------------------------------------------------------ access
    async def range_of(self, actor: User, query: Query) -> Range:
        """What a query is about, checked as every metric's is (staff of the tenant, its
        party, a valid range): for other services' reports (feedback)."""
        return await self._range(actor, query)

    async def _range(self, actor: User, query: Query) -> Range:
        if not actor.is_staff or actor.guest:
            raise forbidden("analytics are for the tenant's moderators and admins")
        now = self.clock.now_ms()
        until = query.until_ms if query.until_ms is not None else now + 1
        since = query.since_ms if query.since_ms is not None else until - DEFAULT_RANGE_MS
        if since >= until:
            raise bad_request("since: before until")
        if until - since > MAX_RANGE_MS:
            raise bad_request(f"until: at most {MAX_RANGE_MS // DAY_MS} days after since")
        tenant = actor.tenant_id
        if query.party_id is not None:
            party = await self.load_party(query.party_id)
            if party is None or party.tenant_id != tenant:
                raise not_found("no such party")
        if query.media_id is not None and not await self.store.media(tenant, [query.media_id]):
            raise not_found("no such media item")
        return Range(Scope(tenant, query.party_id, query.media_id), max(0, since), until, now)

    # ------------------------------------------------------------------ metrics
    async def summary(self, actor: User, query: Query) -> tuple[Range, Summary]:
        r = await self._range(actor, query)
        found = await self.store.sessions(r.scope, r.since, r.until)
        started = {s.viewer for s in found if r.since <= s.started_ms < r.until}
        before = await self.store.seen_before(r.scope, r.since, sorted(started))
        views = await self.store.views(r.scope, r.since, r.until) if r.scope.media_id is not None else None
        return r, summary(found, r.since, r.until, r.now, before, views)

    async def concurrency(self, actor: User, query: Query, step_s: int) -> tuple[Range, Concurrency]:
        r = await self._range(actor, query)
        found = await self.store.sessions(r.scope, r.since, r.until)
        return r, concurrency(((s.started_ms, s.end(r.now)) for s in found), r.since, r.until, step_s * 1000)

    async def _positions(self, r: Range) -> tuple[str | None, dict[int, PositionRow], float | None]:
        """The media item's per-second rows: a party's from its raw events, a media
        item's from the aggregates."""
        media_id = r.scope.media_id
        if r.scope.party_id is not None:
            if media_id is None:
                watched: dict[str, int] = {}
                for v in await self.store.views(r.scope, 0, r.now + 1):
                    watched[v.media_id] = watched.get(v.media_id, 0) + v.watch_ms
                media_id = max(watched, key=lambda m: (watched[m], m)) if watched else None
            if media_id is None:
                return None, {}, None
            kinds = [Kind.WATCHED.value, Kind.MESSAGE.value, Kind.REACTION.value]
            found = await self.store.events(
                Scope(r.scope.tenant_id, r.scope.party_id, media_id), r.since, r.until, kinds
            )
            rows = [
                PositionRow(k[3], p.viewers, p.rewatches, p.messages, p.reactions)
                for k, p in fold(found, {}).positions.items()
            ]
        elif media_id is not None:
            rows = await self.store.positions(r.scope.tenant_id, media_id, r.since, r.until)
        else:
            raise bad_request("media: a media item (or party) is needed")
        info = await self.store.media(r.scope.tenant_id, [media_id])
        return media_id, positions_by_second(rows), info[0].duration_s if info else None

    async def retention(self, actor: User, query: Query, unit: str) -> tuple[Range, str | None, Retention]:
        r = await self._range(actor, query)
        media_id, by_second, duration = await self._positions(r)
        views = by_second[VIEW_ROW].viewers if VIEW_ROW in by_second else 0
        return r, media_id, retention(by_second, views, duration, unit)

    async def moments(
        self, actor: User, query: Query, bucket_s: int, top: int
    ) -> tuple[Range, str | None, list[Moment], list[Moment]]:
        r = await self._range(actor, query)
        media_id, by_second, duration = await self._positions(r)
        buckets = moments(by_second, bucket_s, duration)
        return r, media_id, buckets, top_moments(buckets, top)

    async def funnels(self, actor: User, query: Query) -> tuple[Range, dict[str, list[Step]]]:
        r = await self._range(actor, query)
        found = await self.store.refs(r.scope, r.since, r.until)
        joined = await self.store.joined_by(r.scope.tenant_id, [f.ref for f in found])
        return r, funnels(found, joined, r.now)

    async def viewers(self, actor: User, query: Query, limit: int) -> tuple[Range, list[ViewerStats]]:
        r = await self._range(actor, query)
        if r.scope.media_id is not None:
            views = await self.store.views(r.scope, r.since, r.until)
            rows = [(v.viewer, v.watch_ms, v.messages, v.reactions) for v in views]
        else:
            found = await self.store.sessions(r.scope, r.since, r.until)
            rows = [
                (s.viewer, s.watch_ms, s.messages, s.reactions)
                for s in found
                if r.since <= s.started_ms < r.until
            ]
        return r, per_viewer(rows)[:limit]

    async def top(
        self, actor: User, query: Query, by: str, limit: int
    ) -> tuple[Range, list[Ranked], dict[str, Any]]:
        r = await self._range(actor, query)
        names: dict[str, Any] = {}
        if by == "media":
            views = await self.store.views(r.scope, r.since, r.until)
            best = ranked(((v.media_id, v.viewer, v.watch_ms, v.messages, v.reactions) for v in views), limit)
            for m in await self.store.media(r.scope.tenant_id, [b.key for b in best]):
                names[m.media_id] = {
                    "url": m.url,
                    "title": m.title,
                    "duration_s": m.duration_s,
                    "live": m.live,
                }
        else:
            found = await self.store.sessions(r.scope, r.since, r.until)
            rows = (
                (s.party_id, s.viewer, s.watch_ms, s.messages, s.reactions)
                for s in found
                if r.since <= s.started_ms < r.until
            )
            best = ranked(rows, limit)
            for b in best:
                party = await self.load_party(b.key)
                names[b.key] = {"title": party.title if party is not None else None}
        return r, best, names

    # ------------------------------------------------------------------ what members see (protocol 18)
    async def member_moments(self, party: Party, bucket_s: int, top: int) -> MediaMoments:
        """The top moments of the party's media item over every party of the tenant that
        watched it in the last 30 days (the aggregates), for the party's members (the
        caller has checked that the asker joined it). Live media has none. Remembered
        for a minute per node."""
        media = party.playback.media
        if media.kind is MediaKind.LIVE:
            return MediaMoments(None, 0, [])
        now = self.clock.now_ms()
        media_id = media_id_of(media.url)
        key = (party.tenant_id, media_id, bucket_s, top)
        cached = self._member_moments.get(key)
        if cached is not None and cached[0] > now:
            self._member_moments.move_to_end(key)
            return cached[1]
        rows = await self.store.positions(party.tenant_id, media_id, now - MEMBER_MOMENTS_RANGE_MS, now + 1)
        by_second = positions_by_second(rows)
        views = by_second[VIEW_ROW].viewers if VIEW_ROW in by_second else 0
        buckets = moments(by_second, bucket_s, media.duration_s)
        found = MediaMoments(media_id, views, top_moments(buckets, top))
        self._member_moments[key] = (now + MEMBER_MOMENTS_TTL_MS, found)
        self._member_moments.move_to_end(key)
        while len(self._member_moments) > MEMBER_MOMENTS_CACHE:
            self._member_moments.popitem(last=False)
        return found

    @staticmethod
    def watching(party: Party) -> int:
        """Members present now: joined, with a socket (not in the reconnect grace)."""
        return sum(1 for m in party.members.values() if m.connected)

    # ------------------------------------------------------------------ personal data (services/privacy.py)
    name = "analytics_events"

    async def export_user(self, tenant_id: str, user_id: str) -> list[dict[str, Any]]:
        """The user's raw events, under each configured key (pseudonymous, but theirs)."""
        await self.flush()
        found = await self.store.viewer_events(tenant_id, self.pseudonyms.every(tenant_id, user_id))
        return [
            {k: v for k, v in asdict(e).items() if k != "tenant_id"} | {"kind": e.kind.value} for e in found
        ]

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str = "") -> int:
        """Delete the user's raw events, and give their aggregate rows a fresh random
        pseudonym; what this node still holds is written first, so it is found too."""
        await self.flush()
        return await self.store.erase(tenant_id, self.pseudonyms.every(tenant_id, user_id))

    async def expire(self, tenant_id: str, policy: RetentionPolicy, now_ms: int) -> dict[str, int]:
        return await self.store.expire(
            tenant_id,
            policy.cutoff_ms("analytics_events", now_ms),
            policy.cutoff_ms("analytics_aggregates", now_ms),
        )
