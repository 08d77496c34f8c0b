"""Chat texts that the server's duplicate and raid filters tell apart.

The filter reads digits as leetspeak and collapses repeated letters, so
"message 10" and "message 1000" would be one text. Each text here spells a
counter in plain words instead: distinct counters give distinct word sequences.
"""

from __future__ import annotations

WORDS = (
    "apple river cloud garden pencil yellow window silver orange forest button candle "
    "meadow pepper rocket saddle tunnel violin walnut anchor basket carpet falcon ginger "
    "hammer island jacket kettle lemon magnet napkin oyster parrot quartz rabbit salmon "
    "tomato umbrella velvet wizard yogurt zipper bridge castle desert engine feather glacier "
    "harbor igloo jungle koala ladder marble nectar pirate raisin sunset tiger lantern "
    "meteor pillow canyon cobalt"
).split()
assert len(WORDS) == 64 and len(set(WORDS)) == 64


def spell(n: int, words: int = 4) -> str:
    out = []
    for _ in range(words):
        out.append(WORDS[n & 63])
        n >>= 6
    return " ".join(out)


class TextSource:
    """Unique texts for one worker: the worker's own word, then a counter in words."""

    def __init__(self, worker: int) -> None:
        self.prefix = WORDS[worker % 64] + " " + WORDS[(worker // 64) % 64]
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return f"{self.prefix} says {spell(self.n)}"
