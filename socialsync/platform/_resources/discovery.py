"""Discovery (scope ``parties:write``; docs/engagement.md): the tenant's live rooms and
public parties, ranked for one viewer, for a platform's home page."""

from __future__ import annotations

from socialsync.platform._models import Discovery as Ranking
from socialsync.platform._models import reader
from socialsync.platform._request import M, Resource, Spec, call


class Discovery(Resource[M]):
    """``client.discovery``."""

    @call("GET", "/api/v1/discovery")
    def parties(self, *, user: str | None = None, limit: int | None = None) -> Spec[Ranking]:
        """Live rooms and public parties, best first for ``user`` (its history: the media
        it watched, the people it watched with; without ``user``, by activity only)."""
        return Spec(reader(Ranking), query={"user": user, "limit": limit})
