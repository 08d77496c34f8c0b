"""Write-behind of parties' durable rows, so a playback command never waits on the database."""

from __future__ import annotations

import asyncio
import logging

from socialsync.domain.model import Party
from socialsync.ports import MessageStore
from socialsync.tasks import stop

log = logging.getLogger("socialsync.services.recorder")

RETRY_DELAY_S = 1.0


class PartyRecorder:
    """Latest wins: a party changed ten times while a write is under way is written
    once more, as it is now. Memory is bounded by the number of parties."""

    def __init__(self, store: MessageStore) -> None:
        self._store = store
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
            except Exception as exc:
                log.warning("recording party %s failed, will retry: %s", party_id, exc)
                # Put it back unless a newer state arrived meanwhile.
                self._pending.setdefault(party_id, party)
                await asyncio.sleep(RETRY_DELAY_S)

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
