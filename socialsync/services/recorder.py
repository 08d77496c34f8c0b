"""Write-behind of parties' durable rows, so a playback command never waits on the database."""

from __future__ import annotations

import asyncio
import logging

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import Party
from socialsync.ports import MessageStore, Observer
from socialsync.tasks import stop

log = logging.getLogger("socialsync.services.recorder")

RETRY_DELAY_S = 1.0
# Parties whose write the database refused, remembered (to log each once) at most.
MAX_SET_ASIDE = 10_000


class PartyRecorder:
    """Latest wins: a party changed ten times while a write is under way is written
    once more, as it is now. Memory is bounded by the number of parties.

    A write the database refuses (any error but ``unavailable``: a value it cannot
    store) is set aside, logged once per party and counted, and never retried: it
    would fail again, and must not hold up the other parties' writes. A newer state
    of the same party is tried afresh. While the database is unavailable, the
    pending writes wait and are retried in turn."""

    def __init__(self, store: MessageStore, observer: Observer | None = None) -> None:
        self._store = store
        self._observer = observer
        self._set_aside: dict[str, int] = {}  # party id -> its version set aside
        self._pending: dict[str, Party] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # One write at a time, so an older state can never land after a newer one.
        self._writing = asyncio.Lock()

    def record(self, party: Party) -> None:
        self._pending[party.id] = party
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._drain()

    async def _drain(self) -> None:
        while self._pending:
            party_id = next(iter(self._pending))
            party = self._pending.pop(party_id)
            try:
                async with self._writing:
                    await self._store.record_party(party)
            except SyncError as exc:
                if exc.code is not Code.UNAVAILABLE:
                    self._put_aside(party, exc)
                    continue
                log.warning("recording a party failed, will retry: %s", exc.message)
                # Back in the queue, behind the others, unless a newer state arrived.
                self._pending.setdefault(party_id, party)
                await asyncio.sleep(RETRY_DELAY_S)
            except Exception as exc:
                self._put_aside(party, exc)
            else:
                self._set_aside.pop(party_id, None)

    def _put_aside(self, party: Party, exc: Exception) -> None:
        if party.id in self._set_aside:
            self._set_aside[party.id] = party.version
            return
        if len(self._set_aside) >= MAX_SET_ASIDE:
            del self._set_aside[next(iter(self._set_aside))]
        self._set_aside[party.id] = party.version
        log.error("a party's durable row was refused by the database and set aside: %r", exc)
        if self._observer is not None:
            self._observer.set_aside("party")

    @property
    def set_aside(self) -> int:
        """How many parties' latest writes were refused and set aside."""
        return len(self._set_aside)

    async def record_now(self, party: Party) -> None:
        """Write this state before returning (an ended party must not be revived)."""
        self._pending.pop(party.id, None)
        async with self._writing:
            await self._store.record_party(party)

    async def close(self) -> None:
        """Write what is pending (once more, no retries), then stop."""
        await stop(self._task)
        for party in list(self._pending.values()):
            try:
                await self._store.record_party(party)
            except Exception as exc:
                log.error("party %s not recorded at shutdown: %s", party.id, exc)
        self._pending.clear()
