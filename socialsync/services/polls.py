"""Polls and predictions (docs/polls.md): who runs them, votes counted once, live results
in bursts, the end announced once to everyone, to analytics and to webhooks.

The rules are pure (domain/polls.py); the ``PollStore`` port holds each party's current
poll with its votes, shared by the nodes of a cluster. A change (close, lock, resolve,
cancel, what a timer does) is decided on the stored poll and saved with compare-and-set,
as party commands are; a vote is counted by the store, atomically with the poll's status.
Votes are not echoed one by one: each node sums up a short window of its votes and then
sends the poll's counts (totals, read from the store) to the party, as reactions are sent.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from socialsync.domain.analytics.events import Kind
from socialsync.domain.errors import Code, SyncError, not_found
from socialsync.domain.identity import UserKey
from socialsync.domain.model import Member, Party, User
from socialsync.domain.notices import PartyEnded, PollChanged, PollCounted
from socialsync.domain.polls import (
    Poll,
    PollDraft,
    PollStatus,
    Tally,
    busy,
    check_draft,
    check_may_run,
    check_vote,
    closed,
    counts_of,
    ended_event,
    is_timer,
    open_poll,
    text_of,
    the,
    timer_poll,
    timers,
    voted_already,
    zeros,
)
from socialsync.domain.polls import cancel as cancel_poll
from socialsync.domain.polls import close as close_poll
from socialsync.domain.polls import due as due_change
from socialsync.domain.polls import resolve as resolve_poll
from socialsync.domain.ratelimit import Buckets, Limit
from socialsync.domain.webhooks import EventDraft, OutboxEvent
from socialsync.ports import Envelope
from socialsync.ports.polls import Counted, PollStore
from socialsync.services.hub import KeyedLocks
from socialsync.services.moderation import ModerationService
from socialsync.services.parties import PartyService

log = logging.getLogger("socialsync.services.polls")

CAS_ATTEMPTS = 8
MAX_BUCKETS = 100_000


@dataclass(frozen=True)
class PollSettings:
    # Votes are summed this long on each node, then the counts go out.
    results_window_ms: int = 500
    # Polls (and predictions) opened per party on one node: a burst, then one every 12 s.
    opens: Limit = Limit(5, 1 / 12)


class WebhookWriter(Protocol):
    """What the polls need of the webhooks' outbox (services/webhooks.py's WebhookOutbox)."""

    async def listening(self, tenant_id: str) -> bool: ...

    def stamp(self, drafts: Sequence[EventDraft]) -> list[OutboxEvent]: ...

    async def emit(self, events: Sequence[OutboxEvent]) -> None: ...


Fire = Callable[[str, str], Awaitable[None]]


class PollTimers:
    """What the timers call: a poll's timer goes to the polls' service, any other to
    ``others`` (the parties'). The timers are built before the services, so the
    composition root binds the polls' service once it exists."""

    def __init__(self, others: Fire) -> None:
        self._others = others
        self._polls: Fire | None = None

    def bind(self, polls: PollService) -> None:
        self._polls = polls.tick

    async def fire(self, party_id: str, key: str) -> None:
        if is_timer(key):
            if self._polls is not None:
                await self._polls(party_id, key)
            return
        await self._others(party_id, key)


class PollService:
    def __init__(
        self,
        parties: PartyService,
        moderation: ModerationService,
        store: PollStore,
        settings: PollSettings | None = None,
        *,
        webhooks: WebhookWriter | None = None,
        new_id: Callable[[], str] = lambda: secrets.token_urlsafe(9),
    ) -> None:
        self.parties = parties
        self.moderation = moderation
        self.store = store
        self.settings = settings or PollSettings()
        self.webhooks = webhooks
        self.new_id = new_id
        self._locks = KeyedLocks()
        self._opens: Buckets[str] = Buckets(MAX_BUCKETS)
        # This node's open results window per party: the poll's id, the task that sends its counts.
        self._windows: dict[str, tuple[str, asyncio.Task[None]]] = {}

    # ------------------------------------------------------------------ requests
    async def open(self, session: str, party_id: str, draft: PollDraft) -> Tally:
        user, party, member = await self._runner(session, party_id)
        check_draft(draft)
        now = self.parties.clock.now_ms()
        wait_s = self._opens.take(party_id, self.settings.opens, now)
        if wait_s:
            raise SyncError(
                Code.RATE_LIMITED, "too many polls in this party: wait a little", retry_after_s=wait_s
            )
        await self.moderation.check_may_post(user, party, now, reaction=True)
        verdict = await self.moderation.screen_text(user, party, text_of(draft), now)
        if verdict.action != "allow":
            if verdict.reasons == ("link",):
                raise SyncError(Code.MODERATED, "links are off in this room")
            raise SyncError(Code.MODERATED, "the poll was not accepted")
        current = await self.store.current(party_id)
        poll = open_poll(self.new_id(), party.id, party.tenant_id, member, draft, _poll_of(current), now)
        under_way = await self.store.open(poll, poll.keep_until_ms(now))
        if under_way is not None:
            raise busy(under_way)
        log.info("poll opened", extra={"kind": poll.kind.value, "choices": len(poll.choices)})
        return await self._announce(Tally(poll, zeros(poll)), now)

    async def vote(self, session: str, party_id: str, poll_id: str, choice: int) -> int:
        user = self.parties.user_of(session)
        party = await self.parties.joined_party(session, party_id)
        now = self.parties.clock.now_ms()
        current = await self._settled(party_id, now)
        check_vote(_poll_of(current), poll_id, choice, now)
        voter = str(UserKey(user.tenant_id, user.id))
        result = await self.store.vote(party_id, poll_id, voter, choice)
        match result.outcome:
            case Counted.AGAIN:
                raise voted_already(result.choice if result.choice is not None else choice)
            case Counted.CLOSED:
                raise closed()
            case Counted.MISSING:
                raise not_found("no such poll in this party")
            case Counted.COUNTED:
                pass
        self._counted(party_id, poll_id)
        analytics = self.parties.analytics
        if analytics is not None:
            analytics.marked(
                Kind.POLL_VOTE,
                party.tenant_id,
                now,
                party_id=party.id,
                user_id=user.id,
                ref=poll_id,
                value=str(choice),
            )
        return choice

    async def close(self, session: str, party_id: str, poll_id: str) -> Tally:
        """A poll ends now, with its result; a prediction locks."""
        await self._runner(session, party_id)
        return await self._change(party_id, poll_id, close_poll)

    async def cancel(self, session: str, party_id: str, poll_id: str) -> Tally:
        await self._runner(session, party_id)
        return await self._change(party_id, poll_id, cancel_poll)

    async def resolve(self, session: str, party_id: str, poll_id: str, outcome: int) -> Tally:
        await self._runner(session, party_id)
        return await self._change(party_id, poll_id, lambda poll, now: resolve_poll(poll, outcome, now))

    async def current(self, session: str, party_id: str) -> tuple[Tally | None, int | None]:
        """The party's current poll (under way, or ended within the hour) and the caller's vote in it."""
        user = self.parties.user_of(session)
        await self.parties.joined_party(session, party_id)
        tally = await self._settled(party_id, self.parties.clock.now_ms())
        if tally is None:
            return None, None
        choice = await self.store.choice_of(party_id, tally.poll.id, str(UserKey(user.tenant_id, user.id)))
        return tally, choice

    # ------------------------------------------------------------------ timers and the broker
    async def tick(self, party_id: str, key: str) -> None:
        """A poll's timer: whatever time has done to it (closed, locked, cancelled)."""
        try:
            await self._change(party_id, timer_poll(key), due_change)
        except SyncError as exc:
            if exc.code is not Code.NOT_FOUND:  # another poll by now
                log.warning("poll timer %s failed: %s", key, exc.message)

    async def on_envelope(self, envelope: Envelope) -> None:
        """A party that ended takes its poll with it."""
        if isinstance(envelope.event, PartyEnded) and envelope.audience == "members":
            try:
                await self.store.forget(envelope.party_id)
            except SyncError as exc:
                log.warning("an ended party's poll stays until it expires: %s", exc.message)

    async def close_service(self) -> None:
        """Send the open results windows (they are owed to members)."""
        pending = [task for _, task in self._windows.values()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    # ------------------------------------------------------------------ internals
    async def _runner(self, session: str, party_id: str) -> tuple[User, Party, Member]:
        """The caller, if it may run the party's polls (a joined host, cohost or moderator)."""
        user = self.parties.user_of(session)
        party = await self.parties.joined_party(session, party_id)
        member = party.members.get(user.id)
        check_may_run(member)
        assert member is not None
        return user, party, member

    async def _settled(self, party_id: str, now_ms: int) -> Tally | None:
        """The party's current poll, with what time has done to it applied (its timer may
        be late, or lost with a Redis outage)."""
        tally = await self.store.current(party_id)
        if tally is not None and due_change(tally.poll, now_ms) is not None:
            try:
                return await self._change(party_id, tally.poll.id, due_change)
            except SyncError as exc:
                if exc.code is not Code.NOT_FOUND:
                    raise
                return await self.store.current(party_id)
        return tally

    async def _change(self, party_id: str, poll_id: str, decide: Callable[[Poll, int], Poll | None]) -> Tally:
        async with self._locks.hold(party_id):
            for _ in range(CAS_ATTEMPTS):
                current = await self.store.current(party_id)
                poll = the(_poll_of(current), poll_id)
                now = self.parties.clock.now_ms()
                changed = decide(poll, now)
                if changed is None:
                    assert current is not None
                    return current
                if await self.store.save(changed, poll.version, changed.keep_until_ms(now)):
                    found = await self.store.current(party_id)
                    same = found is not None and found.poll.id == changed.id
                    counts = (
                        found.counts if found is not None and same else counts_of({}, len(changed.choices))
                    )
                    return await self._announce(Tally(changed, counts), now)
        raise SyncError(Code.UNAVAILABLE, "the poll is too busy; try again")

    async def _announce(self, tally: Tally, now_ms: int) -> Tally:
        """The poll's timers set, the change told to the party (and, at its end, to the
        platform's webhooks)."""
        poll = tally.poll
        for key, due_ms in timers(poll):
            await self.parties.timers.schedule(poll.party_id, key, due_ms)
        if poll.status is PollStatus.ENDED:  # in the outbox before anyone is told, as a party's end
            await self._webhook(tally, now_ms)
        await self.parties.publish(poll.party_id, PollChanged(tally))
        return tally

    async def _webhook(self, tally: Tally, now_ms: int) -> None:
        hooks = self.webhooks
        if hooks is None:
            return
        try:
            if await hooks.listening(tally.poll.tenant_id):
                await hooks.emit(hooks.stamp([ended_event(tally, now_ms)]))
        except SyncError as exc:
            log.warning("a poll's end was not written for webhooks: %s", exc.message)

    def _counted(self, party_id: str, poll_id: str) -> None:
        window = self._windows.get(party_id)
        if window is None or window[0] != poll_id:
            self._windows[party_id] = (poll_id, asyncio.create_task(self._flush(party_id, poll_id)))

    async def _flush(self, party_id: str, poll_id: str) -> None:
        await asyncio.sleep(self.settings.results_window_ms / 1000)
        window = self._windows.get(party_id)
        if window is not None and window[1] is asyncio.current_task():
            del self._windows[party_id]  # a vote from now on opens the next window
        try:
            tally = await self.store.current(party_id)
            if tally is None or tally.poll.id != poll_id or not tally.poll.voting:
                return  # over: its end carried the final counts
            await self.parties.publish(party_id, PollCounted(party_id, poll_id, tally.counts))
        except SyncError as exc:
            log.warning("poll results for %s not sent: %s", party_id, exc.message)


def _poll_of(tally: Tally | None) -> Poll | None:
    return None if tally is None else tally.poll
