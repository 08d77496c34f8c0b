"""PartyStore in this process's memory: the embedded default and the test double."""

from __future__ import annotations

from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import Party


class MemoryPartyStore:
    def __init__(self) -> None:
        self._parties: dict[str, Party] = {}

    async def get(self, party_id: str) -> Party | None:
        return self._parties.get(party_id)

    async def create(self, party: Party) -> None:
        if party.id in self._parties:
            raise SyncError(Code.CONFLICT, f"party {party.id!r} exists")
        self._parties[party.id] = party

    async def save(self, party: Party, expected_version: int) -> bool:
        # Parties are immutable values, so storing the reference is storing a snapshot.
        current = self._parties.get(party.id)
        if current is None or current.version != expected_version:
            return False
        self._parties[party.id] = party
        return True

    async def delete(self, party_id: str) -> None:
        self._parties.pop(party_id, None)

    async def list(self, tenant_id: str) -> list[Party]:
        return [p for p in self._parties.values() if p.tenant_id == tenant_id]

    def last_known(self, party_id: str) -> Party | None:
        return self._parties.get(party_id)

    async def rebuilding(self) -> bool:
        return False  # it loses its parties only with its process

    def __len__(self) -> int:
        return len(self._parties)

    def member_count(self) -> int:
        return sum(len(p.members) for p in self._parties.values())
