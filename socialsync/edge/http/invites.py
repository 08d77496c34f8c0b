"""REST: a party's invite links (create, list, revoke), and the page an invite link opens,
with the Open Graph tags that make it unfurl in messengers (title, description, image)."""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal, NotRequired

from aiohttp import web
from pydantic import Field
from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.domain.errors import SyncError
from socialsync.domain.invites import (
    DEFAULT_EXPIRY_S,
    MAX_EXPIRY_S,
    MAX_USES,
    MIN_EXPIRY_S,
    Invite,
)
from socialsync.domain.model import Party
from socialsync.edge.http.endpoint import AnyEndpoint, Body, Call, Endpoint, Nothing, Ok, PathParams, Reply
from socialsync.edge.http.og_image import HEIGHT, WIDTH, default_image
from socialsync.edge.http.pagination import Page, PageQuery, page_answer, paginate
from socialsync.edge.http.params import PartyPath
from socialsync.protocol.inbound import MAX_POSITION_S, InviteCode, PartyId
from socialsync.services.invites import InviteService

TAG = "invites"
OG_IMAGE_PATH = "/og-image.png"
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
SITE_NAME = "SocialSync"


class InviteRequest(Body):
    """Everything has a default: an empty body makes a week-long invite without a limit."""

    expires_in_s: Annotated[
        int, Field(ge=MIN_EXPIRY_S, le=MAX_EXPIRY_S, description="Lifetime, s (default: 7 days).")
    ] = DEFAULT_EXPIRY_S
    max_uses: Annotated[
        Annotated[int, Field(ge=1, le=MAX_USES)] | None,
        Field(description="Users it lets in at most; null: no limit."),
    ] = None
    t: Annotated[
        Annotated[float, Field(ge=0, le=MAX_POSITION_S)] | None,
        Field(
            description="A moment of the media, s: a party that has not started yet starts there "
            "when someone joins by this invite (its `url` carries it as `t`)."
        ),
    ] = None


class InviteInfo(TypedDict):
    """An invite link. `uses`: users it let in (each once); `expires_at`, `created_at`:
    epoch seconds; `t`: its moment, if it has one."""

    code: str
    url: str
    party: str
    created_by: str
    created_at: int
    expires_at: int
    max_uses: int | None
    uses: int
    t: NotRequired[float]


class InviteAnswer(InviteInfo):
    ok: Literal[True]


class InvitePath(PathParams):
    party: PartyId
    invite: InviteCode


def _order(invite: Invite) -> tuple[int, str]:
    return (invite.created_at_ms, invite.code)


class InviteRoutes:
    def __init__(self, invites: InviteService) -> None:
        self.invites = invites

    def endpoints(self) -> list[AnyEndpoint]:
        return [
            Endpoint(
                method="POST",
                path="/api/v1/parties/{party}/invites",
                handler=self.create,
                summary="Create an invite link to a party",
                description="Its `url` opens the server's page, which joins the party with "
                "`party.join {invite}`. It lets users in until it expires or `max_uses` users "
                "have joined by it (a user joining again is not counted again). The tenant's "
                "staff, or the party's host or a cohost while joined; at most 100 per party.",
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
                path_params=PartyPath,
                body=InviteRequest,
                example={"expires_in_s": 86400, "max_uses": 10, "t": 120},
                response=InviteAnswer,
                status=201,
                errors=(409,),
            ),
            Endpoint(
                method="GET",
                path="/api/v1/parties/{party}/invites",
                handler=self.list,
                summary="A party's invite links, oldest first",
                description="Expired ones too, for a day after they expired. The tenant's staff, "
                "or the party's host or a cohost while joined.",
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
                path_params=PartyPath,
                query=PageQuery,
                response=Page[InviteInfo],
            ),
            Endpoint(
                method="DELETE",
                path="/api/v1/parties/{party}/invites/{invite}",
                handler=self.revoke,
                summary="Revoke an invite link",
                description="Nobody joins by it any more (`not_found`); members it let in stay.",
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
                path_params=InvitePath,
                response=Ok,
            ),
        ]

    def _out(self, invite: Invite) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": invite.code,
            "url": self.invites.url(invite),
            "party": invite.party_id,
            "created_by": invite.created_by,
            "created_at": invite.created_at_ms // 1000,
            "expires_at": invite.expires_at_ms // 1000,
            "max_uses": invite.max_uses,
            "uses": invite.uses,
        }
        if invite.start_at_s is not None:
            out["t"] = invite.start_at_s
        return out

    async def create(self, call: Call[PartyPath, Nothing, InviteRequest]) -> Reply:
        m = call.body
        invite = await self.invites.create(
            call.caller.user,
            call.path.party,
            expires_in_s=m.expires_in_s,
            max_uses=m.max_uses,
            start_at_s=m.t,
        )
        return {"ok": True} | self._out(invite)

    async def list(self, call: Call[PartyPath, PageQuery]) -> Reply:
        invites = await self.invites.list(call.caller.user, call.path.party)
        page, cursor = paginate(invites, _order, call.query)
        return page_answer([self._out(i) for i in page], cursor)

    async def revoke(self, call: Call[InvitePath]) -> Reply:
        await self.invites.revoke(call.caller.user, call.path.party, call.path.invite)
        return {"ok": True}


# ---------------------------------------------------------------------------- the invite page


def _meta(prop: str, content: str) -> str:
    return f'<meta property="{prop}" content="{html.escape(content, quote=True)}">'


def open_graph(party: Party | None, base_url: str, canonical: str) -> str:
    """The tags an unfurler reads, every value escaped: the party's title, what it
    watches, and its media's poster (else the server's default image)."""
    base = base_url.rstrip("/")
    image = f"{base}{OG_IMAGE_PATH}"
    if party is None:
        title = SITE_NAME
        description = "Watch together, in sync: play, pause and seek together, chat and react."
    else:
        media = party.playback.media
        title = party.title
        kind = "live room" if party.is_live_room else "watch party"
        watched = f" and watch {media.title} together" if media.title else " and watch together"
        description = f"Join the {kind}{watched}, in sync."
        image = media.poster or image
    tags = [
        _meta("og:type", "website"),
        _meta("og:site_name", SITE_NAME),
        _meta("og:title", title),
        _meta("og:description", description),
        _meta("og:url", canonical),
        _meta("og:image", image),
    ]
    if image.startswith(f"{base}{OG_IMAGE_PATH}"):
        tags += [_meta("og:image:width", str(WIDTH)), _meta("og:image:height", str(HEIGHT))]
    tags += [
        '<meta name="twitter:card" content="summary_large_image">',
        f'<meta name="description" content="{html.escape(description, quote=True)}">',
    ]
    return "\n".join(tags) + "\n"


JOIN_META = "socialsync:join"


def join_details(party: Party | None) -> str:
    """What the join page shows before joining (``<meta name="socialsync:join">``, JSON):
    the party's title and kind, its host's display name, the show's title and poster.
    No more than joining would show the link's holder, and less: never the party's id
    (an invite's page must not hand out what bypasses the invite's limits), member ids,
    the member list or the media's address (a signed stream's URL stays in the party)."""
    if party is None:
        return ""
    media = party.playback.media
    host = party.host
    details: dict[str, Any] = {
        "title": party.title,
        "type": "live_room" if party.is_live_room else "watch_party",
        "live": media.kind.value == "live",
    }
    if host is not None and host.name:
        details["host"] = host.name
    if media.title:
        details["show"] = media.title
    if media.poster:
        details["poster"] = media.poster
    return f'<meta name="{JOIN_META}" content="{html.escape(json.dumps(details), quote=True)}">\n'


def with_tags(page: str, tags: str) -> str:
    """``page`` with ``tags`` at the end of its head."""
    found = _HEAD_END.search(page)
    if found is None:
        return tags + page
    return page[: found.start()] + tags + page[found.start() :]


class InvitePage:
    """The page at ``/`` (the demo's, from the web build) with Open Graph tags for the
    party that ``?invite=CODE`` (one that still lets users in) or ``?party=ID`` names,
    and what its join page shows before joining (``join_details``)."""

    def __init__(self, invites: InviteService, base_url: str) -> None:
        self.invites = invites
        self.base_url = base_url.rstrip("/")

    def page(self, path: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            if not path.is_file():  # noqa: ASYNC240 - a stat of a local file, once per page view
                return web.Response(
                    status=503,
                    content_type="text/plain",
                    text="The web client is not built: run `bash scripts/serve.sh`, which builds it.\n",
                )
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
            party, canonical = await self._party(request)
            body = with_tags(text, open_graph(party, self.base_url, canonical) + join_details(party))
            return web.Response(text=body, content_type="text/html", headers={"Cache-Control": "no-cache"})

        return handler

    async def _party(self, request: web.Request) -> tuple[Party | None, str]:
        code = request.query.get("invite", "")
        party_id = request.query.get("party", "")
        code_ok, party_ok = bool(_CODE.match(code)), bool(_CODE.match(party_id))
        try:
            party = await self.invites.preview(
                code if code_ok else None, None if code_ok or not party_ok else party_id
            )
        except SyncError:  # a store that cannot answer: the page without the party
            party = None
        if party is None:
            return None, f"{self.base_url}/"
        where = f"invite={code}" if code_ok else f"party={party_id}"
        return party, f"{self.base_url}/?{where}"

    async def image(self, request: web.Request) -> web.Response:
        return web.Response(
            body=default_image(),
            content_type="image/png",
            headers={"Cache-Control": "public, max-age=86400"},
        )
