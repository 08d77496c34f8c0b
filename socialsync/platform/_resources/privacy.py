"""Personal data (scope ``users:admin``; docs/privacy.md): a user's export and erasure,
the tenant's retention, a party's consent records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialsync.platform._models import Consent, Erasure, Page, Retention, page_of, reader
from socialsync.platform._request import M, Resource, Spec, call, compact, pages


class Privacy(Resource[M]):
    """``client.privacy``."""

    @call("GET", "/api/v1/users/{user}/export")
    def export_user(self, user: str) -> Spec[Mapping[str, Any]]:
        """Everything kept about a user (GDPR Art. 15/20), as one JSON document."""
        return Spec(reader(dict[str, Any]), path={"user": user})

    @call("POST", "/api/v1/users/{user}/erase", idempotent=True)
    def erase_user(self, user: str) -> Spec[Erasure]:
        """Erase a user (GDPR Art. 17): what is left is under ``pseudonym``."""
        return Spec(reader(Erasure), path={"user": user})

    @call("GET", "/api/v1/retention")
    def retention(self) -> Spec[Retention]:
        """Days each kind of the tenant's data is kept."""
        return Spec(reader(Retention, "retention"))

    @call("PUT", "/api/v1/retention")
    def update_retention(
        self,
        *,
        chat_days: int | None = None,
        deleted_text_days: int | None = None,
        audit_days: int | None = None,
        ended_parties_days: int | None = None,
        clips_days: int | None = None,
        reports_days: int | None = None,
        analytics_events_days: int | None = None,
        analytics_aggregates_days: int | None = None,
        feedback_days: int | None = None,
    ) -> Spec[Retention]:
        """Change the retention (0..36500 days); what is left out keeps its value."""
        body = compact(
            chat_days=chat_days,
            deleted_text_days=deleted_text_days,
            audit_days=audit_days,
            ended_parties_days=ended_parties_days,
            clips_days=clips_days,
            reports_days=reports_days,
            analytics_events_days=analytics_events_days,
            analytics_aggregates_days=analytics_aggregates_days,
            feedback_days=feedback_days,
        )
        return Spec(reader(Retention, "retention"), body=body)

    @call("GET", "/api/v1/parties/{party}/consents")
    def consents(
        self, party: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Spec[Page[Consent]]:
        """One page of who consented to a camera or a recording in a party, and when (in time)."""
        return Spec(page_of(Consent), path={"party": party}, query={"limit": limit, "cursor": cursor})

    iter_consents = pages(consents)
