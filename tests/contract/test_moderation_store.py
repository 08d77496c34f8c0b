"""The ModerationStore contract (ports/moderation_store.py), run against the memory
store, SQLite and PostgreSQL (fixtures in conftest.py).

Two tenants whose users share ids ("u1" in both) live side by side in every test
that can tell them apart."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from store_records import Records

from socialsync.domain.chat.messages import Message, MessageDraft
from socialsync.domain.errors import Code, SyncError
from socialsync.domain.model import Media, Party, Playback, Settings
from socialsync.domain.moderation.sanctions import (
    AuditEntry,
    FilterNote,
    Held,
    Report,
    Sanction,
    SanctionKind,
)
from socialsync.domain.tenant import Tenant

NOW = 1_700_000_000_000
BAN, TIMEOUT, MUTE = SanctionKind.BAN, SanctionKind.TIMEOUT, SanctionKind.SHADOW_MUTE


def tenant(tenant_id: str) -> Tenant:
    return Tenant(id=tenant_id, name=tenant_id, secret="s", allow_guests=True, created_at_ms=NOW)


def party(party_id: str, tenant_id: str) -> Party:
    media = Media(url="https://cdn.example/film.m3u8", title="Film", duration_s=600.0)
    return Party(party_id, tenant_id, "Night", NOW, "u-host", Settings(), Playback(media=media))


def sanction(
    kind: SanctionKind, *, tenant_id: str = "t1", party_id: str | None = "p1", **kw: object
) -> Sanction:
    made = Sanction(tenant_id, party_id, "u1", kind, None, "spam", "mod", NOW)
    return dataclasses.replace(made, **kw)  # type: ignore[arg-type]


def held(party_id: str = "p1", **kw: object) -> Held:
    made = Held("t1", party_id, "u1", "Ann", "hello", NOW, "n1", ("link",), "filter")
    return dataclasses.replace(made, **kw)  # type: ignore[arg-type]


def entry(action: str, *, tenant_id: str = "t1", party_id: str | None = "p1") -> AuditEntry:
    return AuditEntry(tenant_id, party_id, "mod", "Mod", action, NOW, target_user="u1", details={"n": 1})


def report(message_id: int, reporter: str, *, party_id: str = "p1", ts_ms: int = NOW) -> Report:
    return Report(party_id, message_id, reporter, f"name of {reporter}", "rude", ts_ms)


@pytest.fixture
async def rec(records: Records) -> Records:
    """Tenants t1 (party p1) and t2 (party p2), no messages yet."""
    for tenant_id, party_id in (("t1", "p1"), ("t2", "p2")):
        await records.messages.add_tenant(tenant(tenant_id))
        await records.messages.record_party(party(party_id, tenant_id))
    return records


async def post(rec: Records, party_id: str, user_id: str, nonce: str, ts_ms: int = NOW) -> Message:
    draft = MessageDraft(party_id, user_id, user_id, f"text {nonce}", ts_ms, nonce)
    message, _ = await rec.messages.append(draft)
    return message


# --- sanctions ----------------------------------------------------------------------


async def test_sanctions_get_ids_and_only_active_ones_are_returned(rec: Records) -> None:
    store = rec.moderation
    ban = await store.add_sanction(sanction(BAN))
    timeout = await store.add_sanction(sanction(TIMEOUT, until_ms=NOW + 1_000))
    await store.add_sanction(sanction(TIMEOUT, until_ms=NOW))  # over at NOW
    assert 0 < ban.id < timeout.id
    assert dataclasses.replace(ban, id=0) == sanction(BAN)
    assert {s.id for s in await store.tenant_sanctions("t1", NOW)} == {ban.id, timeout.id}
    assert [s.id for s in await store.tenant_sanctions("t1", NOW + 1_000)] == [ban.id]


async def test_revoke_ends_one_kind_in_exactly_one_scope(rec: Records) -> None:
    store = rec.moderation
    await store.add_sanction(sanction(BAN))
    await store.add_sanction(sanction(BAN))
    tenant_wide = await store.add_sanction(sanction(BAN, party_id=None))
    mute = await store.add_sanction(sanction(MUTE))
    assert await store.revoke("t1", "u1", BAN, "p1", NOW) == 2
    assert await store.revoke("t1", "u1", BAN, "p1", NOW) == 0
    assert {s.id for s in await store.tenant_sanctions("t1", NOW)} == {tenant_wide.id, mute.id}
    assert await store.revoke("t1", "u1", BAN, None, NOW) == 1
    assert [s.id for s in await store.tenant_sanctions("t1", NOW)] == [mute.id]


async def test_sanctions_of_one_tenant_never_touch_anothers_user_of_the_same_id(rec: Records) -> None:
    store = rec.moderation
    t1 = await store.add_sanction(sanction(BAN, party_id=None))
    t2 = await store.add_sanction(sanction(BAN, tenant_id="t2", party_id=None))
    assert [s.id for s in await store.tenant_sanctions("t1", NOW)] == [t1.id]
    assert [s.id for s in await store.tenant_sanctions("t2", NOW)] == [t2.id]
    assert await store.revoke("t2", "u1", BAN, None, NOW) == 1
    assert [s.id for s in await store.tenant_sanctions("t1", NOW)] == [t1.id]
    assert await store.tenant_sanctions("t2", NOW) == []


# --- tenant terms ---------------------------------------------------------------------


async def test_tenant_terms_start_empty_are_replaced_and_stay_per_tenant(rec: Records) -> None:
    store = rec.moderation
    assert await store.tenant_terms("t1") == ((), ())
    await store.set_tenant_terms("t1", ("spoiler", "scam"), ("scampi",), NOW)
    await store.set_tenant_terms("t1", ("scam",), ("scampi",), NOW + 1)
    assert await store.tenant_terms("t1") == (("scam",), ("scampi",))
    assert await store.tenant_terms("t2") == ((), ())


# --- audit log ------------------------------------------------------------------------


async def test_audit_entries_page_newest_first_by_tenant_and_party(rec: Records) -> None:
    store = rec.moderation
    made = [await store.audit(entry(f"a{i}")) for i in range(5)]
    other_party = await store.audit(entry("elsewhere", party_id="p9"))
    await store.audit(entry("other tenant", tenant_id="t2", party_id="p2"))
    assert [e.id for e in made] == sorted(e.id for e in made)
    assert dataclasses.replace(made[0], id=0) == entry("a0")
    everything = await store.audit_entries("t1", None, None, 10)
    assert [e.action for e in everything] == ["elsewhere", "a4", "a3", "a2", "a1", "a0"]
    assert everything[1].details == {"n": 1}
    page = await store.audit_entries("t1", "p1", None, 2)
    assert [e.action for e in page] == ["a4", "a3"]
    page = await store.audit_entries("t1", "p1", page[-1].id, 2)
    assert [e.action for e in page] == ["a2", "a1"]
    assert [e.id for e in await store.audit_entries("t1", "p9", None, 10)] == [other_party.id]
    assert [e.action for e in await store.audit_entries("t2", None, None, 10)] == ["other tenant"]


# --- review queue -----------------------------------------------------------------------


async def test_held_messages_wait_oldest_first_per_party(rec: Records) -> None:
    store = rec.moderation
    first = await store.hold(held(nonce="a"))
    second = await store.hold(held(nonce="b", reasons=("term", "caps")))
    await store.hold(held("p2", tenant_id="t2"))
    assert 0 < first.id < second.id
    assert dataclasses.replace(second, id=0) == held(nonce="b", reasons=("term", "caps"))
    assert await store.held("p1") == [first, second]
    assert await store.held_counts(["p1", "p2", "p3"]) == {"p1": 2, "p2": 1}
    assert await store.held_counts([]) == {}


async def test_a_held_message_is_decided_exactly_once(rec: Records) -> None:
    store = rec.moderation
    one = await store.hold(held())
    other_party = await store.hold(held("p2", tenant_id="t2"))
    decided = await store.decide("p1", one.id, "approved", "mod", NOW)
    assert decided == dataclasses.replace(one, status="approved")
    with pytest.raises(SyncError) as again:
        await store.decide("p1", one.id, "rejected", "mod", NOW)
    assert again.value.code is Code.CONFLICT
    for party_id, held_id in (("p1", 999), ("p1", other_party.id)):
        with pytest.raises(SyncError) as missing:
            await store.decide(party_id, held_id, "approved", "mod", NOW)
        assert missing.value.code is Code.NOT_FOUND
    assert await store.held("p1") == []
    assert await store.held("p2") == [other_party]


# --- reports ---------------------------------------------------------------------------


async def test_reports_count_distinct_reporters_and_a_repeat_changes_nothing(rec: Records) -> None:
    store = rec.moderation
    m1, m2 = await post(rec, "p1", "u1", "a"), await post(rec, "p1", "u2", "b")
    assert await store.report(report(m1.id, "r1", ts_ms=NOW)) == 1
    assert await store.report(report(m1.id, "r2", ts_ms=NOW + 1)) == 2
    assert await store.report(report(m1.id, "r1", ts_ms=NOW + 2)) is None
    assert await store.report(report(m2.id, "r1", ts_ms=NOW + 3)) == 1
    assert [(r.message_id, r.reporter_id) for r in await store.reports_of("p1")] == [
        (m2.id, "r1"),
        (m1.id, "r2"),
        (m1.id, "r1"),
    ]
    assert (await store.reports_of("p1", limit=1))[0] == report(m2.id, "r1", ts_ms=NOW + 3)


async def test_report_counts_and_lists_agree_on_open_reports(rec: Records) -> None:
    """One definition: a report is open until the takedown it led to is decided; a
    deleted or held message's reports stay open, and so does a later report."""
    store = rec.moderation
    m1, m2 = await post(rec, "p1", "u1", "a"), await post(rec, "p1", "u1", "b")
    m3 = await post(rec, "p2", "u1", "c")
    for reporter in ("r1", "r2"):
        await store.report(report(m1.id, reporter))
    await store.report(report(m2.id, "r1"))
    await store.report(report(m3.id, "r1", party_id="p2"))

    async def listed(party_id: str) -> set[int]:
        return {r.message_id for r in await store.reports_of(party_id)}

    assert await store.report_counts(["p1", "p2"]) == {"p1": 2, "p2": 1}
    # Deleted by a moderator, or taken down into the queue: still open.
    await store.delete_messages("p1", "reports", NOW, ids=[m1.id])
    taken = await store.hold(held(message_id=m1.id, source="reports", reasons=("reports",)))
    assert await store.report_counts(["p1"]) == {"p1": 2} and await listed("p1") == {m1.id, m2.id}
    # The takedown decided: its reports are dealt with; one filed later is open again.
    await store.decide("p1", taken.id, "approved", "mod", NOW + 5)
    assert await store.report_counts(["p1"]) == {"p1": 1} and await listed("p1") == {m2.id}
    await store.report(report(m1.id, "r3", ts_ms=NOW + 6))
    assert await store.report_counts(["p1"]) == {"p1": 2} and await listed("p1") == {m1.id, m2.id}
    assert [r.reporter_id for r in await store.reports_of("p1") if r.message_id == m1.id] == ["r3"]
    assert await store.report_counts([]) == {}


async def test_concurrent_reports_of_one_message_count_one_by_one(rec: Records) -> None:
    store = rec.moderation
    message = await post(rec, "p1", "u1", "a")
    counts = await asyncio.gather(*(store.report(report(message.id, f"r{i}")) for i in range(6)))
    assert sorted(c for c in counts if c is not None) == [1, 2, 3, 4, 5, 6]


# --- messages -------------------------------------------------------------------------


async def test_deleted_messages_are_gone_until_restored(rec: Records) -> None:
    store = rec.moderation
    m1 = await post(rec, "p1", "u1", "a")
    m2 = await post(rec, "p1", "u2", "b")
    assert await store.message("p1", m1.id) == m1
    assert await store.message("p2", m1.id) is None
    assert await store.delete_messages("p1", "mod", NOW, ids=[m1.id, 99]) == [m1.id]
    assert await store.delete_messages("p1", "mod", NOW, ids=[m1.id]) == []
    assert await store.message("p1", m1.id) is None
    assert await rec.messages.after("p1", 0, 10, viewer="*") == [m2]
    assert await store.restore_message("p1", m1.id) == m1
    assert await rec.messages.after("p1", 0, 10, viewer="*") == [m1, m2]


async def test_a_users_messages_since_a_time_are_deleted_in_that_party_only(rec: Records) -> None:
    store = rec.moderation
    old = await post(rec, "p1", "u1", "a", ts_ms=NOW - 10)
    new = [await post(rec, "p1", "u1", f"n{i}", ts_ms=NOW + i) for i in range(3)]
    others = await post(rec, "p1", "u2", "b", ts_ms=NOW)
    elsewhere = await post(rec, "p2", "u1", "c", ts_ms=NOW)  # same user id, another tenant
    deleted = await store.delete_messages("p1", "mod", NOW, user_id="u1", since_ms=NOW)
    assert deleted == [m.id for m in new]
    assert await rec.messages.after("p1", 0, 10, viewer="*") == [old, others]
    assert await store.message("p2", elsewhere.id) == elsewhere


# --- filter notes ------------------------------------------------------------------------


async def test_filter_notes_are_kept_per_message_and_read_back_by_id(rec: Records) -> None:
    store = rec.moderation
    m1, m2 = await post(rec, "p1", "u1", "a"), await post(rec, "p1", "u1", "b")
    masked = FilterNote("p1", m1.id, "mask", ("profanity:mild:shit@9-13",), m1.ts_ms, "what the shit")
    await store.note(masked)
    await store.note(FilterNote("p2", m1.id, "approved", ("link",), NOW))  # another party, same id
    assert await store.notes("p1", [m1.id, m2.id, 99]) == {m1.id: masked}
    assert await store.notes("p1", []) == {}
    approved = dataclasses.replace(masked, verdict="approved", original=None)
    await store.note(approved)  # replaces
    assert await store.notes("p1", [m1.id]) == {m1.id: approved}
    assert (await store.notes("p2", [m1.id]))[m1.id].verdict == "approved"
