"""Invite links (docs/api.md, protocol.md 5.3): made, listed and revoked by a party's
hosts or the tenant's staff; redeemed by ``party.join {invite}``, one use per user,
counted by the InviteStore before the join and given back if the join fails."""

from __future__ import annotations

import builtins
import logging
import secrets

from socialsync.domain.analytics.events import Kind
from socialsync.domain.errors import Code, SyncError, forbidden, not_found
from socialsync.domain.invites import MAX_INVITES_PER_PARTY, Invite, invite_url, new_invite
from socialsync.domain.model import Party, Role, User
from socialsync.ports.invites import InviteStore
from socialsync.services.parties import Joined, PartyService

log = logging.getLogger("socialsync.services.invites")


class InviteService:
    def __init__(self, parties: PartyService, store: InviteStore, base_url: str) -> None:
        self.parties = parties
        self.store = store
        self.base_url = base_url

    def url(self, invite: Invite) -> str:
        return invite_url(self.base_url, invite)

    def _now(self) -> int:
        return self.parties.clock.now_ms()

    async def _managed(self, actor: User, party_id: str) -> Party:
        """The party, if ``actor`` may manage its invites: the tenant's staff, or its host
        or a cohost while joined."""
        party = await self.parties.get(actor, party_id)
        if actor.is_staff:
            return party
        member = party.members.get(actor.id)
        if member is None or member.role is Role.MEMBER or not member.connected:
            raise forbidden("only the party's hosts (joined) and the tenant's staff manage its invites")
        return party

    async def create(
        self,
        actor: User,
        party_id: str,
        *,
        expires_in_s: int,
        max_uses: int | None,
        start_at_s: float | None,
    ) -> Invite:
        party = await self._managed(actor, party_id)
        now = self._now()
        if len(await self.store.of_party(party.id, now)) >= MAX_INVITES_PER_PARTY:
            raise SyncError(
                Code.CONFLICT,
                f"this party has {MAX_INVITES_PER_PARTY} invites, the most it keeps: revoke one",
            )
        invite = new_invite(
            secrets.token_urlsafe(12),  # 96 random bits, as a party's id
            party,
            actor.id,
            now,
            expires_in_s=expires_in_s,
            max_uses=max_uses,
            start_at_s=start_at_s,
        )
        await self.store.add(invite)
        if self.parties.analytics is not None:
            self.parties.analytics.marked(
                Kind.INVITE_CREATED,
                party.tenant_id,
                now,
                party_id=party.id,
                user_id=actor.id,
                ref=invite.code,
                media=party.playback.media,
            )
        return invite

    async def list(self, actor: User, party_id: str) -> builtins.list[Invite]:
        party = await self._managed(actor, party_id)
        return await self.store.of_party(party.id, self._now())

    async def revoke(self, actor: User, party_id: str, code: str) -> None:
        party = await self._managed(actor, party_id)
        invite = await self.store.get(code, self._now())
        if invite is None or invite.party_id != party.id or not await self.store.revoke(code):
            raise not_found("no such invite of this party")

    async def join(self, session: str, code: str, since: int | None, start_at_s: float | None) -> Joined:
        """``party.join {invite}``: the invite lets the user in (one use, counted now), then
        the join goes as by the party's id; a join refused after all gives the use back.
        ``start_at_s`` (the payload's ``t``), else the invite's own, is where a party that
        has not started starts."""
        user = self.parties.user_of(session)
        invite, counted = await self.store.redeem(user.tenant_id, code, user.id, self._now())
        start = start_at_s if start_at_s is not None else invite.start_at_s
        try:
            return await self.parties.join(session, invite.party_id, since, start_at_s=start, ref=code)
        except BaseException:
            if counted:
                try:
                    await self.store.release(code, user.id)
                except SyncError as exc:
                    log.warning("an invite's use was not given back: %s", exc.message)
            raise

    async def preview(self, code: str | None, party_id: str | None) -> Party | None:
        """The party an invite page shows (its link unfurled in a messenger): by a code that
        still lets users in, or by the party's id; None for anything else, or an ended party."""
        if code is not None:
            now = self._now()
            invite = await self.store.get(code, now)
            if invite is None or invite.refusal(now, counted=False) is not None:
                return None
            party_id = invite.party_id
        if party_id is None:
            return None
        party = await self.parties.live(party_id) or await self.parties.messages.load_party(party_id)
        if party is None or party.ended is not None:
            return None
        if code is not None and self.parties.analytics is not None:  # an invite link opened
            self.parties.analytics.marked(
                Kind.INVITE_OPENED, party.tenant_id, self._now(), party_id=party.id, ref=code
            )
        return party
