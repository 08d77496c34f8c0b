"""A tenant: one IPTV platform, whose users, parties and data are kept apart from every other's."""

from __future__ import annotations

from dataclasses import dataclass


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
