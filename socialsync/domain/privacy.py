"""Personal data rules: retention per tenant, consent records, and what an export or
an erasure of one user is made of (docs/privacy.md). Pure: time comes in as ``now_ms``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

DAY_MS = 24 * 3600 * 1000
# What an erased user's id and name become in the rows kept for others (audit, reports).
PSEUDONYM_PREFIX = "erased-"
ERASED_TEXT = ""
EXPORT_FORMAT = "socialsync.user-export/1"


@dataclass(frozen=True, slots=True)
class Retention:
    """How long a tenant's data is kept, in days (0: not kept beyond its use).

    chat: messages (the rows); deleted_text: the review window: the text of messages
    moderators deleted and of held messages once decided (the rows stay for the audit
    trail, the text goes), and the filter's notes of delivered messages (verdict,
    reasons, a masked message's original words; never beyond the message); audit:
    audit log entries; ended_parties: a party's row (and its chat, held messages and
    reports) after it ended; clips: reaction clips not kept by
    staff; reports: members' reports of messages and clips; analytics_events: the
    pseudonymous raw analytics events; analytics_aggregates: the analytics aggregates
    made from them (sessions, views, per-second counts; docs/analytics.md), and the
    badges earned from them; feedback: comments left with feedback answers (the scores
    are analytics events; docs/engagement.md)."""

    chat_days: int = 365
    deleted_text_days: int = 30
    audit_days: int = 730
    ended_parties_days: int = 180
    clips_days: int = 30
    reports_days: int = 90
    analytics_events_days: int = 90
    analytics_aggregates_days: int = 730
    feedback_days: int = 365

    def cutoff_ms(self, name: str, now_ms: int) -> int:
        days: int = getattr(self, f"{name}_days")
        return now_ms - days * DAY_MS

    def to_data(self) -> dict[str, int]:
        return dataclasses.asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Retention:
        """Fields left out keep their default; each must be an integer 0..36500."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown retention fields: {', '.join(sorted(unknown))}")
        for name, value in data.items():
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 36_500:
                raise ValueError(f"{name}: a whole number of days, 0 to 36500")
        return cls(**data)


class ConsentKind:
    CAMERA = "camera"  # publishing one's camera (audio and/or video) to the party
    RECORDING = "recording"  # recording a reaction clip, kept and shown in the party


@dataclass(frozen=True, slots=True)
class Consent:
    """Who consented to what, when, in which party (and for a recording, its clip)."""

    tenant_id: str
    party_id: str
    user_id: str
    kind: str
    ts_ms: int
    details: dict[str, Any] = field(default_factory=dict)  # e.g. {"audio": true, "video": true}, {"clip": id}


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure changed: the messages tombstoned (party id, message id), for the
    caches to drop; the clip files to delete (relative to the clip directory); counts
    per kind of record."""

    messages: tuple[tuple[str, int], ...]
    clip_files: tuple[str, ...]
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class Expired:
    """What a retention pass removed: the clip files to delete, and counts per kind."""

    clip_files: tuple[str, ...]
    counts: dict[str, int]
    messages: tuple[tuple[str, int], ...] = ()


def scrub(value: Any, needles: dict[str, str]) -> Any:
    """``value`` (plain JSON data) with every string that contains one of ``needles``'
    keys rewritten: the needle replaced by its value. Used on audit details and party
    settings, which may quote a user's id, name or words."""
    if isinstance(value, str):
        if value in needles:  # a whole value (an id, a name): whatever its length
            return needles[value]
        for needle, replacement in needles.items():
            if len(needle) >= 3 and needle in value:
                value = value.replace(needle, replacement)
        return value
    if isinstance(value, list):
        return [scrub(v, needles) for v in value]
    if isinstance(value, dict):
        return {scrub(k, needles): scrub(v, needles) for k, v in value.items()}
    return value


def erasure_needles(user_id: str, names: set[str], texts: set[str], pseudonym: str) -> dict[str, str]:
    """What to replace in free-form data: the user's texts first (longest first), then
    names and id by the pseudonym. Very short ones (under 3 characters) are replaced
    only where they are the whole value: inside other text they would rewrite
    unrelated words."""
    needles: dict[str, str] = {}
    for text in sorted(texts, key=len, reverse=True):
        if text:
            needles[text] = "[erased]"
    for name in sorted(names | {user_id}, key=len, reverse=True):
        if name:
            needles[name] = pseudonym
    return needles
