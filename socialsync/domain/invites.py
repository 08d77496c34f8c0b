"""Invite links: a code that lets users into one party until it expires or is used up.

A party's id is a secret that lets anyone in who knows it; an invite is a second, more
limited way in: its own random code, an expiry, and a use limit counted per user (a
user joining again by the same invite is not counted again). Rules only: the store
counts (ports/invites.py), the service decides who may make one (services/invites.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from socialsync.domain.errors import Code, SyncError, bad_request
from socialsync.domain.model import MediaKind, Party

DEFAULT_EXPIRY_S = 7 * 24 * 3_600
MIN_EXPIRY_S = 60
MAX_EXPIRY_S = 30 * 24 * 3_600
MAX_USES = 100_000
# A party keeps at most this many invites at once (revoke one to make another).
MAX_INVITES_PER_PARTY = 100
# An invite past its expiry is still listed (as expired) this long, then forgotten.
KEEP_EXPIRED_MS = 24 * 3_600 * 1000


class Refusal(StrEnum):
    """Why an existing invite lets nobody in any more (the error's ``invite`` field)."""

    EXPIRED = "expired"
    USED_UP = "used_up"


@dataclass(frozen=True, slots=True)
class Invite:
    code: str
    tenant_id: str
    party_id: str
    created_by: str
    created_at_ms: int
    expires_at_ms: int
    max_uses: int | None  # None: no limit
    uses: int = 0  # users let in by it (each once)
    # The deep link's moment (the URL's ``t``), s: where a party that has not started starts.
    start_at_s: float | None = None

    def refusal(self, now_ms: int, *, counted: bool) -> Refusal | None:
        """Why it would let a user in no more (None: it would). ``counted``: this user
        was let in by it before, which a use limit does not take back."""
        if now_ms >= self.expires_at_ms:
            return Refusal.EXPIRED
        if not counted and self.max_uses is not None and self.uses >= self.max_uses:
            return Refusal.USED_UP
        return None

    def forgotten_at_ms(self) -> int:
        """When a store may drop it."""
        return self.expires_at_ms + KEEP_EXPIRED_MS


def refused(refusal: Refusal) -> SyncError:
    """The error a join by an invite that lets nobody in gets."""
    message = "this invite has expired" if refusal is Refusal.EXPIRED else "this invite has been used up"
    return SyncError(Code.FORBIDDEN, message, details={"invite": refusal.value})


def new_invite(
    code: str,
    party: Party,
    created_by: str,
    now_ms: int,
    *,
    expires_in_s: int = DEFAULT_EXPIRY_S,
    max_uses: int | None = None,
    start_at_s: float | None = None,
) -> Invite:
    """An invite to ``party``, or bad_request for a value out of its bounds."""
    if not MIN_EXPIRY_S <= expires_in_s <= MAX_EXPIRY_S:
        raise bad_request(f"expires_in_s: {MIN_EXPIRY_S} to {MAX_EXPIRY_S}")
    if max_uses is not None and not 1 <= max_uses <= MAX_USES:
        raise bad_request(f"max_uses: 1 to {MAX_USES}, or null for no limit")
    if start_at_s is not None:
        media = party.playback.media
        if media.kind is not MediaKind.VOD:
            raise bad_request("t: only for on-demand media (a live channel has no moment to start at)")
        if start_at_s < 0 or (media.duration_s is not None and start_at_s > media.duration_s):
            raise bad_request("t: must lie within the media's duration")
    return Invite(
        code=code,
        tenant_id=party.tenant_id,
        party_id=party.id,
        created_by=created_by,
        created_at_ms=now_ms,
        expires_at_ms=now_ms + expires_in_s * 1000,
        max_uses=max_uses,
        start_at_s=start_at_s,
    )


def seconds_text(seconds: float) -> str:
    """``1234`` or ``1234.5``: a URL's ``t`` (never an exponent)."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


def invite_url(base_url: str, invite: Invite) -> str:
    """The link to send: the server's page with the code (and the deep link's ``t``)."""
    url = f"{base_url.rstrip('/')}/?invite={invite.code}"
    if invite.start_at_s is not None:
        url += f"&t={seconds_text(invite.start_at_s)}"
    return url
