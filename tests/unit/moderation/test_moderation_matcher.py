"""The compiled matcher: word boundaries, wildcards, stretched letters, leet, allowlist, spans."""

from __future__ import annotations

from functools import cache

import pytest

from socialsync.domain.moderation import Category, Lexicon, Severity, Term, default_lexicon
from socialsync.domain.moderation.masking import mask
from socialsync.domain.moderation.matcher import Hit, TermMatcher
from socialsync.domain.moderation.normalise import fold
from socialsync.domain.moderation.words import layout

P, MILD = Category.PROFANITY, Severity.MILD


def matcher(*patterns: str, allowed: tuple[str, ...] = ()) -> TermMatcher:
    return TermMatcher(Lexicon(tuple(Term(p, P, MILD) for p in patterns), allowed))


def find(m: TermMatcher, text: str) -> list[Hit]:
    return m.find(layout(fold(text)))


def found(m: TermMatcher, text: str) -> list[str]:
    return [text[hit.start : hit.end] for hit in find(m, text)]


def masked(m: TermMatcher, text: str) -> str:
    return mask(text, ((hit.start, hit.end) for hit in find(m, text)))


def test_a_plain_term_matches_whole_words_only() -> None:
    m = matcher("cunt", "ass")
    assert found(m, "you cunt") == ["cunt"]
    assert found(m, "Scunthorpe United") == []
    assert found(m, "assassin classic bass") == []
    assert found(m, "kick-ass") == ["ass"]


def test_a_trailing_star_matches_words_that_start_with_the_term() -> None:
    m = matcher("bitch*")
    assert found(m, "bitches bitching bitch") == ["bitches", "bitching", "bitch"]
    assert found(m, "sonofabitch") == []


def test_a_leading_star_matches_words_that_end_with_the_term() -> None:
    m = matcher("*shit")
    assert found(m, "bullshit shit") == ["bullshit", "shit"]
    assert found(m, "Yamashita shitty") == []


def test_stars_at_both_ends_match_anywhere_and_mask_the_whole_word() -> None:
    m = matcher("*fuck*")
    assert found(m, "motherfucking clusterfuck") == ["motherfucking", "clusterfuck"]
    assert masked(m, "motherfucker!") == "************!"


@pytest.mark.parametrize("pattern", ["f*ck", "*", " ** ", "..."])
def test_bad_patterns_are_refused_when_compiling(pattern: str) -> None:
    with pytest.raises(ValueError, match="bad term"):
        matcher(pattern)


def test_phrases_match_words_in_a_row_across_punctuation() -> None:
    m = matcher("kill yourself")
    assert found(m, "just KILL. yourself") == ["KILL. yourself"]
    assert found(m, "I will kill him yourself") == []


def test_letters_may_be_stretched_to_three_or_more_but_never_shortened() -> None:
    m = matcher("fuck", "ass", "boob")
    assert found(m, "fuuuuuck") == ["fuuuuuck"]
    assert found(m, "asssss") == ["asssss"]
    assert found(m, "booooob") == ["booooob"]
    assert found(m, "as bob") == []


def test_a_letter_doubled_once_is_not_a_stretch() -> None:
    # Allowing it would read "rapper" as "raper" and "Bonner" as "boner".
    m = matcher("raper", "boner", "fuck")
    assert found(m, "rapper Bonner fuuck") == []


def test_leet_digits_and_symbols_read_as_letters() -> None:
    m = matcher("shit", "asshole", "twat")
    assert found(m, "sh1t $h!t 5hit") == ["sh1t", "$h!t", "5hit"]
    assert found(m, "a$$hole") == ["a$$hole"]
    assert found(m, "7w47") == ["7w47"]


def test_ambiguous_leet_reads_as_i_or_l_but_a_real_i_is_not_an_l() -> None:
    m = matcher("hell", "slut")
    assert found(m, "he11") == ["he11"]
    assert found(m, "sIut") == ["sIut"]  # a capital I looks like an l
    assert found(m, "heii siut") == []


def test_digits_in_a_term_match_only_those_digits() -> None:
    m = matcher("covid19")
    assert found(m, "covid19") == ["covid19"]
    assert found(m, "covidig") == []


def test_numbers_alone_are_not_leet() -> None:
    assert found(matcher("ass"), "455 points") == []


def test_spaced_and_dotted_letters_are_found_and_masked_with_their_separators() -> None:
    m = matcher("fuck", "cunt")
    assert masked(m, "f u c k this") == "******* this"
    assert masked(m, "f.u.c.k.") == "*******."
    assert masked(m, "u r a c u n t") == "u r a *******"


def test_short_terms_inside_a_spaced_run_need_the_whole_run() -> None:
    m = matcher("ass")
    assert found(m, "b a s s") == []
    assert found(m, "a s s") == ["a s s"]


def test_masking_replaces_exactly_the_evasive_characters_including_invisible_ones() -> None:
    m = matcher("fuck")
    text = "oh f\u200bu\u200dc\u2060k off"
    assert masked(m, text) == "oh " + "*" * 7 + " off"
    assert masked(m, "FＵСK!") == "****!"  # fullwidth U, Cyrillic С
    assert masked(m, "fu\u0308ck") == "*****"  # the combining diaeresis goes with its u


def test_spans_point_into_the_original_text_whatever_was_folded_before() -> None:
    m = matcher("shit")
    text = "ﬁne 𝐰𝐨𝐰 ѕhіt"
    [hit] = find(m, text)
    assert text[hit.start : hit.end] == "ѕhіt"


def test_an_allowed_phrase_hides_the_blocked_words_inside_it() -> None:
    m = matcher("dick", "dyke", allowed=("dick van dyke", "moby dick"))
    assert found(m, "Dick Van Dyke and Moby Dick") == []
    assert found(m, "dick") == ["dick"]


def test_an_allowed_term_overrides_the_same_blocked_term() -> None:
    assert found(matcher("damn", allowed=("damn",)), "damn it") == []


def test_allowed_wildcards_work_like_blocked_ones() -> None:
    m = matcher("shit*", allowed=("shiitake*", "shitake*"))
    assert found(m, "shitake mushrooms") == []
    assert found(m, "shitty") == ["shitty"]


def test_hits_carry_category_severity_and_pattern() -> None:
    m = TermMatcher(Lexicon((Term("*fuck*", Category.PROFANITY, Severity.STRONG),)))
    assert find(m, "fuck") == [Hit("*fuck*", Category.PROFANITY, Severity.STRONG, 0, 4)]


def test_an_empty_lexicon_finds_nothing() -> None:
    assert find(TermMatcher(Lexicon(())), "fuck") == []


INNOCENT = [
    "Scunthorpe",
    "Penistone",
    "assassin",
    "classic",
    "cocktail",
    "cockpit",
    "peacock",
    "Hancock",
    "Hitchcock",
    "shuttlecock",
    "Dick Van Dyke",
    "Moby Dick",
    "Dickens",
    "therapist",
    "grapes",
    "shiitake",
    "shitake",
    "pen is",
    "analysis",
    "Sussex",
    "Essex",
    "Middlesex",
    "Arsenal",
    "Matsushita",
    "Yamashita",
    "snigger",
    "niggle",
    "Nigeria",
    "spicy",
    "title",
    "Titanic",
    "rapper",
    "rapped",
    "Shiite",
    "mishit",
    "cum laude",
    "tit for tat",
    "blue tit",
    "pussy willow",
    "chink in the armour",
    "homo sapiens",
    "spick and span",
    "who're",
    "he'll",
    "Wankdorf",
    "buttress",
    "harassment",
    "passion",
    "aß",
    "455",
    "69",
    "god",
    "hell",
    "damn",
    "kill",
    "murder",
    "nazi",
    "en retard",
]


@cache
def shipped() -> TermMatcher:
    return TermMatcher(default_lexicon())


@pytest.mark.parametrize("text", INNOCENT)
def test_innocent_words_pass_the_shipped_lexicon(text: str) -> None:
    assert find(shipped(), text) == []


def test_mask_merges_overlapping_spans_and_ignores_empty_ones() -> None:
    assert mask("abcdefgh", [(5, 7), (1, 3), (2, 4), (6, 6), (7, 99)]) == "a***e***"
    assert mask("abc", []) == "abc"
