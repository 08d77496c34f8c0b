"""What the filter says about a message."""

from __future__ import annotations

from dataclasses import dataclass

from socialsync.domain.moderation.categories import Action, Category, Severity


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason to act: a term or a rule, where it is, and what the room's policy does about it.

    ``span`` is ``[start, end)`` in the original text; rules about the whole message
    (caps, duplicates) span all of it.
    """

    category: Category
    severity: Severity
    action: Action
    term: str  # the lexicon pattern, the link's host, or the rule's name
    span: tuple[int, int]

    @property
    def reason(self) -> str:
        start, end = self.span
        return f"{self.category}:{self.severity}:{self.term}@{start}-{end}"


@dataclass(frozen=True, slots=True)
class FilterResult:
    """``text`` is what to deliver: masked when ``action`` is mask, as sent otherwise.

    ``masked_text`` has every word and link finding masked whatever the action, for a
    moderator's queue or a log that should not repeat a slur.
    """

    action: Action
    text: str
    masked_text: str
    findings: tuple[Finding, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(finding.reason for finding in self.findings)
