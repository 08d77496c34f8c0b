"""Text hygiene: what may enter SocialSync as text, checked the same way at every edge.

Control characters (NUL above all: PostgreSQL refuses it in text columns) never get
in. Names are also refused when they are invisible (only white space, format or
filler characters) or carry bidirectional overrides or isolates, which let a name
render as somebody else's.
"""

from __future__ import annotations

import unicodedata

# C0 and C1 controls and DEL; tab, line feed and carriage return are white space.
_ALLOWED_CONTROLS = frozenset("\t\n\r")
# Embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI); the
# marks (LRM, RLM, ALM) only nudge neutral characters and names in RTL scripts need them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters that render as nothing but are not format characters (category Cf).
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180e")


def control_character(value: str) -> str | None:
    """The first control character of ``value`` (other than tab and newlines), or None."""
    for ch in value:
        if ch in _ALLOWED_CONTROLS:
            continue
        code = ord(ch)
        if code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
            return ch
    return None


def check_text(value: str) -> str:
    """``value`` unchanged, or ValueError when it holds a control character."""
    found = control_character(value)
    if found is not None:
        raise ValueError(f"control character U+{ord(found):04X} is not allowed")
    return value


def _invisible(ch: str) -> bool:
    return ch.isspace() or ch in _FILLERS or unicodedata.category(ch) in ("Cf", "Cc", "Mn", "Me", "Zs")


def check_name(value: str) -> str:
    """A display name: no control characters, no bidirectional controls, and
    something visible. ValueError with the reason otherwise."""
    check_text(value)
    if any(ch in "\t\n\r" for ch in value):
        raise ValueError("a name is one line")
    bidi = next((ch for ch in value if ch in BIDI_CONTROLS), None)
    if bidi is not None:
        raise ValueError(f"bidirectional control U+{ord(bidi):04X} is not allowed in a name")
    if all(_invisible(ch) for ch in value):
        raise ValueError("a name must have a visible character")
    return value
