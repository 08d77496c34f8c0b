"""PrivacyStore on the same database as the messages, moderation records and clips:
a user's export and erasure, retention passes, consent records, kept clips."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from socialsync.adapters.sql.clip_store import clip_reports, clips
from socialsync.adapters.sql.engine import metadata
from socialsync.adapters.sql.moderation_store import (
    audit_log,
    filter_notes,
    held_messages,
    reports,
    sanctions,
)
from socialsync.adapters.sql.store import (
    SqlStore,
    _dialect_insert,
    _translate_errors,
    messages,
    parties,
    tenants,
)
from socialsync.domain.privacy import (
    ERASED_TEXT,
    Consent,
    Erased,
    Expired,
    Retention,
    erasure_needles,
    scrub,
)

# Added by 0006.
consents = sa.Table(
    "consents",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("party_id", sa.String(), nullable=False),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("ts_ms", sa.BigInteger(), nullable=False),
    sa.Column("details", sa.JSON(), nullable=False),
    sa.Index("ix_consents_tenant_id_user_id", "tenant_id", "user_id"),
)

retention_policies = sa.Table(
    "retention_policies",
    metadata,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("policy", sa.JSON(), nullable=False),
    sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
)

kept_clips = sa.Table(
    "kept_clips",
    metadata,
    sa.Column("clip_id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("kept_by", sa.String(), nullable=False),
    sa.Column("kept_at_ms", sa.BigInteger(), nullable=False),
)


def _tenant_parties(tenant_id: str) -> Any:
    return sa.select(parties.c.id).where(parties.c.tenant_id == tenant_id).scalar_subquery()


def own_messages(tenant_id: str, user_id: str) -> Any:
    """The condition on ``messages`` of the user's messages in the tenant's parties."""
    return sa.and_(messages.c.party_id.in_(_tenant_parties(tenant_id)), messages.c.user_id == user_id)


def _notes_of(which_messages: Any) -> Any:
    """The condition on ``filter_notes`` of the notes of the messages ``which_messages`` selects."""
    return sa.exists(
        sa.select(messages.c.id).where(
            which_messages,
            messages.c.party_id == filter_notes.c.party_id,
            messages.c.id == filter_notes.c.message_id,
        )
    )


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(r._asdict()) for r in result]


class SqlPrivacyStore:
    def __init__(self, store: SqlStore) -> None:
        self._engine = store._engine
        self._writer = store._writer
        self._gate = store._write_gate

    async def _read(self, query: Any) -> list[dict[str, Any]]:
        with _translate_errors():
            async with self._engine.connect() as conn:
                return _rows(await conn.execute(query))

    async def _write(self, statement: Any) -> Any:
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                return await conn.execute(statement)

    # --- settings and records --------------------------------------------------------
    async def tenant_ids(self) -> list[str]:
        return [r["id"] for r in await self._read(sa.select(tenants.c.id).order_by(tenants.c.id))]

    async def retention(self, tenant_id: str) -> Retention | None:
        rows = await self._read(
            sa.select(retention_policies).where(retention_policies.c.tenant_id == tenant_id)
        )
        return Retention.from_data(rows[0]["policy"]) if rows else None

    async def set_retention(self, tenant_id: str, retention: Retention, now_ms: int) -> None:
        row = {"tenant_id": tenant_id, "policy": retention.to_data(), "updated_at_ms": now_ms}
        insert = _dialect_insert(self._engine)(retention_policies).values(row)
        await self._write(
            insert.on_conflict_do_update(
                index_elements=[retention_policies.c.tenant_id],
                set_={"policy": insert.excluded.policy, "updated_at_ms": insert.excluded.updated_at_ms},
            )
        )

    async def add_consent(self, consent: Consent) -> None:
        await self._write(sa.insert(consents).values(dataclasses.asdict(consent)))

    async def consents(self, tenant_id: str, party_id: str) -> list[Consent]:
        rows = await self._read(
            sa.select(consents)
            .where(consents.c.tenant_id == tenant_id, consents.c.party_id == party_id)
            .order_by(consents.c.id)
        )
        return [Consent(**{k: v for k, v in r.items() if k != "id"}) for r in rows]

    async def keep_clip(self, tenant_id: str, clip_id: str, by: str, now_ms: int) -> bool:
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                found = await conn.scalar(
                    sa.select(sa.func.count()).where(clips.c.id == clip_id, clips.c.tenant_id == tenant_id)
                )
                if not found:
                    return False
                row = {"clip_id": clip_id, "tenant_id": tenant_id, "kept_by": by, "kept_at_ms": now_ms}
                await conn.execute(
                    _dialect_insert(self._engine)(kept_clips).values(row).on_conflict_do_nothing()
                )
        return True

    # --- export -------------------------------------------------------------------------
    async def user_records(self, tenant_id: str, user_id: str) -> dict[str, list[dict[str, Any]]]:
        in_tenant = _tenant_parties(tenant_id)
        queries: dict[str, Any] = {
            "messages": sa.select(messages)
            .where(messages.c.party_id.in_(in_tenant), messages.c.user_id == user_id)
            .order_by(messages.c.party_id, messages.c.id),
            "held_messages": sa.select(held_messages)
            .where(held_messages.c.tenant_id == tenant_id, held_messages.c.user_id == user_id)
            .order_by(held_messages.c.id),
            "reports_filed": sa.select(reports)
            .where(reports.c.party_id.in_(in_tenant), reports.c.reporter_id == user_id)
            .order_by(reports.c.ts_ms),
            "clip_reports_filed": sa.select(clip_reports)
            .where(clip_reports.c.tenant_id == tenant_id, clip_reports.c.reporter_id == user_id)
            .order_by(clip_reports.c.ts_ms),
            "sanctions": sa.select(sanctions)
            .where(sanctions.c.tenant_id == tenant_id, sanctions.c.user_id == user_id)
            .order_by(sanctions.c.id),
            "sanctions_issued": sa.select(sanctions)
            .where(sanctions.c.tenant_id == tenant_id, sanctions.c.by_user == user_id)
            .order_by(sanctions.c.id),
            "audit": sa.select(audit_log)
            .where(
                audit_log.c.tenant_id == tenant_id,
                sa.or_(audit_log.c.actor_id == user_id, audit_log.c.target_user == user_id),
            )
            .order_by(audit_log.c.id),
            "clips": sa.select(clips)
            .where(clips.c.tenant_id == tenant_id, clips.c.user_id == user_id)
            .order_by(clips.c.created_at_ms),
            "consents": sa.select(consents)
            .where(consents.c.tenant_id == tenant_id, consents.c.user_id == user_id)
            .order_by(consents.c.id),
            "filter_notes": sa.select(filter_notes)
            .where(_notes_of(own_messages(tenant_id, user_id)))
            .order_by(filter_notes.c.party_id, filter_notes.c.message_id),
            "parties_created": sa.select(
                parties.c.id, parties.c.title, parties.c.created_at_ms, parties.c.ended
            )
            .where(parties.c.tenant_id == tenant_id, parties.c.created_by == user_id)
            .order_by(parties.c.created_at_ms),
        }
        with _translate_errors():
            async with self._engine.connect() as conn:
                return {name: _rows(await conn.execute(q)) for name, q in queries.items()}

    # --- erasure ------------------------------------------------------------------------
    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str, now_ms: int) -> Erased:
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                return await _erase(conn, tenant_id, user_id, pseudonym, now_ms)

    # --- retention ----------------------------------------------------------------------
    async def expire(self, tenant_id: str, retention: Retention, now_ms: int) -> Expired:
        with _translate_errors():
            async with self._gate, self._writer.begin() as conn:
                return await _expire(conn, tenant_id, retention, now_ms)


async def _erase(conn: AsyncConnection, tenant_id: str, user_id: str, pseudonym: str, now_ms: int) -> Erased:
    in_tenant = _tenant_parties(tenant_id)
    own = own_messages(tenant_id, user_id)
    found = (await conn.execute(sa.select(messages).where(own))).all()
    held = (
        await conn.execute(
            sa.select(held_messages).where(
                held_messages.c.tenant_id == tenant_id, held_messages.c.user_id == user_id
            )
        )
    ).all()
    user_clips = (
        await conn.execute(sa.select(clips).where(clips.c.tenant_id == tenant_id, clips.c.user_id == user_id))
    ).all()
    filed = (
        await conn.execute(
            sa.select(reports.c.reporter_name).where(
                reports.c.party_id.in_(in_tenant), reports.c.reporter_id == user_id
            )
        )
    ).all()
    acted = (
        await conn.execute(
            sa.select(audit_log.c.actor_name).where(
                audit_log.c.tenant_id == tenant_id, audit_log.c.actor_id == user_id
            )
        )
    ).all()
    names = {r.user_name for r in found} | {r.user_name for r in held} | {r.user_name for r in user_clips}
    names |= {r.reporter_name for r in filed} | {r.actor_name for r in acted}
    originals = (await conn.execute(sa.select(filter_notes.c.original).where(_notes_of(own)))).all()
    texts = {r.text for r in found} | {r.text for r in held} | {r.original for r in originals if r.original}
    needles = erasure_needles(user_id, names, texts, pseudonym)
    counts: dict[str, int] = {}

    # What the filter noted of their messages (their original words) goes first: the
    # tombstone below no longer names them.
    await conn.execute(sa.delete(filter_notes).where(_notes_of(own)))
    counts["filter_notes"] = len(originals)
    tombstone = {"text": ERASED_TEXT, "user_id": pseudonym, "user_name": pseudonym}
    await conn.execute(
        sa.update(messages)
        .where(own)
        .values(
            **tombstone,
            deleted_at_ms=sa.func.coalesce(messages.c.deleted_at_ms, now_ms),
            deleted_by=sa.case(
                (messages.c.deleted_by == user_id, pseudonym),
                else_=sa.func.coalesce(messages.c.deleted_by, "erasure"),
            ),
        )
    )
    counts["messages"] = len(found)
    await conn.execute(
        sa.update(messages)
        .where(messages.c.party_id.in_(in_tenant), messages.c.deleted_by == user_id)
        .values(deleted_by=pseudonym)
    )
    await conn.execute(
        sa.update(held_messages)
        .where(held_messages.c.tenant_id == tenant_id, held_messages.c.user_id == user_id)
        .values(**tombstone)
    )
    await conn.execute(
        sa.update(held_messages)
        .where(held_messages.c.tenant_id == tenant_id, held_messages.c.decided_by == user_id)
        .values(decided_by=pseudonym)
    )
    counts["held_messages"] = len(held)

    # Reports: those the user filed carry the pseudonym; every report's reason in the
    # tenant's parties loses the user's words.
    report_rows = (await conn.execute(sa.select(reports).where(reports.c.party_id.in_(in_tenant)))).all()
    for r in report_rows:
        mine = r.reporter_id == user_id
        reason = scrub(r.reason, needles)
        if mine or reason != r.reason:
            await conn.execute(
                sa.update(reports)
                .where(
                    reports.c.party_id == r.party_id,
                    reports.c.message_id == r.message_id,
                    reports.c.reporter_id == r.reporter_id,
                )
                .values(
                    reporter_id=pseudonym if mine else r.reporter_id,
                    reporter_name=pseudonym if mine else r.reporter_name,
                    reason=reason,
                )
            )
    counts["reports_filed"] = len(filed)

    # Sanctions against the user go (the platform asked us to forget them: they come
    # back as a new user); those they issued, and reasons naming them, are pseudonymised.
    gone = await conn.execute(
        sa.delete(sanctions).where(sanctions.c.tenant_id == tenant_id, sanctions.c.user_id == user_id)
    )
    counts["sanctions"] = int(gone.rowcount or 0)
    for s in (await conn.execute(sa.select(sanctions).where(sanctions.c.tenant_id == tenant_id))).all():
        by_user = pseudonym if s.by_user == user_id else s.by_user
        reason = scrub(s.reason, needles)
        if by_user != s.by_user or reason != s.reason:
            await conn.execute(
                sa.update(sanctions).where(sanctions.c.id == s.id).values(by_user=by_user, reason=reason)
            )

    # The audit log keeps what was done, by and to a pseudonym, without the user's words.
    audited = 0
    for e in (await conn.execute(sa.select(audit_log).where(audit_log.c.tenant_id == tenant_id))).all():
        values = {
            "actor_id": pseudonym if e.actor_id == user_id else e.actor_id,
            "actor_name": pseudonym if e.actor_id == user_id else scrub(e.actor_name, needles),
            "target_user": pseudonym if e.target_user == user_id else e.target_user,
            "reason": scrub(e.reason, needles),
            "details": scrub(e.details, needles),
        }
        if any(values[k] != getattr(e, k) for k in values):
            audited += 1
            await conn.execute(sa.update(audit_log).where(audit_log.c.id == e.id).values(**values))
    counts["audit"] = audited

    # Clips: the rows, their reports and keep marks (the files: the caller).
    clip_ids = [c.id for c in user_clips]
    if clip_ids:
        await conn.execute(sa.delete(clip_reports).where(clip_reports.c.clip_id.in_(clip_ids)))
        await conn.execute(sa.delete(kept_clips).where(kept_clips.c.clip_id.in_(clip_ids)))
        await conn.execute(sa.delete(clips).where(clips.c.id.in_(clip_ids)))
    counts["clips"] = len(clip_ids)
    for r in (await conn.execute(sa.select(clip_reports).where(clip_reports.c.tenant_id == tenant_id))).all():
        mine = r.reporter_id == user_id
        reason = scrub(r.reason, needles)
        if mine or reason != r.reason:
            await conn.execute(
                sa.update(clip_reports)
                .where(
                    clip_reports.c.tenant_id == tenant_id,
                    clip_reports.c.clip_id == r.clip_id,
                    clip_reports.c.reporter_id == r.reporter_id,
                )
                .values(
                    reporter_id=pseudonym if mine else r.reporter_id,
                    reporter_name=pseudonym if mine else r.reporter_name,
                    reason=reason,
                )
            )
    await conn.execute(
        sa.update(kept_clips)
        .where(kept_clips.c.tenant_id == tenant_id, kept_clips.c.kept_by == user_id)
        .values(kept_by=pseudonym)
    )
    gone = await conn.execute(
        sa.delete(consents).where(consents.c.tenant_id == tenant_id, consents.c.user_id == user_id)
    )
    counts["consents"] = int(gone.rowcount or 0)
    created = (
        await conn.execute(
            sa.select(parties.c.id, parties.c.title).where(
                parties.c.tenant_id == tenant_id, parties.c.created_by == user_id
            )
        )
    ).all()
    for p in created:
        await conn.execute(
            sa.update(parties)
            .where(parties.c.id == p.id)
            .values(created_by=pseudonym, title=scrub(p.title, needles))
        )
    counts["parties_created"] = len(created)
    return Erased(
        messages=tuple((r.party_id, r.id) for r in found),
        clip_files=tuple(c.file_name for c in user_clips),
        counts=counts,
    )


async def _expire(conn: AsyncConnection, tenant_id: str, retention: Retention, now_ms: int) -> Expired:
    in_tenant = _tenant_parties(tenant_id)
    counts: dict[str, int] = {}

    def cut(name: str) -> int:
        return retention.cutoff_ms(name, now_ms)

    # Ended parties, with their chat, review queue, reports and consent records.
    ended = [
        r.id
        for r in await conn.execute(
            sa.select(parties.c.id).where(
                parties.c.tenant_id == tenant_id,
                parties.c.ended.is_not(None),
                parties.c.updated_at_ms < cut("ended_parties"),
            )
        )
    ]
    dropped: list[tuple[str, int]] = []
    if ended:
        dropped += [
            (r.party_id, r.id)
            for r in await conn.execute(
                sa.select(messages.c.party_id, messages.c.id).where(messages.c.party_id.in_(ended))
            )
        ]
        await conn.execute(sa.delete(reports).where(reports.c.party_id.in_(ended)))
        await conn.execute(sa.delete(filter_notes).where(filter_notes.c.party_id.in_(ended)))
        await conn.execute(sa.delete(held_messages).where(held_messages.c.party_id.in_(ended)))
        await conn.execute(sa.delete(messages).where(messages.c.party_id.in_(ended)))
        await conn.execute(
            sa.delete(consents).where(consents.c.tenant_id == tenant_id, consents.c.party_id.in_(ended))
        )
        await conn.execute(sa.delete(parties).where(parties.c.id.in_(ended)))
    counts["ended_parties"] = len(ended)

    old_chat = sa.and_(messages.c.party_id.in_(in_tenant), messages.c.ts_ms < cut("chat"))
    old = [
        (r.party_id, r.id)
        for r in await conn.execute(sa.select(messages.c.party_id, messages.c.id).where(old_chat))
    ]
    if old:
        await conn.execute(sa.delete(messages).where(old_chat))
    counts["chat"] = len(old)
    dropped += old

    deleted_text = await conn.execute(
        sa.update(messages)
        .where(
            messages.c.party_id.in_(in_tenant),
            messages.c.deleted_at_ms < cut("deleted_text"),
            messages.c.text != ERASED_TEXT,
        )
        .values(text=ERASED_TEXT)
    )
    decided_text = await conn.execute(
        sa.update(held_messages)
        .where(
            held_messages.c.tenant_id == tenant_id,
            held_messages.c.status != "held",
            held_messages.c.ts_ms < cut("deleted_text"),
            held_messages.c.text != ERASED_TEXT,
        )
        .values(text=ERASED_TEXT)
    )
    # The filter's notes (a masked message's original words among them) are for the review
    # window, and never outlive their message.
    noted = await conn.execute(
        sa.delete(filter_notes).where(
            filter_notes.c.party_id.in_(in_tenant),
            filter_notes.c.ts_ms < max(cut("deleted_text"), cut("chat")),
        )
    )
    counts["deleted_text"] = (
        int(deleted_text.rowcount or 0) + int(decided_text.rowcount or 0) + int(noted.rowcount or 0)
    )

    audit = await conn.execute(
        sa.delete(audit_log).where(audit_log.c.tenant_id == tenant_id, audit_log.c.ts_ms < cut("audit"))
    )
    counts["audit"] = int(audit.rowcount or 0)

    kept = sa.select(kept_clips.c.clip_id).where(kept_clips.c.tenant_id == tenant_id).scalar_subquery()
    old_clips = (
        await conn.execute(
            sa.select(clips.c.id, clips.c.file_name).where(
                clips.c.tenant_id == tenant_id, clips.c.created_at_ms < cut("clips"), clips.c.id.not_in(kept)
            )
        )
    ).all()
    clip_ids = [c.id for c in old_clips]
    if clip_ids:
        await conn.execute(sa.delete(clip_reports).where(clip_reports.c.clip_id.in_(clip_ids)))
        await conn.execute(sa.delete(clips).where(clips.c.id.in_(clip_ids)))
    counts["clips"] = len(clip_ids)

    message_reports = await conn.execute(
        sa.delete(reports).where(reports.c.party_id.in_(in_tenant), reports.c.ts_ms < cut("reports"))
    )
    clip_reported = await conn.execute(
        sa.delete(clip_reports).where(
            clip_reports.c.tenant_id == tenant_id, clip_reports.c.ts_ms < cut("reports")
        )
    )
    counts["reports"] = int(message_reports.rowcount or 0) + int(clip_reported.rowcount or 0)
    return Expired(clip_files=tuple(c.file_name for c in old_clips), counts=counts, messages=tuple(dropped))
