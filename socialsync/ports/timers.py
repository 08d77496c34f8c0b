"""Party timers that fire once (cluster-wide in a cluster)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

# What a due timer calls: fire(party_id, key). Built by the composition root.
Fire = Callable[[str, str], Awaitable[None]]


class Timers(Protocol):
    """Timers keyed by (party, key), firing ``Fire(party_id, key)``.

    - A timer fires once, never before ``due_ms`` (on the Clock it was given):
      scheduling the same (party, key) again, on this node or (Redis) any node, is
      the same timer. The same key in two parties is two timers.
    - A fire that raises is logged; it stops no other timer.
    - Redis: a timer set by a node that dies before it is due is fired by another
      node once it is overdue by the takeover delay (about a second).
    - Memory: timers live and die with the process; ``close`` drops pending ones.
    """

    async def schedule(self, party_id: str, key: str, due_ms: int) -> None: ...
