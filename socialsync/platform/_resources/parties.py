"""Parties: create, list, get, update, end (scope ``parties:write``)."""

from __future__ import annotations

from typing import Any, Literal

from socialsync.platform._models import Media, Page, Party, PartyState, page_of, reader
from socialsync.platform._request import M, Resource, Spec, call, compact, ok, pages

RoomType = Literal["watch_party", "live_room"]
Control = Literal["everyone", "hosts"]


def media_body(media: Media) -> dict[str, Any]:
    return compact(
        url=media.url, kind=media.kind, title=media.title, duration=media.duration, poster=media.poster
    )


class Parties(Resource[M]):
    """``client.parties``: the tenant's parties."""

    @call("POST", "/api/v1/parties")
    def create(
        self,
        title: str,
        media: Media,
        *,
        type: RoomType = "watch_party",
        control: Control | None = None,
        wait_for_buffering: bool | None = None,
        max_members: int | None = None,
        public: bool | None = None,
    ) -> Spec[Party]:
        """Create a party. The caller is not a member: the first user to join hosts it; it
        ends if nobody joins within 30 minutes. ``public``: listed for every user of the
        tenant (discovery), as live rooms are."""
        settings = compact(
            type=type,
            control=control,
            wait_for_buffering=wait_for_buffering,
            max_members=max_members,
            public=public,
        )
        body = {"title": title, "media": media_body(media), "settings": settings}
        return Spec(reader(Party, "party"), body=body)

    @call("GET", "/api/v1/parties/{party}")
    def get(self, party: str) -> Spec[PartyState]:
        """A party, its playback and its sync health."""
        return Spec(reader(PartyState), path={"party": party})

    @call("PATCH", "/api/v1/parties/{party}", idempotent=True)
    def update(
        self,
        party: str,
        *,
        title: str | None = None,
        control: Control | None = None,
        wait_for_buffering: bool | None = None,
        max_members: int | None = None,
        cameras: bool | None = None,
        public: bool | None = None,
    ) -> Spec[Party]:
        """Change a party's title or settings; what is left out stays as it is."""
        settings = compact(
            control=control,
            wait_for_buffering=wait_for_buffering,
            max_members=max_members,
            cameras=cameras,
            public=public,
        )
        return Spec(
            reader(Party, "party"), path={"party": party}, body=compact(title=title, settings=settings)
        )

    @call("POST", "/api/v1/parties/{party}/end")
    def end(self, party: str) -> Spec[None]:
        """End a party: every member is told (``party.ended``, reason ``ended_by_host``)."""
        return Spec(ok, path={"party": party})

    @call("GET", "/api/v1/parties")
    def list(
        self, *, type: RoomType | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Spec[Page[Party]]:
        """One page of the parties under way, oldest first (``type``: of that kind only)."""
        return Spec(page_of(Party), query={"type": type, "limit": limit, "cursor": cursor})

    iter = pages(list)
