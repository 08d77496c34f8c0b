"""One compiled matcher for every term: a single Aho-Corasick pass over the message.

Terms are laid out like messages (``words.py``) and compiled into one automaton
(``ahocorasick-rs``) over their run-collapsed keys, so a message is scanned once
whatever the number of terms. Each candidate is then checked where the automaton
cannot look:

- word boundaries: a term matches a whole word unless its pattern has ``*`` at that
  end (inside a SPACED word, terms of four letters or more may match anywhere, since
  the spacing hides where words begin);
- run lengths: a letter may be stretched (``fuuuck``, ``asss``) but never shortened
  (``as`` is not ``ass``);
- leet readings: a ``1`` scans as ``i`` but may stand for ``l`` (``he11``), so a term
  with an ``l`` is also compiled with ``i`` there, and the check confirms the
  character really could be an ``l``.

Allowed terms are compiled into the same automaton; a blocked match that lies inside
an allowed one ("dick" inside "Dick Van Dyke") is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from ahocorasick_rs import AhoCorasick

from socialsync.domain.moderation.categories import Category, Severity
from socialsync.domain.moderation.lexicon import Lexicon
from socialsync.domain.moderation.normalise import fold
from socialsync.domain.moderation.words import WORD_GAP, MatchText, WordKind, readings, split_words

# A letter repeated three or more times stands for one ("fuuuck"). A doubled letter
# does not: too often it is another word ("rapper" is not "raper", "Bonner" not
# "boner"), so "fuuck" gets through.
MIN_STRETCH = 3
MIN_LETTERS_INSIDE_SPACED = 4
MAX_L_VARIANTS = 4  # runs of "l" that also compile as "i" (2**4 keys at most)
_SEVERITY_RANK = {Severity.MILD: 0, Severity.STRONG: 1, Severity.SEVERE: 2}


@dataclass(frozen=True, slots=True)
class Hit:
    """A blocked term found in a message, with the original characters it covers."""

    pattern: str
    category: Category
    severity: Severity
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Entry:
    pattern: str
    category: Category | None  # None: an allowed term
    severity: Severity | None
    open_start: bool
    open_end: bool
    letters: int


@dataclass(frozen=True, slots=True)
class _Run:
    key: str
    letters: str  # what the term has in this run ("ll"; "il" where an l became an i)


def _parse_pattern(pattern: str) -> tuple[str, bool, bool]:
    core = pattern.strip()
    open_start, open_end = core.startswith("*"), core.endswith("*")
    core = core.strip("*").strip()
    if not core or "*" in core:
        raise ValueError(f"bad term {pattern!r}: '*' is allowed only at the start or the end")
    return core, open_start, open_end


def term_runs(core: str) -> list[_Run]:
    """A term laid out like a message's WORD words, runs collapsed."""
    folded = fold(core)
    runs: list[_Run] = []
    for index, word in enumerate(w for w in split_words(folded) if w.kind is WordKind.WORD):
        if index:
            runs.append(_Run(WORD_GAP, WORD_GAP))
        for position, (key, _) in zip(word.positions, readings(folded, word), strict=True):
            letter = folded.chars[position]
            if runs and runs[-1].key == key and runs[-1].key != WORD_GAP:
                runs[-1] = _Run(key, runs[-1].letters + letter)
            else:
                runs.append(_Run(key, letter))
    return runs


def key_variants(runs: list[_Run]) -> list[list[_Run]]:
    """The run layouts to compile: as written, and with runs of ``l`` scanned as ``i``."""
    l_runs = [k for k, run in enumerate(runs) if run.key == "l"][:MAX_L_VARIANTS]
    variants: list[list[_Run]] = []
    for choice in product((False, True), repeat=len(l_runs)):
        swapped = {k for k, swap in zip(l_runs, choice, strict=True) if swap}
        variant: list[_Run] = []
        for k, run in enumerate(runs):
            key = "i" if k in swapped else run.key
            if variant and variant[-1].key == key and key != WORD_GAP:
                variant[-1] = _Run(key, variant[-1].letters + run.letters)
            else:
                variant.append(_Run(key, run.letters))
        variants.append(variant)
    return variants


@dataclass(frozen=True, slots=True)
class _Compiled:
    open_start: bool
    open_end: bool
    letters: int
    variants: tuple[tuple[str, tuple[_Run, ...]], ...]  # (automaton key, runs)


@lru_cache(maxsize=32_768)
def _compile(pattern: str) -> _Compiled:
    """A pattern's layouts. Cached: a room's matcher recompiles the shared terms with its own."""
    core, open_start, open_end = _parse_pattern(pattern)
    runs = term_runs(core)
    if not runs:
        raise ValueError(f"bad term {pattern!r}: no letters or digits")
    letters = sum(len(run.letters) for run in runs if run.key != WORD_GAP)
    variants = tuple(("".join(run.key for run in v), tuple(v)) for v in key_variants(runs))
    return _Compiled(open_start, open_end, letters, variants)


class TermMatcher:
    """Blocked and allowed terms compiled together. Immutable once built."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._candidates: dict[str, list[tuple[_Entry, tuple[_Run, ...]]]] = {}
        for term in lexicon.blocked:
            self._add(term.pattern, term.category, term.severity)
        for pattern in lexicon.allowed:
            self._add(pattern, None, None)
        self._keys = list(self._candidates)
        self._automaton = AhoCorasick(self._keys) if self._keys else None

    @property
    def key_count(self) -> int:
        return len(self._keys)

    def _add(self, pattern: str, category: Category | None, severity: Severity | None) -> None:
        compiled = _compile(pattern)
        entry = _Entry(pattern, category, severity, compiled.open_start, compiled.open_end, compiled.letters)
        for key, runs in compiled.variants:
            self._candidates.setdefault(key, []).append((entry, runs))

    def find(self, text: MatchText) -> list[Hit]:
        """Blocked terms in the message, minus those inside an allowed term; by position."""
        if self._automaton is None:
            return []
        blocked: dict[tuple[Category, int, int], Hit] = {}
        allowed: list[tuple[int, int]] = []
        for key_index, first, end in self._automaton.find_matches_as_indexes(text.keys, overlapping=True):
            for entry, runs in self._candidates[self._keys[key_index]]:
                if not _fits(entry, runs, text, first, end - 1):
                    continue
                start, stop = text.span(*_widen(entry, text, first, end - 1))
                if entry.category is None or entry.severity is None:
                    allowed.append((start, stop))
                else:
                    # One hit per category and span: "shit*" and "*shit" both match "shit".
                    hit = Hit(entry.pattern, entry.category, entry.severity, start, stop)
                    known = blocked.get((entry.category, start, stop))
                    if known is None or _SEVERITY_RANK[hit.severity] > _SEVERITY_RANK[known.severity]:
                        blocked[(entry.category, start, stop)] = hit
        return sorted(
            (hit for hit in blocked.values() if not _inside_any(hit, allowed)),
            key=lambda hit: (hit.start, hit.end),
        )


def _widen(entry: _Entry, text: MatchText, first: int, last: int) -> tuple[int, int]:
    """A wildcard match covers its whole word, so masking leaves no telling fragment ("mother****er")."""
    if entry.open_start:
        while first not in text.word_starts:
            first -= 1
    if entry.open_end:
        while last not in text.word_ends:
            last += 1
    return first, last


def _inside_any(hit: Hit, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start <= hit.start and hit.end <= stop for start, stop in spans)


def _fits(entry: _Entry, runs: tuple[_Run, ...], text: MatchText, first: int, last: int) -> bool:
    anywhere = entry.letters >= MIN_LETTERS_INSIDE_SPACED and first in text.spaced
    if not (entry.open_start or anywhere or first in text.word_starts):
        return False
    if not (entry.open_end or anywhere or last in text.word_ends):
        return False
    for offset, run in enumerate(runs):
        options = text.run_options(first + offset)
        at_open_edge = (offset == 0 and entry.open_start) or (offset == len(runs) - 1 and entry.open_end)
        if not _run_fits(run.letters, options, at_open_edge):
            return False
    return True


def _run_fits(letters: str, options: tuple[str, ...], at_open_edge: bool) -> bool:
    if not options:  # a gap between words: the key already matched it
        return True
    if len(options) == len(letters):
        return all(letter in option for letter, option in zip(letters, options, strict=True))
    if len(options) < len(letters) or len(set(letters)) != 1:
        return False
    # Stretched: more copies of the letter than the term has.
    stretched_enough = at_open_edge or len(options) >= MIN_STRETCH
    return stretched_enough and all(letters[0] in option for option in options)
