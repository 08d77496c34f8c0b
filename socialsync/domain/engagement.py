"""A tenant's engagement switches (docs/engagement.md): badges and streaks shown beside
names, and the end-of-party feedback prompt (CSAT, NPS or off). Both are off until the
tenant's admin turns them on (``PUT /api/v1/tenant/settings {engagement: ...}``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

FEEDBACK_CHOICES = ("off", "csat", "nps")


@dataclass(frozen=True, slots=True)
class Engagement:
    badges: bool = False
    feedback: str = "off"  # one of FEEDBACK_CHOICES

    def to_data(self) -> dict[str, Any]:
        return {"badges": self.badges, "feedback": self.feedback}

    @classmethod
    def from_data(cls, data: object, base: Engagement | None = None) -> Engagement:
        """``base`` with the fields of ``data`` (a mapping; a field's null keeps its
        value); ValueError for unknown fields or values of the wrong kind."""
        if not isinstance(data, dict):
            raise ValueError("engagement: an object")
        unknown = sorted(set(data) - {"badges", "feedback"})
        if unknown:
            raise ValueError(f"engagement: unknown {', '.join(map(str, unknown))[:200]}")
        out = base or cls()
        badges = data.get("badges")
        if badges is not None:
            if not isinstance(badges, bool):
                raise ValueError("engagement.badges: true or false")
            out = replace(out, badges=badges)
        feedback = data.get("feedback")
        if feedback is not None:
            if feedback not in FEEDBACK_CHOICES:
                raise ValueError(f"engagement.feedback: one of {', '.join(FEEDBACK_CHOICES)}")
            out = replace(out, feedback=str(feedback))
        return out
