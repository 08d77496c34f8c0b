"""Masking: replace exactly the original characters a finding covers, one ``*`` each."""

from __future__ import annotations

from collections.abc import Iterable

MASK_CHAR = "*"


def mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with every character inside any ``[start, end)`` span replaced.

    Invisible characters inside a span are replaced too: they were part of the evasion,
    and leaving them would keep a zero-width joiner between the stars.
    """
    pieces: list[str] = []
    done = 0  # text[:done] is already in pieces
    for start, end in sorted(spans):
        start, end = max(start, done), min(end, len(text))
        if start >= end:
            continue
        pieces.append(text[done:start])
        pieces.append(MASK_CHAR * (end - start))
        done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)
