"""The service layer: load a party, let the core decide, commit, then perform the effects.

Per party, state commands run one at a time on this node (a keyed lock) and are
committed with compare-and-set, so several nodes sharing one PartyStore converge
too. Chat goes through the message store instead: a message is published once
it is committed, and each node hands its sockets the party's messages in id
order (services/chat_order.py); a slow database write never delays a playback
command.
"""

from __future__ import annotations

import builtins
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

from socialsync.domain.chat.messages import Message
from socialsync.domain.errors import Code, SyncError, forbidden, not_found
from socialsync.domain.identity import UserKey
from socialsync.domain.model import Media, MediaKind, Member, Party, Settings, Status, User
from socialsync.domain.notices import (
    ERASED,
    CameraChanged,
    ChatDeleted,
    ChatPosted,
    ChatRestored,
    Kicked,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    Notice,
    PartyEnded,
    PartyUpdated,
    PlaybackChanged,
    RulesChanged,
)
from socialsync.domain.party import commands as c
from socialsync.domain.party import events as e
from socialsync.domain.party.health import DriftBook, DriftSummary
from socialsync.domain.party.machine import PartyMachine, Transition, create_party
from socialsync.domain.party.playback import position_at
from socialsync.ports import Clock, Envelope, MessageStore, Observer, PartyStore, RecentMessages, Timers
from socialsync.ports.analytics import AnalyticsSink
from socialsync.ports.webhooks import WebhookEvents
from socialsync.services.hub import MODERATORS, Hub, KeyedLocks
from socialsync.services.recorder import PartyRecorder

log = logging.getLogger("socialsync.services.parties")

CAS_ATTEMPTS = 8
JOIN_HISTORY = 50
RESUME_LIMIT = 1_000
REVIVED_VERSION_STEP = 1 << 20


# A user's badges as a member shows them: (kind, n) pairs (domain/badges.py).
BadgesOf = Callable[[User], Awaitable[tuple[tuple[str, int], ...]]]


class JoinGate(Protocol):
    """Who may not join a party (bans), or create one (tenant bans, a quota):
    services/admission.py implements it, the parties ask it."""

    async def check_join(self, user: User, party_id: str, now_ms: int) -> None: ...

    async def check_create(self, user: User, now_ms: int) -> None: ...


@dataclass(frozen=True)
class Joined:
    party: Party
    you: Member
    messages: builtins.list[Message]
    has_more: bool
    server_time_ms: int


class PartyCalls:
    """The parties' service as the timers and presence call it: they are built before
    it (it schedules on the one, counts on the other), so the composition root binds
    this once the service exists."""

    def __init__(self) -> None:
        self._tick: Callable[[str, str], Awaitable[None]] | None = None
        self._evict: Callable[[str, frozenset[str]], Awaitable[None]] | None = None

    def bind(self, parties: PartyService) -> None:
        self._tick, self._evict = parties.tick, parties.evict

    async def tick(self, party_id: str, key: str) -> None:
        if self._tick is not None:
            await self._tick(party_id, key)

    async def evict(self, party_id: str, sessions: frozenset[str]) -> None:
        if self._evict is not None:
            await self._evict(party_id, sessions)


class PartyService:
    def __init__(
        self,
        *,
        hub: Hub,
        parties: PartyStore,
        messages: MessageStore,
        clock: Clock,
        machine: PartyMachine,
        gate: JoinGate,
        timers: Timers,
        observer: Observer,
        recent: RecentMessages | None = None,
        public_url: str | None = None,
        webhooks: WebhookEvents | None = None,
        analytics: AnalyticsSink | None = None,
        badges: BadgesOf | None = None,
    ) -> None:
        self.hub = hub
        self.parties = parties
        self.messages = messages
        self.clock = clock
        self.machine = machine
        self.gate = gate
        self.timers = timers
        self.observer = observer
        self.recent = recent
        self.public_url = public_url  # for the REST edge's invite links
        # Platforms' webhooks: a transition's events go to the outbox before it is published.
        self.webhooks = webhooks
        # Analytics: each committed command is observed (a bounded queue, never waited on).
        self.analytics = analytics
        # A joining user's badges, shown beside its name (services/badges.py; None: none).
        self.badges = badges
        self.recorder = PartyRecorder(messages, observer)
        # The drift reports this node received, per party (the metrics' and REST's sync health).
        self.drift = DriftBook()
        self._state_locks = KeyedLocks()
        # Out of step with the shared state: from the moment the broker's connection
        # goes until this node has put its parties back (``resume``). A party missing
        # from the store meanwhile is answered `unavailable`, never `not_found`.
        self._resyncing = False
        self._outages = 0

    def user_of(self, session: str) -> User:
        return self.hub.user_of(session)

    # ------------------------------------------------------------------ sessions
    async def disconnect(self, session: str) -> None:
        hub = self.hub
        found = hub.pop_session(session)
        if found is None:
            return
        hub.disconnecting += 1
        try:
            if hub.relay is not None:
                await hub.relay.drop_session(session)
            for party_id in list(found.watching):
                await hub.detach(session, party_id, MODERATORS)
            for party_id in list(found.parties):
                await hub.detach(session, party_id)
                try:
                    await self._run(party_id, c.Disconnect(found.user.id, session))
                except SyncError as exc:
                    if exc.code is not Code.NOT_FOUND:
                        log.warning("disconnect from %s failed: %s", party_id, exc.message)
        finally:
            hub.disconnecting -= 1
            hub.settle()

    # ------------------------------------------------------------------ parties
    async def create(
        self, user: User, title: str, media: Media, settings: Settings, *, creator_joins: bool = True
    ) -> Party:
        party_id = secrets.token_urlsafe(12)  # 96 random bits: the invite is the secret
        now = self.clock.now_ms()
        await self.gate.check_create(user, now)
        transition = create_party(
            party_id, user, title, media, settings, now, self.machine.rules, creator_joins=creator_joins
        )
        await self.messages.record_party(transition.party)
        await self.parties.create(transition.party)
        await self._perform(transition)
        log.info("party created", extra={"type": settings.type.value})
        return transition.party

    async def join(
        self,
        session: str,
        party_id: str,
        since: int | None,
        *,
        start_at_s: float | None = None,
        ref: str | None = None,
    ) -> Joined:
        """``start_at_s``: a deep link's moment, where the party starts if it has not yet.
        ``ref``: the invite's code (or share's id) the user came by, for analytics."""
        user = self.user_of(session)
        await self._load(party_id, user)
        await self.gate.check_join(user, party_id, self.clock.now_ms())
        # Enter the room before reading history: whatever is published from now on
        # reaches this socket, and whatever was before is in the store. Clients drop
        # the overlap by message id.
        await self.hub.attach(session, party_id)
        try:
            badges = await self._badges_of(user)
            transition = await self._run(
                party_id, c.Join(user, session, start_at_s, badges), user=user, ref=ref
            )
        except BaseException:
            await self.hub.detach(session, party_id)
            raise
        found = self.hub.session(session)
        if found is None:
            # The socket closed while it was joining: its disconnect did not know
            # about this party yet, so leave the member its grace period from here.
            await self.hub.detach(session, party_id)
            await self._run(party_id, c.Disconnect(user.id, session))
            raise SyncError(Code.UNAVAILABLE, "disconnected while joining")
        found.parties.add(party_id)
        if since is None:
            newest = await self.messages.before(party_id, None, JOIN_HISTORY + 1, viewer=user.id)
            has_more = len(newest) > JOIN_HISTORY
            messages = list(reversed(newest[:JOIN_HISTORY]))
        else:
            messages = await self.messages_after(party_id, since, RESUME_LIMIT + 1, user.id)
            has_more = len(messages) > RESUME_LIMIT
            messages = messages[:RESUME_LIMIT]
        party = transition.party
        return Joined(party, party.members[user.id], messages, has_more, self.clock.now_ms())

    async def _badges_of(self, user: User) -> tuple[tuple[str, int], ...]:
        """Never the join's failure: without them, the member has none."""
        if self.badges is None or user.guest:
            return ()
        try:
            return await self.badges(user)
        except SyncError as exc:
            log.warning("badges not read: %s", exc.message)
            return ()

    async def leave(self, session: str, party_id: str) -> None:
        user = self.user_of(session)
        self.hub.require_joined(session, party_id)
        await self.hub.leave_party(session, party_id)
        if self.hub.relay is not None:
            await self.hub.relay.drop_session(session, party_id)
        await self._run(party_id, c.Leave(user.id, session), user=user)

    async def get(self, user: User, party_id: str) -> Party:
        return await self._load(party_id, user)

    def drift_summary(self, party_id: str) -> DriftSummary | None:
        """The party's |drift| p50/p95 over the last minute of its members' reports to this node."""
        return self.drift.summary(party_id, self.clock.now_ms())

    def drift_summaries(self) -> builtins.list[DriftSummary]:
        """Every party's with reports to this node in the last minute (for the metrics)."""
        return self.drift.summaries(self.clock.now_ms())

    async def live(self, party_id: str) -> Party | None:
        """The party's live state, whoever asks (None once it ended or never was)."""
        return await self.parties.get(party_id)

    async def list(self, user: User) -> builtins.list[Party]:
        return [p for p in await self.parties.list(user.tenant_id) if p.ended is None]

    async def listed(self, user: User) -> builtins.list[Party]:
        """The parties ``user`` may list (REST): watch parties are private unless made
        public, so only staff see the whole list; everyone sees live rooms and public
        parties."""
        return [p for p in await self.list(user) if user.is_staff or p.is_live_room or p.settings.public]

    async def manage(self, user: User, party_id: str, command: c.UpdateSettings | c.End) -> Party:
        """A host's command from outside the party's sockets (REST): the party's host
        (joined), or the tenant's staff without joining."""
        await self._load(party_id, user)  # revived after a restart, as a GET would
        return (await self._run(party_id, replace(command, staff=user.is_staff), user=user)).party

    async def member_list(self, user: User, party_id: str) -> builtins.list[Member]:
        """The party's members as ``user`` may see them (REST): staff see everyone; a
        member sees what its join showed (in a live room, its hosts and staff only)."""
        party = await self._load(party_id, user)
        members = builtins.list(party.members.values())
        if user.is_staff:
            return members
        if user.id not in party.members:
            raise forbidden("only the party's members and the tenant's staff see its members")
        if party.is_live_room:
            return [m for m in members if m.may_control]
        return members

    async def command(self, session: str, party_id: str, command: c.Command) -> Party:
        """A state command from a joined session (control, status, roles, settings, end)."""
        self.hub.require_joined(session, party_id)
        return (await self._run(party_id, command)).party

    async def check(self, session: str, party_id: str, command: c.Command) -> None:
        """Raise what ``command`` would be refused with now, changing nothing (for work
        worth doing only if the command will pass, such as negotiating media)."""
        party = await self.joined_party(session, party_id)
        self.machine.handle(party, command, self.clock.now_ms())

    async def run_command(self, party_id: str, command: c.Command) -> Party:
        """A state command on behalf of someone the caller has authorised."""
        return (await self._run(party_id, command)).party

    async def tick(self, party_id: str, key: str) -> None:
        try:
            await self._run(party_id, c.Tick(key))
        except SyncError as exc:
            if exc.code is not Code.NOT_FOUND:
                log.warning("timer %s of %s failed: %s", key, party_id, exc.message)

    async def evict(self, party_id: str, sessions: frozenset[str]) -> None:
        """Sessions that died with their node leave the party (presence calls this)."""
        try:
            await self._run(party_id, c.Evict(sessions))
        except SyncError as exc:
            if exc.code is not Code.NOT_FOUND:
                raise

    async def joined_party(self, session: str, party_id: str) -> Party:
        self.hub.require_joined(session, party_id)
        party = await self.parties.get(party_id)
        if party is None:
            raise await self._missing(party_id)
        return party

    async def close(self) -> None:
        """Write what the recorder still owes the database."""
        await self.recorder.close()

    # ------------------------------------------------------------------ publishing
    async def publish(
        self, party_id: str, notice: Notice, *, to_user: UserKey | None = None, audience: str = "members"
    ) -> None:
        """The services' one way to tell a party's sockets (or its moderators) something."""
        if self.recent is not None and audience == "members":
            match notice:
                case ChatPosted(message=message):
                    await self.recent.add(message)
                case ChatRestored(message=message):
                    await self.recent.add(message)
                case ChatDeleted(message_id=message_id):
                    await self.recent.remove(party_id, message_id)
                case _:
                    pass
        to = None if to_user is None else str(to_user)
        await self.hub.publish(Envelope(party_id, notice, to, audience))

    async def publish_message(self, message: Message) -> None:
        """Published once stored (the store calls it after the commit, and a retried
        nonce publishes again: nodes drop ids they delivered); a failed publish fails
        the send, the message staying stored, and the sender's retry publishes it.
        A shadow-muted author sees its message as sent; nobody else does."""
        to_user = None
        if message.hidden:  # rare (shadow-muted authors): the party says whose tenant
            party = await self.parties.get(message.party_id)
            if party is None:
                return
            to_user = UserKey(party.tenant_id, message.user_id)
        await self.publish(message.party_id, ChatPosted(message), to_user=to_user)

    async def messages_after(
        self, party_id: str, after_id: int, limit: int, viewer: str
    ) -> builtins.list[Message]:
        """Messages after ``after_id``: from the recent cache when it covers them
        (a resume right after a reconnect), else from the database."""
        if self.recent is not None:
            try:
                cached = await self.recent.after(party_id, after_id, limit, viewer)
            except SyncError:
                cached = None  # the database has them all
            if cached is not None:
                return cached
        return await self.messages.after(party_id, after_id, limit, viewer=viewer)

    async def kick(
        self, user_id: str, tenant_id: str, party_id: str, reason: str, *, everywhere: bool
    ) -> None:
        """Remove a user from the party (or every party of the tenant), on every node."""
        if everywhere:
            targets = [p.id for p in await self.parties.list(tenant_id) if user_id in p.members]
        else:
            targets = [party_id]
        for target in targets:
            await self.publish(target, Kicked(target, reason), to_user=UserKey(tenant_id, user_id))

    async def erased(self, tenant_id: str, user_id: str) -> None:
        """An erased user's memberships of the tenant's live parties end now, in the
        shared state (a member in its grace period too), and every node takes their
        sockets out of the parties (``party.kicked``, reason ``erased``)."""
        for party in await self.parties.list(tenant_id):
            member = party.members.get(user_id)
            if member is None:
                continue
            command = c.Evict(member.sessions) if member.sessions else c.Leave(user_id, "")
            try:
                await self._run(party.id, command)
            except SyncError as exc:
                log.warning("an erased member was not removed: %s", exc.message)
            await self.publish(party.id, Kicked(party.id, ERASED), to_user=UserKey(tenant_id, user_id))

    # ------------------------------------------------------------------ broker side
    async def on_envelope(self, envelope: Envelope) -> None:
        """This node's part of what the broker brought (after the hub delivered it)."""
        match envelope.event:
            case Kicked(party_id=party_id) if envelope.to_user is not None:
                await self._remove_local(party_id, UserKey.parse(envelope.to_user).user_id)
            case _:
                pass

    async def _remove_local(self, party_id: str, user_id: str) -> None:
        """This node's sockets of the user leave the party, at once."""
        sessions = self.hub.user_sessions(party_id, user_id)
        for session in sessions:
            await self.hub.leave_party(session, party_id)
            if self.hub.relay is not None:
                await self.hub.relay.drop_session(session, party_id)
        if sessions:
            await self._run(party_id, c.Evict(frozenset(sessions)))

    def lost(self) -> None:
        """The broker's connection went: until ``resume`` has run, this node may be
        behind the shared state, or the store may have lost it (Redis restarting)."""
        self._resyncing = True
        self._outages += 1

    @property
    def resynchronising(self) -> bool:
        return self._resyncing

    async def resume(self) -> None:
        """The broker is back after an outage. Redis may have lost everything (it
        keeps nothing on disk by default): put this node's sessions back into its
        parties, then catch its sockets up on the state and chat they may have missed."""
        outage = self._outages
        try:
            local = self.hub.local_members()
            if self.hub.presence is not None:
                await self.hub.presence.restore((p, s) for p, sessions in local.items() for s in sessions)
            for party_id, sessions in local.items():
                try:
                    await self._resume_party(party_id, sessions)
                except SyncError as exc:
                    log.warning("party %s not resumed: %s", party_id, exc.message)
        finally:
            if outage == self._outages:  # no new outage began meanwhile
                self._resyncing = False

    async def _resume_party(self, party_id: str, sessions: builtins.list[str]) -> None:
        party = await self.parties.get(party_id) or await self._revive(party_id, keep_playback=True)
        if party is None:
            return
        present = {s for m in party.members.values() for s in m.sessions}
        for session in sessions:
            found = self.hub.session(session)
            if found is not None and session not in present:
                party = (await self._run(party_id, c.Join(found.user, session))).party
        await self.hub.local.deliver(Envelope(party_id, PlaybackChanged(party_id, party.playback)))
        missed = await self.messages.after(party_id, self.hub.delivered_chat(party_id), RESUME_LIMIT)
        await self.hub.catch_up_chat(party_id, missed)

    # ------------------------------------------------------------------ internals
    async def _run(
        self, party_id: str, command: c.Command, *, user: User | None = None, ref: str | None = None
    ) -> Transition:
        async with self._state_locks.hold(party_id):
            for _ in range(CAS_ATTEMPTS):
                party = await self.parties.get(party_id)
                if party is None:
                    raise await self._missing(party_id)
                if user is not None and party.tenant_id != user.tenant_id:
                    raise not_found("no such party")
                now = self.clock.now_ms()
                transition = self.machine.handle(party, command, now)
                if transition.changed and not await self.parties.save(transition.party, party.version):
                    continue  # another node committed first: decide again on its state
                await self._perform(transition, party)
                if self.analytics is not None:
                    self.analytics.party_changed(party, command, transition, now, ref)
                return transition
        raise SyncError(Code.UNAVAILABLE, "the party is too busy; try again")

    async def _perform(self, transition: Transition, before: Party | None = None) -> None:
        party = transition.party
        pid = party.id
        if self.webhooks is not None and (before is None or transition.changed):
            await self.webhooks.party_changed(before, transition)
        record = False
        for event in transition.events:
            match event:
                case e.PlaybackChanged(playback=playback):
                    record = True
                    await self.publish(pid, PlaybackChanged(pid, playback))
                case e.MemberJoined(member=member):
                    await self.publish(pid, MemberJoined(pid, member))
                case e.MemberLeft(user_id=user_id):
                    await self.publish(pid, MemberLeft(pid, user_id))
                case e.MemberUpdated(member=member):
                    await self.publish(pid, MemberUpdated(pid, member))
                case e.PartyUpdated(party=updated):
                    record = True
                    await self.publish(pid, PartyUpdated(updated))
                case e.RulesChanged(rules=rules):
                    record = True
                    await self.publish(pid, RulesChanged(pid, rules))
                    await self.publish(pid, RulesChanged(pid, rules), audience=MODERATORS)
                case e.PartyEnded(reason=reason):
                    record = True
                    await self.publish(pid, PartyEnded(pid, reason))
                case e.CameraChanged(user_id=user_id, camera=camera):
                    await self.publish(pid, CameraChanged(pid, user_id, camera))
                case e.TimerRequested(key=key, due_ms=due_ms):
                    await self.timers.schedule(pid, key, due_ms)
                case e.DriftMeasured(drift_s=drift):
                    self.observer.drift(drift)
                    self.drift.record(pid, drift, self.clock.now_ms())
        if party.ended is not None:
            await self.recorder.record_now(party)
        elif record:
            self.recorder.record(party)
        if party.ended is not None:
            self.drift.forget(party.id)
            await self.parties.delete(party.id)

    async def _load(self, party_id: str, user: User) -> Party:
        """The live party; one that outlived a restart is revived from its durable row."""
        party = await self.parties.get(party_id)
        if party is None:
            if self._resyncing or await self.parties.rebuilding():
                # Its nodes are putting it back as it is: reviving it here would
                # pause it (or restart it from an older state). Come back shortly.
                raise await self._missing(party_id)
            party = await self._revive(party_id, keep_playback=False)
        if party is None or party.tenant_id != user.tenant_id:
            raise not_found("no such party")
        return party

    async def _missing(self, party_id: str) -> SyncError:
        """What to answer for a party the live store does not have: `not_found` if it
        never was or has ended, `unavailable` while this node or the store is
        catching up after a Redis outage (it exists and is on its way back)."""
        recorded = await self.messages.load_party(party_id)
        if recorded is None or recorded.ended is not None:
            return not_found("no such party")
        if self._resyncing or await self.parties.rebuilding():
            return SyncError(Code.UNAVAILABLE, "resynchronising after a redis outage; try again")
        return not_found("no such party")

    async def _revive(self, party_id: str, *, keep_playback: bool) -> Party | None:
        """The party brought back from its durable row into the live store (None if
        it never was or has ended); another node may have revived it first."""
        recorded = await self.messages.load_party(party_id)
        if recorded is None or recorded.ended is not None:
            return None
        known = self.parties.last_known(party_id) if keep_playback else None
        if known is not None and known.playback.seq >= recorded.playback.seq:
            # This node's copy is at least as new as the row (which is written
            # behind): the state its members were watching, to the millisecond.
            recorded = replace(known, members={})
        now = self.clock.now_ms()
        party = _revived(recorded, now, keep_playback=keep_playback)
        try:
            await self.parties.create(party)
        except SyncError as exc:
            if exc.code is not Code.CONFLICT:
                raise
            return await self.parties.get(party_id) or party
        self.recorder.record(party)  # the revived state, so a second restart agrees
        await self.timers.schedule(party.id, f"empty:{now}", now + self.machine.rules.empty_ttl_ms)
        return party


def _revived(recorded: Party, now_ms: int, *, keep_playback: bool = False) -> Party:
    """A party brought back after a restart: nobody in it yet, paused where it was.

    ``keep_playback``: its members are still watching (the shared state was lost,
    not the nodes), so it goes on as recorded.
    """
    playback = recorded.playback
    if keep_playback:
        # The same state and timeline, under a seq its members take (the row may
        # be a little older than what they hold).
        playback = replace(playback, seq=playback.seq + 1)
    elif playback.media.kind is MediaKind.VOD and playback.status is not Status.PAUSED:
        # A new state, so members who remember the old one take this one.
        playback = replace(
            playback,
            status=Status.PAUSED,
            position_s=position_at(playback, now_ms),
            at_ms=now_ms,
            seq=playback.seq + 1,
            by=None,
        )
    # A version no node's cached copy can carry, so every node reads it afresh.
    version = recorded.version + REVIVED_VERSION_STEP
    return replace(recorded, members={}, playback=playback, empty_since_ms=now_ms, version=version)
