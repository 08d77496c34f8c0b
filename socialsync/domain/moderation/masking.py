"""Masking: replace exactly the original characters a finding covers, one ``*`` each."""

from __future__ import annotations

from collections.abc import Iterable

MASK_CHAR = "*"


def mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with every character inside any ``[start, end)`` span replaced.

    Invisible characters inside a span are replaced too: they were part of the evasion,
    and leaving them would keep a zero-width joiner between the stars.
    """
    hidden = [False] * len(text)
    for start, end in spans:
        for index in range(max(0, start), min(len(text), end)):
            hidden[index] = True
    return "".join(MASK_CHAR if hide else char for char, hide in zip(text, hidden, strict=True))
