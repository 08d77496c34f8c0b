"""A party's members: list, kick (scope ``parties:write``)."""

from __future__ import annotations

from socialsync.platform._models import Member, Page, page_of
from socialsync.platform._request import M, Resource, Spec, call, compact, ok, pages


class Members(Resource[M]):
    """``client.members``: who is in a party."""

    @call("POST", "/api/v1/parties/{party}/members/{user}/kick")
    def kick(self, party: str, user: str, *, reason: str | None = None) -> Spec[None]:
        """Remove a member now (``party.kicked``); it may join again (a ban keeps it out)."""
        return Spec(ok, path={"party": party, "user": user}, body=compact(reason=reason))

    @call("GET", "/api/v1/parties/{party}/members")
    def list(self, party: str, *, limit: int | None = None, cursor: str | None = None) -> Spec[Page[Member]]:
        """One page of a party's members, in the order they joined."""
        return Spec(page_of(Member), path={"party": party}, query={"limit": limit, "cursor": cursor})

    iter = pages(list)
