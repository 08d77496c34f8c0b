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

from dataclasses import dataclass
from enum import StrEnum

from .normalise import Folded, fold

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
    positions: tuple[int, ...]  # indices into ``Folded.chars``
    kind: WordKind


def split_words(folded: Folded) -> list[Word]:
    """The WORD words in order, then the JOINED and SPACED ones."""
    chars = folded.chars
    plain: list[Word] = []
    extra: list[Word] = []
    start = 0
    while start < len(chars):
        if chars[start].isspace():
            start += 1
            continue
        end = start
        while end < len(chars) and not chars[end].isspace():
            end += 1
        chunk_words = _alnum_runs(chars, start, end)
        plain.extend(chunk_words)
        for piece_start, piece_end in _apostrophe_pieces(chars, start, end):
            joined = _joined_chunk(chars, piece_start, piece_end)
            if joined is not None and joined.positions not in [w.positions for w in chunk_words]:
                extra.append(joined)
        start = end
    extra.extend(_spaced_runs(plain))
    return plain + extra


def _alnum_runs(chars: str, start: int, end: int) -> list[Word]:
    words: list[Word] = []
    run: list[int] = []
    for k in range(start, end):
        if chars[k].isalnum():
            run.append(k)
        elif run:
            words.append(Word(tuple(run), WordKind.WORD))
            run = []
    if run:
        words.append(Word(tuple(run), WordKind.WORD))
    return words


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
        if len(word.positions) == 1 and (
            not current or word.positions[0] - current[-1] - 1 <= MAX_SPACED_GAP
        ):
            current.append(word.positions[0])
            continue
        if len(current) >= MIN_SPACED_LETTERS:
            runs.append(Word(tuple(current), WordKind.SPACED))
        current = list(word.positions) if len(word.positions) == 1 else []
    if len(current) >= MIN_SPACED_LETTERS:
        runs.append(Word(tuple(current), WordKind.SPACED))
    return runs


def readings(folded: Folded, word: Word) -> list[tuple[str, str]]:
    """Per character of the word: (the letter it scans as, every letter it may stand for)."""
    has_letter = any(folded.chars[p].isalpha() for p in word.positions)
    out: list[tuple[str, str]] = []
    for p in word.positions:
        char = folded.chars[p]
        if has_letter and char in LEET:
            key, options = LEET[char][0], char + LEET[char]
        else:
            key, options = char, char
        if p in folded.maybe_l:
            options += "l"
        out.append((key, options))
    return out


@dataclass(frozen=True, slots=True)
class MatchText:
    """A message laid out for the matcher: one character of ``keys`` per run.

    For run ``r``: ``positions[r]`` are the folded characters it holds (none for a gap
    or barrier), ``options[r]`` what each of them may stand for, ``starts_word[r]`` and
    ``ends_word[r]`` whether it is the first or last run of its word, and ``kinds[r]``
    the kind of that word.
    """

    folded: Folded
    keys: str
    positions: tuple[tuple[int, ...], ...]
    options: tuple[tuple[str, ...], ...]
    starts_word: tuple[bool, ...]
    ends_word: tuple[bool, ...]
    kinds: tuple[WordKind | None, ...]

    def span(self, first_run: int, last_run: int) -> tuple[int, int]:
        """The original characters covered by runs ``first_run..last_run``."""
        return (
            self.folded.starts[self.positions[first_run][0]],
            self.folded.ends[self.positions[last_run][-1]],
        )

    def fingerprint(self, max_chars: int = 200) -> str:
        """The message's words as scanned, without gaps: equal for copy-paste variants."""
        return "".join(key for key, kind in zip(self.keys, self.kinds, strict=True) if kind is WordKind.WORD)[
            :max_chars
        ]


class _Builder:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self.positions: list[tuple[int, ...]] = []
        self.options: list[tuple[str, ...]] = []
        self.starts_word: list[bool] = []
        self.ends_word: list[bool] = []
        self.kinds: list[WordKind | None] = []

    def separator(self, char: str) -> None:
        self._run(char, (), (), None)

    def word(self, folded: Folded, word: Word) -> None:
        first = len(self.keys)
        run_positions: list[int] = []
        run_options: list[str] = []
        run_key = ""
        for position, (key, options) in zip(word.positions, readings(folded, word), strict=True):
            if key != run_key and run_positions:
                self._run(run_key, tuple(run_positions), tuple(run_options), word.kind)
                run_positions, run_options = [], []
            run_key = key
            run_positions.append(position)
            run_options.append(options)
        self._run(run_key, tuple(run_positions), tuple(run_options), word.kind)
        self.starts_word[first] = True
        self.ends_word[-1] = True

    def _run(
        self, key: str, positions: tuple[int, ...], options: tuple[str, ...], kind: WordKind | None
    ) -> None:
        self.keys.append(key)
        self.positions.append(positions)
        self.options.append(options)
        self.starts_word.append(False)
        self.ends_word.append(False)
        self.kinds.append(kind)


def layout(folded: Folded) -> MatchText:
    builder = _Builder()
    previous_plain = False
    for word in split_words(folded):
        if word.kind is WordKind.WORD:
            if previous_plain:
                builder.separator(WORD_GAP)
            previous_plain = True
        else:
            builder.separator(BARRIER)
            previous_plain = False
        builder.word(folded, word)
    return MatchText(
        folded,
        "".join(builder.keys),
        tuple(builder.positions),
        tuple(builder.options),
        tuple(builder.starts_word),
        tuple(builder.ends_word),
        tuple(builder.kinds),
    )


def scanned_words(text: str) -> list[tuple[WordKind, str]]:
    """Each word of ``text`` as the matcher scans it (before runs collapse): for tests and debugging."""
    folded = fold(text)
    return [(word.kind, "".join(key for key, _ in readings(folded, word))) for word in split_words(folded)]
