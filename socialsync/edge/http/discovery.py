"""REST: discovery (docs/engagement.md), for a platform's home page: the tenant's live
rooms and public parties, ranked by what happens in them now and by one viewer's own
history. Scope ``parties:write`` (as the parties' list): a backend asks on behalf of
its viewers, as it mints their tokens; a person's token asks for itself."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.edge.http.endpoint import AnyEndpoint, Call, Endpoint, Nothing, QueryParams, Reply
from socialsync.edge.http.params import UserId
from socialsync.protocol import outbound, shapes
from socialsync.services.discovery import DiscoveryService

TAG = "discovery"
Reason = Literal["members", "chat", "friends", "media"]


class DiscoveryQuery(QueryParams):
    user: Annotated[
        UserId | None,
        Field(
            description="Whose history ranks the list (default: the caller's own for a person's token; "
            "none, activity only, for an API key). Another user's: staff and API keys only."
        ),
    ] = None
    limit: Annotated[int, Field(ge=1, le=100, description="Parties wanted, at most.")] = 20


class Activity(TypedDict):
    """Now: members with a socket in the party, messages and reactions a minute over the last 5 min."""

    members: int
    messages_per_min: float
    reactions_per_min: float


class History(TypedDict):
    """The viewer's: members here it watched with before, minutes it watched this media item."""

    friends: int
    watched_min: float


class Discovered(TypedDict):
    party: shapes.PartyInfo
    score: float
    activity_score: float
    history_score: float
    activity: Activity
    history: History | None
    reasons: list[Reason]


class DiscoveryAnswer(TypedDict):
    ok: Literal[True]
    user: str | None
    generated_at: int
    window_s: int
    items: list[Discovered]


class DiscoveryRoutes:
    def __init__(self, discovery: DiscoveryService, public_url: str | None) -> None:
        self.discovery = discovery
        self.public_url = public_url

    def endpoints(self) -> list[AnyEndpoint]:
        return [
            Endpoint(
                method="GET",
                path="/api/v1/discovery",
                handler=self.discover,
                summary="Live rooms and public parties, ranked for one viewer",
                description="By activity now (members, messages and reactions a minute) and by the viewer's "
                "history (media it watched, people it watched with), from the analytics event stream; the "
                "ranking is explained in docs/engagement.md. `user`: whose history (a person: its own; staff "
                "and API keys: anyone's).",
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
                query=DiscoveryQuery,
                response=DiscoveryAnswer,
            ),
        ]

    async def discover(self, call: Call[Nothing, DiscoveryQuery]) -> Reply:
        q = call.query
        found = await self.discovery.discover(
            call.caller.user, q.user, q.limit, by_key=call.caller.key_id is not None
        )
        items = [
            {
                "party": outbound.party_out(party, self.public_url),
                "score": r.score,
                "activity_score": r.activity,
                "history_score": r.history,
                "activity": {
                    "members": r.members,
                    "messages_per_min": r.messages_per_min,
                    "reactions_per_min": r.reactions_per_min,
                },
                "history": None
                if found.user is None
                else {"friends": r.friends, "watched_min": r.watched_min},
                "reasons": list(r.reasons),
            }
            for r, party in found.items
        ]
        return {
            "ok": True,
            "user": found.user,
            "generated_at": found.generated_at_ms,
            "window_s": found.window_ms // 1000,
            "items": items,
        }
