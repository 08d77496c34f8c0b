"""Live party state, shared by every node of a cluster."""

from __future__ import annotations

from typing import Protocol

from socialsync.domain.model import Party


class PartyStore(Protocol):
    """Live party state. Writes are compare-and-set on ``Party.version``."""

    async def get(self, party_id: str) -> Party | None: ...

    async def create(self, party: Party) -> None:
        """Store a new party. Raises SyncError(conflict) if the id is taken."""
        ...

    async def save(self, party: Party, expected_version: int) -> bool:
        """Replace the stored party if its version is still ``expected_version``.

        Returns False (and stores nothing) when someone else committed first.
        """
        ...

    async def delete(self, party_id: str) -> None: ...

    async def list(self, tenant_id: str) -> list[Party]: ...
