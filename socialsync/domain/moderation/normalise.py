"""Fold every character of a message to the plain letter it looks like, remembering where it came from.

Matching runs on the folded form and masking runs on the original, so each folded
character keeps the span of original characters it stands for. The steps, per
character, in order:

1. drop invisible characters (zero-width spaces and joiners, soft hyphens, bidi and
   tag characters: Unicode category Cf, plus a few blank letters) and combining marks;
2. NFKC (fullwidth, circled, mathematical and ligature letters become plain ones)
   and case folding (but German ``ß`` stays, or "aß" would read as "ass");
3. strip accents (``ü`` → ``u``);
4. fold lookalikes from other scripts to the Latin letter they imitate (the UTS #39
   confusables table, from ``confusable-homoglyphs``, plus a few well-known evasions
   it lacks, such as Greek ``μ`` for ``u``), and transliterate the remaining Latin
   letters (``ø``, ``ł``, ``æ``) with ``anyascii``; regional indicator symbols (the
   letters of flag emoji) become the letters they show.

Leetspeak, repeated letters and separators depend on the neighbouring characters and
are handled when the folded text is cut into words (``words.py``).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from anyascii import anyascii

# Rendered as nothing, yet not in category Cf: Hangul fillers, the braille blank,
# the combining grapheme joiner and Khmer inherent vowels.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5")

# Lookalikes that evade filters but that UTS #39 does not map to a Latin letter
# (it maps Greek mu to the micro sign, Cyrillic te to a small capital, ...).
_EXTRA_LOOKALIKES = {
    "μ": "u",
    "µ": "u",
    "κ": "k",
    "к": "k",
    "ĸ": "k",
    "ᴋ": "k",
    "т": "t",
    "τ": "t",
    "ᴛ": "t",
    "м": "m",
    "ᴍ": "m",
    "н": "h",
    "ʜ": "h",
    "в": "b",
    "ʙ": "b",
    "β": "b",
    "п": "n",
    "η": "n",
    "ɴ": "n",
    "ш": "w",
    "ω": "w",
    "ᴡ": "w",
    "я": "r",
    "ʀ": "r",
    "ε": "e",
    "є": "e",
    "ᴇ": "e",
    "ᴀ": "a",
    "ʟ": "l",
    "ɢ": "g",
    "ᴅ": "d",
    "ꜰ": "f",
    "ᴘ": "p",
    "ꜱ": "s",
    "ʏ": "y",
    "ғ": "f",
}


_REGIONAL_A, _REGIONAL_Z = 0x1F1E6, 0x1F1FF


def is_invisible(char: str) -> bool:
    """True for characters that render as nothing (and so can hide inside a word)."""
    return unicodedata.category(char) == "Cf" or char in _BLANK_LETTERS


def is_mark(char: str) -> bool:
    """True for combining marks (accents, enclosing circles, variation selectors)."""
    return unicodedata.category(char).startswith("M")


def nfkc_casefold(char: str) -> str:
    """Compatibility-normalise and case-fold one character (may give several)."""
    return unicodedata.normalize("NFKC", char).casefold()


def strip_accents(char: str) -> str:
    """The base letter of an accented letter; other characters unchanged."""
    decomposed = unicodedata.normalize("NFD", char)
    base = "".join(c for c in decomposed if not is_mark(c))
    # Only take the decomposition when it removed a mark: Hangul syllables decompose
    # into jamo with no marks, and should stay whole.
    return base if base and len(base) < len(decomposed) else char


@cache
def _confusables() -> dict[str, str]:
    """Non-ASCII characters that UTS #39 says look like one ASCII lower-case letter."""
    data = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    table: dict[str, str] = {}
    for char, glyphs in json.loads(data).items():
        if len(char) != 1 or char.isascii():
            continue
        for glyph in glyphs:
            lookalike = glyph["c"]
            if len(lookalike) == 1 and "a" <= lookalike <= "z":
                table[char] = lookalike
                break
    table.update(_EXTRA_LOOKALIKES)
    return table


def fold_lookalike(char: str) -> str:
    """The ASCII letter(s) a single character imitates, or the character itself."""
    if char.isascii():
        return char
    if _REGIONAL_A <= ord(char) <= _REGIONAL_Z:  # flag letters: 🇫🇺🇨🇰 spells a word
        return chr(ord(char) - _REGIONAL_A + ord("a"))
    lookalike = _confusables().get(char)
    if lookalike is not None:
        return lookalike
    if unicodedata.name(char, "").startswith("LATIN"):
        ascii_form = anyascii(char).lower()
        if ascii_form.isascii() and ascii_form.isalpha():
            return ascii_form
    return char


# Kept as they are rather than case-folded: German "aß" (ate) must not read as "ass".
_KEEP = {"ß": "ß", "ẞ": "ß"}


@lru_cache(maxsize=8192)
def fold_char(char: str) -> str:
    """All the steps for one original character: '' when it is invisible or a mark."""
    if is_invisible(char) or is_mark(char):
        return ""
    if char in _KEEP:
        return _KEEP[char]
    normalised = nfkc_casefold(char)
    if not normalised.isascii() and char in _confusables():
        # NFKC can turn one lookalike into another letter (the lunate sigma "ϲ", which
        # looks like "c", into "σ", which looks like "o"): the original's look wins.
        return _confusables()[char]
    return "".join(
        fold_lookalike(base)
        for folded in normalised
        for base in strip_accents(folded)
        if not (is_invisible(base) or is_mark(base))
    )


@dataclass(frozen=True, slots=True)
class Folded:
    """A message folded character by character.

    ``chars[k]`` came from ``original[starts[k]:ends[k]]``. A combining mark extends the
    span of the letter before it, so masking that letter masks its accent too.
    ``maybe_l`` holds the positions whose original was a capital ``I``, which looks
    like a lower-case ``l`` in most fonts.
    """

    original: str
    chars: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    maybe_l: frozenset[int]


def fold(text: str) -> Folded:
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    maybe_l: set[int] = set()
    for index, char in enumerate(text):
        folded = fold_char(char)
        if not folded:
            if is_mark(char) and ends and ends[-1] == index:
                _extend_last_char(starts, ends, index + 1)
            continue
        for piece in folded:
            if char == "I":
                maybe_l.add(len(chars))
            chars.append(piece)
            starts.append(index)
            ends.append(index + 1)
    return Folded(text, "".join(chars), tuple(starts), tuple(ends), frozenset(maybe_l))


def _extend_last_char(starts: list[int], ends: list[int], new_end: int) -> None:
    """Stretch every folded piece of the last original character over a trailing mark."""
    last_start = starts[-1]
    k = len(ends) - 1
    while k >= 0 and starts[k] == last_start:
        ends[k] = new_end
        k -= 1


def plain_view(text: str) -> tuple[str, tuple[int, ...]]:
    """NFKC + case fold only, invisible characters dropped; with each character's origin.

    For rules where lookalike folding would be wrong: a link to ``yоutube.com`` with a
    Cyrillic ``о`` must not pass as the allowed ``youtube.com``.
    """
    chars: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        if is_invisible(char):
            continue
        for piece in nfkc_casefold(char):
            chars.append(piece)
            origins.append(index)
    return "".join(chars), tuple(origins)
