"""The PrivacyStore contract (ports/privacy_store.py), run against the memory stores,
SQLite and PostgreSQL (fixtures in conftest.py). Tenants t1 and t2 both have a user "u1"."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from store_records import Records
from test_clip_store import clip
from test_clip_store import report as clip_report
from test_moderation_store import NOW, entry, held, party, post, report, sanction, tenant

from socialsync.adapters.memory.message_store import MemoryMessageStore
from socialsync.adapters.memory.moderation_store import MemoryModerationStore
from socialsync.adapters.memory.privacy_store import MemoryPrivacyStore
from socialsync.adapters.sql.privacy_store import SqlPrivacyStore
from socialsync.adapters.sql.store import SqlStore
from socialsync.domain.moderation.sanctions import FilterNote, SanctionKind
from socialsync.domain.privacy import DAY_MS, Consent, Retention
from socialsync.ports.privacy_store import PrivacyStore

PSEUDONYM = "erased-0123456789abcdef"


@pytest.fixture
async def rec(records: Records) -> Records:
    for tenant_id, party_id in (("t1", "p1"), ("t2", "p2")):
        await records.messages.add_tenant(tenant(tenant_id))
        await records.messages.record_party(party(party_id, tenant_id))
    return records


@pytest.fixture
def privacy(rec: Records) -> PrivacyStore:
    if isinstance(rec.messages, MemoryMessageStore):
        assert isinstance(rec.moderation, MemoryModerationStore)
        return MemoryPrivacyStore(rec.messages, rec.moderation, rec.clips)  # type: ignore[arg-type]
    assert isinstance(rec.messages, SqlStore)
    return SqlPrivacyStore(rec.messages)


async def _a_users_life(rec: Records, privacy: PrivacyStore, tenant_id: str, party_id: str) -> None:
    """u1 chats, is held, reports, is reported, sanctioned, audited, records a clip, consents."""
    m1 = await post(rec, party_id, "u1", "n1")
    await post(rec, party_id, "u2", "n2")
    await rec.moderation.hold(held(party_id, tenant_id=tenant_id, text="held words of u1"))
    await rec.moderation.report(report(2, "u1", party_id=party_id))
    await rec.moderation.report(
        dataclasses.replace(report(m1.id, "u3", party_id=party_id), reason="they said text n1")
    )
    await rec.moderation.add_sanction(sanction(SanctionKind.BAN, tenant_id=tenant_id, party_id=party_id))
    await rec.moderation.add_sanction(
        sanction(SanctionKind.TIMEOUT, tenant_id=tenant_id, party_id=party_id, user_id="u2", by_user="u1")
    )
    audited = dataclasses.replace(
        entry("delete", tenant_id=tenant_id, party_id=party_id), details={"text": "text n1", "by": "u1"}
    )
    await rec.moderation.audit(audited)
    await rec.clips.add(clip(f"c-{tenant_id}", party_id=party_id, tenant_id=tenant_id))
    await rec.clips.report(clip_report(f"c-{tenant_id}", "u2", tenant_id=tenant_id, party_id=party_id))
    await privacy.add_consent(
        Consent(tenant_id, party_id, "u1", "camera", NOW, {"audio": True, "video": True})
    )


async def test_user_records_hold_everything_about_the_user_in_that_tenant_only(
    rec: Records, privacy: PrivacyStore
) -> None:
    await _a_users_life(rec, privacy, "t1", "p1")
    await _a_users_life(rec, privacy, "t2", "p2")
    found = await privacy.user_records("t1", "u1")
    assert json.loads(json.dumps(found, default=str))  # plain JSON data
    assert [m["text"] for m in found["messages"]] == ["text n1"]
    assert {m["party_id"] for m in found["messages"]} == {"p1"}
    assert [h["text"] for h in found["held_messages"]] == ["held words of u1"]
    assert [(r["party_id"], r["message_id"]) for r in found["reports_filed"]] == [("p1", 2)]
    assert [s["kind"] for s in found["sanctions"]] == ["ban"]
    assert [s["user_id"] for s in found["sanctions_issued"]] == ["u2"]
    assert [e["action"] for e in found["audit"]] == ["delete"]
    assert [c["id"] for c in found["clips"]] == ["c-t1"]
    assert [c["kind"] for c in found["consents"]] == ["camera"]
    assert found["clip_reports_filed"] == []
    assert found["parties_created"] == []


async def test_erasure_leaves_nothing_of_the_user_and_spares_the_other_tenants_namesake(
    rec: Records, privacy: PrivacyStore
) -> None:
    await _a_users_life(rec, privacy, "t1", "p1")
    await _a_users_life(rec, privacy, "t2", "p2")
    before_t2 = await privacy.user_records("t2", "u1")

    erased = await privacy.erase_user("t1", "u1", PSEUDONYM, NOW + 1)

    assert erased.messages == (("p1", 1),)
    assert erased.clip_files == ("c-t1.webm",)
    assert erased.counts["messages"] == 1 and erased.counts["clips"] == 1
    left = await privacy.user_records("t1", "u1")
    assert all(rows == [] for rows in left.values()), left
    # The tombstones: nobody sees the message, the held copy has no text.
    assert [m.user_id for m in await rec.messages.after("p1", 0, 10, viewer="*")] == ["u2"]
    assert [h.text for h in await rec.moderation.held("p1")] == [""]
    # What is kept for others names the pseudonym, without the user's words.
    reports = await rec.moderation.reports_of("p1")
    assert {r.reporter_id for r in reports} == {PSEUDONYM, "u3"}
    assert all("text n1" not in r.reason for r in reports)
    (audited,) = await rec.moderation.audit_entries("t1", None, None, 10)
    assert audited.target_user == PSEUDONYM
    assert "text n1" not in json.dumps(audited.details) and "u1" not in json.dumps(audited.details)
    active = await rec.moderation.tenant_sanctions("t1", NOW)
    assert [(s.user_id, s.by_user) for s in active] == [("u2", PSEUDONYM)]
    assert await rec.clips.get("c-t1") is None
    assert await privacy.consents("t1", "p1") == []
    # The other tenant's u1 is untouched.
    assert await privacy.user_records("t2", "u1") == before_t2
    # Again: nothing more to do.
    again = await privacy.erase_user("t1", "u1", "erased-other", NOW + 2)
    assert again.messages == () and again.clip_files == ()


async def test_retention_removes_what_is_older_than_the_tenants_policy(
    rec: Records, privacy: PrivacyStore
) -> None:
    later = NOW + 8 * DAY_MS
    old = await post(rec, "p1", "u1", "old", ts_ms=NOW)
    new = await post(rec, "p1", "u1", "new", ts_ms=later)
    await rec.moderation.delete_messages("p1", "mod", later, ids=[new.id])
    await rec.moderation.audit(entry("ban"))
    await rec.moderation.audit(dataclasses.replace(entry("timeout"), ts_ms=later))
    await rec.moderation.report(report(old.id, "u2"))
    await rec.clips.add(clip("c-old"))
    await rec.clips.add(clip("c-kept"))
    await rec.clips.add(clip("c-new", created_at_ms=later))
    await rec.clips.add(clip("c-t2", party_id="p2", tenant_id="t2"))
    assert await privacy.keep_clip("t1", "c-kept", "admin", NOW) is True
    assert await privacy.keep_clip("t1", "c-t2", "admin", NOW) is False  # another tenant's
    policy = Retention(
        chat_days=5, deleted_text_days=1, audit_days=5, ended_parties_days=36500, clips_days=5, reports_days=5
    )
    await privacy.set_retention("t1", policy, NOW)
    assert await privacy.retention("t1") == policy
    assert await privacy.retention("t2") is None

    expired = await privacy.expire("t1", policy, NOW + 10 * DAY_MS)

    assert ("p1", old.id) in expired.messages
    assert sorted(expired.clip_files) == ["c-old.webm"]
    assert expired.counts["chat"] == 1 and expired.counts["audit"] == 1 and expired.counts["reports"] == 1
    records = await privacy.user_records("t1", "u1")
    assert [(m["id"], m["text"]) for m in records["messages"]] == [(new.id, "")]  # kept, its text gone
    assert [e.action for e in await rec.moderation.audit_entries("t1", None, None, 10)] == ["timeout"]
    assert await rec.moderation.reports_of("p1") == []
    assert {c.id for c in await rec.clips.of_party("p1")} == {"c-kept", "c-new"}
    assert await rec.clips.get("c-t2") is not None  # another tenant's policy
    again = await privacy.expire("t1", policy, NOW + 10 * DAY_MS)
    assert again.clip_files == () and again.counts["chat"] == 0


async def test_ended_parties_go_with_their_chat_after_their_retention(
    rec: Records, privacy: PrivacyStore
) -> None:
    ended = dataclasses.replace(party("p3", "t1"), ended="ended_by_host")
    await rec.messages.record_party(ended)
    await post(rec, "p3", "u1", "n1")
    await post(rec, "p1", "u1", "n2")
    await privacy.add_consent(Consent("t1", "p3", "u1", "recording", NOW, {"clip": "c1"}))
    policy = Retention(36500, 36500, 36500, 180, 36500, 36500)
    now = max(NOW, time.time_ns() // 1_000_000) + 200 * DAY_MS

    expired = await privacy.expire("t1", policy, now)

    assert expired.counts["ended_parties"] == 1
    assert await rec.messages.load_party("p3") is None
    assert await rec.messages.load_party("p1") is not None
    assert [m["party_id"] for m in (await privacy.user_records("t1", "u1"))["messages"]] == ["p1"]
    assert await privacy.consents("t1", "p3") == []


async def test_retention_policies_are_validated() -> None:
    assert Retention.from_data({"chat_days": 7}) == Retention(chat_days=7)
    for bad in ({"chat_days": -1}, {"chat_days": "7"}, {"nope": 1}, {"clips_days": True}):
        with pytest.raises(ValueError):
            Retention.from_data(bad)


async def test_filter_notes_are_exported_erased_and_kept_for_the_review_window_only(
    rec: Records, privacy: PrivacyStore
) -> None:
    """A masked message's original words are the author's: in their export, gone with
    their erasure, and dropped after ``deleted_text_days`` (the review window)."""
    later = NOW + 3 * DAY_MS
    old = await post(rec, "p1", "u1", "old", ts_ms=NOW)
    new = await post(rec, "p1", "u1", "new", ts_ms=later)
    other = await post(rec, "p1", "u2", "other", ts_ms=later)
    t2 = await post(rec, "p2", "u1", "t2", ts_ms=NOW)
    for m in (old, new, other, t2):
        await rec.moderation.note(
            FilterNote(m.party_id, m.id, "mask", ("x",), m.ts_ms, f"original {m.nonce}")
        )
    exported = (await privacy.user_records("t1", "u1"))["filter_notes"]
    assert [(n["message_id"], n["original"]) for n in exported] == [
        (old.id, "original old"),
        (new.id, "original new"),
    ]

    policy = Retention(deleted_text_days=2)
    expired = await privacy.expire("t1", policy, NOW + 4 * DAY_MS)
    assert expired.counts["deleted_text"] == 1
    assert set(await rec.moderation.notes("p1", [old.id, new.id, other.id])) == {new.id, other.id}
    assert set(await rec.moderation.notes("p2", [t2.id])) == {t2.id}  # another tenant's policy

    erased = await privacy.erase_user("t1", "u1", PSEUDONYM, later)
    assert erased.counts["filter_notes"] == 1
    assert set(await rec.moderation.notes("p1", [old.id, new.id, other.id])) == {other.id}
    assert set(await rec.moderation.notes("p2", [t2.id])) == {t2.id}
