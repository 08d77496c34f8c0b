"""Which node holds which party sessions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class Presence(Protocol):
    """Where the cluster learns which node holds which party sessions (see
    adapters/redis/presence.py), so that a dead node's members leave.

    - ``add``/``remove`` record this node's (party, session) pairs; ``restore``
      records them all again after the shared store lost its data.
    - A node that stops beating (crash, partition) has its pairs evicted by one
      surviving node, once: ``evict(party_id, sessions)`` per party, within
      ``ttl + ttl/4`` of its last beat, never while it still beats.
    - A clean ``close`` evicts the node's remaining pairs through its own
      ``evict`` and forgets the node; a node restarted under the same id evicts
      its previous life's pairs at ``start``.

    There is no memory implementation: a single node has no one to tell, and its
    sessions and live party state (memory PartyStore) end with its process, so the
    service runs without a Presence.
    """

    async def add(self, party_id: str, session: str) -> None: ...

    async def remove(self, party_id: str, session: str) -> None: ...

    async def restore(self, pairs: Iterable[tuple[str, str]]) -> None: ...
