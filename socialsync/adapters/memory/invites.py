"""Invites in this process (the embedded default): see ports/invites.py.

Nothing awaits between reading and counting an invite, so each call is atomic on the
event loop."""

from __future__ import annotations

import dataclasses

from socialsync.domain.errors import Code, SyncError, not_found
from socialsync.domain.invites import Invite, refused


class MemoryInvites:
    def __init__(self) -> None:
        self._invites: dict[str, Invite] = {}
        self._users: dict[str, set[str]] = {}

    def _live(self, code: str, now_ms: int) -> Invite | None:
        invite = self._invites.get(code)
        if invite is not None and now_ms >= invite.forgotten_at_ms():
            self._forget(code)
            return None
        return invite

    def _forget(self, code: str) -> None:
        self._invites.pop(code, None)
        self._users.pop(code, None)

    def _sweep(self, now_ms: int) -> None:
        for code in [c for c, i in self._invites.items() if now_ms >= i.forgotten_at_ms()]:
            self._forget(code)

    async def add(self, invite: Invite) -> None:
        self._sweep(invite.created_at_ms)
        if invite.code in self._invites:
            raise SyncError(Code.CONFLICT, "an invite with this code exists")
        self._invites[invite.code] = invite
        self._users[invite.code] = set()

    async def get(self, code: str, now_ms: int) -> Invite | None:
        return self._live(code, now_ms)

    async def of_party(self, party_id: str, now_ms: int) -> list[Invite]:
        self._sweep(now_ms)
        found = [i for i in self._invites.values() if i.party_id == party_id]
        return sorted(found, key=lambda i: (i.created_at_ms, i.code))

    async def redeem(self, tenant_id: str, code: str, user_id: str, now_ms: int) -> tuple[Invite, bool]:
        invite = self._live(code, now_ms)
        if invite is None or invite.tenant_id != tenant_id:
            raise not_found("no such invite")
        users = self._users[code]
        counted = user_id in users
        refusal = invite.refusal(now_ms, counted=counted)
        if refusal is not None:
            raise refused(refusal)
        if counted:
            return invite, False
        users.add(user_id)
        invite = self._invites[code] = dataclasses.replace(invite, uses=len(users))
        return invite, True

    async def release(self, code: str, user_id: str) -> None:
        users = self._users.get(code)
        if users is None or user_id not in users:
            return
        users.discard(user_id)
        self._invites[code] = dataclasses.replace(self._invites[code], uses=len(users))

    async def revoke(self, code: str) -> bool:
        found = code in self._invites
        self._forget(code)
        return found

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str) -> int:
        changed = 0
        for code, invite in list(self._invites.items()):
            if invite.tenant_id != tenant_id:
                continue
            users = self._users[code]
            found = invite.created_by == user_id or user_id in users
            if invite.created_by == user_id:
                self._invites[code] = dataclasses.replace(invite, created_by=pseudonym)
            if user_id in users:
                users.discard(user_id)
                users.add(pseudonym)
            changed += found
        return changed
