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
