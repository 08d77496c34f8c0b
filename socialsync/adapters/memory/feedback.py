"""The feedback prompt's records in this process (tests; ports/feedback.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from socialsync.domain.feedback import PROMPT_TTL_MS, Comment, Prompt


class MemoryFeedback:
    def __init__(self) -> None:
        self._prompts: dict[tuple[str, str], Prompt] = {}
        self._comments: list[Comment] = []

    async def claim(self, prompt: Prompt, every_ms: int) -> bool:
        key = (prompt.tenant_id, prompt.viewer)
        held = self._prompts.get(key)
        if held is not None and held.prompted_ms > prompt.prompted_ms - every_ms:
            return False
        self._prompts[key] = prompt
        return True

    async def prompt(self, tenant_id: str, viewer: str) -> Prompt | None:
        return self._prompts.get((tenant_id, viewer))

    async def answer(self, tenant_id: str, viewer: str, prompt_id: str, now_ms: int) -> Prompt | None:
        held = self._prompts.get((tenant_id, viewer))
        if (
            held is None
            or held.id != prompt_id
            or held.answered_ms is not None
            or held.prompted_ms <= now_ms - PROMPT_TTL_MS
        ):
            return None
        self._prompts[(tenant_id, viewer)] = done = replace(held, answered_ms=now_ms)
        return done

    async def add_comment(self, comment: Comment) -> None:
        self._comments.append(comment)

    def _in(self, tenant_id: str, party_id: str | None, since_ms: int, until_ms: int) -> list[Comment]:
        return [
            c
            for c in self._comments
            if c.tenant_id == tenant_id
            and (party_id is None or c.party_id == party_id)
            and since_ms <= c.ts_ms < until_ms
        ]

    async def comments(
        self, tenant_id: str, party_id: str | None, since_ms: int, until_ms: int, limit: int
    ) -> list[Comment]:
        found = self._in(tenant_id, party_id, since_ms, until_ms)
        return sorted(found, key=lambda c: (c.ts_ms, c.id), reverse=True)[:limit]

    async def count_comments(self, tenant_id: str, party_id: str | None, since_ms: int, until_ms: int) -> int:
        return len(self._in(tenant_id, party_id, since_ms, until_ms))

    async def viewer_records(
        self, tenant_id: str, viewers: Sequence[str]
    ) -> tuple[list[Prompt], list[Comment]]:
        wanted = set(viewers)
        prompts = [p for (t, v), p in self._prompts.items() if t == tenant_id and v in wanted]
        comments = [c for c in self._comments if c.tenant_id == tenant_id and c.viewer in wanted]
        return prompts, comments

    async def erase(self, tenant_id: str, viewers: Sequence[str]) -> int:
        wanted = set(viewers)
        before = len(self._prompts) + len(self._comments)
        self._prompts = {k: p for k, p in self._prompts.items() if not (k[0] == tenant_id and k[1] in wanted)}
        self._comments = [c for c in self._comments if not (c.tenant_id == tenant_id and c.viewer in wanted)]
        return before - len(self._prompts) - len(self._comments)

    async def expire(self, tenant_id: str, comments_before_ms: int, prompts_before_ms: int) -> dict[str, int]:
        comments = len(self._comments)
        self._comments = [
            c for c in self._comments if c.tenant_id != tenant_id or c.ts_ms >= comments_before_ms
        ]
        prompts = len(self._prompts)
        self._prompts = {
            k: p for k, p in self._prompts.items() if k[0] != tenant_id or p.prompted_ms >= prompts_before_ms
        }
        return {
            "feedback_comments": comments - len(self._comments),
            "feedback_prompts": prompts - len(self._prompts),
        }
