"""The Python SDK's reconnect pieces without a server: backoff, states, answers."""

from __future__ import annotations

import random
from typing import Any

import pytest

from socialsync.sdk.client import SocialSyncClient, SocialSyncError
from socialsync.sdk.reconnect import TRANSITIONS, Backoff, State, Urls


def test_backoff_grows_to_its_cap_with_jitter_and_restarts() -> None:
    backoff = Backoff(0.25, 5.0, random.Random(7))
    delays = [backoff.next_delay_s() for _ in range(12)]
    for n, delay in enumerate(delays):
        ceiling = min(5.0, 0.25 * 2**n)
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 5.0 and len(set(delays)) == len(delays)
    backoff.reset()
    assert backoff.next_delay_s() <= 0.25


def test_urls_go_round() -> None:
    urls = Urls(["a", "b", "c"])
    assert [urls.next() for _ in range(5)] == ["a", "b", "c", "a", "b"]


def test_every_state_can_get_back_to_joined() -> None:
    for state in State:
        seen, frontier = {state}, [state]
        while frontier:
            for following in TRANSITIONS[frontier.pop()] - seen:
                seen.add(following)
                frontier.append(following)
        assert State.JOINED in seen, state


class Scripted(SocialSyncClient):
    """A client whose requests are answered from a script (no socket)."""

    def __init__(self, answers: list[dict[str, Any] | SocialSyncError]) -> None:
        super().__init__("http://unused", guest="T")
        self.answers = answers
        self.sent: list[dict[str, Any]] = []
        self.state = State.JOINED
        self._joined.add("p")

    async def request(
        self, event: str, payload: dict[str, Any], timeout_s: float | None = None
    ) -> dict[str, Any]:
        self.sent.append(dict(payload))
        answer = self.answers.pop(0)
        if isinstance(answer, SocialSyncError):
            raise answer
        return answer


async def test_a_held_message_is_returned_as_held() -> None:
    client = Scripted([{"ok": True, "held": True}])
    assert await client.send_chat("p", "hello", nonce="n1") == {
        "held": True,
        "party": "p",
        "nonce": "n1",
        "text": "hello",
    }


async def test_a_send_is_retried_across_unavailable_with_the_same_nonce() -> None:
    unavailable = SocialSyncError("unavailable", "redis unavailable", {})
    message = {"id": 1, "party": "p", "text": "hi"}
    client = Scripted([unavailable, unavailable, {"ok": True, "message": message}])
    assert client.retry_for_s >= 30
    assert await client.send_chat("p", "hi") == message
    assert len({s["nonce"] for s in client.sent}) == 1 and len(client.sent) == 3


async def test_a_send_refused_for_good_is_not_retried() -> None:
    client = Scripted([SocialSyncError("moderated", "no", {})])
    with pytest.raises(SocialSyncError):
        await client.send_chat("p", "hi")
    assert len(client.sent) == 1
