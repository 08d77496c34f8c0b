"""Normalisation, one step at a time, and the span bookkeeping that masking relies on."""

from __future__ import annotations

import pytest

from socialsync.domain.moderation.normalise import (
    fold,
    fold_char,
    fold_lookalike,
    is_invisible,
    nfkc_casefold,
    plain_view,
    strip_accents,
)


@pytest.mark.parametrize(
    "char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\U000e0041", "\u3164"]
)
def test_zero_width_format_and_blank_characters_are_invisible(char: str) -> None:
    assert is_invisible(char)
    assert fold_char(char) == ""


@pytest.mark.parametrize("char", ["a", " ", "é", "\u0301", "😀"])
def test_visible_characters_are_not_invisible(char: str) -> None:
    assert not is_invisible(char)


@pytest.mark.parametrize(
    ("char", "expected"),
    [("Ｆ", "f"), ("𝐟", "f"), ("ⓕ", "f"), ("ﬁ", "fi"), ("Σ", "σ"), ("Ǆ", "dž"), ("①", "1")],
)
def test_nfkc_and_case_folding(char: str, expected: str) -> None:
    assert nfkc_casefold(char) == expected


def test_german_sharp_s_is_kept_so_that_a_past_tense_does_not_read_as_ass() -> None:
    assert fold("aß").chars == "aß"


@pytest.mark.parametrize(("char", "expected"), [("ü", "u"), ("é", "e"), ("ñ", "n"), ("a", "a"), ("가", "가")])
def test_accents_are_stripped_but_hangul_stays_whole(char: str, expected: str) -> None:
    assert strip_accents(char) == expected


@pytest.mark.parametrize(
    ("char", "expected"),
    [
        ("а", "a"),  # Cyrillic a
        ("с", "c"),  # Cyrillic es
        ("і", "i"),  # Ukrainian i
        ("ѕ", "s"),  # Cyrillic dze
        ("ο", "o"),  # Greek omicron
        ("υ", "u"),  # Greek upsilon
        ("μ", "u"),  # Greek mu: not in UTS #39's Latin map, a known evasion
        ("к", "k"),
        ("т", "t"),
        ("ø", "o"),  # Latin without a decomposition: anyascii
        ("ł", "l"),
        ("æ", "ae"),
        ("🇫", "f"),  # regional indicator letters
        ("あ", "あ"),  # other scripts are left alone
        ("x", "x"),
    ],
)
def test_lookalikes_fold_to_the_latin_letter_they_imitate(char: str, expected: str) -> None:
    assert fold_lookalike(char) == expected


def test_a_lookalike_is_judged_before_nfkc_changes_it_into_another_letter() -> None:
    # U+03F2 looks like "c"; NFKC would make it a sigma, which looks like "o".
    assert fold_char("ϲ") == "c"
    # ...but when NFKC reaches ASCII, NFKC wins: the long s is an s.
    assert fold_char("ſ") == "s"


def test_fold_keeps_the_original_span_of_every_folded_character() -> None:
    folded = fold("F\u200bＵ ﬁ")
    assert folded.chars == "fu fi"
    assert folded.starts == (0, 2, 3, 4, 4)
    assert folded.ends == (1, 3, 4, 5, 5)


def test_a_combining_mark_extends_the_span_of_the_letter_before_it() -> None:
    folded = fold("fu\u0308ck")
    assert folded.chars == "fuck"
    assert (folded.starts[1], folded.ends[1]) == (1, 3)


def test_a_capital_i_is_remembered_as_a_possible_l() -> None:
    folded = fold("sIut")
    assert folded.chars == "siut"
    assert folded.maybe_l == frozenset({1})


def test_the_plain_view_drops_invisibles_but_keeps_lookalikes_distinct() -> None:
    plain, origins = plain_view("yоu\u200btube.com")  # Cyrillic o
    assert plain == "yоutube.com"
    assert origins[3] == 4
