"""The chat filter end to end: words, rules and duplicates through the room's policy."""

from __future__ import annotations

from dataclasses import replace

import pytest

from socialsync.domain.model import RoomType
from socialsync.domain.moderation import (
    Action,
    Category,
    ChatFilter,
    CustomTerms,
    DuplicateTracker,
    FilterResult,
    Finding,
    Severity,
    default_policy,
)
from socialsync.ports import Verdict

PARTY, LIVE = RoomType.WATCH_PARTY, RoomType.LIVE_ROOM
T0 = 1_700_000_000_000


@pytest.fixture(scope="module")
def chat_filter() -> ChatFilter:
    return ChatFilter()


def check(
    f: ChatFilter, text: str, room_type: RoomType = PARTY, user_id: str = "u1", **kw: object
) -> FilterResult:
    # A fresh room per call unless given, so duplicate counting stays out of the way.
    kw.setdefault("room_id", f"room-{text}-{user_id}-{room_type}")
    return f.check(text, room_type=room_type, user_id=user_id, now_ms=T0, **kw)  # type: ignore[arg-type]


def test_clean_chat_is_allowed_unchanged(chat_filter: ChatFilter) -> None:
    result = check(chat_filter, "what a goal, the keeper had no chance")
    assert result == FilterResult(
        Action.ALLOW, "what a goal, the keeper had no chance", "what a goal, the keeper had no chance"
    )


def test_mild_profanity_in_a_party_is_masked_exactly(chat_filter: ChatFilter) -> None:
    result = check(chat_filter, "that ending was sh\u200bit, honestly")
    assert result.action is Action.MASK
    assert result.text == "that ending was *****, honestly"
    assert result.findings == (Finding(Category.PROFANITY, Severity.MILD, Action.MASK, "shit*", (16, 21)),)
    assert result.reasons == ("profanity:mild:shit*@16-21",)


def test_a_slur_is_held_in_a_live_room_with_the_original_text_kept(chat_filter: ChatFilter) -> None:
    result = check(chat_filter, "shut up you spic", LIVE)
    assert result.action is Action.HOLD
    assert result.text == "shut up you spic"  # the moderator reviews what was sent
    assert result.masked_text == "shut up you ****"


def test_a_severe_slur_is_rejected_in_both_room_types(chat_filter: ChatFilter) -> None:
    for room_type in (PARTY, LIVE):
        assert check(chat_filter, "n 1 g g e r", room_type).action is Action.REJECT


def test_the_worst_finding_decides(chat_filter: ChatFilter) -> None:
    result = check(chat_filter, "fuck off and kys", LIVE)
    assert result.action is Action.REJECT
    assert [finding.category for finding in result.findings] == [Category.PROFANITY, Category.HARASSMENT]


def test_links_pass_in_parties_and_are_held_in_live_rooms_unless_allowed() -> None:
    policies = {LIVE: default_policy(LIVE).with_allowed_domains("youtube.com")}
    f = ChatFilter(policies=policies)
    assert check(f, "look: spam.io/free").action is Action.ALLOW
    held = check(f, "look: spam.io/free", LIVE)
    assert held.action is Action.HOLD
    assert held.findings[0].category is Category.LINK
    assert held.masked_text == "look: ************"
    assert check(f, "clip: https://m.youtube.com/watch?v=1", LIVE).action is Action.ALLOW


def test_mention_spam_caps_and_floods_are_held_in_live_rooms(chat_filter: ChatFilter) -> None:
    cases = {
        "@a @b @c @d @e @f join my stream": Category.MENTION_SPAM,
        "THIS REFEREE IS AN ABSOLUTE DISGRACE": Category.CAPS_FLOOD,
        "lol" * 12: Category.REPEAT_FLOOD,
    }
    for text, category in cases.items():
        assert check(chat_filter, text).action is Action.ALLOW
        live = check(chat_filter, text, LIVE)
        assert live.action is Action.HOLD
        assert [finding.category for finding in live.findings] == [category]


def test_the_third_identical_message_from_one_user_is_rejected() -> None:
    f = ChatFilter()
    texts = ["is this live?", "IS THIS LIVE", "is  this  live!!!"]
    results = [
        f.check(t, room_type=PARTY, user_id="u1", now_ms=T0 + n, room_id="r") for n, t in enumerate(texts)
    ]
    assert [r.action for r in results] == [Action.ALLOW, Action.ALLOW, Action.REJECT]
    assert results[2].findings[0].category is Category.DUPLICATE


def test_short_messages_may_be_repeated(chat_filter: ChatFilter) -> None:
    f = ChatFilter()
    results = [f.check("lol", room_type=PARTY, user_id="u1", now_ms=T0 + n, room_id="r") for n in range(5)]
    assert {r.action for r in results} == {Action.ALLOW}


def test_a_copy_paste_raid_is_held_in_a_live_room_from_the_fifth_sender() -> None:
    f = ChatFilter()
    spam = "this stream is dead, come to my channel instead"
    actions = [
        f.check(spam, room_type=LIVE, user_id=f"u{n}", now_ms=T0 + n, room_id="r").action for n in range(6)
    ]
    assert actions == [Action.ALLOW] * 4 + [Action.HOLD] * 2
    assert f.check(spam, room_type=LIVE, user_id="u9", now_ms=T0, room_id="other").action is Action.ALLOW


def test_a_crowd_cheering_the_same_short_words_is_not_a_raid() -> None:
    f = ChatFilter()
    actions = {
        f.check("GOAL!!!", room_type=LIVE, user_id=f"u{n}", now_ms=T0 + n, room_id="r").action
        for n in range(50)
    }
    assert actions == {Action.ALLOW}


def test_duplicates_expire_with_the_window() -> None:
    f = ChatFilter(duplicates=DuplicateTracker(window_ms=1_000))
    for n in range(5):
        result = f.check(
            "same old message", room_type=PARTY, user_id="u1", now_ms=T0 + n * 2_000, room_id="r"
        )
        assert result.action is Action.ALLOW


def test_tenant_terms_are_blocked_with_wildcards_and_tenant_allowances_override_the_lexicon() -> None:
    tenant = CustomTerms(blocked=("spoiler*",), allowed=("dick",), severity=Severity.MILD)
    f = ChatFilter(tenant_terms=tenant)
    result = check(f, "SPOILERS: the butler did it")
    assert result.action is Action.MASK
    assert result.text == "********: the butler did it"
    assert result.findings[0].category is Category.CUSTOM
    assert check(f, "er ist so dick geworden").action is Action.ALLOW  # German "fat"


def test_room_terms_are_compiled_with_the_rest_and_cached_by_value() -> None:
    f = ChatFilter(max_room_matchers=2)
    room = CustomTerms(blocked=("bruno",), allowed=("fuck",))
    assert check(f, "we don't talk about bruno", room_terms=room).action is Action.MASK
    assert check(f, "what the fuck", room_terms=room).action is Action.ALLOW
    assert check(f, "what the fuck").action is Action.MASK  # other rooms keep the lexicon
    assert f.matcher_for(CustomTerms(blocked=("bruno",), allowed=("fuck",))) is f.matcher_for(room)
    assert f.matcher_for(CustomTerms()) is f.matcher_for(None)


def test_the_room_matcher_cache_is_bounded() -> None:
    f = ChatFilter(max_room_matchers=2)
    first = f.matcher_for(CustomTerms(blocked=("a1",)))
    f.matcher_for(CustomTerms(blocked=("a2",)))
    f.matcher_for(CustomTerms(blocked=("a3",)))
    assert f.matcher_for(CustomTerms(blocked=("a1",))) is not first


def test_a_policy_that_allows_a_category_drops_its_findings() -> None:
    lenient = default_policy(PARTY).with_action(Category.PROFANITY, Severity.MILD, Action.ALLOW)
    f = ChatFilter(policies={PARTY: lenient})
    assert check(f, "holy shit") == FilterResult(Action.ALLOW, "holy shit", "holy shit")


def test_the_result_adapts_to_the_moderator_port() -> None:
    result = check(ChatFilter(), "what the fuck")
    verdict = Verdict(result.action.value, result.text, result.reasons)
    assert verdict == Verdict("mask", "what the ****", ("profanity:strong:*fuck*@9-13",))


def test_results_are_immutable(chat_filter: ChatFilter) -> None:
    result = check(chat_filter, "hello")
    with pytest.raises(AttributeError):
        result.action = Action.REJECT  # type: ignore[misc]
    assert replace(result, text="x").text == "x"
