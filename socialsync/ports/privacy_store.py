"""Personal data across the durable record: a user's export and erasure, retention,
consent records and clips kept by staff."""

from __future__ import annotations

from typing import Any, Protocol

from socialsync.domain.privacy import Consent, Erased, Expired, Retention


class PrivacyStore(Protocol):
    """Reads and rewrites what the message, moderation and clip stores hold, on the
    same backing store (memory, or the SQL database every node shares).

    Scope: every call takes a tenant; it sees and changes that tenant's rows only
    (two tenants' users may share an id).

    - ``user_records``: every row about the user, as plain JSON data, by section:
      ``messages`` (their chat, deleted ones included), ``held_messages``,
      ``reports_filed``, ``clip_reports_filed``, ``sanctions`` (against them),
      ``sanctions_issued``, ``audit`` (entries where they acted or were the target),
      ``clips``, ``consents``, ``filter_notes`` (of their messages: the filter's verdict
      and their original words), ``parties_created``. Read-only.
    - ``erase_user``: in one transaction (SQL), the user's messages and held copies
      are tombstoned (text emptied, id and name replaced by ``pseudonym``, marked
      deleted) and the filter's notes of their messages deleted; reports they filed and
      sanctions/audit entries naming them carry the
      pseudonym instead, with free-form fields (reasons, details) scrubbed of their
      id, names and texts; sanctions against them are deleted; their clips (and the
      clips' reports), consent records and kept marks are deleted; parties they
      created name the pseudonym. Returns what the caches and the clip directory must
      drop. Idempotent: a second call finds nothing to change.
    - ``expire``: one retention pass for one tenant at ``now_ms`` (see
      ``domain.privacy.Retention``); clips marked kept are left. Idempotent.
    - ``retention``: the tenant's policy, or None for the defaults.
    """

    async def tenant_ids(self) -> list[str]: ...

    async def retention(self, tenant_id: str) -> Retention | None: ...

    async def set_retention(self, tenant_id: str, retention: Retention, now_ms: int) -> None: ...

    async def add_consent(self, consent: Consent) -> None: ...

    async def consents(self, tenant_id: str, party_id: str) -> list[Consent]: ...

    async def keep_clip(self, tenant_id: str, clip_id: str, by: str, now_ms: int) -> bool:
        """Mark the tenant's clip kept (retention leaves it); False if there is none."""
        ...

    async def user_records(self, tenant_id: str, user_id: str) -> dict[str, list[dict[str, Any]]]: ...

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str, now_ms: int) -> Erased: ...

    async def expire(self, tenant_id: str, retention: Retention, now_ms: int) -> Expired: ...


class Lease(Protocol):
    """A cluster-wide lease: ``acquire`` is True for exactly one caller per ``name``
    until ``ttl_ms`` passes (memory: this process is the whole cluster). Used to run a
    periodic job once per cluster."""

    async def acquire(self, name: str, ttl_ms: int) -> bool: ...
