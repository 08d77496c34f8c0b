"""Reaction clips: the tenant's and a party's lists, delete, keep beyond retention
(scope ``moderation:write``)."""

from __future__ import annotations

from socialsync.platform._models import Clip, Page, page_of
from socialsync.platform._request import M, Resource, Spec, call, ok, pages


class Clips(Resource[M]):
    """``client.clips``: each clip comes with a signed ``url`` of its file."""

    @call("POST", "/api/v1/clips/{clip}/keep", idempotent=True)
    def keep(self, clip: str) -> Spec[None]:
        """Keep a clip beyond the retention of clips."""
        return Spec(ok, path={"clip": clip})

    @call("DELETE", "/api/v1/clips/{clip}")
    def delete(self, clip: str, *, reason: str | None = None) -> Spec[None]:
        """Delete a clip and its file: its party's members see it go (``clip.removed``)."""
        return Spec(ok, path={"clip": clip}, query={"reason": reason})

    @call("GET", "/api/v1/parties/{party}/clips")
    def of_party(
        self, party: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Spec[Page[Clip]]:
        """One page of a party's clips, oldest first."""
        return Spec(page_of(Clip), path={"party": party}, query={"limit": limit, "cursor": cursor})

    @call("GET", "/api/v1/clips")
    def list(
        self, *, party: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Spec[Page[Clip]]:
        """One page of the tenant's clips (ended parties' too, held ones included), oldest
        first; ``party``: of that party only."""
        return Spec(page_of(Clip), query={"party": party, "limit": limit, "cursor": cursor})

    iter = pages(list)
    iter_of_party = pages(of_party)
