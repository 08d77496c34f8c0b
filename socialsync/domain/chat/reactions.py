"""Reaction aggregation: a storm of reactions becomes a few bursts a second."""

from __future__ import annotations

from collections import Counter

# The emoji a party may send unless configured otherwise.
DEFAULT_EMOJI: tuple[str, ...] = ("😂", "❤️", "👍", "👏", "😮", "😢", "🔥", "🎉")


class ReactionWindow:
    """Counts reactions for one party until flushed."""

    __slots__ = ("counts", "opened_ms")

    def __init__(self, opened_ms: int) -> None:
        self.counts: Counter[str] = Counter()
        self.opened_ms = opened_ms

    def add(self, emoji: str, n: int = 1) -> None:
        self.counts[emoji] += n

    def __len__(self) -> int:
        return sum(self.counts.values())
