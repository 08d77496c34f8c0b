"""Chat moderation, pure core: normalise → match → policy → verdict.

The public surface is re-exported here; the modules behind it are small and private
in spirit. ``ChatFilter.check`` is the entry point.
"""

from socialsync.domain.moderation.categories import Action, Category, Severity
from socialsync.domain.moderation.chat_filter import ChatFilter
from socialsync.domain.moderation.duplicates import DuplicateTracker, Repeats
from socialsync.domain.moderation.lexicon import CustomTerms, Lexicon, Term, default_lexicon, parse_lexicon
from socialsync.domain.moderation.policy import Policy, RuleLimits, default_policy
from socialsync.domain.moderation.result import FilterResult, Finding

__all__ = [
    "Action",
    "Category",
    "ChatFilter",
    "CustomTerms",
    "DuplicateTracker",
    "FilterResult",
    "Finding",
    "Lexicon",
    "Policy",
    "Repeats",
    "RuleLimits",
    "Severity",
    "Term",
    "default_lexicon",
    "default_policy",
    "parse_lexicon",
]
