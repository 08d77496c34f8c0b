"""Reaction clips: the clip.* events, between the party (who may record, what the
media was) and this node's media relay (which records), the clip store and the clip
directory. Moderation is the chat's: the same sanctions and room modes gate a clip,
the same review queue holds it in live rooms (and reported ones: clip_reports.py),
the same audit log records removals.

A clip's row and file go together: the row is written once the file is closed, and
deletion removes the file, then the row (what the audit log keeps is who removed
which clip, when, and where it sat in the media; never the media itself).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialsync.adapters.sql.clip_store import SqlClipStore
from socialsync.domain.clips import (
    Clip,
    ClipStatus,
    audit_details,
    clip_media_time,
    initial_status,
    visible_to,
)
from socialsync.domain.codec import playback_from_data, playback_to_data
from socialsync.domain.errors import Code, SyncError, bad_request, forbidden, not_found
from socialsync.domain.model import Party, Playback, Role, TenantRole, User
from socialsync.domain.moderation.sanctions import SanctionKind, active_sanction, check_may_post
from socialsync.domain.ratelimit import Limit
from socialsync.domain.tenant import Tenant
from socialsync.ports import Envelope
from socialsync.protocol import wire
from socialsync.services.chat import RateLimits
from socialsync.services.clip_reports import ClipReports, report_out

if TYPE_CHECKING:
    from socialsync.media.relay import MediaRelay
    from socialsync.services.parties import PartyService

log = logging.getLogger("socialsync.services.clips")

Answer = dict[str, Any]
# Recording starts per member: three in a row, then one every 10 s.
START_LIMIT = Limit(burst=3, per_s=0.1)


@dataclass(frozen=True)
class ClipSettings:
    directory: Path
    max_s: float = 30.0
    max_bytes: int = 16 * 1024 * 1024
    per_party: int = 200
    recordings_per_party: int = 4
    url_ttl_s: int = 3_600


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
        relay: MediaRelay | None,
        store: SqlClipStore,
        urls: ClipUrls,
        settings: ClipSettings,
    ) -> None:
        self.parties = parties
        self.relay = relay
        self.store = store
        self.urls = urls
        self.settings = settings
        self._rates = RateLimits()
        self.reports = ClipReports(self)

    @property
    def _moderation(self) -> Any:
        return self.parties.moderation

    def _relay(self) -> MediaRelay:
        if self.relay is None:
            raise SyncError(Code.UNAVAILABLE, "this server does not record clips")
        return self.relay

    # ------------------------------------------------------------------ recording
    async def start(self, session: str, m: wire.ClipStart) -> Answer:
        user = self.parties.user_of(session)
        party = await self.parties.joined_party(session, m.party)
        if not m.consent:
            raise forbidden("a clip is recorded only when its member chooses to (consent: true)")
        member = party.members.get(user.id)
        camera = member.camera if member else None
        if camera is None or not camera.video or camera.video_muted:
            raise bad_request("turn your camera on to record a clip")
        now = self.parties.clock.now_ms()
        await self._check_may_post(user, party, now)
        relay = self._relay()
        if await self.store.count(party.id) >= self.settings.per_party:
            raise forbidden(f"this party has {self.settings.per_party} clips, the most it keeps")
        self._rates.take(user.id, "clip", START_LIMIT, now, "too many clips: wait a little")
        clip_id = secrets.token_urlsafe(12)
        trusted = user.is_staff or (member is not None and member.role in (Role.HOST, Role.COHOST))
        context = _Recording(user, party.id, party.playback, now, trusted, party.is_live_room)
        limits = {
            "max_s": self.settings.max_s,
            "max_bytes": self.settings.max_bytes,
            "per_party": self.settings.recordings_per_party,
        }
        stem = self.settings.directory / party.id / clip_id
        started = await relay.start_clip(party.id, user.id, clip_id, str(stem), limits, context.to_data())
        return {
            "ok": True,
            "recording": {
                "id": clip_id,
                "started_at": now,
                "max_duration": self.settings.max_s,
                "mime_type": started["mime_type"],
            },
        }

    async def stop(self, session: str, party_id: str) -> Answer:
        user = self.parties.user_of(session)
        await self.parties.joined_party(session, party_id)
        result = await self._relay().stop_clip(party_id, user.id)
        if result is None:
            raise not_found("you are not recording a clip")
        clip = await self.store.get(result["clip_id"])
        if clip is None:
            reason = "moderated" if result["packets"].get("video") else "no_video"
            raise bad_request(_unsaved("failed" if result["reason"] == "failed" else reason))
        return {"ok": True, "clip": await self.clip_out(clip)}

    async def recorded(
        self, party_id: str, user_id: str, clip_id: str, result: dict[str, Any], context: dict[str, Any]
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
        ended = {"party": party_id, "id": clip_id, "reason": reason}
        ended["clip"] = await self.clip_out(clip) if clip else None
        await self.parties.publish(Envelope(party_id, "clip.ended", ended, to_user=user_id))

    async def _keep(self, clip_id: str, r: _Recording, result: dict[str, Any], path: Path) -> Clip | None:
        now = self.parties.clock.now_ms()
        sanctions = await self._moderation.sanctions_of(r.user, now)
        party = await self.parties.parties.get(r.party_id)
        try:
            if party is None:
                raise not_found("the party has ended")
            await self._check_may_post(r.user, party, now)
        except SyncError:
            _remove_file(path)  # banned, timed out or locked out while recording
            return None
        shadow = active_sanction(sanctions, r.party_id, SanctionKind.SHADOW_MUTE, now) is not None
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
            await self.store.add(clip)
        except BaseException:
            _remove_file(path)
            raise
        await self.announce_added(clip)
        return clip

    # ------------------------------------------------------------------ reading
    async def list(self, session: str, m: wire.ClipList) -> Answer:
        user = self.parties.user_of(session)
        await self.parties.joined_party(session, m.party)
        clips = await self.store.of_party(m.party, m.media_url)
        shown = [c for c in clips if visible_to(c, user.id)]
        return {"ok": True, "clips": [await self.clip_out(c) for c in shown]}

    async def for_moderators(self, actor: User, party_id: str) -> dict[str, Any]:
        """mod.watch's clip fields: every clip of the room, held ones included, with its
        report count; and the room's newest clip reports, so the panel can say why."""
        await self._moderation.authorise(actor, party_id)
        counts = await self.store.report_counts(actor.tenant_id, party_id)
        # A moderator's Clip carries its number of distinct reporters (members' does not).
        stored = await self.store.of_party(party_id)
        clips = [await self.clip_out(c) | {"reports": counts.get(c.id, 0)} for c in stored]
        reports = await self.store.reports_of(actor.tenant_id, party_id)
        return {"clips": clips, "clip_reports": [report_out(r) for r in reports]}

    async def room_counts(self, actor: User, party_ids: list[str]) -> dict[str, dict[str, int]]:
        """mod.rooms' clip fields for each of ``party_ids`` (the actor's tenant's rooms):
        clips waiting for review, and reported clips still up. Two queries whatever the
        number of rooms, since the panel asks for the whole list every 10 s."""
        if not actor.is_staff:
            raise forbidden("the room list is for moderators")
        held = await self.store.held_per_party(actor.tenant_id, party_ids)
        reported = await self.store.reported_per_party(actor.tenant_id, party_ids)
        return {p: {"held_clips": held.get(p, 0), "clip_reports": reported.get(p, 0)} for p in party_ids}

    async def media_file(self, clip_id: str, expires: str, sig: str, user: User | None) -> tuple[Path, Clip]:
        """The file of a clip for a signed URL, or for a moderator of its tenant."""
        clip = await self.store.get(clip_id)
        if clip is None:
            raise not_found("no such clip")
        if user is not None:
            if user.tenant_id != clip.tenant_id or not user.is_staff:
                raise not_found("no such clip")  # other tenants' clips do not exist for them
        else:
            await self.urls.check(clip, expires, sig, self.parties.clock.now_ms())
        path = self.settings.directory / clip.file_name
        if not path.is_file():
            raise not_found("the clip's file is not on this server")
        return path, clip

    async def party_clips(self, user: User, party_id: str) -> list[dict[str, Any]]:
        """REST: a platform's backend (staff of the tenant) lists a party's clips."""
        if not user.is_staff:
            raise forbidden("listing a party's clips over REST is for the tenant's moderators")
        party = await self.parties.get(user, party_id)
        return [await self.clip_out(c) for c in await self.store.of_party(party.id)]

    # ------------------------------------------------------------------ removing
    async def delete(self, session: str, m: wire.ClipDelete) -> Answer:
        actor = self.parties.user_of(session)
        clip = await self.clip_in(actor, m.party, m.id)
        by_author = clip.user_id == actor.id
        if not by_author:
            await self._moderation.authorise(actor, m.party)
        await self._remove(clip, "deleted")
        await self._moderation.record(
            actor,
            m.party,
            "clip_delete",
            self.parties.clock.now_ms(),
            target_user=clip.user_id,
            reason=m.reason,
            details=audit_details(clip) | {"by_author": by_author},
        )
        return {"ok": True}

    async def review(self, session: str, m: wire.ModClipReview) -> Answer:
        actor = self.parties.user_of(session)
        await self._moderation.authorise(actor, m.party)
        clip = await self.clip_in(actor, m.party, m.id)
        now = self.parties.clock.now_ms()
        if m.decision == "approve":
            if not await self.store.set_status(clip.id, ClipStatus.HELD, ClipStatus.VISIBLE):
                raise SyncError(Code.CONFLICT, f"clip {clip.id} is not waiting for review")
            clip = replace(clip, status=ClipStatus.VISIBLE)
            await self.announce_added(clip)
        else:
            if clip.status is not ClipStatus.HELD:
                raise SyncError(Code.CONFLICT, f"clip {clip.id} is not waiting for review")
            await self._remove(clip, "rejected")
        await self._moderation.record(
            actor,
            m.party,
            "clip_review_approved" if m.decision == "approve" else "clip_review_rejected",
            now,
            target_user=clip.user_id,
            reason=m.reason,
            details=audit_details(clip),
        )
        return {"ok": True}

    async def clip_in(self, actor: User, party_id: str, clip_id: str) -> Clip:
        clip = await self.store.get(clip_id)
        if clip is None or clip.party_id != party_id or clip.tenant_id != actor.tenant_id:
            raise not_found(f"no clip {clip_id} in this party")
        return clip

    async def _remove(self, clip: Clip, reason: str) -> None:
        _remove_file(self.settings.directory / clip.file_name)
        await self.store.delete(clip.id)
        payload = {"party": clip.party_id, "id": clip.id, "reason": reason}
        await self.parties.publish(Envelope(clip.party_id, "clip.removed", payload))
        await self._moderation.to_moderators(clip.party_id, "clip.removed", payload)

    # ------------------------------------------------------------------ helpers
    async def _check_may_post(self, user: User, party: Party, now_ms: int) -> None:
        """The chat's gate: bans, timeouts and the room's modes (locked, emote only,
        members only) refuse a clip as they refuse a message."""
        sanctions = await self._moderation.sanctions_of(user, now_ms)
        member = party.members.get(user.id)
        host = member is not None and member.role is Role.HOST
        rules = party.settings.chat
        check_may_post(user, party.id, rules, sanctions, now_ms, reaction=False, last_post_ms=None, host=host)

    async def announce_added(self, clip: Clip) -> None:
        """To whoever may see it now (everyone, or its author only), and to the room's
        moderators, whatever its status."""
        out = await self.clip_out(clip)
        to_user = None if clip.status is ClipStatus.VISIBLE else clip.user_id
        await self.parties.publish(
            Envelope(clip.party_id, "clip.added", {"party": clip.party_id, "clip": out}, to_user)
        )
        counts = await self.store.report_counts(clip.tenant_id, clip.party_id)
        payload = {"party": clip.party_id, "clip": out | {"reports": counts.get(clip.id, 0)}}
        await self._moderation.to_moderators(clip.party_id, "mod.clip", payload)

    async def clip_out(self, clip: Clip) -> dict[str, Any]:
        url, expires_ms = await self.urls.sign(clip, self.parties.clock.now_ms())
        return {
            "id": clip.id,
            "party": clip.party_id,
            "user": {"id": clip.user_id, "name": clip.user_name},
            "media_url": clip.media_url,
            "media_time": clip.media_time_s,
            "duration": clip.duration_s,
            "created_at": clip.created_at_ms,
            "mime_type": clip.mime_type,
            "size": clip.size_bytes,
            "width": clip.width,
            "height": clip.height,
            "status": clip.status.value,
            "url": url,
            "url_expires": expires_ms,
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
