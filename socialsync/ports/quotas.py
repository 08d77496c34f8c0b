"""Quotas counted in whole actions per user over a sliding window (new parties an hour)."""

from __future__ import annotations

from typing import Protocol

from socialsync.domain.identity import UserKey


class Quotas(Protocol):
    """At most ``limit`` actions of a ``kind`` per user (tenant and id) in any
    ``window_ms``: a sliding window of the actions' times.

    - ``take`` counts one action and answers 0 when fewer than ``limit`` were counted in
      the window ending at ``now_ms``; otherwise it counts nothing and answers the
      seconds until one would be allowed (when the oldest counted leaves the window).
      Refused actions are not counted: a user retrying too soon does not push the
      window on.
    - Memory (the embedded default): counted in this process, the windows of at most
      100,000 users (the oldest forgotten first). Redis (a cluster): counted once for
      every node, atomically (two nodes taking at once never let ``limit + 1`` through);
      each user's window expires ``window_ms`` after its latest action.
    - A store that cannot answer raises SyncError(unavailable): refused, never let through.
    """

    async def take(self, kind: str, user: UserKey, limit: int, window_ms: int, now_ms: int) -> float: ...
