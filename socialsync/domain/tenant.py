"""A tenant: one IPTV platform, whose users, parties and data are kept apart from every other's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    secret: str
    allow_guests: bool
    created_at_ms: int
    # The secret before the last rotation: tokens signed with it stay valid until the
    # next rotation (two active secrets).
    previous_secret: str | None = None
    # Tokens whose exp - iat is longer are refused (None: the server's default).
    max_token_lifetime_s: int | None = None
    # Who may frame the pages served for this tenant (CSP frame-ancestors); None: the
    # server's ``frame_ancestors``. Its abuse limits where it has its own.
    frame_ancestors: tuple[str, ...] | None = None
    limits: TenantLimits = field(default_factory=lambda: TenantLimits())


# An embedder's origin as CSP frame-ancestors takes it: a scheme, a host (optionally
# "*." before it) and an optional port; nothing that could end the directive.
_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?$")
MAX_EMBEDDERS = 32


def check_frame_ancestors(values: object) -> tuple[str, ...]:
    """The tenant's allowed embedders: origins (``https://tv.example``, ``https://*.example``)
    or ``'self'``; ValueError otherwise. An empty list lets nobody frame the pages."""
    if not isinstance(values, list | tuple) or len(values) > MAX_EMBEDDERS:
        raise ValueError(f"frame_ancestors: a list of at most {MAX_EMBEDDERS} origins, or null")
    out: list[str] = []
    for value in values:
        if not isinstance(value, str) or not (value == "'self'" or _ORIGIN.match(value)):
            raise ValueError("frame_ancestors: each an origin such as https://tv.example, or 'self'")
        if value not in out:
            out.append(value)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class TenantLimits:
    """A tenant's own abuse limits; None: the server's (socialsync/config.py)."""

    parties_per_hour: int | None = None
    cameras_per_user: int | None = None
    guests_per_address_per_hour: int | None = None

    def to_data(self) -> dict[str, int | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_data(cls, data: object, base: TenantLimits | None = None) -> TenantLimits:
        """``base`` with the fields of ``data`` (a mapping; null: back to the server's);
        ValueError for unknown fields or values outside 0..100000."""
        if not isinstance(data, dict):
            raise ValueError("limits: an object")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"limits: unknown {', '.join(map(str, unknown))[:200]}")
        for name, value in data.items():
            ok = value is None or (
                isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100_000
            )
            if not ok:
                raise ValueError(f"limits.{name}: an integer 0..100000, or null for the server's default")
        return replace(base or cls(), **data)


def limit_or(own: int | None, default: int) -> int:
    return default if own is None else own
