"""REST: a party's chat, exported (JSON pages, or NDJSON) and a message deleted."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from aiohttp import web
from pydantic import Field

from socialsync.domain.access import Scope
from socialsync.domain.errors import bad_request
from socialsync.edge.http.endpoint import AnyEndpoint, Call, Endpoint, Ok, PathParams, QueryParams, Reply
from socialsync.edge.http.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Cursor,
    Page,
    decode_cursor,
    encode_cursor,
    page_answer,
)
from socialsync.edge.http.params import PartyPath
from socialsync.ports import Clock
from socialsync.protocol import inbound, outbound, shapes
from socialsync.services.chat import ChatService
from socialsync.services.moderation import ModerationService

TAG = "chat"
NDJSON = "application/x-ndjson"
# An NDJSON page may be this long: an export is read in few requests.
MAX_NDJSON_LIMIT = 10_000


class ExportQuery(QueryParams):
    """A page of the messages in id order; as JSON pages (``limit`` up to 200) or as NDJSON
    (one message a line, ``limit`` up to 10,000, the next cursor in ``Next-Cursor``)."""

    limit: Annotated[
        int, Field(ge=1, le=MAX_NDJSON_LIMIT, description="Messages per page (JSON: at most 200).")
    ] = DEFAULT_LIMIT
    cursor: Cursor | None = None
    format: Literal["json", "ndjson"] = "json"


class MessagePath(PathParams):
    party: inbound.PartyId
    message: inbound.MessageId


class DeleteQuery(QueryParams):
    reason: Annotated[inbound.Reason | None, Field(description="Why (kept in the audit log).")] = None


class ModeratedMessage(shapes.ChatMessage):
    """A message as the tenant's staff see it: with whether it is shadow-muted (shown to
    its author only)."""

    hidden: bool


class ChatRoutes:
    def __init__(self, chat: ChatService, moderation: ModerationService, clock: Clock) -> None:
        self.chat = chat
        self.moderation = moderation
        self.clock = clock

    def endpoints(self) -> list[AnyEndpoint]:
        return [
            Endpoint(
                method="GET",
                path="/api/v1/parties/{party}/messages",
                handler=self.export,
                summary="Export a party's chat, in message order",
                description="Every message but deleted ones, an ended party's too (as long as its "
                "chat is kept), with `hidden` for shadow-muted ones. The tenant's moderators and "
                "admins. `format=ndjson`: one message per line (`application/x-ndjson`), the next "
                "page's cursor in the `Next-Cursor` header (absent on the last).",
                tag=TAG,
                scope=Scope.PARTIES_WRITE,
                path_params=PartyPath,
                query=ExportQuery,
                response=Page[ModeratedMessage],
                alternatives=(NDJSON,),
            ),
            Endpoint(
                method="DELETE",
                path="/api/v1/parties/{party}/messages/{message}",
                handler=self.delete,
                summary="Delete a chat message",
                description="As a moderator's `mod.delete`: gone from every member's chat at once "
                "(`chat.deleted`), in the audit log. The tenant's staff, or the party's host "
                "while joined; the party must be under way.",
                tag=TAG,
                scope=Scope.MODERATION_WRITE,
                path_params=MessagePath,
                query=DeleteQuery,
                response=Ok,
                errors=(413,),  # a reason over its size
            ),
        ]

    async def export(self, call: Call[PartyPath, ExportQuery]) -> Reply:
        q = call.query
        if q.format == "json" and q.limit > MAX_LIMIT:
            raise bad_request(f"limit: at most {MAX_LIMIT} with format=json")
        after = 0
        if q.cursor is not None:
            key = decode_cursor(q.cursor)
            if len(key) != 1 or not isinstance(key[0], int):
                raise bad_request("cursor: not a cursor of this list")
            after = key[0]
        found = await self.chat.export(call.caller.user, call.path.party, after, q.limit + 1)
        page = found[: q.limit]
        cursor = encode_cursor((page[-1].id,)) if len(found) > q.limit and page else None
        items = [outbound.moderated_message_out(m) for m in page]
        if q.format == "json":
            return page_answer(items, cursor)
        body = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
        headers = {"Cache-Control": "no-store"} | ({"Next-Cursor": cursor} if cursor else {})
        return web.Response(text=body, content_type=NDJSON, headers=headers)

    async def delete(self, call: Call[MessagePath, DeleteQuery]) -> Reply:
        path = call.path
        await self.moderation.delete(
            call.caller.user, path.party, path.message, call.query.reason, self.clock.now_ms()
        )
        return {"ok": True}
