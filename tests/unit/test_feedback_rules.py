"""The feedback prompt's rules (domain/feedback.py) and the tenant's switches
(domain/engagement.py): scales, CSAT and NPS as defined, what a member leaving earns."""

from __future__ import annotations

import pytest

from socialsync.domain.engagement import Engagement
from socialsync.domain.feedback import (
    MIN_STAY_MS,
    Survey,
    check_score,
    left_after_a_while,
    parse_score,
    summarise,
)


def test_scores_are_checked_against_the_surveys_scale():
    check_score(Survey.CSAT, 1)
    check_score(Survey.NPS, 0)
    for survey, bad in [(Survey.CSAT, 0), (Survey.CSAT, 6), (Survey.NPS, 11), (Survey.NPS, True)]:
        with pytest.raises(ValueError, match="score"):
            check_score(survey, bad)  # type: ignore[arg-type]


def test_csat_is_the_share_of_fours_and_fives():
    s = summarise([("csat", 5), ("csat", 4), ("csat", 3), ("csat", 1), ("nps", 10)]).csat
    assert (s.answers, s.score, s.mean) == (4, 50.0, 3.25)
    assert (s.promoters, s.passives, s.detractors) == (2, 1, 1)
    assert s.distribution == {1: 1, 2: 0, 3: 1, 4: 1, 5: 1}


def test_nps_is_promoters_minus_detractors_in_percent():
    answers = [("nps", n) for n in (10, 9, 9, 8, 7, 6, 0, 3)] + [("other", 4)]
    s = summarise(answers).nps
    assert (s.promoters, s.passives, s.detractors, s.answers) == (3, 2, 3, 8)
    assert s.score == 0.0
    assert summarise([("nps", 10), ("nps", 9), ("nps", 2)]).nps.score == 33.33
    empty = summarise([]).nps
    assert (empty.answers, empty.score, empty.mean) == (0, None, None)


def test_a_member_who_leaves_is_asked_only_after_a_while():
    assert not left_after_a_while(0, MIN_STAY_MS - 1)
    assert left_after_a_while(0, MIN_STAY_MS)


def test_event_values_are_read_as_scores():
    assert parse_score("7") == 7
    assert parse_score("x") is None
    assert parse_score(None) is None
    assert parse_score("12345") is None


def test_switches_keep_what_is_left_out_and_refuse_the_unknown():
    on = Engagement.from_data({"badges": True})
    assert on == Engagement(True, "off")
    assert Engagement.from_data({"feedback": "nps"}, on) == Engagement(True, "nps")
    assert Engagement.from_data({"badges": None}, on) == on
    for bad in [{"badges": "yes"}, {"feedback": "stars"}, {"colour": 1}, []]:
        with pytest.raises(ValueError, match="engagement"):
            Engagement.from_data(bad)
