"""Terms to block and terms to let through: the shipped lexicon and a tenant's or room's own.

A pattern is a word or phrase, optionally with ``*`` at either end: ``fuck*`` also
matches ``fucking``, ``*fuck*`` also ``clusterfuck``, plain ``cunt`` only the whole
word (so ``Scunthorpe`` passes). Patterns are normalised like messages, so ``F.U.C.K``
and ``fuck`` are the same term.

``lexicon.tsv`` is curated from better-profanity's word list (see its header): ordinary
words that the seed flags (god, kill, murder, hell, damn, nazi, numbers ...) were
dropped, the rest given a category and severity, and known innocent phrases that
contain a blocked word ("Dick Van Dyke", "cum laude") listed as allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from socialsync.domain.moderation.categories import Category, Severity

ALLOW_COLUMN = "allow"  # the category column of an allowlist line
_PACKAGE = __name__.rpartition(".")[0]


@dataclass(frozen=True, slots=True)
class Term:
    pattern: str
    category: Category
    severity: Severity


@dataclass(frozen=True, slots=True)
class Lexicon:
    blocked: tuple[Term, ...]
    allowed: tuple[str, ...] = ()

    def __add__(self, other: Lexicon) -> Lexicon:
        return Lexicon(self.blocked + other.blocked, self.allowed + other.allowed)


@dataclass(frozen=True, slots=True)
class CustomTerms:
    """A tenant's or a room's own terms. Hashable, so compiled matchers can be cached by it."""

    blocked: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    severity: Severity = Severity.STRONG

    def as_lexicon(self) -> Lexicon:
        return Lexicon(tuple(Term(p, Category.CUSTOM, self.severity) for p in self.blocked), self.allowed)


def parse_lexicon(text: str) -> Lexicon:
    """Lines of ``pattern<TAB>category<TAB>severity``; ``pattern<TAB>allow`` for allowed ones.

    Blank lines and lines starting with ``#`` are skipped. Raises ValueError naming the
    line of anything else that does not parse.
    """
    blocked: list[Term] = []
    allowed: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        try:
            if fields[1] == ALLOW_COLUMN:
                allowed.append(fields[0])
            else:
                blocked.append(Term(fields[0], Category(fields[1]), Severity(fields[2])))
        except (IndexError, ValueError) as exc:
            raise ValueError(f"lexicon line {number}: {line!r}") from exc
    return Lexicon(tuple(blocked), tuple(allowed))


@cache
def default_lexicon() -> Lexicon:
    """The shipped, curated lexicon (read once; it is immutable)."""
    return parse_lexicon(resources.files(_PACKAGE).joinpath("lexicon.tsv").read_text("utf-8"))
