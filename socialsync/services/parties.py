"""The service layer: load a party, let the core decide, commit, then perform the effects.

Per party, state commands run one at a time on this node (a keyed lock) and are
committed with compare-and-set, so several nodes sharing one PartyStore converge
too. Chat goes through the message store instead: a message is published while
the store holds its party's next id, so messages go out in id order from every
node, and a slow database write never delays a playback command.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from socialsync.domain.chat.messages import Message
from socialsync.domain.errors import Code, SyncError, forbidden, not_found
from socialsync.domain.model import Media, MediaKind, Member, Party, Settings, Status, User
from socialsync.domain.party import commands as c
from socialsync.domain.party import events as e
from socialsync.domain.party.machine import PartyMachine, Transition, create_party
from socialsync.domain.party.playback import position_at
from socialsync.ports import (
    Broker,
    Clock,
    Envelope,
    LocalDelivery,
    MessageStore,
    Observer,
    PartyStore,
    Presence,
    RecentMessages,
    Relay,
    Timers,
)
from socialsync.protocol import wire
from socialsync.services.recorder import PartyRecorder

if TYPE_CHECKING:
    from socialsync.services.cameras import CameraService
    from socialsync.services.chat import ChatService
    from socialsync.services.moderation import ModerationService

log = logging.getLogger("socialsync.services.parties")

CAS_ATTEMPTS = 8
JOIN_HISTORY = 50
RESUME_LIMIT = 1_000


@dataclass
class Session:
    user: User
    parties: set[str] = field(default_factory=set)
    watching: set[str] = field(default_factory=set)  # parties it moderates from the panel


@dataclass(frozen=True)
class Joined:
    party: Party
    you: Member
    messages: list[Message]
    has_more: bool
    server_time_ms: int


class KeyedLocks:
    """One asyncio.Lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = defaultdict(int)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]


class PartyService:
    def __init__(
        self,
        *,
        parties: PartyStore,
        messages: MessageStore,
        broker: Broker,
        clock: Clock,
        machine: PartyMachine,
        public_url: str | None = None,
    ) -> None:
        self.parties = parties
        self.messages = messages
        self.broker = broker
        self.clock = clock
        self.machine = machine
        self.public_url = public_url
        self.recorder = PartyRecorder(messages)
        self.local: LocalDelivery | None = None
        self.timers: Timers | None = None
        self.presence: Presence | None = None
        self.recent: RecentMessages | None = None
        self.relay: Relay | None = None
        self.observer: Observer | None = None
        # Set by the composition root (it needs this service to be built first).
        self.moderation: ModerationService = None  # type: ignore[assignment]
        self.cameras: CameraService = None  # type: ignore[assignment]
        self.chat: ChatService = None  # type: ignore[assignment]
        self._sessions: dict[str, Session] = {}
        self.all_disconnected = asyncio.Event()  # set while no socket is connected
        self.all_disconnected.set()
        self._disconnecting = 0
        self._state_locks = KeyedLocks()
        self._room_locks = KeyedLocks()
        # This node's sockets per party, as members and as moderators watching: the
        # node subscribes to each audience of a party while it has sockets in it.
        self._local_members: dict[str, set[str]] = defaultdict(set)
        self._local_watchers: dict[str, set[str]] = defaultdict(set)
        # The newest chat id this node handed to its sockets, per party: where a
        # catch-up starts after the node was cut off from the broker.
        self._delivered_chat: dict[str, int] = {}

    # ------------------------------------------------------------------ sessions
    def connect(self, session: str, user: User) -> None:
        self._sessions[session] = Session(user)
        self.all_disconnected.clear()

    def user_of(self, session: str) -> User:
        found = self._sessions.get(session)
        if found is None:
            raise SyncError(Code.UNAUTHORIZED, "not connected")
        return found.user

    def session_ids(self) -> list[str]:
        return list(self._sessions)

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    async def disconnect(self, session: str) -> None:
        found = self._sessions.pop(session, None)
        if found is None:
            return
        self._disconnecting += 1
        try:
            if self.relay is not None:
                await self.relay.drop_session(session)
            for party_id in list(found.watching):
                await self._detach(session, party_id, "moderators")
            for party_id in list(found.parties):
                await self._detach(session, party_id)
                try:
                    await self._run(party_id, c.Disconnect(found.user.id, session))
                except SyncError as exc:
                    if exc.code is not Code.NOT_FOUND:
                        log.warning("disconnect from %s failed: %s", party_id, exc.message)
        finally:
            self._disconnecting -= 1
            if not self._sessions and not self._disconnecting:
                self.all_disconnected.set()

    # ------------------------------------------------------------------ parties
    async def create(
        self, user: User, title: str, media: Media, settings: Settings, *, creator_joins: bool = True
    ) -> Party:
        party_id = secrets.token_urlsafe(12)  # 96 random bits: the invite is the secret
        now = self.clock.now_ms()
        transition = create_party(
            party_id, user, title, media, settings, now, self.machine.rules, creator_joins=creator_joins
        )
        await self.messages.record_party(transition.party)
        await self.parties.create(transition.party)
        await self._perform(transition)
        log.info("party created", extra={"party": party_id, "user": user.id, "type": settings.type.value})
        return transition.party

    async def join(self, session: str, party_id: str, since: int | None) -> Joined:
        user = self.user_of(session)
        await self._load(party_id, user)
        await self.moderation.check_join(user, party_id, self.clock.now_ms())
        # Enter the room before reading history: whatever is published from now on
        # reaches this socket, and whatever was before is in the store. Clients drop
        # the overlap by message id.
        await self._attach(session, party_id)
        try:
            transition = await self._run(party_id, c.Join(user, session), user=user)
        except BaseException:
            await self._detach(session, party_id)
            raise
        found = self._sessions.get(session)
        if found is None:
            # The socket closed while it was joining: its disconnect did not know
            # about this party yet, so leave the member its grace period from here.
            await self._detach(session, party_id)
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
        newest = messages[-1].id if messages else (since or 0)
        self._delivered_chat[party_id] = max(self._delivered_chat.get(party_id, 0), newest)
        return Joined(party, party.members[user.id], messages, has_more, self.clock.now_ms())

    async def leave(self, session: str, party_id: str) -> None:
        user = self.user_of(session)
        self._require_joined(session, party_id)
        self._sessions[session].parties.discard(party_id)
        await self._detach(session, party_id)
        if self.relay is not None:
            await self.relay.drop_session(session, party_id)
        await self._run(party_id, c.Leave(user.id, session), user=user)

    async def get(self, user: User, party_id: str) -> Party:
        return await self._load(party_id, user)

    async def list(self, user: User) -> list[Party]:
        return [p for p in await self.parties.list(user.tenant_id) if p.ended is None]

    async def command(self, session: str, party_id: str, command: c.Command) -> Party:
        """A state command from a joined session (control, status, roles, settings, end)."""
        self._require_joined(session, party_id)
        return (await self._run(party_id, command)).party

    async def check(self, session: str, party_id: str, command: c.Command) -> None:
        """Raise what ``command`` would be refused with now, changing nothing (for work
        worth doing only if the command will pass, such as negotiating media)."""
        party = await self._joined_party(session, party_id)
        self.machine.handle(party, command, self.clock.now_ms())

    async def tick(self, party_id: str, key: str) -> None:
        try:
            await self._run(party_id, c.Tick(key))
        except SyncError as exc:
            if exc.code is not Code.NOT_FOUND:
                log.warning("timer %s of %s failed: %s", key, party_id, exc.message)

    async def close(self) -> None:
        """Flush what the chat owes members (reaction windows), then the recorder."""
        await self.chat.close()
        await self.recorder.close()

    # ------------------------------------------------------------------ broker side
    async def on_envelope(self, envelope: Envelope) -> None:
        """An envelope for a party this node has members in: hand it to the sockets."""
        if self.local is not None:
            await self.local.deliver(envelope)
        if envelope.event == "chat.message" and envelope.to_user is None:
            newest = self._delivered_chat.get(envelope.party_id, 0)
            self._delivered_chat[envelope.party_id] = max(newest, int(envelope.payload.get("id", 0)))
        if self.relay is not None:
            if envelope.event == "rtc.camera" and envelope.payload.get("camera") is None:
                await self.relay.unpublish(envelope.party_id, str(envelope.payload.get("user")))
            elif envelope.event == "party.ended":
                await self.relay.drop_party(envelope.party_id)
        if envelope.event == "party.kicked" and envelope.to_user is not None:
            await self._remove_local(envelope.party_id, envelope.to_user)
        if envelope.event == "party.ended":
            for session in list(self._local_members.get(envelope.party_id, ())):
                found = self._sessions.get(session)
                if found is not None:
                    found.parties.discard(envelope.party_id)
                await self._detach(session, envelope.party_id)

    async def publish(self, envelope: Envelope) -> None:
        if self.recent is not None and envelope.event == "chat.deleted" and envelope.audience == "members":
            await self.recent.remove(envelope.party_id, int(envelope.payload["id"]))
        await self.broker.publish(envelope)

    async def evict(self, party_id: str, sessions: frozenset[str]) -> None:
        """Sessions that died with their node leave the party (presence calls this)."""
        try:
            await self._run(party_id, c.Evict(sessions))
        except SyncError as exc:
            if exc.code is not Code.NOT_FOUND:
                raise

    async def resume(self) -> None:
        """The broker is back after an outage. Redis may have lost everything (it
        keeps nothing on disk by default): put this node's sessions back into its
        parties, then catch its sockets up on the state and chat they may have missed."""
        local = {party_id: list(sessions) for party_id, sessions in self._local_members.items()}
        if self.presence is not None:
            await self.presence.restore((p, s) for p, sessions in local.items() for s in sessions)
        for party_id, sessions in local.items():
            try:
                await self._resume_party(party_id, sessions)
            except SyncError as exc:
                log.warning("party %s not resumed: %s", party_id, exc.message)

    async def _resume_party(self, party_id: str, sessions: list[str]) -> None:
        party = await self.parties.get(party_id) or await self._revive(party_id, keep_playback=True)
        if party is None:
            return
        present = {s for m in party.members.values() for s in m.sessions}
        for session in sessions:
            found = self._sessions.get(session)
            if found is not None and session not in present:
                party = (await self._run(party_id, c.Join(found.user, session))).party
        if self.local is None:
            return
        await self.local.deliver(
            Envelope(party_id, "playback.state", wire.playback_out(party_id, party.playback))
        )
        missed = await self.messages.after(party_id, self._delivered_chat.get(party_id, 0), RESUME_LIMIT)
        for message in missed:
            await self.on_envelope(Envelope(party_id, "chat.message", wire.message_out(message)))

    async def run_command(self, party_id: str, command: c.Command) -> Party:
        """A state command on behalf of someone the caller has authorised."""
        return (await self._run(party_id, command)).party

    async def kick(
        self, user_id: str, tenant_id: str, party_id: str, reason: str, *, everywhere: bool
    ) -> None:
        """Remove a user from the party (or every party of the tenant), on every node."""
        if everywhere:
            targets = [p.id for p in await self.parties.list(tenant_id) if user_id in p.members]
        else:
            targets = [party_id]
        for target in targets:
            payload = {"party": target, "reason": reason}
            await self.publish(Envelope(target, "party.kicked", payload, to_user=user_id))

    async def _remove_local(self, party_id: str, user_id: str) -> None:
        """This node's sockets of the user leave the party, at once."""
        sessions = [
            s
            for s in self._local_members.get(party_id, ())
            if (found := self._sessions.get(s)) is not None
            and found.user.id == user_id
            and party_id in found.parties
        ]
        for session in sessions:
            self._sessions[session].parties.discard(party_id)
            await self._detach(session, party_id)
            if self.relay is not None:
                await self.relay.drop_session(session, party_id)
        if sessions:
            await self._run(party_id, c.Evict(frozenset(sessions)))

    async def watch(self, session: str, party_id: str) -> dict[str, Any]:
        """A moderator's panel follows the room: its snapshot, then its mod.* events."""
        user = self.user_of(session)
        snapshot = await self.moderation.snapshot(user, party_id)
        found = self._sessions[session]
        if party_id not in found.watching:
            found.watching.add(party_id)
            await self._attach(session, party_id, "moderators")
        return snapshot

    async def unwatch(self, session: str, party_id: str) -> None:
        found = self._sessions.get(session)
        if found is not None and party_id in found.watching:
            found.watching.discard(party_id)
            await self._detach(session, party_id, "moderators")

    # ------------------------------------------------------------------ internals
    async def _run(self, party_id: str, command: c.Command, *, user: User | None = None) -> Transition:
        async with self._state_locks.hold(party_id):
            for _ in range(CAS_ATTEMPTS):
                party = await self.parties.get(party_id)
                if party is None or (user is not None and party.tenant_id != user.tenant_id):
                    raise not_found("no such party")
                transition = self.machine.handle(party, command, self.clock.now_ms())
                if transition.changed and not await self.parties.save(transition.party, party.version):
                    continue  # another node committed first: decide again on its state
                await self._perform(transition)
                return transition
        raise SyncError(Code.UNAVAILABLE, "the party is too busy; try again")

    async def _perform(self, transition: Transition) -> None:
        party = transition.party
        record = False
        for event in transition.events:
            match event:
                case e.PlaybackChanged(playback=playback):
                    record = True
                    await self._publish(party.id, "playback.state", wire.playback_out(party.id, playback))
                case e.MemberJoined(member=member):
                    await self._publish(
                        party.id, "member.joined", {"party": party.id, "member": wire.member_out(member)}
                    )
                case e.MemberLeft(user_id=user_id):
                    await self._publish(party.id, "member.left", {"party": party.id, "user": user_id})
                case e.MemberUpdated(member=member):
                    await self._publish(
                        party.id, "member.updated", {"party": party.id, "member": wire.member_out(member)}
                    )
                case e.PartyUpdated(party=updated):
                    record = True
                    info = wire.party_out(updated, self.public_url)
                    await self._publish(party.id, "party.updated", {"party": party.id, "info": info})
                case e.RulesChanged(rules=rules):
                    record = True
                    await self._publish(
                        party.id, "party.rules", {"party": party.id, "rules": wire.rules_out(rules)}
                    )
                    await self.publish(
                        Envelope(
                            party.id,
                            "party.rules",
                            {"party": party.id, "rules": wire.rules_out(rules)},
                            audience="moderators",
                        )
                    )
                case e.PartyEnded(reason=reason):
                    record = True
                    await self._publish(party.id, "party.ended", {"party": party.id, "reason": reason})
                case e.CameraChanged(user_id=user_id, camera=camera):
                    payload = {"party": party.id, "user": user_id, "camera": wire.camera_out(camera)}
                    await self._publish(party.id, "rtc.camera", payload)
                case e.TimerRequested(key=key, due_ms=due_ms):
                    if self.timers is not None:
                        await self.timers.schedule(party.id, key, due_ms)
                case e.DriftMeasured(drift_s=drift):
                    if self.observer is not None:
                        self.observer.drift(drift)
        if party.ended is not None:
            await self.recorder.record_now(party)
        elif record:
            self.recorder.record(party)
        if party.ended is not None:
            await self.parties.delete(party.id)

    async def publish_message(self, message: Message) -> None:
        """Published while its id is locked, so messages go out in id order on every
        node; a failed publish undoes the append (the sender retries with its nonce).
        A shadow-muted author sees its message as sent; nobody else does."""
        if self.recent is not None:
            await self.recent.add(message)
        to_user = message.user_id if message.hidden else None
        await self.publish(Envelope(message.party_id, "chat.message", wire.message_out(message), to_user))

    async def messages_after(self, party_id: str, after_id: int, limit: int, viewer: str) -> list[Message]:
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

    async def _publish(self, party_id: str, event: str, payload: dict[str, Any]) -> None:
        await self.broker.publish(Envelope(party_id, event, payload))

    async def _load(self, party_id: str, user: User) -> Party:
        """The live party; one that outlived a restart is revived from its durable row."""
        party = await self.parties.get(party_id) or await self._revive(party_id, keep_playback=False)
        if party is None or party.tenant_id != user.tenant_id:
            raise not_found("no such party")
        return party

    async def _revive(self, party_id: str, *, keep_playback: bool) -> Party | None:
        """The party brought back from its durable row into the live store (None if
        it never was or has ended); another node may have revived it first."""
        recorded = await self.messages.load_party(party_id)
        if recorded is None or recorded.ended is not None:
            return None
        now = self.clock.now_ms()
        party = _revived(recorded, now, keep_playback=keep_playback)
        try:
            await self.parties.create(party)
        except SyncError as exc:
            if exc.code is not Code.CONFLICT:
                raise
            return await self.parties.get(party_id) or party
        self.recorder.record(party)  # the revived state, so a second restart agrees
        if self.timers is not None:
            await self.timers.schedule(party.id, f"empty:{now}", now + self.machine.rules.empty_ttl_ms)
        return party

    async def joined_party(self, session: str, party_id: str) -> Party:
        return await self._joined_party(session, party_id)

    async def _joined_party(self, session: str, party_id: str) -> Party:
        self._require_joined(session, party_id)
        party = await self.parties.get(party_id)
        if party is None:
            raise not_found("no such party")
        return party

    def _require_joined(self, session: str, party_id: str) -> None:
        found = self._sessions.get(session)
        if found is None or party_id not in found.parties:
            raise forbidden("join the party first")

    async def _attach(self, session: str, party_id: str, audience: str = "members") -> None:
        # Per party, one at a time: the first socket in subscribes, the last one out
        # unsubscribes, and none may pass a subscription that is still under way.
        rooms = self._local_members if audience == "members" else self._local_watchers
        async with self._room_locks.hold(party_id):
            local = rooms[party_id]
            if not local:
                try:
                    await self.broker.subscribe(party_id, audience)
                except BaseException:
                    del rooms[party_id]
                    raise
            local.add(session)
        if audience == "members" and self.presence is not None:
            await self.presence.add(party_id, session)
        if self.local is not None:
            await self.local.attach(session, party_id, audience)

    async def _detach(self, session: str, party_id: str, audience: str = "members") -> None:
        if self.local is not None:
            await self.local.detach(session, party_id, audience)
        if audience == "members" and self.presence is not None:
            await self.presence.remove(party_id, session)
        rooms = self._local_members if audience == "members" else self._local_watchers
        async with self._room_locks.hold(party_id):
            local = rooms.get(party_id)
            if local is None:
                return
            local.discard(session)
            if not local:
                del rooms[party_id]
                if audience == "members":
                    self._delivered_chat.pop(party_id, None)
                await self.broker.unsubscribe(party_id, audience)


def _revived(recorded: Party, now_ms: int, *, keep_playback: bool = False) -> Party:
    """A party brought back after a restart: nobody in it yet, paused where it was.

    ``keep_playback``: its members are still watching (the shared state was lost,
    not the nodes), so it goes on as recorded.
    """
    playback = recorded.playback
    if keep_playback:
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
    return replace(recorded, members={}, playback=playback, empty_since_ms=now_ms)
