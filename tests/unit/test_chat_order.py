"""Chat in id order on a node (services/chat_order.py), with a store fake: no timing."""

from __future__ import annotations

from socialsync.domain.chat.messages import Message
from socialsync.domain.notices import ChatPosted
from socialsync.ports import Envelope
from socialsync.services.chat_order import ChatOrder


def message(i: int) -> Message:
    return Message("p1", i, "u1", "Ada", f"line {i}", 1_000 + i, f"n{i}")


class Store:
    def __init__(self, newest: int) -> None:
        self.newest = newest

    async def before(self, party_id: str, before_id: int | None, limit: int, viewer: str | None = None):  # type: ignore[no-untyped-def]
        return [message(self.newest)] if self.newest else []


async def started(newest: int = 0) -> tuple[ChatOrder, list[int]]:
    got: list[int] = []

    async def deliver(envelope: Envelope) -> None:
        assert isinstance(envelope.event, ChatPosted)
        got.append(envelope.event.message.id)

    order = ChatOrder(deliver, Store(newest), hold_ms=60_000)  # type: ignore[arg-type]
    await order.start("p1")
    return order, got


async def receive(order: ChatOrder, i: int) -> None:
    await order.receive(Envelope("p1", ChatPosted(message(i))), message(i))


async def test_in_order_each_id_once() -> None:
    order, got = await started()
    for i in (1, 2, 2, 3, 1):
        await receive(order, i)
    assert got == [1, 2, 3] and order.delivered("p1") == 3
    await order.close()


async def test_a_later_id_waits_for_the_earlier_one() -> None:
    order, got = await started()
    await receive(order, 1)
    await receive(order, 3)
    await receive(order, 4)
    assert got == [1]
    await receive(order, 2)
    assert got == [1, 2, 3, 4]
    await order.close()


async def test_the_stream_starts_after_the_newest_stored_id() -> None:
    order, got = await started(newest=7)
    await receive(order, 7)
    await receive(order, 8)
    assert got == [8]
    await order.close()


async def test_a_catch_up_from_the_store_passes_ids_it_does_not_show() -> None:
    order, got = await started()
    await receive(order, 1)
    await receive(order, 5)
    # Read from the store after 1: 3 is deleted (not shown), so 2..4 are known.
    await order.catch_up("p1", [message(2), message(4)])
    assert got == [1, 2, 4, 5]
    await order.close()


async def test_a_party_without_a_stream_here_gets_nothing() -> None:
    order, got = await started()
    await order.receive(Envelope("p2", ChatPosted(message(1))), message(1))
    order.stop("p1")
    await receive(order, 1)
    assert got == []
    await order.close()
