"""The party state machine: ``handle(party, command, now_ms) -> Transition``.

All transition rules live here. Nothing in this module reads a clock or does I/O:
time comes in as ``now_ms`` and everything that should happen outside comes back
as events, which the service performs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from socialsync.domain.errors import ConflictError, Reason, SyncError, bad_request, forbidden, not_found
from socialsync.domain.model import (
    MAX_MEMBERS,
    Camera,
    ControlMode,
    Media,
    MediaKind,
    Member,
    Party,
    Playback,
    Role,
    Settings,
    Status,
    User,
)
from socialsync.domain.party import commands as c
from socialsync.domain.party import events as e
from socialsync.domain.party.playback import drift_s, next_in_sync, position_at


@dataclass(frozen=True, slots=True)
class Rules:
    # Plays and seeks start at least this far in the future, so members with different
    # latencies all start at the same instant...
    lead_ms: int = 200
    # ...and further when a member is further away: the slowest connected member's
    # one-way time (half its reported round trip) plus this margin, which covers its
    # jitter and the seek and start its player makes before the instant...
    lead_margin_ms: int = 250
    # ...but never more than this (a member further away starts late, at the position
    # it should have reached).
    max_lead_ms: int = 1_000
    # How long a playing party waits for a buffering member before going on without it
    # (once per stall: then the member is excused until it plays in step again).
    buffer_timeout_ms: int = 8_000
    # A member's buffering holds the party only once it has lasted this long: the
    # moment of buffering that a seek, a start or a corrective seek costs is no stall.
    stall_threshold_ms: int = 1_000
    # A dropped socket keeps its member (and its role) this long, so a reconnect is silent.
    leave_grace_ms: int = 10_000
    # A party nobody has been in for this long ends.
    empty_ttl_ms: int = 30 * 60_000
    # With no position given, live media starts this far behind wall-clock program
    # time: a typical HLS live edge sits three segments (~20-30 s) behind.
    live_edge_delay_s: float = 30.0
    # Live channels play at one shared delay behind wall-clock program time: the largest
    # of the members' reported edge delays (how far behind the newest media their players
    # can play is) plus this margin (room for the next segment to arrive: about one to two
    # segment durations)...
    live_margin_s: float = 4.0
    # ...moved back at once when a member needs more than this beyond it (it would stall),
    # and forward only when all need this much less (each move is a seek for everyone).
    live_slack_s: float = 0.5
    live_tighten_s: float = 2.0
    # Reports made this soon after a playback change may predate it; they do not
    # move a member's in-sync flag.
    settle_ms: int = 1_000
    # Cameras on at once in one party: each is relayed to every other member.
    max_cameras: int = 8


@dataclass(frozen=True, slots=True)
class Transition:
    party: Party
    events: tuple[e.Event, ...] = ()
    changed: bool = False


def create_party(
    party_id: str,
    creator: User,
    title: str,
    media: Media,
    settings: Settings,
    now_ms: int,
    rules: Rules = Rules(),
    *,
    creator_joins: bool = True,
) -> Transition:
    """A new party. The creator is its host, counted as reconnecting until it joins.

    A platform's backend creating a party for others (``creator_joins=False``) is
    not a member: the first to join becomes host.
    """
    host = Member(
        user_id=creator.id,
        name=creator.name,
        role=Role.HOST,
        joined_at_ms=now_ms,
        staff=creator.is_staff,
        disconnected_at_ms=now_ms,
    )
    if media.kind is MediaKind.LIVE:
        playback = Playback(
            media=media,
            status=Status.PLAYING,
            position_s=now_ms / 1000 - rules.live_edge_delay_s,
            at_ms=now_ms,
        )
    else:
        playback = Playback(media=media, at_ms=now_ms)
    party = Party(
        id=party_id,
        tenant_id=creator.tenant_id,
        title=title,
        created_at_ms=now_ms,
        created_by=creator.id,
        settings=settings,
        playback=playback,
        members={host.user_id: host} if creator_joins else {},
        empty_since_ms=None if creator_joins else now_ms,
    )
    if creator_joins:
        timer = e.TimerRequested(_grace_key(host), now_ms + rules.leave_grace_ms)
    else:
        timer = e.TimerRequested(f"empty:{now_ms}", now_ms + rules.empty_ttl_ms)
    return Transition(party, (timer,), changed=True)


class _Change:
    """Accumulates one transition: the party as it becomes, and the events on the way."""

    def __init__(self, party: Party, now_ms: int, rules: Rules) -> None:
        self.party = party
        self.now_ms = now_ms
        self.rules = rules
        self.events: list[e.Event] = []
        self._members: dict[str, Member] | None = None
        self._fields: dict[str, object] = {}

    # -- reading the party as changed so far
    @property
    def members(self) -> dict[str, Member]:
        if self._members is None:
            self._members = dict(self.party.members)
        return self._members

    @property
    def playback(self) -> Playback:
        return self._fields.get("playback", self.party.playback)  # type: ignore[return-value]

    @property
    def settings(self) -> Settings:
        return self._fields.get("settings", self.party.settings)  # type: ignore[return-value]

    def preview(self) -> Party:
        """The party with the changes so far (members aside), for announcing it."""
        return replace(self.party, **self._fields)  # type: ignore[arg-type]

    # -- changing it
    def set(self, **fields: object) -> None:
        self._fields.update(fields)

    def put_member(self, member: Member, *, announce: bool = True) -> None:
        self.members[member.user_id] = member
        if announce and not self.party.is_live_room:
            self.emit(e.MemberUpdated(member))

    def emit(self, event: e.Event) -> None:
        self.events.append(event)

    def set_playback(self, by: str | None, **fields: object) -> None:
        if fields.get("status", self.playback.status) is not Status.PAUSED or "media" in fields:
            fields.setdefault("on_break", False)  # a play, a wait or other media ends a break
            fields.setdefault("break_until_ms", None)
        playback = replace(self.playback, seq=self.playback.seq + 1, by=by, **fields)  # type: ignore[arg-type]
        self.set(playback=playback)
        self.emit(e.PlaybackChanged(playback))

    def done(self) -> Transition:
        members = self._members
        if members is not None and members == self.party.members:
            members = None  # only read (or rewritten to equal values): not a change
        if members is None and not self._fields:
            return Transition(self.party, tuple(self.events), changed=False)
        fields = dict(self._fields)
        if members is not None:
            fields["members"] = members
        party = replace(self.party, version=self.party.version + 1, **fields)  # type: ignore[arg-type]
        return Transition(party, tuple(self.events), changed=True)


class PartyMachine:
    def __init__(self, rules: Rules = Rules()) -> None:
        self.rules = rules
        self._handlers: dict[type, Callable[[_Change, object], None]] = {
            c.Join: self._join,  # type: ignore[dict-item]
            c.Leave: self._leave,  # type: ignore[dict-item]
            c.Disconnect: self._disconnect,  # type: ignore[dict-item]
            c.Evict: self._evict,  # type: ignore[dict-item]
            c.Control: self._control,  # type: ignore[dict-item]
            c.ReportStatus: self._report_status,  # type: ignore[dict-item]
            c.SetRole: self._set_role,  # type: ignore[dict-item]
            c.UpdateSettings: self._update_settings,  # type: ignore[dict-item]
            c.SetChatRules: self._set_chat_rules,  # type: ignore[dict-item]
            c.End: self._end,  # type: ignore[dict-item]
            c.Publish: self._publish,  # type: ignore[dict-item]
            c.Unpublish: self._unpublish,  # type: ignore[dict-item]
            c.Mute: self._mute,  # type: ignore[dict-item]
            c.SetStage: self._set_stage,  # type: ignore[dict-item]
            c.Tick: self._tick,  # type: ignore[dict-item]
        }

    def handle(self, party: Party, command: c.Command, now_ms: int) -> Transition:
        """Apply one command. Raises SyncError, leaving ``party`` untouched, on refusal."""
        if party.ended is not None:
            if isinstance(command, c.Tick):
                return Transition(party)
            raise not_found("the party has ended")
        change = _Change(party, now_ms, self.rules)
        self._handlers[type(command)](change, command)
        return change.done()

    # ------------------------------------------------------------------ membership
    def _join(self, ch: _Change, cmd: c.Join) -> None:
        if cmd.start_at_s is not None:
            _start_at(ch, cmd.start_at_s, cmd.user.id)
        member = ch.members.get(cmd.user.id)
        if member is not None:
            if cmd.session in member.sessions:
                return
            if member.connected:
                ch.put_member(replace(member, sessions=member.sessions | {cmd.session}), announce=False)
            else:
                # Back within the grace period: same member, same role; whatever it
                # was buffering before the drop it will report afresh. It loads again,
                # joining in progress: excused until it plays in step.
                back = replace(
                    member,
                    sessions=frozenset({cmd.session}),
                    disconnected_at_ms=None,
                    buffering=False,
                    buffering_since_ms=None,
                    excused=True,
                    in_ad=False,
                    badges=cmd.badges or member.badges,
                )
                ch.put_member(back)
            return
        if len(ch.members) >= ch.party.settings.max_members and not cmd.user.is_staff:
            raise forbidden(f"the party is full ({ch.party.settings.max_members} members)")
        if ch.party.host is None:
            role = Role.HOST
        elif cmd.user.host_of == ch.party.id:  # a host token's holder, beside the host
            role = Role.COHOST
        else:
            role = Role.MEMBER
        member = Member(
            user_id=cmd.user.id,
            name=cmd.user.name,
            role=role,
            joined_at_ms=ch.now_ms,
            staff=cmd.user.is_staff,
            sessions=frozenset({cmd.session}),
            # Joins in progress: its player loads and starts in step by itself; its
            # loading holds nobody. It is waited for once it has played in step.
            excused=True,
            badges=cmd.badges,
        )
        ch.members[member.user_id] = member
        ch.set(empty_since_ms=None)
        if not ch.party.is_live_room:
            ch.emit(e.MemberJoined(member))

    def _leave(self, ch: _Change, cmd: c.Leave) -> None:
        member = ch.members.get(cmd.user_id)
        if member is None:
            return
        sessions = member.sessions - {cmd.session}
        if sessions:
            ch.put_member(_without_gone_camera(ch, replace(member, sessions=sessions)), announce=False)
        else:
            self._remove_member(ch, member)

    def _disconnect(self, ch: _Change, cmd: c.Disconnect) -> None:
        member = ch.members.get(cmd.user_id)
        if member is None or cmd.session not in member.sessions:
            return
        sessions = member.sessions - {cmd.session}
        if sessions:
            ch.put_member(_without_gone_camera(ch, replace(member, sessions=sessions)), announce=False)
            return
        member = _without_gone_camera(ch, replace(member, sessions=sessions, disconnected_at_ms=ch.now_ms))
        ch.put_member(member)  # members see it as connected: false
        ch.emit(e.TimerRequested(_grace_key(member), ch.now_ms + self.rules.leave_grace_ms))
        # Someone who is gone cannot hold the party back.
        self._resume_if_ready(ch)

    def _evict(self, ch: _Change, cmd: c.Evict) -> None:
        for user_id in list(ch.members):
            # Read afresh: removing an earlier member may have promoted this one to host.
            member = ch.members[user_id]
            if not member.sessions & cmd.sessions:
                continue
            sessions = member.sessions - cmd.sessions
            if sessions:
                ch.put_member(_without_gone_camera(ch, replace(member, sessions=sessions)), announce=False)
            else:
                self._remove_member(ch, member)

    def _remove_member(self, ch: _Change, member: Member) -> None:
        del ch.members[member.user_id]
        if member.camera is not None:
            ch.emit(e.CameraChanged(member.user_id, None))
        if not ch.party.is_live_room:
            ch.emit(e.MemberLeft(member.user_id))
        if member.role is Role.HOST and ch.members:
            heir = min(ch.members.values(), key=lambda m: (m.joined_at_ms, m.user_id))
            ch.put_member(replace(heir, role=Role.HOST))
        if not ch.members:
            self._became_empty(ch)
        else:
            self._resume_if_ready(ch)
            if member.edge_delay_s is not None:
                self._fit_live_delay(ch)  # the one furthest behind may have gone

    def _became_empty(self, ch: _Change) -> None:
        ch.set(empty_since_ms=ch.now_ms)
        ch.emit(e.TimerRequested(f"empty:{ch.now_ms}", ch.now_ms + self.rules.empty_ttl_ms))
        playback = ch.playback
        # Pause a film nobody watches, so the party resumes where it was left; a live
        # channel runs on regardless.
        if playback.media.kind is MediaKind.VOD and playback.status is not Status.PAUSED:
            ch.set_playback(
                None,
                status=Status.PAUSED,
                position_s=position_at(playback, ch.now_ms),
                at_ms=ch.now_ms,
            )

    # ------------------------------------------------------------------ playback
    def _control(self, ch: _Change, cmd: c.Control) -> None:
        actor = self._connected_member(ch, cmd.user_id)
        if ch.party.is_live_room:
            raise forbidden("a live room has no shared playback control")
        if ch.party.settings.control is ControlMode.HOSTS and not actor.may_control:
            raise forbidden("only hosts control playback in this party")
        playback = ch.playback
        if cmd.seq is not None and cmd.seq != playback.seq:
            raise ConflictError(f"stale seq {cmd.seq}; the party is at seq {playback.seq}", playback)
        now = ch.now_ms
        duration = (cmd.media or playback.media).duration_s
        if cmd.position_s is not None and duration is not None and cmd.position_s > duration:
            raise bad_request(f"position {cmd.position_s} is beyond the media's duration {duration}")
        start_at = now + self._lead_ms(ch)
        current = position_at(playback, now)

        if cmd.action is c.Action.PLAY:
            if playback.status is Status.PLAYING and cmd.position_s is None:
                return
            position = cmd.position_s if cmd.position_s is not None else current
            if playback.status is Status.PAUSED and self._laggards(ch):
                self._start_waiting(ch, cmd.user_id, position)
            else:
                # From waiting this is the host's override: go on without the laggards.
                self._excuse_laggards(ch)
                ch.set_playback(cmd.user_id, status=Status.PLAYING, position_s=position, at_ms=start_at)
        elif cmd.action is c.Action.PAUSE:
            if playback.status is Status.PAUSED and cmd.position_s is None:
                return
            position = cmd.position_s if cmd.position_s is not None else current
            ch.set_playback(cmd.user_id, status=Status.PAUSED, position_s=position, at_ms=now)
        elif cmd.action is c.Action.SEEK:
            if cmd.position_s is None:
                raise bad_request("seek needs a position")
            at = start_at if playback.status is Status.PLAYING else now
            ch.set_playback(cmd.user_id, position_s=cmd.position_s, at_ms=at)
        elif cmd.action is c.Action.RATE:
            if cmd.rate is None:
                raise bad_request("rate needs a rate")
            if cmd.rate == playback.rate:
                return
            # Before a scheduled start, keep it: rebasing to now would pull the start forward.
            at = max(now, playback.at_ms) if playback.status is Status.PLAYING else now
            ch.set_playback(cmd.user_id, rate=cmd.rate, position_s=current, at_ms=at)
        elif cmd.action is c.Action.LOAD:
            if cmd.media is None:
                raise bad_request("load needs a media")
            media = cmd.media
            if cmd.position_s is not None:
                position = cmd.position_s
            elif media.kind is MediaKind.LIVE:
                position = now / 1000 - self.rules.live_edge_delay_s
            else:
                position = 0.0
            ch.set_playback(
                cmd.user_id, media=media, status=Status.PAUSED, position_s=position, rate=1.0, at_ms=now
            )
        elif cmd.action is c.Action.BREAK:
            if not actor.may_control:
                raise forbidden("only hosts and cohosts call a break")
            if playback.media.kind is MediaKind.LIVE:
                raise bad_request("a live channel does not pause for a break")
            until = None if cmd.duration_s is None else now + round(cmd.duration_s * 1000)
            ch.set_playback(
                cmd.user_id,
                status=Status.PAUSED,
                position_s=current,
                at_ms=now,
                on_break=True,
                break_until_ms=until,
            )
            if until is not None:
                ch.emit(e.TimerRequested(f"break:{until}", until))

    def _report_status(self, ch: _Change, cmd: c.ReportStatus) -> None:
        member = self._connected_member(ch, cmd.user_id)
        now = ch.now_ms
        playback = ch.playback
        at = cmd.at_ms if cmd.at_ms is not None and abs(cmd.at_ms - now) <= 5_000 else now

        in_sync = member.in_sync
        # An ad suspends the member from sync: its reports meanwhile are not measured,
        # its player's stalls are not stalls; when the ad ends it rejoins as a joiner does.
        in_ad = member.in_ad if cmd.ad is None else cmd.ad
        ad_over = member.in_ad and not in_ad
        buffering = cmd.buffering and not in_ad
        if cmd.seq is not None:
            settled = cmd.seq == playback.seq and at >= playback.at_ms
        else:
            settled = at >= playback.at_ms + self.rules.settle_ms or (
                playback.status is not Status.PLAYING and at >= playback.at_ms
            )
        if settled and not (in_ad or ad_over or member.buffering or buffering):
            drift = drift_s(playback, cmd.position_s, at)
            ch.emit(e.DriftMeasured(member.user_id, drift))
            in_sync = next_in_sync(member.in_sync, drift)
        # An excuse lasts until the member plays in step again (or is ready while the
        # party does not play): one wait per stall, none for a joiner's loading.
        ready = not buffering and (cmd.playing or playback.status is not Status.PLAYING)
        excused = ad_over or (member.excused and not ready)
        since = (member.buffering_since_ms if member.buffering else now) if buffering else None
        wait_for_me = member.wait_for_me if cmd.wait_for_me is None else cmd.wait_for_me
        rtt = member.rtt_ms
        if cmd.rtt_ms is not None and (rtt is None or abs(cmd.rtt_ms - rtt) > max(20, rtt // 5)):
            rtt = cmd.rtt_ms  # kept coarse: a report that changes nothing writes nothing
        edge = member.edge_delay_s
        if cmd.edge_delay_s is not None and (edge is None or abs(cmd.edge_delay_s - edge) > 0.25):
            edge = cmd.edge_delay_s
        updated = replace(
            member,
            buffering=buffering,
            in_sync=in_sync,
            excused=excused,
            buffering_since_ms=since,
            wait_for_me=wait_for_me,
            rtt_ms=rtt,
            in_ad=in_ad,
            edge_delay_s=edge,
        )
        if updated != member:
            # Announced when its standing in the member list changes (health.member_sync).
            announce = (buffering, in_sync, wait_for_me, in_ad, excused) != (
                member.buffering,
                member.in_sync,
                member.wait_for_me,
                member.in_ad,
                member.excused,
            )
            ch.put_member(updated, announce=announce)
            if edge != member.edge_delay_s or in_ad != member.in_ad:
                self._fit_live_delay(ch)
        playing = ch.playback.status is Status.PLAYING
        if playing and since is not None and since == now and self._may_hold(ch, updated):
            # A stall begins: it holds the party if it lasts (judged then, by a timer).
            due = since + self.rules.stall_threshold_ms
            ch.emit(e.TimerRequested(f"stall:{member.user_id}:{since}", due))
        self._wait_or_resume(ch)

    def _wait_or_resume(self, ch: _Change) -> None:
        playback = ch.playback
        if playback.status is Status.PLAYING and self._laggards(ch):
            self._start_waiting(ch, None, position_at(playback, ch.now_ms))
        else:
            self._resume_if_ready(ch)

    def _may_hold(self, ch: _Change, member: Member) -> bool:
        """Whether this member's stall may make the party wait at all."""
        # Read the settings as changed so far (turning waiting off must release the wait);
        # a live room has no shared playback, so nobody's buffering holds it.
        if not ch.settings.wait_for_buffering or ch.party.is_live_room:
            return False
        return member.connected and not member.excused and member.wait_for_me and not member.in_ad

    def _laggards(self, ch: _Change) -> list[Member]:
        """Members that really stall: buffering for stall_threshold_ms and more."""
        threshold = self.rules.stall_threshold_ms
        return [
            m
            for m in ch.members.values()
            if m.buffering
            and self._may_hold(ch, m)
            and (m.buffering_since_ms is None or ch.now_ms - m.buffering_since_ms >= threshold)
        ]

    def _lead_ms(self, ch: _Change) -> int:
        """How far ahead plays, seeks and resumes are scheduled: far enough for the
        slowest connected member's state to arrive and its player to start in time."""
        rtts = [m.rtt_ms for m in ch.members.values() if m.connected and m.rtt_ms is not None]
        if not rtts:
            return self.rules.lead_ms
        fitted = max(rtts) // 2 + self.rules.lead_margin_ms
        return max(self.rules.lead_ms, min(self.rules.max_lead_ms, fitted))

    def _fit_live_delay(self, ch: _Change) -> None:
        """A live channel plays at the smallest delay behind program time that every
        member can sustain: its largest reported edge delay plus the margin."""
        playback = ch.playback
        if playback.media.kind is not MediaKind.LIVE or playback.status is not Status.PLAYING:
            return
        if ch.party.is_live_room:
            return
        edges = [
            m.edge_delay_s
            for m in ch.members.values()
            if m.connected and not m.in_ad and m.edge_delay_s is not None
        ]
        if not edges:
            return
        needed = max(edges) + self.rules.live_margin_s
        now = ch.now_ms
        instant = max(now, playback.at_ms)  # a scheduled start: its own instant
        delay = instant / 1000 - position_at(playback, instant)
        if needed > delay + self.rules.live_slack_s or needed < delay - self.rules.live_tighten_s:
            start = now + self._lead_ms(ch)
            ch.set_playback(None, position_s=round(start / 1000 - needed, 3), at_ms=start)

    def _start_waiting(self, ch: _Change, by: str | None, position: float) -> None:
        epoch = ch.party.wait_epoch + 1
        ch.set(wait_epoch=epoch)
        ch.set_playback(by, status=Status.WAITING, position_s=position, at_ms=ch.now_ms)
        ch.emit(e.TimerRequested(f"buffer:{epoch}", ch.now_ms + self.rules.buffer_timeout_ms))

    def _resume_if_ready(self, ch: _Change) -> None:
        if ch.playback.status is Status.WAITING and not self._laggards(ch):
            self._resume(ch)

    def _resume(self, ch: _Change) -> None:
        ch.set_playback(None, status=Status.PLAYING, at_ms=ch.now_ms + self._lead_ms(ch))

    def _excuse_laggards(self, ch: _Change) -> None:
        for member in self._laggards(ch):
            ch.put_member(replace(member, excused=True), announce=False)

    # ------------------------------------------------------------------ roles and settings
    def _set_role(self, ch: _Change, cmd: c.SetRole) -> None:
        actor = self._connected_member(ch, cmd.user_id)
        if actor.role is not Role.HOST and not actor.staff:
            raise forbidden("only the host changes roles")
        target = ch.members.get(cmd.target_id)
        if target is None:
            raise not_found(f"user {cmd.target_id!r} is not in the party")
        if target.role is cmd.role:
            return
        if cmd.role is Role.HOST:
            current = ch.party.host
            if current is not None:
                ch.put_member(replace(ch.members[current.user_id], role=Role.COHOST))
            ch.put_member(replace(target, role=Role.HOST))
        elif target.role is Role.HOST:
            raise bad_request("hand the host role to someone else instead")
        else:
            ch.put_member(replace(target, role=cmd.role))

    def _update_settings(self, ch: _Change, cmd: c.UpdateSettings) -> None:
        if not cmd.staff:
            self._require_host(ch, cmd.user_id)
        settings = ch.party.settings
        changes = {
            name: value
            for name, value in (
                ("control", cmd.control),
                ("wait_for_buffering", cmd.wait_for_buffering),
                ("max_members", cmd.max_members),
                ("cameras", cmd.cameras),
                ("public", cmd.public),
            )
            if value is not None and getattr(settings, name) != value
        }
        title = cmd.title if cmd.title is not None and cmd.title != ch.party.title else None
        cap = MAX_MEMBERS[settings.type]
        if cmd.max_members is not None and cmd.max_members > cap:
            raise bad_request(f"settings.max_members: at most {cap} for a {settings.type.value}")
        if not changes and title is None:
            return
        if changes:
            ch.set(settings=replace(settings, **changes))  # type: ignore[arg-type]
        if title is not None:
            ch.set(title=title)
        ch.emit(e.PartyUpdated(ch.preview()))
        if changes.get("wait_for_buffering") is False:
            self._resume_if_ready(ch)
        if changes.get("cameras") is False:
            for member in list(ch.members.values()):
                self._camera_off(ch, member)

    def _set_chat_rules(self, ch: _Change, cmd: c.SetChatRules) -> None:
        if not cmd.staff:
            self._require_host(ch, cmd.user_id)
        settings = ch.settings
        rules = replace(settings.chat, **dict(cmd.changes))
        if settings.chat == rules:
            return
        ch.set(settings=replace(settings, chat=rules))
        ch.emit(e.RulesChanged(rules))

    def _end(self, ch: _Change, cmd: c.End) -> None:
        if not cmd.staff:
            self._require_host(ch, cmd.user_id)
        self._finish(ch, "ended_by_host")

    def _finish(self, ch: _Change, reason: str) -> None:
        ch.set(ended=reason)
        ch.emit(e.PartyEnded(reason))

    # ------------------------------------------------------------------ cameras
    def _publish(self, ch: _Change, cmd: c.Publish) -> None:
        member = self._connected_member(ch, cmd.user_id)
        if cmd.session not in member.sessions:
            raise forbidden("publish from a session that has joined the party")
        if not cmd.consent:
            raise forbidden(
                "a camera goes on only when its member chooses to (consent: true)", Reason.CAMERA_CONSENT
            )
        if not (cmd.audio or cmd.video):
            raise bad_request("publish audio, video or both")
        if not ch.settings.cameras:
            raise forbidden("the host has turned cameras off in this party", Reason.CAMERAS_OFF)
        if ch.party.is_live_room and not (member.may_control or member.on_stage):
            raise forbidden(
                "in a live room only hosts and members on stage turn their cameras on", Reason.NOT_ON_STAGE
            )
        others = sum(1 for m in ch.members.values() if m.camera is not None and m.user_id != member.user_id)
        if others >= self.rules.max_cameras:
            raise forbidden(
                f"at most {self.rules.max_cameras} cameras are on at once in a party",
                Reason.CAMERAS_FULL,
                {"max": self.rules.max_cameras},
            )
        camera = Camera(cmd.session, cmd.audio, cmd.video)
        if member.camera == camera:
            return
        ch.put_member(replace(member, camera=camera))
        ch.emit(e.CameraChanged(member.user_id, camera))

    def _unpublish(self, ch: _Change, cmd: c.Unpublish) -> None:
        member = ch.members.get(cmd.user_id)
        if member is not None:
            self._camera_off(ch, member)

    def _mute(self, ch: _Change, cmd: c.Mute) -> None:
        member = self._connected_member(ch, cmd.user_id)
        if member.camera is None:
            raise bad_request("nothing to mute: the camera is off")
        camera = replace(
            member.camera,
            audio_muted=member.camera.audio_muted if cmd.audio is None else cmd.audio,
            video_muted=member.camera.video_muted if cmd.video is None else cmd.video,
        )
        if camera != member.camera:
            ch.put_member(replace(member, camera=camera))
            ch.emit(e.CameraChanged(member.user_id, camera))

    def _set_stage(self, ch: _Change, cmd: c.SetStage) -> None:
        actor = self._connected_member(ch, cmd.user_id)
        if not actor.may_control:
            raise forbidden("only hosts and moderators put members on stage")
        target = ch.members.get(cmd.target_id)
        if target is None:
            raise not_found(f"user {cmd.target_id!r} is not in the party")
        if target.on_stage == cmd.on:
            return
        target = replace(target, on_stage=cmd.on)
        ch.put_member(target)
        if not cmd.on and ch.party.is_live_room and not target.may_control:
            self._camera_off(ch, target)

    @staticmethod
    def _camera_off(ch: _Change, member: Member) -> None:
        if member.camera is not None:
            ch.put_member(replace(member, camera=None))
            ch.emit(e.CameraChanged(member.user_id, None))

    # ------------------------------------------------------------------ timers
    def _tick(self, ch: _Change, cmd: c.Tick) -> None:
        kind, _, arg = cmd.key.partition(":")
        if kind == "buffer":
            if ch.playback.status is Status.WAITING and str(ch.party.wait_epoch) == arg:
                self._excuse_laggards(ch)
                self._resume(ch)
        elif kind == "break":
            playback = ch.playback
            if playback.on_break and str(playback.break_until_ms) == arg:
                if self._laggards(ch):
                    self._start_waiting(ch, None, playback.position_s)
                else:
                    self._resume(ch)
        elif kind == "stall":
            user_id, _, since = arg.rpartition(":")
            member = ch.members.get(user_id)
            if member is not None and member.buffering and str(member.buffering_since_ms) == since:
                self._wait_or_resume(ch)
        elif kind == "grace":
            user_id, _, since = arg.rpartition(":")
            member = ch.members.get(user_id)
            if member is not None and not member.sessions and str(member.disconnected_at_ms) == since:
                self._remove_member(ch, member)
        elif kind == "empty":
            if not ch.members and str(ch.party.empty_since_ms) == arg:
                self._finish(ch, "empty")

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _connected_member(ch: _Change, user_id: str) -> Member:
        member = ch.members.get(user_id)
        if member is None or not member.connected:
            raise forbidden("join the party first")
        return member

    def _require_host(self, ch: _Change, user_id: str) -> Member:
        member = self._connected_member(ch, user_id)
        if member.role is not Role.HOST and not member.staff:
            raise forbidden("only the host may do this")
        return member


def _without_gone_camera(ch: _Change, member: Member) -> Member:
    """The member, its camera off if the session carrying it has gone."""
    if member.camera is not None and member.camera.session not in member.sessions:
        ch.emit(e.CameraChanged(member.user_id, None))
        return replace(member, camera=None)
    return member


def _grace_key(member: Member) -> str:
    return f"grace:{member.user_id}:{member.disconnected_at_ms}"


def not_started(playback: Playback) -> bool:
    """An on-demand party nobody has started: paused where it was created, its state
    never changed since (``seq`` 0)."""
    return playback.media.kind is MediaKind.VOD and playback.status is Status.PAUSED and playback.seq == 0


def _start_at(ch: _Change, start_at_s: float, by: str) -> None:
    """A deep link's moment (``t``): a party that has not started starts there (paused,
    as a new state); one that has is followed as it is. A moment beyond the media's
    known duration is ignored."""
    playback = ch.playback
    duration = playback.media.duration_s
    if not not_started(playback) or (duration is not None and start_at_s > duration):
        return
    if start_at_s != playback.position_s:
        ch.set_playback(by, position_s=start_at_s, at_ms=ch.now_ms)


__all__ = ["PartyMachine", "Rules", "SyncError", "Transition", "create_party"]
