"""A party's invite links: create, list, revoke (scope ``parties:write``)."""

from __future__ import annotations

from socialsync.platform._models import Invite, Page, page_of, reader
from socialsync.platform._request import M, Resource, Spec, call, compact, ok, pages


class Invites(Resource[M]):
    """``client.invites``: links that let users into a party, with an expiry and a use limit."""

    @call("POST", "/api/v1/parties/{party}/invites")
    def create(
        self,
        party: str,
        *,
        expires_in_s: int | None = None,
        max_uses: int | None = None,
        t: float | None = None,
    ) -> Spec[Invite]:
        """A new invite link (``.url``): it lets users in until it expires (default 7
        days) or ``max_uses`` users joined by it. ``t``: a moment of the media (s) where
        a party that has not started starts when someone joins by it."""
        body = compact(expires_in_s=expires_in_s, max_uses=max_uses, t=t)
        return Spec(reader(Invite), path={"party": party}, body=body)

    @call("DELETE", "/api/v1/parties/{party}/invites/{invite}")
    def revoke(self, party: str, invite: str) -> Spec[None]:
        """Nobody joins by it any more; members it let in stay."""
        return Spec(ok, path={"party": party, "invite": invite})

    @call("GET", "/api/v1/parties/{party}/invites")
    def list(self, party: str, *, limit: int | None = None, cursor: str | None = None) -> Spec[Page[Invite]]:
        """One page of a party's invites, oldest first (expired ones for a day after)."""
        return Spec(page_of(Invite), path={"party": party}, query={"limit": limit, "cursor": cursor})

    iter = pages(list)
