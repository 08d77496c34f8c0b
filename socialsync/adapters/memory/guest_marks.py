"""Guest fingerprints in this process (the embedded default): see ports/guest_marks.py."""

from __future__ import annotations

from collections.abc import Sequence

from socialsync.domain.identity import UserKey

# Entries kept at most; expired ones go first, then the oldest.
MAX_ENTRIES = 100_000


class MemoryGuestMarks:
    def __init__(self) -> None:
        self._seen: dict[UserKey, dict[str, int]] = {}  # guest -> fingerprint -> until_ms
        self._bans: dict[tuple[str, str, str], int] = {}  # (tenant, fingerprint, scope) -> until_ms

    async def remember(self, guest: UserKey, fingerprint: str, ttl_ms: int, now_ms: int) -> None:
        if guest not in self._seen and len(self._seen) >= MAX_ENTRIES:
            self._seen = {k: v for k, v in self._seen.items() if max(v.values(), default=0) > now_ms}
            if len(self._seen) >= MAX_ENTRIES:
                del self._seen[next(iter(self._seen))]
        self._seen.setdefault(guest, {})[fingerprint] = now_ms + ttl_ms

    async def fingerprints(self, guest: UserKey, now_ms: int) -> list[str]:
        return [fp for fp, until in self._seen.get(guest, {}).items() if until > now_ms]

    async def ban(self, tenant_id: str, fingerprint: str, scope: str, ttl_ms: int, now_ms: int) -> None:
        key = (tenant_id, fingerprint, scope)
        if key not in self._bans and len(self._bans) >= MAX_ENTRIES:
            self._bans = {k: until for k, until in self._bans.items() if until > now_ms}
            if len(self._bans) >= MAX_ENTRIES:
                del self._bans[next(iter(self._bans))]
        self._bans[key] = now_ms + ttl_ms

    async def lift(self, tenant_id: str, fingerprint: str, scope: str) -> None:
        self._bans.pop((tenant_id, fingerprint, scope), None)

    async def banned(self, tenant_id: str, fingerprint: str, scopes: Sequence[str], now_ms: int) -> bool:
        return any(self._bans.get((tenant_id, fingerprint, s), 0) > now_ms for s in scopes)
