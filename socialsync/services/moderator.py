"""The Moderator port on the pure chat filter (socialsync.domain.moderation)."""

from __future__ import annotations

from socialsync.domain.moderation import ChatFilter, CustomTerms
from socialsync.domain.moderation.rules import find_links
from socialsync.ports import ModerationContext, Verdict


class FilterModerator:
    """Words (with evasions), links, floods and raids, judged by the room's policy and
    its own blocked/allowed terms."""

    def __init__(self, chat_filter: ChatFilter | None = None) -> None:
        self._filter = chat_filter or ChatFilter()

    def check(self, text: str, context: ModerationContext) -> Verdict:
        if not context.links and find_links(text):
            # The room turned links off: nothing to review. (With links on, the
            # room's policy decides: live rooms hold them for review by default.)
            return Verdict("reject", text, ("link",))
        terms = None
        if context.blocked_terms or context.allowed_terms:
            terms = CustomTerms(context.blocked_terms, context.allowed_terms)
        result = self._filter.check(
            text,
            room_type="live_room" if context.live_room else "watch_party",
            user_id=context.user_id,
            now_ms=context.now_ms,
            room_terms=terms,
            room_id=context.party_id,
            allowed_domains=context.link_domains,
        )
        return Verdict(result.action.value, result.text, result.reasons)
