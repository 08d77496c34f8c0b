"""A party's chat: export, delete a message."""

from __future__ import annotations

from socialsync.platform._models import Message, Page, page_of
from socialsync.platform._request import M, Resource, Spec, call, ok, pages


class Chat(Resource[M]):
    """``client.chat``: ``iter(party)`` exports a party's chat (an ended party's too, as
    long as its chat is kept) in message order."""

    @call("DELETE", "/api/v1/parties/{party}/messages/{message}")
    def delete(self, party: str, message: int, *, reason: str | None = None) -> Spec[None]:
        """Delete a message: gone from every member's chat at once (``chat.deleted``), in
        the audit log (scope ``moderation:write``; the party must be under way)."""
        return Spec(ok, path={"party": party, "message": str(message)}, query={"reason": reason})

    @call("GET", "/api/v1/parties/{party}/messages")
    def list(self, party: str, *, limit: int | None = None, cursor: str | None = None) -> Spec[Page[Message]]:
        """One page (``limit`` up to 200) of a party's messages in id order, deleted ones
        left out, shadow-muted ones ``hidden`` (scope ``parties:write``; moderators and admins)."""
        return Spec(page_of(Message), path={"party": party}, query={"limit": limit, "cursor": cursor})

    iter = pages(list)
