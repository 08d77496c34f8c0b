"""Cut folded text into words and lay them out as one string for the matcher to scan.

Three kinds of word come out of a message:

- ``WORD``: letters and digits between separators, as anyone would read them;
- ``JOINED``: a whitespace-delimited chunk with its inner punctuation removed, so
  ``f.u.c.k``, ``sh!t`` and ``a$$`` read as one word;
- ``SPACED``: three or more single letters with short separators between them,
  so ``f u c k`` and ``f - u - c - k`` read as one word.

Leetspeak is read only in words that contain a real letter: ``a55`` is ``ass`` but
``455`` stays a number.

The layout (``MatchText``) puts the ``WORD`` words in order with one space between
them, so phrases can match, then each ``JOINED`` and ``SPACED`` word behind a barrier
character that no term contains. Runs of the same letter are collapsed to one
character (``fuuuck`` scans as ``fuck``); each run remembers which folded characters
it holds and what each may stand for, so the matcher can check the run lengths and
leet readings afterwards and map a match back to the original characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from socialsync.domain.moderation.normalise import Folded, fold

# What a character may stand for inside a word that has letters. The first letter is
# the one used for scanning; the others are checked when a term needs them.
LEET: dict[str, str] = {
    "0": "o",
    "1": "il",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "il",
    "|": "il",
    "+": "t",
    "€": "e",
}
LEET_SYMBOLS = frozenset(char for char in LEET if not char.isalnum())

WORD_GAP = " "  # between WORD words: phrases match across it
BARRIER = "\x1f"  # before each JOINED or SPACED word: nothing matches across it

APOSTROPHES = frozenset("'`\u2019\u02bc")
MIN_SPACED_LETTERS = 3
MAX_SPACED_GAP = 3  # separator characters allowed between spaced letters


class WordKind(StrEnum):
    WORD = "word"
    JOINED = "joined"
    SPACED = "spaced"


@dataclass(frozen=True, slots=True)
class Word:
    positions: Sequence[int]  # indices into ``Folded.chars``
    kind: WordKind


_ALNUM = re.compile(r"[^\W_]+")  # str.isalnum() characters
_CHUNK = re.compile(r"\S+")


def split_words(folded: Folded) -> list[Word]:
    """The WORD words in order, then the JOINED and SPACED ones."""
    chars = folded.chars
    plain = [Word(range(m.start(), m.end()), WordKind.WORD) for m in _ALNUM.finditer(chars)]
    extra: list[Word] = []
    for chunk in _CHUNK.finditer(chars):
        if _ALNUM.fullmatch(chunk.group()):
            continue  # one plain word: nothing to join
        for piece_start, piece_end in _apostrophe_pieces(chars, chunk.start(), chunk.end()):
            joined = _joined_chunk(chars, piece_start, piece_end)
            if joined is not None and not _is_one_plain_word(joined, chars):
                extra.append(joined)
    extra.extend(_spaced_runs(plain))
    return plain + extra


def _is_one_plain_word(word: Word, chars: str) -> bool:
    first, last = word.positions[0], word.positions[-1]
    return last - first + 1 == len(word.positions) and _ALNUM.fullmatch(chars, first, last + 1) is not None


def _apostrophe_pieces(chars: str, start: int, end: int) -> list[tuple[int, int]]:
    """A chunk cut at apostrophes: joining across them reads contractions as other words
    ("who're" as "whore", "he'll" as "hell")."""
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for k in range(start, end):
        if chars[k] in APOSTROPHES:
            pieces.append((piece_start, k))
            piece_start = k + 1
    pieces.append((piece_start, end))
    return pieces


def _joined_chunk(chars: str, start: int, end: int) -> Word | None:
    kept = [k for k in range(start, end) if chars[k].isalnum() or chars[k] in LEET_SYMBOLS]
    # A trailing "!" is an exclamation, not an "i".
    while kept and chars[kept[-1]] == "!":
        kept.pop()
    if not any(chars[k].isalpha() for k in kept):
        return None
    return Word(tuple(kept), WordKind.JOINED)


def _spaced_runs(plain: list[Word]) -> list[Word]:
    runs: list[Word] = []
    current: list[int] = []
    for word in plain:
        single = len(word.positions) == 1
        if single and (not current or word.positions[0] - current[-1] - 1 <= MAX_SPACED_GAP):
            current.append(word.positions[0])
            continue
        if len(current) >= MIN_SPACED_LETTERS:
            runs.append(Word(tuple(current), WordKind.SPACED))
        current = [word.positions[0]] if single else []
    if len(current) >= MIN_SPACED_LETTERS:
        runs.append(Word(tuple(current), WordKind.SPACED))
    return runs


def readings(folded: Folded, word: Word) -> list[tuple[str, str]]:
    """Per character of the word: (the letter it scans as, every letter it may stand for)."""
    chars, maybe_l = folded.chars, folded.maybe_l
    has_letter = any(chars[p].isalpha() for p in word.positions)
    out: list[tuple[str, str]] = []
    for p in word.positions:
        char = chars[p]
        leet = LEET.get(char) if has_letter else None
        key, options = (leet[0], char + leet) if leet else (char, char)
        if maybe_l and p in maybe_l:
            options += "l"
        out.append((key, options))
    return out


@dataclass(frozen=True, slots=True)
class MatchText:
    """A message laid out for the matcher: one character of ``keys`` per run.

    The folded characters of run ``r`` are ``positions[bounds[r]:bounds[r + 1]]`` (none
    for a gap or barrier) and what each may stand for is ``options[...]`` alike;
    ``word_starts`` and ``word_ends`` hold the first and last run of every word, and
    ``spaced`` the runs of SPACED words. WORD words come first, in ``keys[:plain_end]``.
    """

    folded: Folded
    keys: str
    bounds: tuple[int, ...]
    positions: tuple[int, ...]
    options: tuple[str, ...]
    word_starts: frozenset[int]
    word_ends: frozenset[int]
    spaced: frozenset[int]
    plain_end: int

    def run_options(self, run: int) -> tuple[str, ...]:
        return self.options[self.bounds[run] : self.bounds[run + 1]]

    def span(self, first_run: int, last_run: int) -> tuple[int, int]:
        """The original characters covered by runs ``first_run..last_run``."""
        first = self.positions[self.bounds[first_run]]
        last = self.positions[self.bounds[last_run + 1] - 1]
        return self.folded.starts[first], self.folded.ends[last]

    def fingerprint(self, max_chars: int = 200) -> str:
        """The message's words as scanned, without gaps: equal for copy-paste variants."""
        return self.keys[: self.plain_end].replace(WORD_GAP, "")[:max_chars]


def layout(folded: Folded) -> MatchText:
    keys: list[str] = []
    bounds: list[int] = []
    positions: list[int] = []
    options: list[str] = []
    word_starts: set[int] = set()
    word_ends: set[int] = set()
    spaced: set[int] = set()
    plain_end = 0
    for index, word in enumerate(split_words(folded)):
        if word.kind is not WordKind.WORD or index:  # WORD words come first
            bounds.append(len(positions))
            keys.append(WORD_GAP if word.kind is WordKind.WORD else BARRIER)
        first_run = len(keys)
        run_key = ""
        for p, (key, option) in zip(word.positions, readings(folded, word), strict=True):
            if key != run_key:
                bounds.append(len(positions))
                keys.append(key)
                run_key = key
            positions.append(p)
            options.append(option)
        word_starts.add(first_run)
        word_ends.add(len(keys) - 1)
        if word.kind is WordKind.SPACED:
            spaced.update(range(first_run, len(keys)))
        if word.kind is WordKind.WORD:
            plain_end = len(keys)
    bounds.append(len(positions))
    return MatchText(
        folded,
        "".join(keys),
        tuple(bounds),
        tuple(positions),
        tuple(options),
        frozenset(word_starts),
        frozenset(word_ends),
        frozenset(spaced),
        plain_end,
    )


def scanned_words(text: str) -> list[tuple[WordKind, str]]:
    """Each word of ``text`` as the matcher scans it (before runs collapse): for tests and debugging."""
    folded = fold(text)
    return [(word.kind, "".join(key for key, _ in readings(folded, word))) for word in split_words(folded)]
