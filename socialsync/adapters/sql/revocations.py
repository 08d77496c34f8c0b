"""Revoked tokens in the SQL database: the embedded deployment's (no Redis), so that a
restart does not forget them (see ports/revocations.py).

A revocation is a row kept until the tenant's maximum token lifetime has passed
(``until_s``); expired rows are deleted with every new revocation and every
``PRUNE_EVERY_S`` by a running follower. Followers read the rows past the last they
saw, every ``POLL_S``; the followers of the instance that made a revocation get it at
once (and not again from the table). Several processes on one database (the local
launcher on one SQLite file) each see the others' revocations through the table.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa

from socialsync.adapters.sql.engine import metadata
from socialsync.adapters.sql.store import SqlStore, _translate_errors
from socialsync.ports.revocations import FOLLOW_BOUND_S, OnRevoked, Revocation

log = logging.getLogger("socialsync.sql.revocations")

# Well within FOLLOW_BOUND_S: a revocation made by another process is read within this.
POLL_S = FOLLOW_BOUND_S / 4
BATCH = 100
PRUNE_EVERY_S = 60.0
RETRY_S = 1.0
# Ids of this instance's own revocations remembered (its followers had them at once).
MAX_OWN = 10_000

# Added by 0009.
revocations = sa.Table(
    "revocations",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("jti", sa.String(), nullable=True),
    sa.Column("user_id", sa.String(), nullable=True),
    sa.Column("at_s", sa.BigInteger(), nullable=False),
    sa.Column("until_s", sa.BigInteger(), nullable=False),
    sa.Index("ix_revocations_tenant_id_jti", "tenant_id", "jti"),
    sa.Index("ix_revocations_tenant_id_user_id", "tenant_id", "user_id"),
    sa.Index("ix_revocations_until_s", "until_s"),
)


class SqlRevocations:
    def __init__(self, store: SqlStore, now_s: Callable[[], float] = time.time) -> None:
        self._engine = store._engine
        self._writer = store._writer
        self._gate = store._write_gate
        self._now_s = now_s
        self._followers: list[OnRevoked] = []
        self._own: OrderedDict[int, None] = OrderedDict()

    async def revoke(self, revocation: Revocation, keep_s: int) -> None:
        now = int(self._now_s())
        row = {
            "tenant_id": revocation.tenant_id,
            "jti": revocation.jti,
            "user_id": revocation.user_id,
            "at_s": revocation.at_s,
            "until_s": now + keep_s,
        }
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                await conn.execute(sa.delete(revocations).where(revocations.c.until_s <= now))
                inserted = await conn.execute(sa.insert(revocations).values(row).returning(revocations.c.id))
                row_id = int(inserted.scalar_one())
        self._own[row_id] = None
        while len(self._own) > MAX_OWN:
            self._own.popitem(last=False)
        for follower in list(self._followers):
            await follower(revocation)

    async def is_revoked(self, tenant_id: str, user_id: str, jti: str | None, iat_s: int | None) -> bool:
        r = revocations.c
        of_user = sa.and_(r.user_id == user_id, sa.true() if iat_s is None else r.at_s >= iat_s)
        query = (
            sa.select(r.id)
            .where(
                r.tenant_id == tenant_id,
                r.until_s > int(self._now_s()),
                of_user if jti is None else sa.or_(r.jti == jti, of_user),
            )
            .limit(1)
        )
        with _translate_errors():
            async with self._engine.connect() as conn:
                return (await conn.execute(query)).first() is not None

    async def follow(self, on_revoked: OnRevoked) -> None:
        self._followers.append(on_revoked)
        try:
            last = await self._retrying(self._last_id)
            pruned_at = time.monotonic()
            while True:
                await asyncio.sleep(POLL_S)
                try:
                    rows = await self._after(last)
                    if time.monotonic() - pruned_at >= PRUNE_EVERY_S:
                        pruned_at = time.monotonic()
                        await self._prune()
                except Exception as exc:
                    log.warning("reading revocations failed, retrying: %r", exc)
                    continue
                for row in rows:
                    last = row.id
                    if row.id not in self._own:  # this instance's own: its followers had it
                        await on_revoked(Revocation(row.tenant_id, row.at_s, row.jti, row.user_id))
        finally:
            self._followers.remove(on_revoked)

    async def _retrying(self, read: Callable[[], Awaitable[int]]) -> int:
        while True:
            try:
                return await read()
            except Exception as exc:
                log.warning("reading revocations failed, retrying: %r", exc)
                await asyncio.sleep(RETRY_S)

    async def _last_id(self) -> int:
        with _translate_errors():
            async with self._engine.connect() as conn:
                newest = (await conn.execute(sa.select(sa.func.max(revocations.c.id)))).scalar()
        return int(newest or 0)

    async def _after(self, last: int) -> list[sa.Row[Any]]:
        query = sa.select(revocations).where(revocations.c.id > last).order_by(revocations.c.id).limit(BATCH)
        with _translate_errors():
            async with self._engine.connect() as conn:
                return list(await conn.execute(query))

    async def _prune(self) -> None:
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                await conn.execute(sa.delete(revocations).where(revocations.c.until_s <= int(self._now_s())))
