"""The wire protocol's outbound side: every event name and payload the server sends.

Each broker notice is turned into its wire event here, once, by the edge of the node
delivering it (``notice_out``); answers' shapes are here too. docs/protocol.md is the
human-readable form, socialsync/protocol/shapes.py the typed one.
"""

from __future__ import annotations

from typing import Any

from socialsync.domain.analytics.metrics import Moment
from socialsync.domain.audit import clip_reason_details, report_details
from socialsync.domain.chat.messages import Message
from socialsync.domain.clips import ClipReport
from socialsync.domain.codec import rules_to_data
from socialsync.domain.feedback import SCALE, Prompt
from socialsync.domain.model import Camera, ChatRules, Media, Member, Party, Playback
from socialsync.domain.moderation.sanctions import AuditEntry, FilterNote, Held
from socialsync.domain.notices import (
    Audited,
    CameraChanged,
    CamerasReset,
    ChatDeleted,
    ChatPosted,
    ChatRestored,
    ClipAdded,
    ClipEnded,
    ClipForModerators,
    ClipRecording,
    ClipRemoved,
    ClipReported,
    HeldResolved,
    Kicked,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    MessageHeld,
    MessageObserved,
    MessageReported,
    Notice,
    PartyEnded,
    PartyUpdated,
    PlaybackChanged,
    PollChanged,
    PollCounted,
    ReactionBurst,
    RulesChanged,
    SignedClip,
)
from socialsync.domain.party.health import DriftSummary, MemberSync, member_sync
from socialsync.domain.polls import PollStatus, Tally

Payload = dict[str, Any]


def media_out(media: Media) -> dict[str, Any]:
    out: dict[str, Any] = {"url": media.url, "kind": media.kind.value}
    if media.title is not None:
        out["title"] = media.title
    if media.duration_s is not None:
        out["duration"] = media.duration_s
    if media.poster is not None:
        out["poster"] = media.poster
    return out


def playback_out(party_id: str, p: Playback) -> dict[str, Any]:
    out = {
        "party": party_id,
        "seq": p.seq,
        "status": p.status.value,
        "position": p.position_s,
        "rate": p.rate,
        "at": p.at_ms,
        "media": media_out(p.media),
        "by": p.by,
    }
    if p.on_break:
        out["on_break"] = True
        out["break_until"] = p.break_until_ms
    return out


def member_out(m: Member) -> dict[str, Any]:
    return {
        "id": m.user_id,
        "name": m.name,
        "role": m.role.value,
        "buffering": m.buffering,
        "in_sync": m.in_sync,
        "connected": m.connected,
        "camera": camera_out(m.camera),
        "on_stage": m.on_stage,
        "wait_for_me": m.wait_for_me,
        "in_ad": m.in_ad,
        "sync": member_sync(m).value,
        "badges": [{"kind": kind, "n": n} for kind, n in m.badges],
    }


def sync_health_out(party: Party, drift: DriftSummary | None) -> dict[str, Any]:
    """REST GET party's `sync`: members by standing, and the drift of their recent reports
    to the node answering (null when it has none in the last minute)."""
    members = {state.value: 0 for state in MemberSync}
    for m in party.members.values():
        members[member_sync(m).value] += 1
    out: dict[str, Any] = {"members": members, "drift": None}
    if drift is not None:
        out["drift"] = {
            "p50_ms": round(drift.p50_ms, 1),
            "p95_ms": round(drift.p95_ms, 1),
            "reports": drift.samples,
        }
    return out


def camera_out(camera: Camera | None) -> dict[str, bool] | None:
    if camera is None:
        return None
    return {
        "audio": camera.audio,
        "video": camera.video,
        "audio_muted": camera.audio_muted,
        "video_muted": camera.video_muted,
    }


def party_out(party: Party, invite_base: str | None = None) -> dict[str, Any]:
    s = party.settings
    host = party.host
    out: dict[str, Any] = {
        "id": party.id,
        "title": party.title,
        "created_at": party.created_at_ms,
        "created_by": party.created_by,
        "host": host.user_id if host else None,
        "media": media_out(party.playback.media),
        "settings": {
            "type": s.type.value,
            "control": s.control.value,
            "wait_for_buffering": s.wait_for_buffering,
            "max_members": s.max_members,
            "cameras": s.cameras,
            "public": s.public,
        },
        "member_count": len(party.members),
    }
    if invite_base:
        out["invite_url"] = f"{invite_base.rstrip('/')}/?party={party.id}"
    return out


def message_out(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {
        "party": m.party_id,
        "id": m.id,
        "user": {"id": m.user_id, "name": m.user_name},
        "text": m.text,
        "ts": m.ts_ms,
        "nonce": m.nonce,
    }
    if m.media_time_s is not None:
        out["media_time"] = m.media_time_s
    if m.reply_to is not None:
        out["reply_to"] = m.reply_to
    return out


def rules_out(rules: ChatRules) -> dict[str, Any]:
    """The wire shape of chat rules is their stored shape."""
    return rules_to_data(rules)


# ---------------------------------------------------------------------------- moderation


def held_out(h: Held) -> dict[str, Any]:
    return {
        "party": h.party_id,
        "id": h.id,
        "user": {"id": h.user_id, "name": h.user_name},
        "text": h.text,
        "ts": h.ts_ms,
        "reasons": list(h.reasons),
        "source": h.source,
        "message": h.message_id,
    }


# A report's wire shape is the one the audit log keeps.
report_out = report_details


def audit_out(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "party": e.party_id,
        "actor": {"id": e.actor_id, "name": e.actor_name},
        "action": e.action,
        "target_user": e.target_user,
        "target_message": e.target_message,
        "reason": e.reason,
        "details": e.details,
        "ts": e.ts_ms,
    }


def moderated_message_out(m: Message, note: FilterNote | None = None) -> dict[str, Any]:
    """A message as the moderators' snapshot lists it: with whether it is hidden and,
    within the review window, what the filter said of it (as ``mod.message`` does)."""
    out = message_out(m) | {"hidden": m.hidden}
    if note is not None:
        out |= {"verdict": note.verdict, "reasons": list(note.reasons)}
        if note.original is not None and note.original != m.text:
            out["original"] = note.original
    return out


# ---------------------------------------------------------------------------- reaction clips


def clip_out(signed: SignedClip) -> dict[str, Any]:
    clip = signed.clip
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
        "url": signed.url,
        "url_expires": signed.url_expires_ms,
    }


clip_reason_out = clip_reason_details


def clip_report_out(r: ClipReport) -> dict[str, Any]:
    return {"party": r.party_id, "clip": r.clip_id, **clip_reason_out(r)}


# ---------------------------------------------------------------------------- polls


def poll_out(tally: Tally) -> dict[str, Any]:
    p = tally.poll
    return {
        "id": p.id,
        "party": p.party_id,
        "kind": p.kind.value,
        "question": p.question,
        "choices": list(p.choices),
        "status": p.status.value,
        "by": {"id": p.by_id, "name": p.by_name},
        "opened_at": p.opened_at_ms,
        "closes_at": p.closes_at_ms,
        "closed_at": p.closed_at_ms,
        "ended_at": p.ended_at_ms,
        "end": None if p.end is None else p.end.value,
        "outcome": p.outcome,
        "counts": list(tally.counts),
        "total": tally.total,
    }


# A poll's change, by the status it changed to.
POLL_EVENTS = {
    PollStatus.OPEN: "poll.opened",
    PollStatus.LOCKED: "poll.locked",
    PollStatus.ENDED: "poll.ended",
}


# ---------------------------------------------------------------------------- notices


def key_moment_out(m: Moment) -> dict[str, Any]:
    """One of the top moments members see (18; shapes.KeyMoment)."""
    return {
        "start_s": m.start_s,
        "end_s": m.end_s,
        "score": m.score,
        "reactions": m.reactions,
        "messages": m.messages,
        "rewatches": m.rewatches,
    }


def notice_out(notice: Notice, public_url: str | None) -> tuple[str, Payload]:
    """A notice's wire event name and payload (``public_url``: for invite links)."""
    match notice:
        case PlaybackChanged(party_id=party_id, playback=playback):
            return "playback.state", playback_out(party_id, playback)
        case MemberJoined(party_id=party_id, member=member):
            return "member.joined", {"party": party_id, "member": member_out(member)}
        case MemberLeft(party_id=party_id, user_id=user_id):
            return "member.left", {"party": party_id, "user": user_id}
        case MemberUpdated(party_id=party_id, member=member):
            return "member.updated", {"party": party_id, "member": member_out(member)}
        case PartyUpdated(party=party):
            return "party.updated", {"party": party.id, "info": party_out(party, public_url)}
        case RulesChanged(party_id=party_id, rules=rules):
            return "party.rules", {"party": party_id, "rules": rules_out(rules)}
        case PartyEnded(party_id=party_id, reason=reason):
            return "party.ended", {"party": party_id, "reason": reason}
        case Kicked(party_id=party_id, reason=reason):
            return "party.kicked", {"party": party_id, "reason": reason}
        case CameraChanged(party_id=party_id, user_id=user_id, camera=camera):
            return "rtc.camera", {"party": party_id, "user": user_id, "camera": camera_out(camera)}
        case CamerasReset(party_id=party_id, reason=reason, users=users):
            return "rtc.reset", {"party": party_id, "reason": reason, "users": list(users)}
        case ChatPosted(message=message):
            return "chat.message", message_out(message)
        case ChatDeleted(party_id=party_id, message_id=message_id):
            return "chat.deleted", {"party": party_id, "id": message_id}
        case ChatRestored(message=message):
            return "chat.restored", message_out(message)
        case ReactionBurst(party_id=party_id, counts=counts, window_ms=window_ms):
            return "reaction.burst", {"party": party_id, "counts": dict(counts), "window_ms": window_ms}
        case MessageObserved(message=message, verdict=verdict, reasons=reasons, original=original):
            payload = message_out(message) | {
                "verdict": verdict,
                "hidden": message.hidden,
                "reasons": list(reasons),
            }
            if original is not None and original != message.text:
                payload["original"] = original
            return "mod.message", payload
        case MessageHeld(held=held):
            return "mod.held", held_out(held)
        case HeldResolved(party_id=party_id, held_id=held_id, decision=decision, by=by):
            return "mod.resolved", {"party": party_id, "held": held_id, "decision": decision, "by": by}
        case MessageReported(report=report, count=count):
            return "mod.report", report_out(report) | {"count": count}
        case Audited(entry=entry):
            return "mod.audit", audit_out(entry)
        case ClipAdded(clip=signed):
            return "clip.added", {"party": signed.clip.party_id, "clip": clip_out(signed)}
        case ClipForModerators(clip=signed, reports=reports):
            return "mod.clip", {
                "party": signed.clip.party_id,
                "clip": clip_out(signed) | {"reports": reports},
            }
        case ClipRemoved(party_id=party_id, clip_id=clip_id, reason=reason):
            return "clip.removed", {"party": party_id, "id": clip_id, "reason": reason}
        case ClipRecording(party_id=party_id, user_id=user_id, clip_id=clip_id, on=on):
            return "clip.recording", {"party": party_id, "user": user_id, "id": clip_id, "on": on}
        case ClipEnded(party_id=party_id, clip_id=clip_id, reason=reason, clip=signed_or_none):
            return "clip.ended", {
                "party": party_id,
                "id": clip_id,
                "reason": reason,
                "clip": None if signed_or_none is None else clip_out(signed_or_none),
            }
        case ClipReported(report=report, count=count):
            return "mod.clip_report", clip_report_out(report) | {"count": count}
        case PollChanged(tally=tally):
            return POLL_EVENTS[tally.poll.status], {"party": tally.poll.party_id, "poll": poll_out(tally)}
        case PollCounted(party_id=party_id, poll_id=poll_id, counts=counts):
            counted = {"counts": list(counts), "total": sum(counts)}
            return "poll.results", {"party": party_id, "id": poll_id} | counted


def feedback_prompt_out(prompt: Prompt) -> dict[str, Any]:
    """``feedback.prompt`` (19.2): the question to put, its scale, until when it may be answered."""
    low, high = SCALE[prompt.survey]
    return {
        "id": prompt.id,
        "party": prompt.party_id,
        "survey": prompt.survey.value,
        "min": low,
        "max": high,
        "expires_at": prompt.expires_ms,
    }
