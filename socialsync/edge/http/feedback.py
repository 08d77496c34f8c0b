"""REST: the end-of-party feedback (docs/engagement.md), for the tenant's moderators and
admins and API keys with ``analytics:read``: CSAT and NPS over a range (``since``,
``until``; default the last 30 days) of one party or the tenant, from the analytics
event stream (``survey_answer``), and the comments left with them, newest first. JSON,
or CSV with ``?format=csv`` (``metric,value`` rows)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field
from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.domain.feedback import SurveySummary
from socialsync.edge.http.analytics import Ms, Window, _csv, _window
from socialsync.edge.http.endpoint import AnyEndpoint, Call, Endpoint, Nothing, QueryParams, Reply
from socialsync.protocol.inbound import PartyId
from socialsync.services.analytics import Query
from socialsync.services.feedback import MAX_COMMENTS, FeedbackService

TAG = "analytics"


class FeedbackQuery(QueryParams):
    party: Annotated[PartyId | None, Field(description="One party (its id).")] = None
    since: Annotated[Ms | None, Field(description="From (server epoch ms; default: until - 30 days).")] = None
    until: Annotated[Ms | None, Field(description="To, excluded (server epoch ms; default: now).")] = None
    limit: Annotated[int, Field(ge=0, le=MAX_COMMENTS, description="Comments wanted, newest first.")] = 50
    format: Annotated[Literal["json", "csv"], Field(description="`csv`: the metrics as text/csv.")] = "json"


class ScoreCount(TypedDict):
    score: int
    answers: int


class CsatBody(TypedDict):
    """CSAT: the share of answers 4 or 5 (of 1 to 5)."""

    answers: int
    csat_percent: float | None
    mean: float | None
    satisfied: int
    neutral: int
    dissatisfied: int
    distribution: list[ScoreCount]


class NpsBody(TypedDict):
    """NPS: % promoters (9-10) - % detractors (0-6), -100 to 100."""

    answers: int
    nps: float | None
    mean: float | None
    promoters: int
    passives: int
    detractors: int
    distribution: list[ScoreCount]


class CommentBody(TypedDict):
    id: str
    party: str | None
    survey: Literal["csat", "nps"]
    score: int
    comment: str
    held: bool
    ts: int


class FeedbackAnswer(TypedDict):
    ok: Literal[True]
    range: Window
    csat: CsatBody
    nps: NpsBody
    comments_total: int
    comments: list[CommentBody]


def _distribution(s: SurveySummary) -> list[ScoreCount]:
    return [{"score": k, "answers": v} for k, v in sorted(s.distribution.items())]


def _csat(s: SurveySummary) -> CsatBody:
    return {
        "answers": s.answers,
        "csat_percent": s.score,
        "mean": s.mean,
        "satisfied": s.promoters,
        "neutral": s.passives,
        "dissatisfied": s.detractors,
        "distribution": _distribution(s),
    }


def _nps(s: SurveySummary) -> NpsBody:
    return {
        "answers": s.answers,
        "nps": s.score,
        "mean": s.mean,
        "promoters": s.promoters,
        "passives": s.passives,
        "detractors": s.detractors,
        "distribution": _distribution(s),
    }


class FeedbackRoutes:
    def __init__(self, feedback: FeedbackService) -> None:
        self.feedback = feedback

    def endpoints(self) -> list[AnyEndpoint]:
        return [
            Endpoint(
                method="GET",
                path="/api/v1/analytics/feedback",
                handler=self.report,
                summary="End-of-party feedback: CSAT, NPS and comments",
                description="Answers to the feedback prompt (docs/engagement.md) given in the range, of one "
                "party (`party`) or the tenant: counts per score, CSAT %, NPS, and the comments "
                "(moderated: a held one says so), newest first. `?format=csv` answers the metrics as CSV. "
                "Moderators and admins.",
                query=FeedbackQuery,
                response=FeedbackAnswer,
                errors=(404,),
                tag=TAG,
                scope=Scope.ANALYTICS_READ,
                alternative="text/csv",
            )
        ]

    async def report(self, call: Call[Nothing, FeedbackQuery]) -> Reply:
        q = call.query
        found = await self.feedback.report(call.caller.user, Query(q.party, None, q.since, q.until), q.limit)
        csat, nps = _csat(found.summary.csat), _nps(found.summary.nps)
        if q.format == "csv":
            rows: list[tuple[str, Any]] = [
                ("csat_answers", csat["answers"]),
                ("csat_percent", csat["csat_percent"]),
                ("csat_mean", csat["mean"]),
                ("nps_answers", nps["answers"]),
                ("nps", nps["nps"]),
                ("nps_mean", nps["mean"]),
                ("nps_promoters", nps["promoters"]),
                ("nps_passives", nps["passives"]),
                ("nps_detractors", nps["detractors"]),
                ("comments", found.summary.comments),
            ]
            rows += [(f"csat_{d['score']}", d["answers"]) for d in csat["distribution"]]
            rows += [(f"nps_{d['score']}", d["answers"]) for d in nps["distribution"]]
            return _csv("feedback", ("metric", "value"), rows)
        comments: list[CommentBody] = [
            {
                "id": m.id,
                "party": m.party_id,
                "survey": "csat" if m.survey.value == "csat" else "nps",
                "score": m.score,
                "comment": m.text,
                "held": m.held,
                "ts": m.ts_ms,
            }
            for m in found.comments
        ]
        return {
            "ok": True,
            "range": _window(found.range),
            "csat": csat,
            "nps": nps,
            "comments_total": found.summary.comments,
            "comments": comments,
        }
