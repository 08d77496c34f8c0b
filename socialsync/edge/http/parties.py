"""REST: parties (create, list, get, update, end), for platforms' backends.

The model for a family of endpoints: its request and answer shapes, then a class whose
``endpoints()`` declares each one, and one small handler per endpoint that calls the
service and encodes its result with protocol/outbound.py.
"""

from __future__ import annotations

from typing import Any, Literal

from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.domain.model import ControlMode, Party
from socialsync.domain.party import commands as c
from socialsync.edge.http.endpoint import AnyEndpoint, Body, Call, Endpoint, Nothing, Ok, Reply
from socialsync.edge.http.pagination import Page, PageQuery, page_answer, paginate
from socialsync.edge.http.params import PartyPath
from socialsync.protocol import inbound, outbound, shapes
from socialsync.services.parties import PartyService

TAG = "parties"


class PartyAnswer(TypedDict):
    ok: Literal[True]
    party: shapes.PartyInfo


class Drift(TypedDict):
    """|drift| of the members' recent reports to the node answering, ms."""

    p50_ms: float
    p95_ms: float
    reports: int


class SyncHealth(TypedDict):
    """Members by standing (in_sync, catching_up, loading, in_ad, away), and their drift
    (null when the node answering had no report in the last minute)."""

    members: dict[str, int]
    drift: Drift | None


class PartyState(TypedDict):
    ok: Literal[True]
    party: shapes.PartyInfo
    playback: shapes.PlaybackState
    sync: SyncHealth


class PartyListQuery(PageQuery):
    type: Literal["watch_party", "live_room"] | None = None


class PartyPatch(Body):
    """What changes; what is left out stays as it is."""

    title: inbound.Title | None = None
    settings: inbound.SettingsPatch = inbound.SettingsPatch()


class PartyRoutes:
    def __init__(self, parties: PartyService) -> None:
        self.parties = parties

    def endpoints(self) -> list[AnyEndpoint]:
        return [
            Endpoint(
                method="POST",
                path="/api/v1/parties",
                handler=self.create,
                summary="Create a party",
                description="The caller (a backend) is not a member: the first user to join hosts it. "
                "It ends if nobody joins within 30 minutes.",
                body=inbound.PartyCreate,
                example={
                    "title": "Movie night",
                    "media": {"url": "https://media.example/film.mp4", "kind": "vod", "duration": 5400},
                    "settings": {"type": "watch_party"},
                },
                response=PartyAnswer,
                status=201,
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
            ),
            Endpoint(
                method="GET",
                path="/api/v1/parties",
                handler=self.list,
                summary="List the tenant's parties under way",
                description="Staff see every party; other users only live rooms. Oldest first.",
                query=PartyListQuery,
                response=Page[shapes.PartyInfo],
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
            ),
            Endpoint(
                method="GET",
                path="/api/v1/parties/{party}",
                handler=self.get,
                summary="A party, its playback and its sync health",
                path_params=PartyPath,
                response=PartyState,
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
            ),
            Endpoint(
                method="PATCH",
                path="/api/v1/parties/{party}",
                handler=self.update,
                summary="Change a party's title or settings",
                description="The tenant's staff (an API key), or the party's host while joined.",
                path_params=PartyPath,
                body=PartyPatch,
                example={"title": "Movie night II", "settings": {"control": "hosts"}},
                response=PartyAnswer,
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
            ),
            Endpoint(
                method="POST",
                path="/api/v1/parties/{party}/end",
                handler=self.end,
                summary="End a party",
                description="Every member is told (`party.ended`, reason `ended_by_host`).",
                path_params=PartyPath,
                response=Ok,
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
            ),
        ]

    def _party(self, party: Party) -> dict[str, Any]:
        return outbound.party_out(party, self.parties.public_url)

    async def create(self, call: Call[Nothing, Nothing, inbound.PartyCreate]) -> Reply:
        m = call.body
        # A backend creates parties for its viewers; the first of them to join hosts.
        party = await self.parties.create(
            call.caller.user, m.title, m.media.to_domain(), m.settings.to_domain(), creator_joins=False
        )
        return {"ok": True, "party": self._party(party)}

    async def list(self, call: Call[Nothing, PartyListQuery]) -> Reply:
        kind = call.query.type
        parties = [
            p for p in await self.parties.listed(call.caller.user) if kind is None or p.settings.type == kind
        ]
        page, cursor = paginate(parties, lambda p: (p.created_at_ms, p.id), call.query)
        return page_answer([self._party(p) for p in page], cursor)

    async def get(self, call: Call[PartyPath]) -> Reply:
        party = await self.parties.get(call.caller.user, call.path.party)
        return {
            "ok": True,
            "party": self._party(party),
            "playback": outbound.playback_out(party.id, party.playback),
            "sync": outbound.sync_health_out(party, self.parties.drift_summary(party.id)),
        }

    async def update(self, call: Call[PartyPath, Nothing, PartyPatch]) -> Reply:
        s = call.body.settings
        command = c.UpdateSettings(
            user_id=call.caller.user.id,
            title=call.body.title,
            control=ControlMode(s.control) if s.control else None,
            wait_for_buffering=s.wait_for_buffering,
            max_members=s.max_members,
            cameras=s.cameras,
            public=s.public,
        )
        party = await self.parties.manage(call.caller.user, call.path.party, command)
        return {"ok": True, "party": self._party(party)}

    async def end(self, call: Call[PartyPath]) -> Reply:
        await self.parties.manage(call.caller.user, call.path.party, c.End(call.caller.user.id))
        return {"ok": True}
