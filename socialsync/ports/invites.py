"""Where invites are kept and counted: in this process (embedded, beside the parties'
live state) or in Redis (a cluster, beside the parties' shared state)."""

from __future__ import annotations

from typing import Protocol

from socialsync.domain.invites import Invite


class InviteStore(Protocol):
    """Invites by code. Codes are minted by the server (random, unique across tenants);
    ``redeem`` is told the joiner's tenant and finds no invite of another tenant.

    Consistency: every write is visible to every later read through any instance on the
    same backing store (every node of a cluster: Redis; this process: memory).

    - ``add`` raises SyncError(conflict) for a code in use.
    - ``of_party`` lists the party's invites oldest first (created_at_ms, then code),
      expired ones included until they are forgotten.
    - ``redeem`` is atomic: it lets ``user_id`` in (counting it once per user: a user let
      in before is let in again, uncounted, even once the limit is reached) or refuses
      with SyncError(forbidden) and the ``invite`` detail ``expired`` or ``used_up``, or
      SyncError(not_found) for an unknown, revoked, forgotten or other-tenant code.
      Concurrent redemptions on any nodes never let more than ``max_uses`` users in.
      Returns the invite as counted, and whether this call counted the user.
    - ``release`` takes back this user's use (its join failed after all); nothing if it
      was not counted.
    - ``revoke`` deletes the invite (True if it was there): later redemptions are
      not_found.
    - An invite is forgotten (gone from every call) at ``Invite.forgotten_at_ms``.
      Memory: lost with the process (the parties' live state is too; revived parties
      need new invites). Redis: kept as long as Redis keeps its data.
    - ``erase_user`` puts ``pseudonym`` in the user's place in the tenant's invites: as
      their creator and among the users each let in (so the counts stay); how many
      invites changed.
    - A store that cannot answer raises SyncError(unavailable): nobody is let in.
    """

    async def add(self, invite: Invite) -> None: ...

    async def get(self, code: str, now_ms: int) -> Invite | None: ...

    async def of_party(self, party_id: str, now_ms: int) -> list[Invite]: ...

    async def redeem(self, tenant_id: str, code: str, user_id: str, now_ms: int) -> tuple[Invite, bool]: ...

    async def release(self, code: str, user_id: str) -> None: ...

    async def revoke(self, code: str) -> bool: ...

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str) -> int: ...
