"""Evaluation on the labelled set: recall on block lines, false-positive rate on pass lines.

Measures our pipeline and better-profanity alone (``Profanity().contains_profanity``)
on the same lines, prints both, and holds ours to floors set just below what it
achieves, so the numbers cannot silently regress. A line counts as caught when the
filter finds any word (profanity, slur, sexual, harassment) in it; links, floods and
duplicates are left out, as better-profanity does not look for them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from better_profanity import Profanity

from socialsync.domain.model import RoomType
from socialsync.domain.moderation import ChatFilter
from socialsync.domain.moderation.categories import WORD_CATEGORIES

LABELLED = Path(__file__).parents[2] / "data" / "moderation" / "labelled.tsv"
OUR_MIN_RECALL = 0.98  # achieved: 0.984 (246 of 250)
OUR_MAX_FALSE_POSITIVE_RATE = 0.02  # achieved: 0.0185 (5 of 270)


@dataclass(frozen=True)
class Line:
    label: str  # block | pass
    category: str  # e.g. "profanity:leet", "clean:tv", "foreign:de"
    text: str


def unescape(text: str) -> str:
    return re.sub(
        r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})", lambda m: chr(int(m.group(1) or m.group(2), 16)), text
    )


def load_lines() -> list[Line]:
    lines = []
    for raw in LABELLED.read_text("utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            label, category, text = raw.split("\t")
            lines.append(Line(label, category, unescape(text)))
    return lines


@dataclass(frozen=True)
class Score:
    recall: float
    false_positive_rate: float
    misses: tuple[Line, ...]
    false_positives: tuple[Line, ...]
    recall_by_kind: dict[str, float]


def score(lines: list[Line], is_caught: Callable[[int, str], bool]) -> Score:
    caught = [is_caught(n, line.text) for n, line in enumerate(lines)]
    blocks = [(line, hit) for line, hit in zip(lines, caught, strict=True) if line.label == "block"]
    passes = [(line, hit) for line, hit in zip(lines, caught, strict=True) if line.label == "pass"]
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for line, hit in blocks:
        by_kind[line.category.partition(":")[2] or "plain"].append(hit)
    return Score(
        recall=sum(hit for _, hit in blocks) / len(blocks),
        false_positive_rate=sum(hit for _, hit in passes) / len(passes),
        misses=tuple(line for line, hit in blocks if not hit),
        false_positives=tuple(line for line, hit in passes if hit),
        recall_by_kind={kind: sum(hits) / len(hits) for kind, hits in sorted(by_kind.items())},
    )


@pytest.fixture(scope="module")
def lines() -> list[Line]:
    return load_lines()


@pytest.fixture(scope="module")
def ours(lines: list[Line]) -> Score:
    chat_filter = ChatFilter()

    def is_caught(n: int, text: str) -> bool:
        # A room and a user per line, so duplicate counting plays no part.
        result = chat_filter.check(
            text, room_type=RoomType.LIVE_ROOM, user_id=f"u{n}", now_ms=n, room_id=f"r{n}"
        )
        return any(finding.category in WORD_CATEGORIES for finding in result.findings)

    return score(lines, is_caught)


@pytest.fixture(scope="module")
def better_profanity(lines: list[Line]) -> Score:
    profanity = Profanity()
    return score(lines, lambda _, text: bool(profanity.contains_profanity(text)))


def test_the_labelled_set_is_big_and_well_formed(lines: list[Line]) -> None:
    labels = Counter(line.label for line in lines)
    assert set(labels) == {"block", "pass"}
    assert labels["block"] >= 200 and labels["pass"] >= 200
    assert all(line.text for line in lines)


def test_our_recall_and_false_positive_rate_beat_better_profanity_and_the_floors(
    ours: Score, better_profanity: Score, capsys: pytest.CaptureFixture[str]
) -> None:
    with capsys.disabled():
        print("\n\nmoderation eval             recall   false-positive rate")
        print(f"  ours                      {ours.recall:6.3f}   {ours.false_positive_rate:6.3f}")
        theirs = better_profanity
        print(f"  better-profanity alone    {theirs.recall:6.3f}   {theirs.false_positive_rate:6.3f}")
        print("  recall by evasion kind (ours / better-profanity):")
        for kind, recall in ours.recall_by_kind.items():
            print(f"    {kind:12} {recall:6.3f} / {better_profanity.recall_by_kind[kind]:6.3f}")
        print("  our misses:          " + ", ".join(repr(line.text) for line in ours.misses))
        print("  our false positives: " + ", ".join(repr(line.text) for line in ours.false_positives))
    assert ours.recall >= OUR_MIN_RECALL, ours.misses
    assert ours.false_positive_rate <= OUR_MAX_FALSE_POSITIVE_RATE, ours.false_positives
    assert ours.recall > better_profanity.recall
    assert ours.false_positive_rate < better_profanity.false_positive_rate


@pytest.mark.parametrize(
    "kind", ["spaced", "dotted", "leet", "homoglyph", "fullwidth", "zerowidth", "accents"]
)
def test_every_evasion_kind_is_caught(ours: Score, kind: str) -> None:
    assert ours.recall_by_kind[kind] == 1.0


def test_no_clean_tv_sports_or_film_talk_is_flagged(ours: Score) -> None:
    flagged = [
        line for line in ours.false_positives if line.category.split(":")[1] in {"tv", "sports", "film"}
    ]
    assert flagged == []


def test_no_foreign_language_line_is_flagged_apart_from_the_known_homographs(ours: Score) -> None:
    # German "Ass" (an ace) and French "râpé" (grated) are English terms once folded;
    # a tenant with such an audience allows them (CustomTerms.allowed).
    foreign = {line.text for line in ours.false_positives if "foreign" in line.category}
    assert foreign <= {"Das war ein Ass von Federer", "le fromage râpé dans la recette"}
