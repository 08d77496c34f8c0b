"""The InviteStore port, on memory and on Redis: each user counted once, never more users
than the limit (also when two nodes redeem at once), expired and used-up invites refused
with their reason, other tenants' codes unknown, a failed join given back, revoked and
forgotten invites gone."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from services import drop_keys, redis_or_skip

from socialsync.adapters.memory.invites import MemoryInvites
from socialsync.adapters.redis.invites import RedisInvites
from socialsync.adapters.redis.support import Keys, connect
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.invites import KEEP_EXPIRED_MS, Invite
from socialsync.ports.invites import InviteStore

# Redis expires an invite's keys by its own clock: times near now.
NOW = int(time.time() * 1000)
HOUR = 3_600_000
INVITE = Invite("code-1", "demo", "party-1", "host-1", NOW, NOW + HOUR, max_uses=2, start_at_s=90.5)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[tuple[InviteStore, InviteStore]]:
    """Two handles on one store (two nodes of a cluster; one process when embedded)."""
    if request.param == "memory":
        store = MemoryInvites()
        yield store, store
        return
    url = await redis_or_skip()
    keys = Keys(f"t{secrets.token_hex(4)}")
    a, b = connect(url), connect(url)
    try:
        yield RedisInvites(a, keys), RedisInvites(b, keys)
    finally:
        await a.aclose()
        await b.aclose()
        await drop_keys(url, keys.prefix)


async def _refusal(call: object) -> tuple[Code, object]:
    try:
        await call  # type: ignore[misc]
    except SyncError as exc:
        return exc.code, exc.details.get("invite")
    raise AssertionError("not refused")


async def test_each_user_counts_once_up_to_the_limit(stores):
    a, b = stores
    await a.add(INVITE)
    assert await b.get("code-1", NOW) == INVITE
    invite, counted = await a.redeem("demo", "code-1", "ann", NOW)
    assert counted and invite.uses == 1 and invite.start_at_s == 90.5 and invite.max_uses == 2
    invite, counted = await b.redeem("demo", "code-1", "ann", NOW + 1)
    assert not counted and invite.uses == 1  # the same user again: not another use
    assert (await b.redeem("demo", "code-1", "bob", NOW + 2))[0].uses == 2
    assert await _refusal(a.redeem("demo", "code-1", "cy", NOW + 3)) == (Code.FORBIDDEN, "used_up")
    # Those let in before are let in again, uncounted, once it is used up.
    assert (await a.redeem("demo", "code-1", "bob", NOW + 4)) == (replace(INVITE, uses=2), False)
    # A use given back (the join failed) makes room for another user.
    await b.release("code-1", "bob")
    await b.release("code-1", "nobody")
    assert (await a.get("code-1", NOW)) == replace(INVITE, uses=1)
    assert (await a.redeem("demo", "code-1", "cy", NOW + 5))[1]


async def test_concurrent_redemptions_never_let_more_users_in(stores):
    a, b = stores
    await a.add(replace(INVITE, max_uses=5))
    users = [f"user-{i}" for i in range(20)]
    results = await asyncio.gather(
        *((a if i % 2 else b).redeem("demo", "code-1", u, NOW) for i, u in enumerate(users)),
        return_exceptions=True,
    )
    admitted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, SyncError)]
    assert len(admitted) == 5 and len(refused) == 15
    assert all(r.details == {"invite": "used_up"} for r in refused)
    assert sorted(invite.uses for invite, _ in admitted) == [1, 2, 3, 4, 5]


async def test_expired_other_tenants_and_unknown_codes_are_refused(stores):
    a, b = stores
    await a.add(replace(INVITE, max_uses=None))
    assert await _refusal(b.redeem("acme", "code-1", "ann", NOW)) == (Code.NOT_FOUND, None)
    assert await _refusal(b.redeem("demo", "no-such", "ann", NOW)) == (Code.NOT_FOUND, None)
    assert (await b.redeem("demo", "code-1", "ann", NOW + HOUR - 1))[1]
    # Expired: refused for everyone, also whoever used it before.
    assert await _refusal(a.redeem("demo", "code-1", "ann", NOW + HOUR)) == (Code.FORBIDDEN, "expired")
    assert await _refusal(a.redeem("demo", "code-1", "bob", NOW + HOUR)) == (Code.FORBIDDEN, "expired")
    # Still listed as expired for a day (memory forgets by the caller's clock; Redis by its own).
    assert [i.code for i in await b.of_party("party-1", NOW + HOUR)] == ["code-1"]
    if isinstance(a, MemoryInvites):
        assert await a.of_party("party-1", NOW + HOUR + KEEP_EXPIRED_MS) == []
        assert await a.get("code-1", NOW + HOUR + KEEP_EXPIRED_MS) is None


async def test_a_party_lists_its_invites_oldest_first_and_revoked_ones_are_gone(stores):
    a, b = stores
    second = replace(INVITE, code="code-0", created_at_ms=NOW + 10)
    other = replace(INVITE, code="code-9", party_id="party-2")
    for invite in (second, INVITE, other):
        await a.add(invite)
    with pytest.raises(SyncError) as taken:
        await b.add(replace(INVITE, party_id="party-3"))
    assert taken.value.code is Code.CONFLICT
    assert [i.code for i in await b.of_party("party-1", NOW)] == ["code-1", "code-0"]
    assert await b.revoke("code-1") and not await a.revoke("code-1")
    assert [i.code for i in await a.of_party("party-1", NOW)] == ["code-0"]
    assert await _refusal(a.redeem("demo", "code-1", "ann", NOW)) == (Code.NOT_FOUND, None)
    assert await b.get("code-1", NOW) is None
    await b.release("code-1", "ann")  # nothing to give back: nothing happens
    assert await b.get("code-1", NOW) is None


async def test_an_erasure_puts_the_pseudonym_in_the_users_place_in_the_tenants_invites(stores):
    a, b = stores
    mine = replace(INVITE, code="code-m", created_by="ann")
    theirs = replace(INVITE, code="code-t", created_by="bob")
    other = replace(INVITE, code="code-o", tenant_id="acme", created_by="ann")
    for invite in (mine, theirs, other):
        await a.add(invite)
    await a.redeem("demo", "code-t", "ann", NOW)
    await a.redeem("acme", "code-o", "ann", NOW)
    assert await b.erase_user("demo", "ann", "erased-1") == 2
    assert (await a.get("code-m", NOW)) == replace(mine, created_by="erased-1")
    assert (await a.get("code-t", NOW)) == replace(theirs, uses=1)  # the use still counted
    # The pseudonym is who it let in: the erased id is a new user to it.
    assert (await a.redeem("demo", "code-t", "ann", NOW))[1]
    assert not (await a.redeem("demo", "code-t", "erased-1", NOW))[1]
    assert (await a.get("code-o", NOW)) == replace(other, uses=1)  # another tenant's: untouched
    assert not (await a.redeem("acme", "code-o", "ann", NOW))[1]
    assert await b.erase_user("demo", "nobody", "erased-2") == 0
