"""The end-of-party feedback prompt (docs/engagement.md): one question, CSAT (1 to 5) or
NPS (0 to 10), asked of a member when a party ends (or when it leaves one after a
while), at most once a week per user, answered once. The score goes into the analytics
event stream (``survey_answer``: ref the survey, value the score); an optional comment
is moderated like chat and kept under the tenant's ``feedback_days``. Pure: the
service and the stores bring the time in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

MINUTE_MS = 60_000
DAY_MS = 24 * 60 * MINUTE_MS
# A user is asked at most once in this long.
PROMPT_EVERY_MS = 7 * DAY_MS
# A prompt may be answered for this long.
PROMPT_TTL_MS = DAY_MS
# A member who leaves a party (rather than seeing it end) is asked only after this long in it.
MIN_STAY_MS = 5 * MINUTE_MS
MAX_COMMENT = 500


class Survey(StrEnum):
    CSAT = "csat"  # "How satisfied were you with this watch party?" 1..5
    NPS = "nps"  # "How likely are you to recommend watching together to a friend?" 0..10


SCALE: dict[Survey, tuple[int, int]] = {Survey.CSAT: (1, 5), Survey.NPS: (0, 10)}
# CSAT: the share of answers that are 4 or 5. NPS: promoters answer 9 or 10, detractors 0 to 6.
SATISFIED = 4
PROMOTER = 9
DETRACTOR = 6


def check_score(survey: Survey, score: int) -> None:
    low, high = SCALE[survey]
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise ValueError(f"score: an integer {low} to {high} for {survey.value}")


@dataclass(frozen=True, slots=True)
class Prompt:
    """A question put to one viewer (its pseudonym: the prompts are kept by it)."""

    id: str
    tenant_id: str
    viewer: str
    party_id: str
    survey: Survey
    prompted_ms: int
    answered_ms: int | None = None

    @property
    def expires_ms(self) -> int:
        return self.prompted_ms + PROMPT_TTL_MS


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment left with an answer: moderated (``held``: the filter wanted a human to
    look; masked words are masked in ``text``)."""

    id: str
    tenant_id: str
    party_id: str | None
    viewer: str
    survey: Survey
    score: int
    text: str
    held: bool
    ts_ms: int


def left_after_a_while(joined_at_ms: int, now_ms: int) -> bool:
    """A member who left is asked only if it stayed ``MIN_STAY_MS``."""
    return now_ms - joined_at_ms >= MIN_STAY_MS


@dataclass(frozen=True, slots=True)
class SurveySummary:
    survey: Survey
    answers: int
    distribution: dict[int, int]  # every score of the scale, with its count
    mean: float | None
    # CSAT: % of answers 4 or 5; NPS: % promoters - % detractors (-100..100).
    score: float | None
    promoters: int = 0  # NPS: 9-10; CSAT: 4-5 (satisfied)
    passives: int = 0  # NPS: 7-8; CSAT: 3
    detractors: int = 0  # NPS: 0-6; CSAT: 1-2


@dataclass(frozen=True, slots=True)
class FeedbackSummary:
    csat: SurveySummary
    nps: SurveySummary
    comments: int = 0


def summarise_one(survey: Survey, scores: Iterable[int]) -> SurveySummary:
    low, high = SCALE[survey]
    distribution = dict.fromkeys(range(low, high + 1), 0)
    for s in scores:
        if low <= s <= high:
            distribution[s] += 1
    n = sum(distribution.values())
    if not n:
        return SurveySummary(survey, 0, distribution, None, None)
    mean = round(sum(k * v for k, v in distribution.items()) / n, 2)
    if survey is Survey.CSAT:
        good = sum(v for k, v in distribution.items() if k >= SATISFIED)
        middle = distribution.get(SATISFIED - 1, 0)
        bad = n - good - middle
    else:
        good = sum(v for k, v in distribution.items() if k >= PROMOTER)
        bad = sum(v for k, v in distribution.items() if k <= DETRACTOR)
        middle = n - good - bad
    if survey is Survey.CSAT:
        score = round(100 * good / n, 2)
    else:
        score = round(100 * (good - bad) / n, 2)
    return SurveySummary(survey, n, distribution, mean, score, good, middle, bad)


def summarise(answers: Iterable[tuple[str, int]], comments: int = 0) -> FeedbackSummary:
    """CSAT and NPS over ``answers`` ((survey, score) pairs; others are ignored)."""
    by: dict[Survey, list[int]] = {Survey.CSAT: [], Survey.NPS: []}
    for survey, score in answers:
        if survey in by:
            by[Survey(survey)].append(score)
    return FeedbackSummary(
        summarise_one(Survey.CSAT, by[Survey.CSAT]), summarise_one(Survey.NPS, by[Survey.NPS]), comments
    )


def parse_score(value: str | None) -> int | None:
    """A ``survey_answer`` event's value as a score (None: not one)."""
    if value is None or not value.lstrip("-").isdigit() or len(value) > 3:
        return None
    return int(value)
