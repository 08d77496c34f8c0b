"""Cutting folded text into words: leetspeak, separators, spaced letters, apostrophes."""

from __future__ import annotations

from socialsync.domain.moderation.normalise import fold
from socialsync.domain.moderation.words import WordKind, layout, scanned_words

W, J, S = WordKind.WORD, WordKind.JOINED, WordKind.SPACED


def test_plain_words_are_split_on_anything_but_letters_and_digits() -> None:
    assert scanned_words("Hello, world! It's 10 pm") == [
        (W, "hello"),
        (W, "world"),
        (W, "it"),
        (W, "s"),
        (W, "10"),
        (W, "pm"),
    ]


def test_leet_is_read_only_in_words_that_have_a_letter() -> None:
    assert scanned_words("a55 455") == [(W, "ass"), (W, "455")]
    assert scanned_words("sh1t 5h0w") == [(W, "shit"), (W, "show")]


def test_leet_symbols_join_the_word_they_sit_in() -> None:
    assert (J, "shit") in scanned_words("$h!t")
    assert (J, "asshole") in scanned_words("a$$hole")
    assert (J, "ass") in scanned_words("@ss")


def test_a_trailing_exclamation_mark_is_punctuation_not_an_i() -> None:
    assert scanned_words("wow!!!") == [(W, "wow")]


def test_punctuation_inside_a_chunk_is_removed_in_the_joined_reading() -> None:
    words = scanned_words("f.u.c.k f-u-c-k f_u_c_k f*u*c*k")
    assert words.count((J, "fuck")) == 4


def test_apostrophes_do_not_join_contractions_into_other_words() -> None:
    words = scanned_words("who're he'll")
    assert (J, "whore") not in words
    assert (J, "hell") not in words


def test_three_or_more_single_letters_with_short_gaps_are_read_as_one_word() -> None:
    assert (S, "fuck") in scanned_words("f u c k")
    assert (S, "fuck") in scanned_words("f - u - c - k")
    assert (S, "kys") in scanned_words("k y s")


def test_two_single_letters_or_long_gaps_are_not_joined() -> None:
    assert all(kind is not S for kind, _ in scanned_words("a b"))
    assert all(kind is not S for kind, _ in scanned_words("f     u     c     k"))


def test_the_layout_collapses_runs_and_separates_kinds_of_word() -> None:
    text = layout(fold("fuuuck off f.u.c.k"))
    assert text.keys == "fuck of f u c k\x1ffuck\x1ffuck"
    assert text.run_options(1) == ("u", "u", "u")
    assert text.span(1, 1) == (1, 4)
    assert 0 in text.word_starts and 1 not in text.word_starts and 3 in text.word_ends
    assert text.spaced == frozenset(range(len(text.keys) - 4, len(text.keys)))


def test_the_fingerprint_ignores_case_spacing_punctuation_and_lookalikes() -> None:
    def fingerprint(text: str) -> str:
        return layout(fold(text)).fingerprint()

    assert fingerprint("BUY cheap coins!!!") == fingerprint("buy  cheap   с\u200boins")
