"""clip.report: members report a reaction clip as they report a chat message.

The rules are the chat's (ModerationService.report): a member reports a clip they can
see and did not make, once (a repeat is answered ok and not counted); every counted
report reaches the room's moderators; the REPORTS_TO_HOLD-th distinct reporter takes
the clip down into the review queue, where mod.clip_review approves it (back for
everyone) or rejects it (deleted). Unlike a member's report, the takedown is a
moderation action, so it goes to the audit log with the reports behind it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from socialsync.domain.clips import Clip, ClipReport, ClipStatus, audit_details, check_reportable
from socialsync.ports import Envelope
from socialsync.protocol import wire
from socialsync.services.moderation import REPORTS_TO_HOLD, reports_actor

if TYPE_CHECKING:
    from socialsync.services.clips import ClipService

Answer = dict[str, Any]


class ClipReports:
    def __init__(self, clips: ClipService) -> None:
        self._clips = clips

    async def report(self, session: str, m: wire.ClipReport) -> Answer:
        clips = self._clips
        reporter = clips.parties.user_of(session)
        party = await clips.parties.joined_party(session, m.party)
        clip = await clips.clip_in(reporter, party.id, m.id)
        check_reportable(clip, reporter.id)
        now = clips.parties.clock.now_ms()
        report = ClipReport(reporter.tenant_id, party.id, clip.id, reporter.id, reporter.name, m.reason, now)
        count = await clips.store.report(report)
        if count is None:
            return {"ok": True}  # reported before by this member: counted once
        event = report_out(report) | {"count": count}
        await clips.parties.moderation.to_moderators(party.id, "mod.clip_report", event)
        if count == REPORTS_TO_HOLD:
            await self._take_down(clip, now)
        return {"ok": True}

    async def _take_down(self, clip: Clip, now_ms: int) -> None:
        """Held for review, as a live room's clip is before approval: gone for the
        others, still its author's (status held, as clip.list shows it to them)."""
        clips = self._clips
        if not await clips.store.set_status(clip.id, ClipStatus.VISIBLE, ClipStatus.HELD):
            return  # deleted, or already held, meanwhile: nothing to take down
        removed = {"party": clip.party_id, "id": clip.id, "reason": "reported"}
        await clips.parties.publish(Envelope(clip.party_id, "clip.removed", removed))
        # After clip.removed (one party's events keep their order): the author's copy
        # comes back as held, and the moderators' queue gets it (mod.clip).
        await clips.announce_added(replace(clip, status=ClipStatus.HELD))
        behind = await clips.store.reports_of(clip.tenant_id, clip.party_id, clip.id, limit=REPORTS_TO_HOLD)
        await clips.parties.moderation.record(
            reports_actor(clip.tenant_id),
            clip.party_id,
            "clip_held_by_reports",
            now_ms,
            target_user=clip.user_id,
            details=audit_details(clip) | {"reports": [_reason_out(r) for r in behind]},
        )


def report_out(r: ClipReport) -> dict[str, Any]:
    return {"party": r.party_id, "clip": r.clip_id, **_reason_out(r)}


def _reason_out(r: ClipReport) -> dict[str, Any]:
    return {"reporter": {"id": r.reporter_id, "name": r.reporter_name}, "reason": r.reason, "ts": r.ts_ms}
