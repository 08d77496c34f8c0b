"""The party recorder: a write the database refuses never holds up the others (issue 13, finding 4)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import Media, MediaKind, Settings, User
from socialsync.domain.party.machine import Rules, create_party
from socialsync.services.recorder import PartyRecorder


def party(party_id: str, title: str = "ok"):
    user = User("u1", "Una", "demo")
    media = Media(url="https://media.example/a.mp4", kind=MediaKind.VOD, title=None, duration_s=60.0)
    return create_party(party_id, user, title, media, Settings(), 0, Rules()).party


class RefusingStore:
    """Refuses (as the SQL store does a NUL on PostgreSQL) every title with a NUL."""

    def __init__(self) -> None:
        self.attempts: dict[str, int] = {}
        self.written: dict[str, str] = {}
        self.changed = asyncio.Event()

    async def record_party(self, p) -> None:
        self.attempts[p.id] = self.attempts.get(p.id, 0) + 1
        if "\x00" in p.title:
            raise SyncError(Code.BAD_REQUEST, "the database refused a value")
        self.written[p.id] = p.title
        self.changed.set()


async def written(store: RefusingStore, party_id: str, timeout_s: float) -> None:
    async with asyncio.timeout(timeout_s):
        while party_id not in store.written:
            store.changed.clear()
            await store.changed.wait()


class Counting:
    def __init__(self) -> None:
        self.set_asides: list[str] = []

    def set_aside(self, what: str) -> None:
        self.set_asides.append(what)


async def test_poisoned_parties_are_set_aside_once_and_never_block_the_others():
    store, observer = RefusingStore(), Counting()
    recorder = PartyRecorder(store, observer)  # type: ignore[arg-type]
    for i in range(20):
        recorder.record(party(f"bad{i}", "nul\x00title"))
    recorder.record(party("good"))
    # No sleeping involved: 20 refusals and one write take one pass of the queue.
    await written(store, "good", 5)
    assert recorder.set_aside == 20
    assert observer.set_asides == ["party"] * 20
    assert all(store.attempts[f"bad{i}"] == 1 for i in range(20))
    # A newer, clean state of a poisoned party is written afresh.
    recorder.record(replace(party("bad0"), title="fixed", version=2))
    await written(store, "bad0", 5)
    assert recorder.set_aside == 19
    await recorder.close()


async def test_an_unavailable_database_is_retried():
    class Flaky(RefusingStore):
        async def record_party(self, p) -> None:
            self.attempts[p.id] = self.attempts.get(p.id, 0) + 1
            if self.attempts[p.id] == 1:
                raise SyncError(Code.UNAVAILABLE, "database unavailable")
            self.written[p.id] = p.title
            self.changed.set()

    store = Flaky()
    recorder = PartyRecorder(store)  # type: ignore[arg-type]
    recorder.record(party("p1"))
    await written(store, "p1", 10)
    assert recorder.set_aside == 0
    await recorder.close()
