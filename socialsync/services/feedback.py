"""The end-of-party feedback prompt (docs/engagement.md): one question, CSAT or NPS as
the tenant chose, put to members when a party ends (to the sockets each node has in
it, as the end reaches them) or when a member leaves after ``MIN_STAY_MS``; at most
once a week per user (``FeedbackStore.claim``, shared by the nodes). The answer
(``feedback.send``) goes into the analytics event stream as a ``survey_answer`` (ref:
the survey, value: the score); a comment is screened by the chat filter and kept by
the viewer's pseudonym under the tenant's ``feedback_days``. ``report`` aggregates them
for the REST API (CSAT %, NPS, counts, comments).

``EndOfParty`` is where the ends are seen: the parties' analytics sink (leaves, on the
node that ran them) and the broker's first listener (a party's end, before the hub
takes the sockets out of it). It is built before this service and bound to it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from socialsync.domain.analytics.events import Kind
from socialsync.domain.analytics.observations import Observation
from socialsync.domain.analytics.pseudonyms import Pseudonyms
from socialsync.domain.engagement import Engagement
from socialsync.domain.errors import Code, SyncError, bad_request, forbidden, not_found
from socialsync.domain.feedback import (
    MIN_STAY_MS,
    PROMPT_EVERY_MS,
    PROMPT_TTL_MS,
    Comment,
    FeedbackSummary,
    Prompt,
    Survey,
    check_score,
    parse_score,
    summarise,
)
from socialsync.domain.model import Media, Party, User
from socialsync.domain.notices import PartyEnded
from socialsync.domain.party import commands as c
from socialsync.domain.party.machine import Transition
from socialsync.domain.privacy import Retention
from socialsync.ports import Envelope
from socialsync.ports.analytics import AnalyticsSink, Scope
from socialsync.ports.feedback import FeedbackStore, PromptDelivery
from socialsync.services.analytics import AnalyticsService, Query, Range
from socialsync.services.hub import MEMBERS, Hub
from socialsync.services.moderation import ModerationService

log = logging.getLogger("socialsync.feedback")

# Prompts being decided at once, at most (a party of thousands ending): beyond, skipped.
MAX_IN_FLIGHT = 1_000
MAX_COMMENTS = 200
SURVEYS = frozenset(s.value for s in Survey)

Switches = Callable[[str], Awaitable[Engagement]]
LoadParty = Callable[[str], Awaitable[Party | None]]


@dataclass(frozen=True)
class Report:
    range: Range
    summary: FeedbackSummary
    comments: list[Comment]


class FeedbackService:
    name = "feedback"  # the section of a user's export

    def __init__(
        self,
        store: FeedbackStore,
        hub: Hub,
        moderation: ModerationService,
        analytics: AnalyticsService,
        delivery: PromptDelivery,
        pseudonyms: Pseudonyms,
        switches: Switches,
        *,
        load_party: LoadParty,
    ) -> None:
        self.store = store
        self.hub = hub
        self.moderation = moderation
        self.analytics = analytics
        self.clock = analytics.clock
        self.delivery = delivery
        self.pseudonyms = pseudonyms
        self.switches = switches
        self.load_party = load_party
        self._offers: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ asking
    def party_ended(self, party_id: str) -> None:
        """A party's end reached this node: its sockets in the party are still there."""
        users: dict[str, tuple[User, list[str]]] = {}
        for session in self.hub.local_members().get(party_id, ()):
            found = self.hub.session(session)
            if found is not None and not found.user.guest:
                users.setdefault(found.user.id, (found.user, []))[1].append(session)
        if users:
            self._offer(party_id, list(users.values()))

    def left(self, user: User, session: str, party_id: str, joined_at_ms: int, now_ms: int) -> None:
        """A member left a party (its last socket, on this node) after ``joined_at_ms``."""
        if not user.guest and now_ms - joined_at_ms >= MIN_STAY_MS:
            self._offer(party_id, [(user, [session])])

    def _offer(self, party_id: str, users: list[tuple[User, list[str]]]) -> None:
        if len(self._offers) >= MAX_IN_FLIGHT:
            log.warning("feedback prompts skipped: too many at once")
            return
        task = asyncio.create_task(self._ask(party_id, users))
        self._offers.add(task)
        task.add_done_callback(self._offers.discard)

    async def _ask(self, party_id: str, users: list[tuple[User, list[str]]]) -> None:
        try:
            tenant_id = users[0][0].tenant_id
            survey = (await self.switches(tenant_id)).feedback
            if survey == "off":
                return
            for user, sessions in users:
                viewer = self.pseudonyms.of(tenant_id, user.id)
                prompt = Prompt(
                    secrets.token_urlsafe(12),
                    tenant_id,
                    viewer,
                    party_id,
                    Survey(survey),
                    self.clock.now_ms(),
                )
                if await self.store.claim(prompt, PROMPT_EVERY_MS):
                    await self.delivery.prompt(sessions, prompt)
        except SyncError as exc:
            log.warning("feedback prompt not put: %s", exc.message)
        except Exception:  # a task of its own: nobody else would hear of it
            log.exception("feedback prompt not put")

    async def settle(self) -> None:
        """Wait for the prompts being decided (tests; shutdown)."""
        while self._offers:
            await asyncio.gather(*list(self._offers), return_exceptions=True)

    # ------------------------------------------------------------------ answers
    async def answer(self, session: str, prompt_id: str, score: int, comment: str | None) -> None:
        user = self.hub.user_of(session)
        if user.guest:
            raise forbidden("guests are not asked for feedback")
        tenant_id, now = user.tenant_id, self.clock.now_ms()
        viewer = self.pseudonyms.of(tenant_id, user.id)
        held = await self.store.prompt(tenant_id, viewer)
        if held is None or held.id != prompt_id or now >= held.expires_ms:
            raise not_found("no such feedback prompt (or it has expired)")
        if held.answered_ms is not None:
            raise SyncError(Code.CONFLICT, "this prompt was answered already")
        try:
            check_score(held.survey, score)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        text, on_hold = await self._screen(user, held, comment or "", now)
        if await self.store.answer(tenant_id, viewer, prompt_id, now) is None:
            raise SyncError(Code.CONFLICT, "this prompt was answered already")
        self.analytics.survey_answer(user, held.party_id, held.survey.value, str(score))
        if text:
            await self.store.add_comment(
                Comment(
                    secrets.token_urlsafe(12),
                    tenant_id,
                    held.party_id,
                    viewer,
                    held.survey,
                    score,
                    text,
                    on_hold,
                    now,
                )
            )

    async def _screen(self, user: User, prompt: Prompt, comment: str, now_ms: int) -> tuple[str, bool]:
        """The comment as kept (masked words masked) and whether it is held; a comment the
        filter rejects refuses the answer (``moderated``), as a chat message would be."""
        if not comment:
            return "", False
        party = await self.load_party(prompt.party_id)
        if party is None:
            raise not_found("the party of this prompt is gone")
        verdict = await self.moderation.screen_text(user, party, comment, now_ms)
        if verdict.action == "reject":
            raise SyncError(Code.MODERATED, "the comment was not accepted")
        return verdict.text, verdict.action == "hold"

    # ------------------------------------------------------------------ the report (REST)
    async def report(self, actor: User, query: Query, limit: int) -> Report:
        r = await self.analytics.range_of(actor, query)
        scope = Scope(r.scope.tenant_id, r.scope.party_id)
        found = await self.analytics.store.events(scope, r.since, r.until, [Kind.SURVEY_ANSWER.value])
        answers = [
            (e.ref or "", score)
            for e in found
            if (score := parse_score(e.value)) is not None and e.ref in SURVEYS
        ]
        party = r.scope.party_id
        count = await self.store.count_comments(r.scope.tenant_id, party, r.since, r.until)
        comments = await self.store.comments(
            r.scope.tenant_id, party, r.since, r.until, min(limit, MAX_COMMENTS)
        )
        return Report(r, summarise(answers, count), comments)

    # ------------------------------------------------------------------ personal data (services/privacy.py)
    async def export_user(self, tenant_id: str, user_id: str) -> list[dict[str, Any]]:
        prompts, comments = await self.store.viewer_records(
            tenant_id, self.pseudonyms.every(tenant_id, user_id)
        )
        out: list[dict[str, Any]] = [
            {
                "record": "prompt",
                "party": p.party_id,
                "survey": p.survey.value,
                "prompted_at_ms": p.prompted_ms,
                "answered_at_ms": p.answered_ms,
            }
            for p in prompts
        ]
        out += [
            {
                "record": "comment",
                "party": m.party_id,
                "survey": m.survey.value,
                "score": m.score,
                "comment": m.text,
                "held": m.held,
                "ts_ms": m.ts_ms,
            }
            for m in comments
        ]
        return out

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str = "") -> int:
        return await self.store.erase(tenant_id, self.pseudonyms.every(tenant_id, user_id))

    async def expire(self, tenant_id: str, policy: Retention, now_ms: int) -> dict[str, int]:
        """Comments after ``feedback_days``; prompts once they no longer limit anything."""
        return await self.store.expire(
            tenant_id, policy.cutoff_ms("feedback", now_ms), now_ms - PROMPT_EVERY_MS - PROMPT_TTL_MS
        )


class EndOfParty:
    """The parties' analytics sink, passed through, that also sees members leave; and the
    broker's first listener, that sees parties end while this node's sockets are still
    in them. Built before the feedback service (app.py binds it)."""

    def __init__(self, sink: AnalyticsSink) -> None:
        self.sink = sink
        self._feedback: FeedbackService | None = None
        self._hub: Hub | None = None

    def bind(self, feedback: FeedbackService) -> None:
        self._feedback = feedback
        self._hub = feedback.hub

    # ------------------------------------------------------------------ the broker's first listener
    async def before_hub(self, envelope: Envelope) -> None:
        if (
            self._feedback is not None
            and envelope.audience == MEMBERS
            and isinstance(envelope.event, PartyEnded)
        ):
            self._feedback.party_ended(envelope.party_id)

    # ------------------------------------------------------------------ AnalyticsSink
    def observe(self, observation: Observation) -> None:
        self.sink.observe(observation)

    def party_changed(
        self, before: Party, command: c.Command, transition: Transition, now_ms: int, ref: str | None = None
    ) -> None:
        self.sink.party_changed(before, command, transition, now_ms, ref)
        if type(command) is c.Leave and self._feedback is not None and self._hub is not None:
            assert isinstance(command, c.Leave)
            member = before.members.get(command.user_id)
            if member is None or command.user_id in transition.party.members:
                return
            found = self._hub.session(command.session)
            if found is not None:
                self._feedback.left(found.user, command.session, before.id, member.joined_at_ms, now_ms)

    def posted(
        self, party: Party, user: User, media_time_s: float | None, now_ms: int, emoji: str | None = None
    ) -> None:
        self.sink.posted(party, user, media_time_s, now_ms, emoji)

    def marked(
        self,
        kind: str,
        tenant_id: str,
        now_ms: int,
        *,
        party_id: str | None = None,
        user_id: str | None = None,
        ref: str | None = None,
        value: str | None = None,
        media: Media | None = None,
    ) -> None:
        self.sink.marked(
            kind, tenant_id, now_ms, party_id=party_id, user_id=user_id, ref=ref, value=value, media=media
        )
