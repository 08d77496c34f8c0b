"""The chat filter: normalise → match words → apply rules → look up the room's policy → result.

Synchronous and clock-free like the rest of the domain. Its only state is the cache
of compiled matchers (one per set of room terms, compiled together with the shipped
lexicon and the tenant's terms) and the duplicate tracker, both bounded.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from socialsync.domain.model import RoomType
from socialsync.domain.moderation.categories import MASKABLE_CATEGORIES, Action, Category, strictest
from socialsync.domain.moderation.duplicates import DuplicateTracker
from socialsync.domain.moderation.lexicon import CustomTerms, Lexicon, default_lexicon
from socialsync.domain.moderation.masking import mask
from socialsync.domain.moderation.matcher import TermMatcher
from socialsync.domain.moderation.normalise import fold
from socialsync.domain.moderation.policy import RULE_SEVERITY, Policy, default_policy
from socialsync.domain.moderation.result import FilterResult, Finding
from socialsync.domain.moderation.rules import (
    count_mentions,
    find_floods,
    find_links,
    is_allowed_host,
    is_caps_flood,
)
from socialsync.domain.moderation.words import MatchText, layout


class ChatFilter:
    """Judges chat messages for one tenant.

    ``lexicon`` defaults to the shipped one and ``tenant_terms`` are compiled in with
    it; ``policies`` replace the defaults of the room types they name. The result
    adapts to the ``Moderator`` port as
    ``Verdict(result.action.value, result.text, result.reasons)``.
    """

    def __init__(
        self,
        *,
        lexicon: Lexicon | None = None,
        tenant_terms: CustomTerms | None = None,
        policies: Mapping[RoomType, Policy] | None = None,
        duplicates: DuplicateTracker | None = None,
        max_room_matchers: int = 64,
    ) -> None:
        base = lexicon if lexicon is not None else default_lexicon()
        self._base = base + tenant_terms.as_lexicon() if tenant_terms is not None else base
        self._shared_matcher = TermMatcher(self._base)
        self._room_matchers: OrderedDict[CustomTerms, TermMatcher] = OrderedDict()
        self._max_room_matchers = max_room_matchers
        self._policies = {room_type: default_policy(room_type) for room_type in RoomType}
        self._policies.update(policies or {})
        self._duplicates = duplicates if duplicates is not None else DuplicateTracker()

    def policy_for(self, room_type: RoomType | str) -> Policy:
        return self._policies[RoomType(room_type)]

    def matcher_for(self, room_terms: CustomTerms | None) -> TermMatcher:
        """The matcher with the room's terms compiled in; the least recently used are dropped."""
        if room_terms is None or room_terms == CustomTerms():
            return self._shared_matcher
        matcher = self._room_matchers.pop(room_terms, None)
        if matcher is None:
            matcher = TermMatcher(self._base + room_terms.as_lexicon())
        self._room_matchers[room_terms] = matcher
        while len(self._room_matchers) > self._max_room_matchers:
            self._room_matchers.popitem(last=False)
        return matcher

    def check(
        self,
        text: str,
        *,
        room_type: RoomType | str,
        user_id: str,
        now_ms: int,
        room_terms: CustomTerms | None = None,
        room_id: str = "",
        allowed_domains: tuple[str, ...] = (),
    ) -> FilterResult:
        """Judge one message. ``room_id`` scopes duplicate counting (one room's raid is not another's);
        links to ``allowed_domains`` (and their subdomains) pass in this room."""
        policy = self.policy_for(room_type)
        if allowed_domains:
            policy = policy.with_allowed_domains(*allowed_domains)
        match_text = layout(fold(text))
        findings = [
            Finding(
                hit.category,
                hit.severity,
                policy.action_for(hit.category, hit.severity),
                hit.pattern,
                (hit.start, hit.end),
            )
            for hit in self.matcher_for(room_terms).find(match_text)
        ]
        findings += _rule_findings(text, policy)
        findings += self._duplicate_findings(text, match_text, policy, room_id, user_id, now_ms)
        acted = tuple(finding for finding in findings if finding.action is not Action.ALLOW)
        action = strictest(finding.action for finding in acted)
        masked = mask(text, (finding.span for finding in acted if finding.category in MASKABLE_CATEGORIES))
        return FilterResult(action, masked if action is Action.MASK else text, masked, acted)

    def _duplicate_findings(
        self, text: str, match_text: MatchText, policy: Policy, room_id: str, user_id: str, now_ms: int
    ) -> list[Finding]:
        fingerprint = match_text.fingerprint() or "".join(text.split())[:200]
        if not fingerprint:
            return []
        repeats = self._duplicates.observe(room_id, fingerprint, user_id, now_ms)
        limits = policy.limits
        findings: list[Finding] = []
        whole = (0, len(text))
        if repeats.by_sender >= limits.same_sender_repeats and len(fingerprint) >= limits.duplicate_min_chars:
            findings.append(_rule(policy, Category.DUPLICATE, f"sent {repeats.by_sender} times", whole))
        if repeats.senders >= limits.raid_senders and len(fingerprint) >= limits.raid_min_chars:
            findings.append(_rule(policy, Category.RAID, f"sent by {repeats.senders} users", whole))
        return findings


def _rule(policy: Policy, category: Category, term: str, span: tuple[int, int]) -> Finding:
    severity = RULE_SEVERITY[category]
    return Finding(category, severity, policy.action_for(category, severity), term, span)


def _rule_findings(text: str, policy: Policy) -> list[Finding]:
    limits = policy.limits
    findings = [
        _rule(policy, Category.LINK, link.host, (link.start, link.end))
        for link in find_links(text)
        if not is_allowed_host(link.host, policy.allowed_domains)
    ]
    mentions = count_mentions(text)
    if mentions > limits.max_mentions:
        findings.append(_rule(policy, Category.MENTION_SPAM, f"{mentions} mentions", (0, len(text))))
    if is_caps_flood(text, limits.caps_min_letters, limits.caps_ratio):
        findings.append(_rule(policy, Category.CAPS_FLOOD, "all caps", (0, len(text))))
    findings.extend(
        _rule(policy, Category.REPEAT_FLOOD, "repeated characters", span)
        for span in find_floods(text, limits.flood_min_chars)
    )
    return findings
