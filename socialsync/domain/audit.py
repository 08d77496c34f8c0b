"""How reports are kept in an audit entry's details (plain data, stored and shown as is)."""

from __future__ import annotations

from typing import Any

from socialsync.domain.clips import ClipReport
from socialsync.domain.moderation.sanctions import Report


def report_details(r: Report) -> dict[str, Any]:
    return {
        "party": r.party_id,
        "message": r.message_id,
        "reporter": {"id": r.reporter_id, "name": r.reporter_name},
        "reason": r.reason,
        "ts": r.ts_ms,
    }


def clip_reason_details(r: ClipReport) -> dict[str, Any]:
    """Who reported a clip, why and when."""
    return {"reporter": {"id": r.reporter_id, "name": r.reporter_name}, "reason": r.reason, "ts": r.ts_ms}
