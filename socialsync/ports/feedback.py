"""The feedback prompt's records (docs/engagement.md): prompts (one per viewer: the
latest, for the weekly limit and the answer) and comments, kept by pseudonym; and the
delivery of a prompt to a member's sockets on this node.

- ``claim``: the prompt is written only if the viewer was not prompted since
  ``now - PROMPT_EVERY_MS`` (atomic: two nodes prompting one viewer at once, one wins).
- ``answer``: marks the viewer's prompt ``prompt_id`` answered, once, if it has not
  expired; returns it, or None when there is no such prompt, it was answered or it
  expired (``prompt`` says which).
- Comments are listed newest first, within a tenant (and a party, when given).
- ``erase``: the viewers' prompts and comments go. ``expire``: comments before
  ``comments_before_ms``, prompts before ``prompts_before_ms``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from socialsync.domain.feedback import Comment, Prompt


class FeedbackStore(Protocol):
    async def claim(self, prompt: Prompt, every_ms: int) -> bool: ...

    async def prompt(self, tenant_id: str, viewer: str) -> Prompt | None: ...

    async def answer(self, tenant_id: str, viewer: str, prompt_id: str, now_ms: int) -> Prompt | None: ...

    async def add_comment(self, comment: Comment) -> None: ...

    async def comments(
        self, tenant_id: str, party_id: str | None, since_ms: int, until_ms: int, limit: int
    ) -> list[Comment]: ...

    async def count_comments(
        self, tenant_id: str, party_id: str | None, since_ms: int, until_ms: int
    ) -> int: ...

    async def viewer_records(
        self, tenant_id: str, viewers: Sequence[str]
    ) -> tuple[list[Prompt], list[Comment]]: ...

    async def erase(self, tenant_id: str, viewers: Sequence[str]) -> int: ...

    async def expire(
        self, tenant_id: str, comments_before_ms: int, prompts_before_ms: int
    ) -> dict[str, int]: ...


class PromptDelivery(Protocol):
    """This node's sockets: the prompt to each of ``sessions`` (those gone are skipped)."""

    async def prompt(self, sessions: Sequence[str], prompt: Prompt) -> None: ...
