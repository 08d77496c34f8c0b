"""The chat hook, pure and on the memory store: a hook's settings checked, the request
signed as a webhook (it verifies), the hook's answers read strictly (anything not as
documented is an error), the fallbacks, and the service: the deadline, the cap of calls
in flight per tenant (beyond it the fallback at once, counted), secrets shown once and
rotated, and each party's line (rulings given out of order are released in order)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Mapping

import pytest

from socialsync.adapters.memory.chat_hooks import MemoryChatHooks
from socialsync.domain import chat_hook as h
from socialsync.domain.chat.messages import MessageDraft
from socialsync.domain.model import Media, Party, Settings, User
from socialsync.domain.party.machine import create_party
from socialsync.domain.webhooks import verify
from socialsync.ports.chat_hook import HookReply
from socialsync.services.chat_hook import ChatHooks, ChatHookSettings, PartyTurns

T0 = 1_800_000_000_000
URL = "https://tns.example/hook"
ANN = User("ann", "Ann", "t1")


class Clock:
    def __init__(self) -> None:
        self.ms = T0

    def now_ms(self) -> int:
        return self.ms


class Observer:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.timed: list[float] = []

    def chat_hook(self, outcome: str, seconds: float | None) -> None:
        self.counts[outcome] += 1
        if seconds is not None:
            self.timed.append(seconds)


class Caller:
    """Answers what ``answer`` says after ``delay_s``; remembers each call."""

    def __init__(self, answer: HookReply, delay_s: float = 0.0) -> None:
        self.answer = answer
        self.delay_s = delay_s
        self.calls: list[tuple[str, dict[str, str], bytes]] = []

    async def post(self, url: str, headers: Mapping[str, str], body: bytes, max_answer: int) -> HookReply:
        self.calls.append((url, dict(headers), body))
        await asyncio.sleep(self.delay_s)
        return self.answer


def party() -> Party:
    return create_party("p1", ANN, "Film", Media("https://m/a.mp4"), Settings(), T0).party


def draft(text: str = "hello there", nonce: str = "n1") -> MessageDraft:
    return MessageDraft("p1", ANN.id, ANN.name, text, T0, nonce, 12.5, None)


def allow() -> HookReply:
    return HookReply(200, b'{"action": "allow"}')


async def service(
    caller: Caller, *, on_timeout: str = "allow", timeout_ms: int = 300, cap: int = 64
) -> tuple[ChatHooks, Observer, str]:
    observer = Observer()
    keys = iter(b"abcdefgh")
    hooks = ChatHooks(
        MemoryChatHooks(),
        caller,
        Clock(),
        observer,
        ChatHookSettings(max_in_flight=cap),
        lambda n: bytes([next(keys)]) * n,
    )
    change = hooks.change(None, {"url": URL, "timeout_ms": timeout_ms, "on_timeout": on_timeout}, "t1")
    _, secret = await hooks.apply("t1", change)
    assert secret is not None
    return hooks, observer, secret


# ---------------------------------------------------------------------------- settings


def test_a_new_hook_needs_a_url_and_gets_the_defaults() -> None:
    with pytest.raises(ValueError, match="url: required"):
        h.change_hook(None, {"timeout_ms": 100}, "t1", T0, False)
    change = h.change_hook(None, {"url": URL}, "t1", T0, False)
    assert change.new_secret
    assert change.hook == h.ChatHook("t1", URL, 300, h.OnTimeout.ALLOW, True, T0, T0)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"url": URL, "timeout_ms": 49}, "timeout_ms"),
        ({"url": URL, "timeout_ms": 2001}, "timeout_ms"),
        ({"url": URL, "timeout_ms": True}, "timeout_ms"),
        ({"url": URL, "on_timeout": "drop"}, "on_timeout"),
        ({"url": URL, "enabled": "yes"}, "enabled"),
        ({"url": URL, "extra": 1}, "unknown extra"),
        ({"url": "ftp://tns.example/"}, "http"),
        ({"url": "https://user:pw@tns.example/"}, "credentials"),
        ({"url": "http://169.254.169.254/latest"}, "private"),
        ({"url": "http://127.0.0.1:8080/"}, "private"),
        ([URL], "an object"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_field(data: object, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        h.change_hook(None, data, "t1", T0, allow_private=False)


def test_a_change_keeps_what_it_leaves_out_and_rotates_only_when_asked() -> None:
    current = h.change_hook(None, {"url": URL, "timeout_ms": 120}, "t1", T0, False).hook
    changed = h.change_hook(current, {"on_timeout": "hold"}, "t1", T0 + 5, False)
    assert changed.hook == h.ChatHook("t1", URL, 120, h.OnTimeout.HOLD, True, T0, T0 + 5)
    assert not changed.new_secret
    assert h.change_hook(current, {"rotate_secret": True}, "t1", T0, False).new_secret
    assert h.change_hook(current, None, "t1", T0, False).hook is None
    # Loopback only where the server allows private targets.
    assert h.change_hook(None, {"url": "http://127.0.0.1:9/x"}, "t1", T0, True).hook is not None


# ---------------------------------------------------------------------------- request and answers


def test_the_request_is_the_documented_json_signed_as_a_webhook() -> None:
    secret = "whsec_" + "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"
    hook = h.ChatHook("t1", URL, 250)
    request = h.request_for(h.StoredChatHook(hook, secret), party(), ANN, draft(), "msg_1", T0)
    assert verify(secret, request.headers, request.body, T0 / 1000) == {
        "type": "chat.message",
        "id": "msg_1",
        "timestamp": "2027-01-15T08:00:00.000Z",
        "tenant_id": "t1",
        "deadline_ms": 250,
        "party": {"id": "p1", "type": "watch_party"},
        "user": {"id": "ann", "name": "Ann", "guest": False},
        "message": {"text": "hello there", "reply_to": None, "media_time_s": 12.5},
    }
    assert request.headers["webhook-id"] == "msg_1"


def test_during_a_rotation_both_secrets_sign() -> None:
    old, new = "whsec_" + "b2xkb2xkb2xkb2xk", "whsec_" + "bmV3bmV3bmV3bmV3"
    hook = h.ChatHook("t1", URL, rotated_until_ms=T0 + 1)
    request = h.request_for(h.StoredChatHook(hook, new, old), party(), ANN, draft(), "msg_1", T0)
    assert len(request.headers["webhook-signature"].split()) == 2
    for secret in (old, new):
        verify(secret, request.headers, request.body, T0 / 1000)
    later = h.request_for(h.StoredChatHook(hook, new, old), party(), ANN, draft(), "msg_2", T0 + 1)
    assert len(later.headers["webhook-signature"].split()) == 1


@pytest.mark.parametrize(
    ("status", "body", "action", "text", "reason"),
    [
        (200, {"action": "allow"}, "allow", "hello there", ""),
        (200, {"action": "allow", "note": "extra fields are ignored"}, "allow", "hello there", ""),
        (200, {"action": "mask", "text": "  hello *****  "}, "mask", "hello *****", ""),
        (200, {"action": "mask", "spans": [[0, 2], [6, 11]]}, "mask", "**llo *****", ""),
        (201, {"action": "reject", "reason": "No  spoilers\nhere"}, "reject", "", "No spoilers here"),
        (200, {"action": "reject"}, "reject", "", h.DEFAULT_REASON),
    ],
)
def test_answers_are_read_as_documented(
    status: int, body: object, action: str, text: str, reason: str
) -> None:
    ruling = h.read_answer(status, json.dumps(body).encode(), "hello there")
    assert (ruling.action, ruling.text, ruling.reason) == (action, text, reason)


def test_a_204_without_a_body_allows() -> None:
    assert h.read_answer(204, b"", "hi").action == "allow"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b'{"action": "allow"}'),
        (302, b""),
        (200, b""),
        (200, b"OK"),
        (200, b"<html>allow</html>"),
        (200, b'["allow"]'),
        (200, b'{"action": "block"}'),
        (200, b'{"verdict": "allow"}'),
        (200, b'{"action": "mask"}'),
        (200, b'{"action": "mask", "text": "x", "spans": [[0, 1]]}'),
        (200, b'{"action": "mask", "spans": [[3, 3]]}'),
        (200, b'{"action": "mask", "spans": [[0, 99]]}'),
        (200, b'{"action": "mask", "spans": [[true, 2]]}'),
        (200, b'{"action": "mask", "spans": []}'),
        (200, b'{"action": "mask", "text": "   "}'),
        (200, json.dumps({"action": "mask", "text": "x" * 501}).encode()),
        (200, b'{"action": "mask", "text": "a\\u0000b"}'),
        (200, b'{"action": "reject", "reason": 5}'),
        (200, json.dumps({"action": "reject", "reason": "r" * 201}).encode()),
        (200, b"\xff\xfe"),
    ],
)
def test_anything_else_is_an_error(status: int, body: bytes) -> None:
    with pytest.raises(h.HookAnswerError):
        h.read_answer(status, body, "hello")


def test_the_fallback_is_the_tenants_choice() -> None:
    allowing = h.ChatHook("t1", URL)
    holding = h.ChatHook("t1", URL, on_timeout=h.OnTimeout.HOLD)
    assert h.fallback(allowing, h.Outcome.TIMEOUT, "hi") == h.Ruling("allow", "hi", outcome=h.Outcome.TIMEOUT)
    held = h.fallback(holding, h.Outcome.BUSY, "hi")
    assert (held.action, held.reasons) == ("hold", ("chat_hook:busy",))


# ---------------------------------------------------------------------------- the service


async def test_each_outcome_is_counted_with_its_time() -> None:
    caller = Caller(HookReply(200, b'{"action": "mask", "spans": [[0, 5]]}'))
    hooks, observer, _ = await service(caller)
    ruling = await hooks.decide(await _active(hooks), party(), ANN, draft())
    assert (ruling.action, ruling.text) == ("mask", "***** there")
    caller.answer = HookReply(None, error="refused: a private address")
    assert (await hooks.decide(await _active(hooks), party(), ANN, draft())).outcome is h.Outcome.ERROR
    caller.answer = HookReply(200, b'{"action": "allow"}' + b" " * 20, too_long=True)
    assert (await hooks.decide(await _active(hooks), party(), ANN, draft())).outcome is h.Outcome.ERROR
    assert observer.counts == Counter({"masked": 1, "error": 2})
    assert len(observer.timed) == 3
    assert caller.calls[0][0] == URL


async def test_no_answer_within_the_deadline_falls_back_and_frees_the_slot() -> None:
    caller = Caller(allow(), delay_s=5.0)
    hooks, observer, _ = await service(caller, on_timeout="hold", timeout_ms=50)
    started = asyncio.get_running_loop().time()
    ruling = await hooks.decide(await _active(hooks), party(), ANN, draft())
    assert asyncio.get_running_loop().time() - started < 0.5
    assert (ruling.action, ruling.reasons) == ("hold", ("chat_hook:timeout",))
    assert observer.counts == Counter({"timeout": 1})
    assert hooks.in_flight("t1") == 0


async def test_beyond_the_cap_the_fallback_applies_at_once_without_a_call() -> None:
    caller = Caller(allow(), delay_s=0.1)
    hooks, observer, _ = await service(caller, cap=2)
    stored = await _active(hooks)
    rulings = await asyncio.gather(
        *(hooks.decide(stored, party(), ANN, draft(nonce=str(i))) for i in range(5))
    )
    assert [r.outcome for r in rulings].count(h.Outcome.BUSY) == 3
    assert len(caller.calls) == 2
    assert observer.counts == Counter({"allowed": 2, "busy": 3})
    # Another tenant has a cap of its own.
    assert hooks.in_flight("t1") == 0


async def test_the_secret_is_given_once_and_a_rotation_signs_with_both_for_a_day() -> None:
    caller = Caller(allow())
    hooks, _, first = await service(caller)
    hook, secret = await hooks.apply("t1", hooks.change(await hooks.hook_of("t1"), {"timeout_ms": 80}, "t1"))
    assert secret is None and hook is not None and hook.timeout_ms == 80
    _, second = await hooks.apply("t1", hooks.change(hook, {"rotate_secret": True}, "t1"))
    assert second is not None and second != first
    await hooks.decide(await _active(hooks), party(), ANN, draft())
    _, headers, body = caller.calls[-1]
    for secret in (first, second):
        verify(secret, headers, body, T0 / 1000)
    # Turned off: no call; removed: gone.
    await hooks.apply("t1", hooks.change(await hooks.hook_of("t1"), {"enabled": False}, "t1"))
    assert await hooks.active("t1") is None
    await hooks.apply("t1", hooks.change(None, None, "t1"))
    assert await hooks.hook_of("t1") is None


async def test_rulings_given_out_of_order_are_released_in_the_partys_order() -> None:
    """Five messages whose calls the hook answers last-first: each waits for the one
    before it, so they come through in the order they entered, a rejection too."""

    class Backwards:
        def __init__(self) -> None:
            self.calls = 0

        async def post(self, url: str, headers: Mapping[str, str], body: bytes, max_answer: int) -> HookReply:
            text = json.loads(body)["message"]["text"]
            self.calls += 1
            await asyncio.sleep(0.02 * (5 - int(text)))
            return HookReply(200, b'{"action": "reject"}' if text == "2" else b'{"action": "allow"}')

    observer = Observer()
    hooks = ChatHooks(MemoryChatHooks(), Backwards(), Clock(), observer, ChatHookSettings())
    await hooks.apply("t1", hooks.change(None, {"url": URL}, "t1"))
    through: list[tuple[str, str]] = []

    async def send(i: int) -> None:
        async with hooks.gate(party(), ANN, draft(str(i), nonce=str(i))) as ruling:
            await asyncio.sleep(0)
            through.append((str(i), ruling.action))

    await asyncio.gather(*(send(i) for i in range(5)))
    assert through == [("0", "allow"), ("1", "allow"), ("2", "reject"), ("3", "allow"), ("4", "allow")]
    assert len(hooks.turns) == 0  # nothing left waiting


async def test_a_turn_given_up_keeps_the_line() -> None:
    turns = PartyTurns()
    first, second, third = turns.take("p"), turns.take("p"), turns.take("p")
    second.release()  # done early (a rejection, a cancelled send): the third still waits for the first
    waiting = asyncio.create_task(third.wait())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    first.release()
    await asyncio.wait_for(waiting, 1)
    third.release()
    await asyncio.sleep(0)
    assert len(turns) == 0


async def _active(hooks: ChatHooks) -> h.StoredChatHook:
    stored = await hooks.active("t1")
    assert stored is not None
    return stored
