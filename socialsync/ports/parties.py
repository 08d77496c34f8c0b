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

    def last_known(self, party_id: str) -> Party | None:
        """The party as this node last read or wrote it, even if the store has lost it
        since (a Redis restarted without persistence): what a node that was serving
        the party puts back. None if this node does not remember it."""
        ...

    async def rebuilding(self) -> bool:
        """True for a short while after the store lost its contents (Redis restarted):
        nodes are still putting back the parties they serve, so a party missing from
        the store may be on its way back and must not be revived from its durable
        row by someone who does not know its live state."""
        ...
