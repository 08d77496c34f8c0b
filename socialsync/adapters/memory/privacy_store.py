"""PrivacyStore in this process's memory, over the memory message, moderation and clip
stores: the single-node double of adapters/sql/privacy_store.py. Every call runs to its
end without awaiting, so each is atomic on the event loop."""

from __future__ import annotations

import dataclasses
from typing import Any

from socialsync.adapters.memory.clip_store import MemoryClipStore
from socialsync.adapters.memory.message_store import MemoryMessageStore, StoredMessage
from socialsync.adapters.memory.moderation_store import MemoryModerationStore
from socialsync.domain.privacy import (
    ERASED_TEXT,
    Consent,
    Erased,
    Expired,
    Retention,
    erasure_needles,
    scrub,
)


def _data(value: Any) -> dict[str, Any]:
    out = dataclasses.asdict(value)
    return {
        k: (v.value if hasattr(v, "value") and not isinstance(v, (int, str)) else v) for k, v in out.items()
    }


class MemoryPrivacyStore:
    def __init__(
        self, messages: MemoryMessageStore, moderation: MemoryModerationStore, clips: MemoryClipStore
    ) -> None:
        self._m = messages
        self._mod = moderation
        self._clips = clips
        self._consents: list[Consent] = []
        self._retention: dict[str, Retention] = {}
        self._kept: dict[str, tuple[str, str]] = {}  # clip id -> (tenant, by)

    def _party_ids(self, tenant_id: str) -> set[str]:
        return {p for p, row in self._m._parties.items() if row["tenant_id"] == tenant_id}

    async def tenant_ids(self) -> list[str]:
        return sorted(self._m._tenants)

    async def retention(self, tenant_id: str) -> Retention | None:
        return self._retention.get(tenant_id)

    async def set_retention(self, tenant_id: str, retention: Retention, now_ms: int) -> None:
        self._retention[tenant_id] = retention

    async def add_consent(self, consent: Consent) -> None:
        self._consents.append(dataclasses.replace(consent, details=dict(consent.details)))

    async def consents(self, tenant_id: str, party_id: str) -> list[Consent]:
        return [c for c in self._consents if (c.tenant_id, c.party_id) == (tenant_id, party_id)]

    async def keep_clip(self, tenant_id: str, clip_id: str, by: str, now_ms: int) -> bool:
        clip = self._clips._clips.get(clip_id)
        if clip is None or clip.tenant_id != tenant_id:
            return False
        self._kept.setdefault(clip_id, (tenant_id, by))
        return True

    # --- export -------------------------------------------------------------------------
    async def user_records(self, tenant_id: str, user_id: str) -> dict[str, list[dict[str, Any]]]:
        parties = self._party_ids(tenant_id)
        messages = [
            _data(row.message) | {"deleted_at_ms": row.deleted_at_ms, "deleted_by": row.deleted_by}
            for p in sorted(parties)
            for row in self._m.stored(p)
            if row.message.user_id == user_id
        ]
        sanctions = [
            (s.sanction, s.revoked_at_ms) for s in self._mod._sanctions if s.sanction.tenant_id == tenant_id
        ]
        mod = self._mod
        own_ids = {
            (p, row.message.id)
            for p in parties
            for row in self._m.stored(p)
            if row.message.user_id == user_id
        }
        return {
            "messages": messages,
            "held_messages": [
                _data(h) for h in self._mod._held if h.tenant_id == tenant_id and h.user_id == user_id
            ],
            "reports_filed": [
                _data(r)
                for r in self._mod._reports.values()
                if r.party_id in parties and r.reporter_id == user_id
            ],
            "clip_reports_filed": [
                _data(r)
                for r in self._clips._reports.values()
                if r.tenant_id == tenant_id and r.reporter_id == user_id
            ],
            "sanctions": [_data(s) | {"revoked_at_ms": at} for s, at in sanctions if s.user_id == user_id],
            "sanctions_issued": [
                _data(s) | {"revoked_at_ms": at} for s, at in sanctions if s.by_user == user_id
            ],
            "audit": [
                _data(e)
                for e in self._mod._audit
                if e.tenant_id == tenant_id and user_id in (e.actor_id, e.target_user)
            ],
            "clips": [
                _data(c)
                for c in self._clips._clips.values()
                if c.tenant_id == tenant_id and c.user_id == user_id
            ],
            "consents": [
                _data(c) for c in self._consents if c.tenant_id == tenant_id and c.user_id == user_id
            ],
            "filter_notes": [
                _data(note) | {"reasons": list(note.reasons)}
                for _, note in sorted(mod._notes.items())
                if (note.party_id, note.message_id) in own_ids
            ],
            "parties_created": [
                {k: row[k] for k in ("id", "title", "created_at_ms", "ended")}
                for row in self._m._parties.values()
                if row["tenant_id"] == tenant_id and row["created_by"] == user_id
            ],
        }

    # --- erasure ------------------------------------------------------------------------
    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str, now_ms: int) -> Erased:
        parties = self._party_ids(tenant_id)
        mod, clip_store = self._mod, self._clips
        own = [
            (p, i, row)
            for p in sorted(parties)
            for i, row in enumerate(self._m.stored(p))
            if row.message.user_id == user_id
        ]
        held = [(i, h) for i, h in enumerate(mod._held) if h.tenant_id == tenant_id and h.user_id == user_id]
        user_clips = [
            c for c in clip_store._clips.values() if c.tenant_id == tenant_id and c.user_id == user_id
        ]
        names = {row.message.user_name for _, _, row in own} | {h.user_name for _, h in held}
        names |= {c.user_name for c in user_clips}
        names |= {
            r.reporter_name
            for r in mod._reports.values()
            if r.reporter_id == user_id and r.party_id in parties
        }
        names |= {e.actor_name for e in mod._audit if e.tenant_id == tenant_id and e.actor_id == user_id}
        noted = [ids for ids in ((p, row.message.id) for p, _, row in own) if ids in mod._notes]
        texts = {row.message.text for _, _, row in own} | {h.text for _, h in held}
        texts |= {o for o in (mod._notes[ids].original for ids in noted) if o}
        needles = erasure_needles(user_id, names, texts, pseudonym)
        counts: dict[str, int] = {}

        for ids in noted:  # what the filter noted of their messages: their original words
            del mod._notes[ids]
        counts["filter_notes"] = len(noted)

        for p, i, row in own:
            message = dataclasses.replace(
                row.message, text=ERASED_TEXT, user_id=pseudonym, user_name=pseudonym
            )
            by = pseudonym if row.deleted_by == user_id else (row.deleted_by or "erasure")
            self._m._messages[p][i] = StoredMessage(message, row.deleted_at_ms or now_ms, by)
        for p in parties:
            for row in self._m.stored(p):
                if row.deleted_by == user_id:
                    row.deleted_by = pseudonym
        counts["messages"] = len(own)
        for i, h in held:
            mod._held[i] = dataclasses.replace(h, text=ERASED_TEXT, user_id=pseudonym, user_name=pseudonym)
        counts["held_messages"] = len(held)

        filed = 0
        for key, r in list(mod._reports.items()):
            if r.party_id not in parties:
                continue
            mine = r.reporter_id == user_id
            filed += mine
            reason = scrub(r.reason, needles)
            if mine or reason != r.reason:
                del mod._reports[key]
                new = dataclasses.replace(
                    r,
                    reporter_id=pseudonym if mine else r.reporter_id,
                    reporter_name=pseudonym if mine else r.reporter_name,
                    reason=reason,
                )
                mod._reports[(new.party_id, new.message_id, new.reporter_id)] = new
        counts["reports_filed"] = filed

        before = len(mod._sanctions)
        mod._sanctions = [
            s
            for s in mod._sanctions
            if not (s.sanction.tenant_id == tenant_id and s.sanction.user_id == user_id)
        ]
        counts["sanctions"] = before - len(mod._sanctions)
        for s in mod._sanctions:
            if s.sanction.tenant_id == tenant_id:
                s.sanction = dataclasses.replace(
                    s.sanction,
                    by_user=pseudonym if s.sanction.by_user == user_id else s.sanction.by_user,
                    reason=scrub(s.sanction.reason, needles),
                )

        audited = 0
        for i, e in enumerate(mod._audit):
            if e.tenant_id != tenant_id:
                continue
            new_entry = dataclasses.replace(
                e,
                actor_id=pseudonym if e.actor_id == user_id else e.actor_id,
                actor_name=pseudonym if e.actor_id == user_id else scrub(e.actor_name, needles),
                target_user=pseudonym if e.target_user == user_id else e.target_user,
                reason=scrub(e.reason, needles),
                details=scrub(e.details, needles),
            )
            if new_entry != e:
                audited += 1
                mod._audit[i] = new_entry
        counts["audit"] = audited

        for c in user_clips:
            del clip_store._clips[c.id]
            self._kept.pop(c.id, None)
            for clip_key in [k for k in clip_store._reports if k[1] == c.id]:
                del clip_store._reports[clip_key]
        counts["clips"] = len(user_clips)
        for clip_key, cr in list(clip_store._reports.items()):
            if cr.tenant_id != tenant_id:
                continue
            mine = cr.reporter_id == user_id
            reason = scrub(cr.reason, needles)
            if mine or reason != cr.reason:
                del clip_store._reports[clip_key]
                new_report = dataclasses.replace(
                    cr,
                    reporter_id=pseudonym if mine else cr.reporter_id,
                    reporter_name=pseudonym if mine else cr.reporter_name,
                    reason=reason,
                )
                clip_store._reports[(new_report.tenant_id, new_report.clip_id, new_report.reporter_id)] = (
                    new_report
                )
        for clip_id, (tenant, by) in list(self._kept.items()):
            if tenant == tenant_id and by == user_id:
                self._kept[clip_id] = (tenant, pseudonym)

        before = len(self._consents)
        self._consents = [
            c for c in self._consents if not (c.tenant_id == tenant_id and c.user_id == user_id)
        ]
        counts["consents"] = before - len(self._consents)
        created = 0
        for prow in self._m._parties.values():
            if prow["tenant_id"] == tenant_id and prow["created_by"] == user_id:
                prow["created_by"] = pseudonym
                prow["title"] = scrub(prow["title"], needles)
                created += 1
        counts["parties_created"] = created
        return Erased(
            messages=tuple((p, row.message.id) for p, _, row in own),
            clip_files=tuple(c.file_name for c in user_clips),
            counts=counts,
        )

    # --- retention ----------------------------------------------------------------------
    async def expire(self, tenant_id: str, retention: Retention, now_ms: int) -> Expired:
        parties = self._party_ids(tenant_id)
        mod, clip_store = self._mod, self._clips
        counts: dict[str, int] = {}
        dropped: list[tuple[str, int]] = []

        def cut(name: str) -> int:
            return retention.cutoff_ms(name, now_ms)

        # The memory party row has no update time: an ended party counts from its creation.
        ended = {
            p
            for p in parties
            if self._m._parties[p]["ended"] is not None
            and self._m._parties[p]["created_at_ms"] < cut("ended_parties")
        }
        for p in ended:
            dropped += [(p, row.message.id) for row in self._m.stored(p) if row.message.user_id]
            self._m._messages.pop(p, None)
            del self._m._parties[p]
        for key in [k for k in mod._reports if k[0] in ended]:
            del mod._reports[key]
        for note_key in [k for k in mod._notes if k[0] in ended]:
            del mod._notes[note_key]
        for i, h in enumerate(mod._held):
            if h.party_id in ended:
                mod._held[i] = dataclasses.replace(
                    h, text=ERASED_TEXT, user_id="", user_name="", status="expired"
                )
        self._consents = [c for c in self._consents if not (c.tenant_id == tenant_id and c.party_id in ended)]
        counts["ended_parties"] = len(ended)
        parties -= ended

        # Memory message ids index their list: an expired message stays as an empty tombstone.
        old = deleted_text = 0
        for p in parties:
            rows = self._m.stored(p)
            for i, row in enumerate(rows):
                m = row.message
                if not m.user_id:
                    continue
                if m.ts_ms < cut("chat"):
                    dropped.append((p, m.id))
                    rows[i] = StoredMessage(
                        dataclasses.replace(m, text=ERASED_TEXT, user_id="", user_name=""),
                        now_ms,
                        "retention",
                    )
                    old += 1
                elif row.deleted_at_ms is not None and row.deleted_at_ms < cut("deleted_text") and m.text:
                    rows[i] = StoredMessage(
                        dataclasses.replace(m, text=ERASED_TEXT), row.deleted_at_ms, row.deleted_by
                    )
                    deleted_text += 1
        counts["chat"] = old
        for i, h in enumerate(mod._held):
            if h.tenant_id == tenant_id and h.status != "held" and h.ts_ms < cut("deleted_text") and h.text:
                mod._held[i] = dataclasses.replace(h, text=ERASED_TEXT)
                deleted_text += 1
        # The filter's notes are for the review window, and never outlive their message.
        notes_cut = max(cut("deleted_text"), cut("chat"))
        for note_key, note in list(mod._notes.items()):
            if note.party_id in parties and note.ts_ms < notes_cut:
                del mod._notes[note_key]
                deleted_text += 1
        counts["deleted_text"] = deleted_text

        before = len(mod._audit)
        mod._audit = [e for e in mod._audit if not (e.tenant_id == tenant_id and e.ts_ms < cut("audit"))]
        counts["audit"] = before - len(mod._audit)

        old_clips = [
            c
            for c in clip_store._clips.values()
            if c.tenant_id == tenant_id and c.created_at_ms < cut("clips") and c.id not in self._kept
        ]
        for c in old_clips:
            del clip_store._clips[c.id]
            for clip_key in [k for k in clip_store._reports if k[1] == c.id]:
                del clip_store._reports[clip_key]
        counts["clips"] = len(old_clips)

        reports = 0
        for key, r in list(mod._reports.items()):
            if r.party_id in parties and r.ts_ms < cut("reports"):
                del mod._reports[key]
                reports += 1
        for clip_key, cr in list(clip_store._reports.items()):
            if cr.tenant_id == tenant_id and cr.ts_ms < cut("reports"):
                del clip_store._reports[clip_key]
                reports += 1
        counts["reports"] = reports
        return Expired(
            clip_files=tuple(c.file_name for c in old_clips), counts=counts, messages=tuple(dropped)
        )
