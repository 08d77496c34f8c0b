"""Reaction clips: the clip.* events, between the party (who may record, what the
media was) and this node's media relay (which records), the clip store and the clip
directory. Moderation is the chat's: the same sanctions and room modes gate a clip,
the same review queue holds it in live rooms (and reported ones: ``report``),
the same audit log records removals.

A clip's row and file go together: the row is written once the file is closed, and
deletion removes the file, then the row (what the audit log keeps is who removed
which clip, when, and where it sat in the media; never the media itself).
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from socialsync.domain.audit import clip_reason_details
from socialsync.domain.clips import (
    Clip,
    ClipReport,
    ClipStatus,
    audit_details,
    check_reportable,
    clip_media_time,
    initial_status,
    visible_to,
)
from socialsync.domain.codec import playback_from_data, playback_to_data
from socialsync.domain.errors import Code, Reason, SyncError, bad_request, forbidden, not_found
from socialsync.domain.identity import UserKey
from socialsync.domain.model import Playback, Role, TenantRole, User
from socialsync.domain.notices import (
    ClipAdded,
    ClipEnded,
    ClipForModerators,
    ClipRecording,
    ClipRemoved,
    ClipReported,
    SignedClip,
)
from socialsync.domain.privacy import Consent, ConsentKind
from socialsync.domain.ratelimit import Limit
from socialsync.domain.tenant import Tenant
from socialsync.domain.webhooks import EventDraft, clip_recorded, clip_removed
from socialsync.ports.clip_store import ClipStore
from socialsync.ports.media import ClipContext, ClipLimits, MediaRelay, RecordedClipData
from socialsync.ports.webhooks import Outbox
from socialsync.services.chat import RateLimits
from socialsync.services.moderation import REPORTS_TO_HOLD, ModerationService, TakenDown
from socialsync.services.parties import PartyService

log = logging.getLogger("socialsync.services.clips")

# Recording starts per member: three in a row, then one every 10 s.
START_LIMIT = Limit(burst=3, per_s=0.1)


@dataclass(frozen=True)
class ClipSettings:
    """Built from the configuration (socialsync/config.py holds the defaults)."""

    directory: Path
    max_s: float
    max_bytes: int
    per_party: int
    recordings_per_party: int
    url_ttl_s: int


@dataclass(frozen=True)
class RecordingStarted:
    clip_id: str
    started_at_ms: int
    max_duration_s: float
    mime_type: str


@dataclass(frozen=True)
class ModeratorsClips:
    """mod.watch's clip fields: every clip of the room with its number of reporters,
    and the room's newest clip reports."""

    clips: builtins.list[tuple[SignedClip, int]]
    reports: builtins.list[ClipReport]


@dataclass(frozen=True)
class _Recording:
    """What a recording needs when it ends: who, where in which media, and when. It goes
    to the relay as plain data and comes back with the result, on whichever node the
    camera is relayed by."""

    user: User
    party_id: str
    playback: Playback
    asked_at_ms: int
    trusted: bool
    live_room: bool

    def to_data(self) -> dict[str, Any]:
        u = self.user
        return {
            "user": {
                "id": u.id,
                "name": u.name,
                "tenant": u.tenant_id,
                "roles": sorted(u.roles),
                "guest": u.guest,
            },
            "party": self.party_id,
            "playback": playback_to_data(self.playback),
            "asked_at_ms": self.asked_at_ms,
            "trusted": self.trusted,
            "live_room": self.live_room,
        }

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> _Recording:
        u = d["user"]
        user = User(u["id"], u["name"], u["tenant"], frozenset(TenantRole(r) for r in u["roles"]), u["guest"])
        return cls(
            user,
            d["party"],
            playback_from_data(d["playback"]),
            d["asked_at_ms"],
            d["trusted"],
            d["live_room"],
        )


class ClipUrls:
    """Short-lived signed media URLs, signed with the clip's tenant's secret."""

    def __init__(self, tenants: Callable[[str], Awaitable[Tenant | None]], base_url: str, ttl_s: int) -> None:
        self._tenants = tenants
        self._base_url = base_url.rstrip("/")
        self._ttl_s = ttl_s
        self._secrets: dict[str, bytes] = {}

    async def _secret(self, tenant_id: str) -> bytes:
        secret = self._secrets.get(tenant_id)
        if secret is None:
            tenant = await self._tenants(tenant_id)
            if tenant is None:
                raise not_found("unknown tenant")
            secret = self._secrets[tenant_id] = tenant.secret.encode()
        return secret

    @staticmethod
    def _signature(secret: bytes, clip_id: str, expires_s: int) -> str:
        digest = hmac.new(secret, f"clip:{clip_id}:{expires_s}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode()

    async def sign(self, clip: Clip, now_ms: int) -> tuple[str, int]:
        """The clip's media URL and when it stops working (server ms)."""
        expires_s = now_ms // 1000 + self._ttl_s
        sig = self._signature(await self._secret(clip.tenant_id), clip.id, expires_s)
        return f"{self._base_url}/api/v1/clips/{clip.id}/media?exp={expires_s}&sig={sig}", expires_s * 1000

    async def check(self, clip: Clip, expires: str, sig: str, now_ms: int) -> None:
        if not expires.isdigit() or len(expires) > 12 or int(expires) * 1000 < now_ms:
            raise SyncError(Code.UNAUTHORIZED, "this clip link has expired: list the clips again")
        wanted = self._signature(await self._secret(clip.tenant_id), clip.id, int(expires))
        if not hmac.compare_digest(wanted, sig):
            raise SyncError(Code.UNAUTHORIZED, "this clip link is not valid")


class ClipService:
    def __init__(
        self,
        parties: PartyService,
        moderation: ModerationService,
        relay: MediaRelay | None,
        store: ClipStore,
        urls: ClipUrls,
        settings: ClipSettings,
        *,
        record_consent: Callable[[Consent], Awaitable[None]] | None = None,
    ) -> None:
        self.parties = parties
        # Who consented to be recorded, when, in which party, for which clip (docs/privacy.md).
        self.record_consent = record_consent
        self.moderation = moderation
        self.relay = relay
        self.store = store
        self.urls = urls
        self.settings = settings
        self._rates = RateLimits()

    def _relay(self) -> MediaRelay:
        if self.relay is None:
            raise SyncError(Code.UNAVAILABLE, "this server does not record clips", reason=Reason.NO_RECORDER)
        return self.relay

    def _now(self) -> int:
        return self.parties.clock.now_ms()

    # ------------------------------------------------------------------ recording
    async def start(self, session: str, party_id: str, consent: bool) -> RecordingStarted:
        user = self.parties.user_of(session)
        party = await self.parties.joined_party(session, party_id)
        if not consent:
            raise forbidden(
                "a clip is recorded only when its member chooses to (consent: true)", Reason.CLIP_CONSENT
            )
        member = party.members.get(user.id)
        camera = member.camera if member else None
        if camera is None or not camera.video or camera.video_muted:
            raise bad_request("turn your camera on to record a clip", Reason.CAMERA_NEEDED)
        now = self._now()
        await self.moderation.check_may_post(user, party, now)
        relay = self._relay()
        if await self.store.count(party.id) >= self.settings.per_party:
            raise forbidden(
                f"this party has {self.settings.per_party} clips, the most it keeps",
                Reason.CLIPS_FULL,
                {"max": self.settings.per_party},
            )
        key = UserKey(user.tenant_id, user.id)
        self._rates.take(key, "clip", START_LIMIT, now, "too many clips: wait a little", Reason.CLIP_RATE)
        clip_id = secrets.token_urlsafe(12)
        trusted = user.is_staff or (member is not None and member.role in (Role.HOST, Role.COHOST))
        context = _Recording(user, party.id, party.playback, now, trusted, party.is_live_room)
        limits: ClipLimits = {
            "max_s": self.settings.max_s,
            "max_bytes": self.settings.max_bytes,
            "per_party": self.settings.recordings_per_party,
        }
        stem = self.settings.directory / party.id / clip_id
        started = await relay.start_clip(party.id, user.id, clip_id, str(stem), limits, context.to_data())
        if self.record_consent is not None:
            record = Consent(user.tenant_id, party.id, user.id, ConsentKind.RECORDING, now, {"clip": clip_id})
            await self.record_consent(record)
        # Everyone in the party sees that this member is recording, until it ends.
        await self.parties.publish(party.id, ClipRecording(party.id, user.id, clip_id, True))
        return RecordingStarted(clip_id, now, self.settings.max_s, started["mime_type"])

    async def stop(self, session: str, party_id: str) -> SignedClip:
        user = self.parties.user_of(session)
        await self.parties.joined_party(session, party_id)
        result = await self._relay().stop_clip(party_id, user.id)
        if result is None:
            raise not_found("you are not recording a clip", Reason.NOT_RECORDING)
        clip = await self.store.get(result["clip_id"])
        if clip is None:
            reason = "moderated" if result["packets"].get("video") else "no_video"
            unsaved = "failed" if result["reason"] == "failed" else reason
            raise bad_request(_unsaved(unsaved), _UNSAVED_REASONS.get(unsaved, Reason.CLIP_FAILED))
        return await self.signed(clip)

    async def recorded(
        self, party_id: str, user_id: str, clip_id: str, result: RecordedClipData, context: ClipContext
    ) -> None:
        """This node's relay closed a recording's file (stopped, at a limit, camera off):
        keep it if it holds video and its author may still post, and announce it."""
        recording = _Recording.from_data(context)
        path = Path(result["path"])
        clip = None
        reason = result["reason"]
        if result["packets"].get("video") and result["size_bytes"] > 0:
            clip = await self._keep(clip_id, recording, result, path)
            if clip is None:
                reason = "moderated"
        else:
            _remove_file(path)
        signed = await self.signed(clip) if clip else None
        await self.parties.publish(party_id, ClipRecording(party_id, user_id, clip_id, False))
        await self.parties.publish(
            party_id,
            ClipEnded(party_id, clip_id, reason, signed),
            to_user=UserKey(recording.user.tenant_id, user_id),
        )

    async def _keep(self, clip_id: str, r: _Recording, result: RecordedClipData, path: Path) -> Clip | None:
        now = self._now()
        party = await self.parties.live(r.party_id)
        try:
            if party is None:
                raise not_found("the party has ended")
            await self.moderation.check_may_post(r.user, party, now)
        except SyncError:
            _remove_file(path)  # banned, timed out or locked out while recording
            return None
        shadow = await self.moderation.shadow_muted(r.user, r.party_id, now)
        clip = Clip(
            id=clip_id,
            tenant_id=r.user.tenant_id,
            party_id=r.party_id,
            user_id=r.user.id,
            user_name=r.user.name,
            media_url=r.playback.media.url,
            media_time_s=clip_media_time(r.playback, r.asked_at_ms, result["lead_s"]),
            duration_s=result["duration_s"],
            created_at_ms=now,
            file_name=str(path.relative_to(self.settings.directory)),
            mime_type=result["mime_type"],
            size_bytes=result["size_bytes"],
            width=result["width"],
            height=result["height"],
            status=initial_status(live_room=r.live_room, shadow_muted=shadow, trusted=r.trusted),
        )
        try:
            # Its webhook event (clip.recorded) in the same transaction (moderation's outbox).
            await self.store.add(clip, outbox=await self.moderation.outbox(clip.tenant_id, _recorded))
        except BaseException:
            _remove_file(path)
            raise
        await self.announce_added(clip)
        return clip

    # ------------------------------------------------------------------ reading
    async def list(self, session: str, party_id: str, media_url: str | None) -> builtins.list[SignedClip]:
        user = self.parties.user_of(session)
        await self.parties.joined_party(session, party_id)
        clips = await self.store.of_party(party_id, media_url)
        return [await self.signed(c) for c in clips if visible_to(c, user.id)]

    async def for_moderators(self, actor: User, party_id: str) -> ModeratorsClips:
        """mod.watch's clip fields: every clip of the room, held ones included, with its
        report count; and the room's newest clip reports, so the panel can say why."""
        await self.moderation.authorise(actor, party_id)
        counts = await self.store.report_counts(actor.tenant_id, party_id)
        stored = await self.store.of_party(party_id)
        clips = [(await self.signed(c), counts.get(c.id, 0)) for c in stored]
        return ModeratorsClips(clips, await self.store.reports_of(actor.tenant_id, party_id))

    async def room_counts(self, actor: User, party_ids: builtins.list[str]) -> dict[str, tuple[int, int]]:
        """mod.rooms' clip fields for each of ``party_ids`` (the actor's tenant's rooms):
        (clips waiting for review, reported clips still up). Two queries whatever the
        number of rooms, since the panel asks for the whole list every 10 s."""
        if not actor.is_staff:
            raise forbidden("the room list is for moderators")
        held = await self.store.held_per_party(actor.tenant_id, party_ids)
        reported = await self.store.reported_per_party(actor.tenant_id, party_ids)
        return {p: (held.get(p, 0), reported.get(p, 0)) for p in party_ids}

    async def media_file(self, clip_id: str, expires: str, sig: str, user: User | None) -> tuple[Path, Clip]:
        """The file of a clip for a signed URL, or for a moderator of its tenant."""
        clip = await self.store.get(clip_id)
        if clip is None:
            raise not_found("no such clip")
        if user is not None:
            if user.tenant_id != clip.tenant_id or not user.is_staff:
                raise not_found("no such clip")  # other tenants' clips do not exist for them
        else:
            await self.urls.check(clip, expires, sig, self._now())
        path = self.settings.directory / clip.file_name
        if not path.is_file():
            raise not_found("the clip's file is not on this server")
        return path, clip

    async def party_clips(self, user: User, party_id: str) -> builtins.list[SignedClip]:
        """REST: a platform's backend (staff of the tenant) lists a party's clips."""
        if not user.is_staff:
            raise forbidden("listing a party's clips over REST is for the tenant's moderators")
        party = await self.parties.get(user, party_id)
        return [await self.signed(c) for c in await self.store.of_party(party.id)]

    async def tenant_clips(
        self, user: User, after: tuple[int, str] | None, limit: int, party_id: str | None = None
    ) -> builtins.list[SignedClip]:
        """REST: the tenant's clips, ended parties' too, oldest first (its moderators)."""
        if not user.is_staff:
            raise forbidden("listing the tenant's clips is for its moderators")
        clips = await self.store.of_tenant(user.tenant_id, after, limit, party_id=party_id)
        return [await self.signed(c) for c in clips]

    # ------------------------------------------------------------------ removing
    async def delete(self, session: str, party_id: str, clip_id: str, reason: str | None) -> None:
        actor = self.parties.user_of(session)
        clip = await self.clip_in(actor, party_id, clip_id)
        by_author = clip.user_id == actor.id
        if not by_author:
            await self.moderation.authorise(actor, party_id)
        await self._remove(clip, "deleted")
        await self.moderation.record(
            actor,
            party_id,
            "clip_delete",
            self._now(),
            target_user=clip.user_id,
            reason=reason,
            details=audit_details(clip) | {"by_author": by_author},
        )

    async def remove(self, actor: User, clip_id: str, reason: str | None) -> None:
        """REST: delete a clip, its file and its row (clip.removed to the party, in the audit
        log): the tenant's moderators, whatever became of the party; its author; or the
        party's host while joined."""
        clip = await self.store.get(clip_id)
        if clip is None or clip.tenant_id != actor.tenant_id:
            raise not_found("no such clip")
        by_author = clip.user_id == actor.id
        if not actor.is_staff and not by_author:
            await self.moderation.authorise(actor, clip.party_id)
        await self._remove(clip, "deleted")
        await self.moderation.record(
            actor,
            clip.party_id,
            "clip_delete",
            self._now(),
            target_user=clip.user_id,
            reason=reason,
            details=audit_details(clip) | {"by_author": by_author},
        )

    async def review(
        self, session: str, party_id: str, clip_id: str, approve: bool, reason: str | None
    ) -> None:
        actor = self.parties.user_of(session)
        await self.moderation.authorise(actor, party_id)
        clip = await self.clip_in(actor, party_id, clip_id)
        now = self._now()
        if approve:
            if not await self.store.set_status(clip.id, ClipStatus.HELD, ClipStatus.VISIBLE):
                raise SyncError(Code.CONFLICT, f"clip {clip.id} is not waiting for review")
            clip = replace(clip, status=ClipStatus.VISIBLE)
            await self.announce_added(clip)
        else:
            if clip.status is not ClipStatus.HELD:
                raise SyncError(Code.CONFLICT, f"clip {clip.id} is not waiting for review")
            await self._remove(clip, "rejected")
        await self.moderation.record(
            actor,
            party_id,
            "clip_review_approved" if approve else "clip_review_rejected",
            now,
            target_user=clip.user_id,
            reason=reason,
            details=audit_details(clip),
        )

    async def report(self, session: str, party_id: str, clip_id: str, reason: str) -> None:
        """A member reports a clip as they report a chat message (ModerationService's
        counted_report): once per member, seen by the moderators, and the
        REPORTS_TO_HOLD-th distinct reporter takes the clip down into the review queue."""
        reporter = self.parties.user_of(session)
        party = await self.parties.joined_party(session, party_id)
        clip = await self.clip_in(reporter, party.id, clip_id)
        check_reportable(clip, reporter.id)
        now = self._now()
        report = ClipReport(reporter.tenant_id, party.id, clip.id, reporter.id, reporter.name, reason, now)
        count = await self.store.report(report)

        async def take_down() -> TakenDown | None:
            return await self._take_down(clip)

        notice = ClipReported(report, count or 0)
        await self.moderation.counted_report(clip.tenant_id, party.id, count, notice, take_down, now)

    async def _take_down(self, clip: Clip) -> TakenDown | None:
        """Held for review, as a live room's clip is before approval: gone for the
        others, still its author's (status held, as clip.list shows it to them)."""
        removed = await self._removed(clip, "reported")
        if not await self.store.set_status(clip.id, ClipStatus.VISIBLE, ClipStatus.HELD, outbox=removed):
            return None  # deleted, or already held, meanwhile: nothing to take down
        await self.parties.publish(clip.party_id, ClipRemoved(clip.party_id, clip.id, "reported"))
        # After clip.removed (one party's events keep their order): the author's copy
        # comes back as held, and the moderators' queue gets it (mod.clip).
        await self.announce_added(replace(clip, status=ClipStatus.HELD))
        behind = await self.store.reports_of(clip.tenant_id, clip.party_id, clip.id, limit=REPORTS_TO_HOLD)
        details = audit_details(clip) | {"reports": [clip_reason_details(r) for r in behind]}
        return TakenDown("clip_held_by_reports", clip.user_id, details)

    async def clip_in(self, actor: User, party_id: str, clip_id: str) -> Clip:
        clip = await self.store.get(clip_id)
        if clip is None or clip.party_id != party_id or clip.tenant_id != actor.tenant_id:
            raise not_found(f"no clip {clip_id} in this party")
        return clip

    async def _remove(self, clip: Clip, reason: str) -> None:
        _remove_file(self.settings.directory / clip.file_name)
        await self.store.delete(clip.id, outbox=await self._removed(clip, reason))
        await self.moderation.to_everyone(clip.party_id, ClipRemoved(clip.party_id, clip.id, reason))

    # ------------------------------------------------------------------ helpers
    async def _removed(self, clip: Clip, reason: str) -> Outbox[str] | None:
        """clip.removed, for the store to write in the removal's transaction."""
        now = self._now()
        return await self.moderation.outbox(clip.tenant_id, lambda _: [clip_removed(clip, reason, now)])

    async def announce_added(self, clip: Clip) -> None:
        """To whoever may see it now (everyone, or its author only), and to the room's
        moderators, whatever its status."""
        signed = await self.signed(clip)
        to_user = None if clip.status is ClipStatus.VISIBLE else UserKey(clip.tenant_id, clip.user_id)
        await self.parties.publish(clip.party_id, ClipAdded(signed), to_user=to_user)
        counts = await self.store.report_counts(clip.tenant_id, clip.party_id)
        await self.moderation.to_moderators(clip.party_id, ClipForModerators(signed, counts.get(clip.id, 0)))

    async def signed(self, clip: Clip) -> SignedClip:
        url, expires_ms = await self.urls.sign(clip, self._now())
        return SignedClip(clip, url, expires_ms)


def _recorded(clip: Clip) -> list[EventDraft]:
    return [clip_recorded(clip)]


_UNSAVED_REASONS = {
    "no_video": Reason.CLIP_NO_VIDEO,
    "moderated": Reason.CLIP_MODERATED,
    "failed": Reason.CLIP_FAILED,
}


def _unsaved(reason: str) -> str:
    return {
        "no_video": "no video was recorded: is your camera sending?",
        "moderated": "the clip was not kept: you may not post in this room now",
        "failed": "the clip could not be written",
    }.get(reason, "the clip was not kept")


def _remove_file(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
