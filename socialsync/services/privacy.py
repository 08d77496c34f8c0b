"""Personal data on request and on schedule: a user's export (GDPR Art. 15/20) and
erasure (Art. 17), retention per tenant, consent records (docs/privacy.md).

The durable rows are the ``PrivacyStore``'s; this service also drops the copies
outside it: the recent-chat cache (Redis in a cluster) and the clip files.
Retention runs once per cluster per period: the node that takes the ``Lease``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from socialsync.domain.errors import SyncError, bad_request, forbidden, not_found
from socialsync.domain.identity import UserKey
from socialsync.domain.model import Party, TenantRole, User
from socialsync.domain.privacy import EXPORT_FORMAT, PSEUDONYM_PREFIX, Consent, Retention
from socialsync.ports import Clock, RecentMessages
from socialsync.ports.privacy_store import Lease, PrivacyStore

log = logging.getLogger("socialsync.privacy")

RETENTION_LEASE = "retention"
# How often the retention job runs (one node of the cluster each time).
RETENTION_EVERY_MS = 3_600_000
# User ids are at most 128 characters of these (edge/auth.py); checked again here.
_MAX_USER_ID = 128

OnErased = Callable[[UserKey], Awaitable[None]]
# The party as recorded (ended ones too), None if it never was: MessageStore.load_party.
LoadParty = Callable[[str], Awaitable[Party | None]]


class ErasedRecords(Protocol):
    """Personal data another store keeps (webhook bodies, invites, polls): its part of an
    erasure, with the pseudonym the rest of the erasure puts in the user's place; its
    count under ``name``."""

    name: str

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str) -> int: ...


@runtime_checkable
class PersonalRecords(ErasedRecords, Protocol):
    """... that is also in the export (its section, ``name``) and the retention pass
    (analytics, badges, feedback)."""

    async def export_user(self, tenant_id: str, user_id: str) -> list[dict[str, Any]]: ...

    async def expire(self, tenant_id: str, policy: Retention, now_ms: int) -> dict[str, int]: ...


class StoreErasure:
    """ErasedRecords over a store's own ``erase_user(tenant_id, user_id, pseudonym)``:
    the webhook outbox, invites, polls (wired in app.py)."""

    def __init__(self, name: str, erase: Callable[[str, str, str], Awaitable[int]]) -> None:
        self.name = name
        self._erase = erase

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str) -> int:
        return await self._erase(tenant_id, user_id, pseudonym)


def require_admin(actor: User) -> None:
    """Exports, erasures and retention are for the tenant's admins (the platform's backend)."""
    if TenantRole.ADMIN not in actor.roles or actor.guest:
        raise forbidden("only the tenant's admins may do this")


class PrivacyService:
    def __init__(
        self,
        store: PrivacyStore,
        clock: Clock,
        lease: Lease,
        clip_dir: Path,
        *,
        load_party: LoadParty,
        recent: RecentMessages | None = None,
        defaults: Retention | None = None,
        every_ms: int = RETENTION_EVERY_MS,
        on_erased: OnErased | None = None,
        forget_live: Callable[[str, str], Awaitable[int]] | None = None,
        others: Sequence[ErasedRecords] = (),
    ) -> None:
        self.store = store
        self.clock = clock
        self.lease = lease
        self.clip_dir = clip_dir
        # Which tenant a party is of (consent records are read per party).
        self.load_party = load_party
        self.recent = recent
        self.defaults = defaults or Retention()
        self.every_ms = every_ms
        # Called first in an erasure: closes the user's sockets and ends their live
        # memberships on every node (app.py).
        self.on_erased = on_erased
        # Drops the user's id from live party state that outlives their membership
        # (Redis change logs in a cluster).
        self.forget_live = forget_live
        self.others = tuple(others)

    # ------------------------------------------------------------------ consent
    async def record_consent(self, consent: Consent) -> None:
        await self.store.add_consent(consent)

    async def consents(self, actor: User, party_id: str) -> list[Consent]:
        if not actor.is_staff:
            raise forbidden("only the tenant's staff may read consent records")
        # Another tenant's party does not exist for the actor, as everywhere else (not an
        # empty list, which would say that it does). Ended parties keep their records.
        party = await self.load_party(party_id)
        if party is None or party.tenant_id != actor.tenant_id:
            raise not_found("no such party")
        return await self.store.consents(actor.tenant_id, party_id)

    async def keep_clip(self, actor: User, clip_id: str) -> None:
        """Staff keep a clip beyond the tenant's clip retention."""
        if not actor.is_staff:
            raise forbidden("only the tenant's staff may keep clips")
        if not await self.store.keep_clip(actor.tenant_id, clip_id, actor.id, self.clock.now_ms()):
            raise not_found(f"no clip {clip_id}")

    # ------------------------------------------------------------------ export and erasure
    async def export(self, tenant_id: str, user_id: str) -> dict[str, Any]:
        """Everything kept about the user in the tenant, as JSON-ready data."""
        _check_user_id(user_id)
        records = await self.store.user_records(tenant_id, user_id)
        for other in self.others:
            if isinstance(other, PersonalRecords):
                records[other.name] = await other.export_user(tenant_id, user_id)
        return {
            "format": EXPORT_FORMAT,
            "tenant": tenant_id,
            "user": user_id,
            "exported_at_ms": self.clock.now_ms(),
            "retention": (await self.retention(tenant_id)).to_data(),
            "records": records,
            "not_included": {
                "clip_media": "each clip's video: download it with its signed URL (clip.list)",
                "live_state": "membership of parties under way (until they leave)",
            },
        }

    async def erase(self, tenant_id: str, user_id: str) -> dict[str, Any]:
        """Forget the user in the tenant: tombstone their messages everywhere, delete
        their clips (rows and files) and consent records, put a pseudonym in place of
        their id and name where rows are kept for others (docs/privacy.md)."""
        _check_user_id(user_id)
        if user_id.startswith(PSEUDONYM_PREFIX):
            raise bad_request("that user is erased already")
        pseudonym = f"{PSEUDONYM_PREFIX}{secrets.token_hex(8)}"
        # Their live presence first: their sockets closed and memberships ended on every
        # node, so that what that writes (a member.left event, a change log entry) is
        # erased below with the rest, and they write nothing more meanwhile.
        if self.on_erased is not None:
            await self.on_erased(UserKey(tenant_id, user_id))
        erased = await self.store.erase_user(tenant_id, user_id, pseudonym, self.clock.now_ms())
        counts = dict(erased.counts)
        for other in self.others:
            counts[other.name] = await other.erase_user(tenant_id, user_id, pseudonym)
        await self._drop_copies(erased.messages, erased.clip_files)
        if self.forget_live is not None:
            await self.forget_live(tenant_id, user_id)
        log.info("user erased", extra={"counts": counts})
        return {"pseudonym": pseudonym, "counts": counts}

    async def _drop_copies(self, messages: tuple[tuple[str, int], ...], clip_files: tuple[str, ...]) -> None:
        if self.recent is not None:
            for party_id, message_id in messages:
                await self.recent.remove(party_id, message_id)
        for name in clip_files:
            _remove(self.clip_dir, name)

    # ------------------------------------------------------------------ retention
    async def retention(self, tenant_id: str) -> Retention:
        return await self.store.retention(tenant_id) or self.defaults

    async def set_retention(self, tenant_id: str, data: Any) -> Retention:
        if not isinstance(data, dict):
            raise bad_request("retention: an object of days per kind of data")
        current = (await self.retention(tenant_id)).to_data()
        try:
            policy = Retention.from_data(current | data)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        await self.store.set_retention(tenant_id, policy, self.clock.now_ms())
        return policy

    async def run_retention(self, now_ms: int | None = None) -> dict[str, dict[str, int]]:
        """One pass over every tenant; what it removed, per tenant."""
        now = self.clock.now_ms() if now_ms is None else now_ms
        done: dict[str, dict[str, int]] = {}
        for tenant_id in await self.store.tenant_ids():
            policy = await self.retention(tenant_id)
            expired = await self.store.expire(tenant_id, policy, now)
            await self._drop_copies(expired.messages, expired.clip_files)
            done[tenant_id] = dict(expired.counts)
            for other in self.others:
                if isinstance(other, PersonalRecords):
                    done[tenant_id].update(await other.expire(tenant_id, policy, now))
        return done

    async def retention_forever(self) -> None:
        """The periodic job (a task owned by app.py): each period, the node that takes
        the lease runs one pass; the others skip it."""
        while True:
            try:
                await self.tick()
            except SyncError as exc:
                log.warning("retention pass failed: %s", exc.code.value)
            await asyncio.sleep(self.every_ms / 1000)

    async def tick(self) -> dict[str, dict[str, int]] | None:
        """One period: a pass if this node takes the lease (None if another node has it)."""
        if not await self.lease.acquire(RETENTION_LEASE, max(1, self.every_ms - 1_000)):
            return None
        done = await self.run_retention()
        log.info("retention pass", extra={"removed": _totals(done)})
        return done


def _totals(done: dict[str, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for counts in done.values():
        for name, n in counts.items():
            totals[name] = totals.get(name, 0) + n
    return totals


def _check_user_id(user_id: str) -> None:
    if not isinstance(user_id, str) or not 1 <= len(user_id) <= _MAX_USER_ID:
        raise bad_request(f"user: an id of 1 to {_MAX_USER_ID} characters")


def _remove(directory: Path, name: str) -> None:
    path = (directory / name).resolve()
    if directory.resolve() not in path.parents:
        return  # never outside the clip directory
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
