"""Analytics (scope ``analytics:read``; docs/analytics.md). Each method reads a range
(``since``, ``until``: server epoch ms; default the last 30 days) about one party
(``party``), one media item (``media``) or the whole tenant (neither). The server also
answers CSV (``?format=csv``), for spreadsheets; the SDK reads the JSON."""

from __future__ import annotations

from typing import Literal, TypeVar

from socialsync.platform._models import (
    AnalyticsSummary,
    Concurrency,
    Feedback,
    Funnels,
    Moments,
    RetentionCurve,
    Top,
    Viewers,
    reader,
)
from socialsync.platform._request import M, QueryValue, Resource, Spec, call

BASE = "/api/v1/analytics/"
T = TypeVar("T")


def _range(
    party: str | None, media: str | None, since: int | None, until: int | None
) -> dict[str, QueryValue]:
    return {"party": party, "media": media, "since": since, "until": until}


def _spec(kind: type[T], query: dict[str, QueryValue]) -> Spec[T]:
    return Spec(reader(kind), query=query)


class Analytics(Resource[M]):
    """``client.analytics``."""

    @call("GET", BASE + "summary")
    def summary(
        self,
        *,
        party: str | None = None,
        media: str | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> Spec[AnalyticsSummary]:
        """Sessions, viewers, watch time, concurrency, party size and engagement."""
        return _spec(AnalyticsSummary, _range(party, media, since, until))

    @call("GET", BASE + "concurrency")
    def concurrency(
        self,
        *,
        party: str | None = None,
        media: str | None = None,
        since: int | None = None,
        until: int | None = None,
        step_s: int | None = None,
    ) -> Spec[Concurrency]:
        """Viewers at once over time: a point (peak, average) per ``step_s`` (default 60)."""
        return _spec(Concurrency, _range(party, media, since, until) | {"step_s": step_s})

    @call("GET", BASE + "retention")
    def retention(
        self,
        *,
        party: str | None = None,
        media: str | None = None,
        since: int | None = None,
        until: int | None = None,
        unit: Literal["second", "percent"] | None = None,
    ) -> Spec[RetentionCurve]:
        """Share of views still watching at each second (or percent) of a media item
        (``media``, or ``party``: its most watched one)."""
        return _spec(RetentionCurve, _range(party, media, since, until) | {"unit": unit})

    @call("GET", BASE + "moments")
    def moments(
        self,
        *,
        party: str | None = None,
        media: str | None = None,
        since: int | None = None,
        until: int | None = None,
        bucket_s: int | None = None,
        top: int | None = None,
    ) -> Spec[Moments]:
        """Reactions, messages and rewatches per bucket of media time, and the ``top``
        densest buckets (chapter markers). Needs ``media`` or ``party``."""
        return _spec(Moments, _range(party, media, since, until) | {"bucket_s": bucket_s, "top": top})

    @call("GET", BASE + "funnels")
    def funnels(
        self,
        *,
        party: str | None = None,
        media: str | None = None,
        since: int | None = None,
        until: int | None = None,
    ) -> Spec[Funnels]:
        """Invites created → opened → joined → still watching after 5 min; shares likewise."""
        return _spec(Funnels, _range(party, media, since, until))

    @call("GET", BASE + "viewers")
    def viewers(
        self,
        *,
        party: str | None = None,
        media: str | None = None,
        since: int | None = None,
        until: int | None = None,
        limit: int | None = None,
    ) -> Spec[Viewers]:
        """Engagement per (pseudonymous) viewer, most watched first (``limit`` up to 1000)."""
        return _spec(Viewers, _range(party, media, since, until) | {"limit": limit})

    @call("GET", BASE + "top")
    def top(
        self,
        *,
        by: Literal["parties", "media"] | None = None,
        party: str | None = None,
        media: str | None = None,
        since: int | None = None,
        until: int | None = None,
        limit: int | None = None,
    ) -> Spec[Top]:
        """Top parties (default) or media items by watch time."""
        return _spec(Top, _range(party, media, since, until) | {"by": by, "limit": limit})

    @call("GET", BASE + "feedback")
    def feedback(
        self,
        *,
        party: str | None = None,
        since: int | None = None,
        until: int | None = None,
        limit: int | None = None,
    ) -> Spec[Feedback]:
        """The end-of-party feedback: CSAT, NPS and the comments (``limit`` of them,
        newest first, up to 200) of one party or the tenant."""
        return _spec(Feedback, {"party": party, "since": since, "until": until, "limit": limit})
