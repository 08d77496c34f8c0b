"""Chat moderation, pure core: normalise → match → policy → verdict.

The public surface is re-exported here; the modules behind it are small and private
in spirit. ``ChatFilter.check`` is the entry point.
"""

from .categories import Action, Category, Severity
from .chat_filter import ChatFilter
from .duplicates import DuplicateTracker, Repeats
from .lexicon import CustomTerms, Lexicon, Term, default_lexicon, parse_lexicon
from .policy import Policy, RuleLimits, default_policy
from .result import FilterResult, Finding

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
