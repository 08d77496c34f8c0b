"""REST: analytics (docs/analytics.md), for the tenant's moderators and admins and API
keys with ``analytics:read``. Every endpoint reads a range (``since``, ``until``: server
epoch ms; default the last 30 days) about one party (``party``), one media item
(``media``) or the tenant (neither), and answers JSON, or CSV with ``?format=csv``
(one row per point, step, bucket or viewer; a summary is ``metric,value`` rows)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field
from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.domain.analytics.metrics import Concurrency, Moment, Summary
from socialsync.edge.http.endpoint import AnyEndpoint, Call, Endpoint, Nothing, QueryParams, Reply
from socialsync.protocol.inbound import PartyId
from socialsync.services.analytics import AnalyticsService, Query, Range

TAG = "analytics"
MAX_SAFE_INT = 2**53 - 1
Ms = Annotated[int, Field(ge=0, le=MAX_SAFE_INT)]
MediaId = Annotated[
    str,
    Field(
        min_length=16,
        max_length=16,
        pattern=r"^[0-9a-f]{16}$",
        description="A media item's id (`top?by=media`).",
    ),
]


class RangeQuery(QueryParams):
    party: Annotated[PartyId | None, Field(description="One party (its id).")] = None
    media: Annotated[MediaId | None, Field()] = None
    since: Annotated[Ms | None, Field(description="From (server epoch ms; default: until - 30 days).")] = None
    until: Annotated[Ms | None, Field(description="To, excluded (server epoch ms; default: now).")] = None
    format: Annotated[Literal["json", "csv"], Field(description="`csv`: the rows as text/csv.")] = "json"


class ConcurrencyQuery(RangeQuery):
    step_s: Annotated[int, Field(ge=1, le=86_400, description="Seconds per point.")] = 60


class RetentionQuery(RangeQuery):
    unit: Annotated[
        Literal["second", "percent"], Field(description="Per second, or per percent of the duration.")
    ] = "second"


class MomentsQuery(RangeQuery):
    bucket_s: Annotated[int, Field(ge=1, le=3_600, description="Seconds of media per bucket.")] = 10
    top: Annotated[int, Field(ge=1, le=50, description="Top moments wanted.")] = 5


class ListQuery(RangeQuery):
    limit: Annotated[int, Field(ge=1, le=1_000)] = 100


class TopQuery(ListQuery):
    by: Annotated[Literal["parties", "media"], Field(description="Rank parties or media items.")] = "parties"


class Window(TypedDict):
    party: str | None
    media: str | None
    since: int
    until: int


class SummaryBody(TypedDict):
    sessions: int
    unique_viewers: int
    returning_viewers: int
    parties: int
    session_duration_mean_s: float | None
    session_duration_median_s: float | None
    watch_time_s: float
    watch_time_per_viewer_s: float | None
    peak_viewers: int
    average_viewers: float
    average_party_size: float | None
    messages: int
    reactions: int
    engagement_per_minute: float | None


class SummaryAnswer(TypedDict):
    ok: Literal[True]
    range: Window
    metrics: SummaryBody


class PointBody(TypedDict):
    t: int
    viewers: int
    average: float


class ConcurrencyAnswer(TypedDict):
    ok: Literal[True]
    range: Window
    peak: int
    peak_at: int | None
    average: float
    points: list[PointBody]


class RetentionPoint(TypedDict, total=False):
    second: int
    percent: int
    retentionPercent: float  # PeerTube's /stats/retention shape


class RetentionAnswer(TypedDict):
    ok: Literal[True]
    range: Window
    media: str | None
    unit: Literal["second", "percent"]
    views: int
    intro_retention: float | None
    data: list[RetentionPoint]


class MomentBody(TypedDict):
    start_s: int
    end_s: int
    reactions: int
    messages: int
    rewatches: int
    viewers: int
    score: int


class MomentsAnswer(TypedDict):
    ok: Literal[True]
    range: Window
    media: str | None
    buckets: list[MomentBody]
    top: list[MomentBody]


class StepBody(TypedDict):
    step: str
    count: int
    conversion: float | None


class FunnelsAnswer(TypedDict):
    ok: Literal[True]
    range: Window
    invite: list[StepBody]
    share: list[StepBody]


class ViewerBody(TypedDict):
    viewer: str
    sessions: int
    watch_time_s: float
    messages: int
    reactions: int
    per_minute: float | None


class ViewersAnswer(TypedDict):
    ok: Literal[True]
    range: Window
    viewers: list[ViewerBody]


class RankedBody(TypedDict):
    id: str
    sessions: int
    unique_viewers: int
    watch_time_s: float
    messages: int
    reactions: int
    about: dict[str, Any]


class TopAnswer(TypedDict):
    ok: Literal[True]
    range: Window
    by: Literal["parties", "media"]
    items: list[RankedBody]


def _query(q: RangeQuery) -> Query:
    return Query(q.party, q.media, q.since, q.until)


def _window(r: Range) -> Window:
    return {"party": r.scope.party_id, "media": r.scope.media_id, "since": r.since, "until": r.until}


def _csv(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> web.Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"', "Cache-Control": "no-store"},
    )


def _moment(m: Moment) -> MomentBody:
    return {
        "start_s": m.start_s,
        "end_s": m.end_s,
        "reactions": m.reactions,
        "messages": m.messages,
        "rewatches": m.rewatches,
        "viewers": m.viewers,
        "score": m.score,
    }


def _summary(s: Summary) -> SummaryBody:
    return {
        "sessions": s.sessions,
        "unique_viewers": s.unique_viewers,
        "returning_viewers": s.returning_viewers,
        "parties": s.parties,
        "session_duration_mean_s": s.session_duration_mean_s,
        "session_duration_median_s": s.session_duration_median_s,
        "watch_time_s": s.watch_time_s,
        "watch_time_per_viewer_s": s.watch_time_per_viewer_s,
        "peak_viewers": s.peak_viewers,
        "average_viewers": s.average_viewers,
        "average_party_size": s.average_party_size,
        "messages": s.messages,
        "reactions": s.reactions,
        "engagement_per_minute": s.engagement_per_minute,
    }


def _points(c: Concurrency) -> list[PointBody]:
    return [{"t": p.t_ms, "viewers": p.peak, "average": round(p.average, 4)} for p in c.points]


class AnalyticsRoutes:
    def __init__(self, analytics: AnalyticsService) -> None:
        self.analytics = analytics

    def endpoints(self) -> list[AnyEndpoint]:
        def declare(
            path: str, handler: Any, summary: str, query: Any, response: Any, description: str
        ) -> AnyEndpoint:
            return Endpoint(
                method="GET",
                path=f"/api/v1/analytics/{path}",
                handler=handler,
                summary=summary,
                description=description + " `?format=csv` answers the rows as CSV. Moderators and admins.",
                query=query,
                response=response,
                errors=(404,),
                tag=TAG,
                scope=Scope.ANALYTICS_READ,
                alternative="text/csv",
            )

        return [
            declare(
                "summary",
                self.summary,
                "Sessions, viewers, watch time, concurrency, party size and engagement",
                RangeQuery,
                SummaryAnswer,
                "Of the sessions that started in the range (concurrency: every session overlapping it).",
            ),
            declare(
                "concurrency",
                self.concurrency,
                "Viewers at once over time (peak and average per step)",
                ConcurrencyQuery,
                ConcurrencyAnswer,
                "A point per `step_s` (at most 10 000 points).",
            ),
            declare(
                "retention",
                self.retention,
                "Share of views still watching at each second (or percent) of a media item",
                RetentionQuery,
                RetentionAnswer,
                "PeerTube's `/stats/retention` shape (`data: [{second, retentionPercent}]`), with the intro "
                "retention (% at 30 s). Needs `media` or `party` (a party's most watched media item).",
            ),
            declare(
                "moments",
                self.moments,
                "Key moments: reactions, messages and rewatches per bucket of media time",
                MomentsQuery,
                MomentsAnswer,
                "Every bucket, and the `top` densest ones (no two side by side) as chapter markers. "
                "Needs `media` or `party`.",
            ),
            declare(
                "funnels",
                self.funnels,
                "Invite and share funnels",
                RangeQuery,
                FunnelsAnswer,
                "Invites created in the range → opened → joined → still watching after 5 min; "
                "shares → joined → still watching after 5 min; conversion at each step.",
            ),
            declare(
                "viewers",
                self.viewers,
                "Engagement per (pseudonymous) viewer",
                ListQuery,
                ViewersAnswer,
                "Watch time, messages and reactions per minute watched; most watched first.",
            ),
            declare(
                "top",
                self.top,
                "Top parties or media items by watch time",
                TopQuery,
                TopAnswer,
                "Most watched first.",
            ),
        ]

    async def summary(self, call: Call[Nothing, RangeQuery]) -> Reply:
        r, s = await self.analytics.summary(call.caller.user, _query(call.query))
        body = _summary(s)
        if call.query.format == "csv":
            return _csv("summary", ("metric", "value"), body.items())
        return {"ok": True, "range": _window(r), "metrics": body}

    async def concurrency(self, call: Call[Nothing, ConcurrencyQuery]) -> Reply:
        r, c = await self.analytics.concurrency(call.caller.user, _query(call.query), call.query.step_s)
        points = _points(c)
        if call.query.format == "csv":
            return _csv(
                "concurrency",
                ("t", "viewers", "average"),
                ((p["t"], p["viewers"], p["average"]) for p in points),
            )
        return {
            "ok": True,
            "range": _window(r),
            "peak": c.peak,
            "peak_at": c.peak_at_ms,
            "average": c.average,
            "points": points,
        }

    async def retention(self, call: Call[Nothing, RetentionQuery]) -> Reply:
        unit = call.query.unit
        r, media, found = await self.analytics.retention(call.caller.user, _query(call.query), unit)
        if call.query.format == "csv":
            return _csv("retention", (unit, "retention_percent"), found.points)
        data: list[RetentionPoint] = [
            {"second": k, "retentionPercent": v}
            if unit == "second"
            else {"percent": k, "retentionPercent": v}
            for k, v in found.points
        ]
        return {
            "ok": True,
            "range": _window(r),
            "media": media,
            "unit": unit,
            "views": found.views,
            "intro_retention": found.intro_percent,
            "data": data,
        }

    async def moments(self, call: Call[Nothing, MomentsQuery]) -> Reply:
        q = call.query
        r, media, buckets, top = await self.analytics.moments(call.caller.user, _query(q), q.bucket_s, q.top)
        if q.format == "csv":
            header = ("start_s", "end_s", "reactions", "messages", "rewatches", "viewers", "score", "top")
            chosen = {m.start_s for m in top}
            rows = (
                (
                    m.start_s,
                    m.end_s,
                    m.reactions,
                    m.messages,
                    m.rewatches,
                    m.viewers,
                    m.score,
                    int(m.start_s in chosen),
                )
                for m in buckets
            )
            return _csv("moments", header, rows)
        return {
            "ok": True,
            "range": _window(r),
            "media": media,
            "buckets": [_moment(m) for m in buckets],
            "top": [_moment(m) for m in top],
        }

    async def funnels(self, call: Call[Nothing, RangeQuery]) -> Reply:
        r, found = await self.analytics.funnels(call.caller.user, _query(call.query))
        if call.query.format == "csv":
            rows = ((name, s.step, s.count, s.conversion) for name, steps in found.items() for s in steps)
            return _csv("funnels", ("funnel", "step", "count", "conversion"), rows)
        body = {
            name: [{"step": s.step, "count": s.count, "conversion": s.conversion} for s in steps]
            for name, steps in found.items()
        }
        return {"ok": True, "range": _window(r), "invite": body["invite"], "share": body["share"]}

    async def viewers(self, call: Call[Nothing, ListQuery]) -> Reply:
        r, found = await self.analytics.viewers(call.caller.user, _query(call.query), call.query.limit)
        rows = [
            {
                "viewer": v.viewer,
                "sessions": v.sessions,
                "watch_time_s": v.watch_time_s,
                "messages": v.messages,
                "reactions": v.reactions,
                "per_minute": v.per_minute,
            }
            for v in found
        ]
        if call.query.format == "csv":
            header = ("viewer", "sessions", "watch_time_s", "messages", "reactions", "per_minute")
            return _csv("viewers", header, ([row[h] for h in header] for row in rows))
        return {"ok": True, "range": _window(r), "viewers": rows}

    async def top(self, call: Call[Nothing, TopQuery]) -> Reply:
        q = call.query
        r, best, about = await self.analytics.top(
            call.caller.user, _query(q), "media" if q.by == "media" else "parties", q.limit
        )
        items = [
            {
                "id": b.key,
                "sessions": b.sessions,
                "unique_viewers": b.unique_viewers,
                "watch_time_s": b.watch_time_s,
                "messages": b.messages,
                "reactions": b.reactions,
                "about": about.get(b.key, {}),
            }
            for b in best
        ]
        if q.format == "csv":
            header = ("id", "sessions", "unique_viewers", "watch_time_s", "messages", "reactions")
            rows = ([i[h] for h in header] + [i["about"].get("title")] for i in items)
            return _csv("top", (*header, "title"), rows)
        return {"ok": True, "range": _window(r), "by": q.by, "items": items}
