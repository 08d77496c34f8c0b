"""Which node holds which party sessions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class Presence(Protocol):
    """Where the cluster learns which node holds which party sessions (see
    adapters/presence_redis.py); a single node needs none."""

    async def add(self, party_id: str, session: str) -> None: ...

    async def remove(self, party_id: str, session: str) -> None: ...

    async def restore(self, pairs: Iterable[tuple[str, str]]) -> None: ...
