"""clip.report over real sockets, with clips recorded from an aiortc publisher: members
report a clip as they report a chat message, and the third distinct reporter takes it
down into the review queue, where a moderator approves it back or rejects it."""

from __future__ import annotations

import asyncio
import time

from support import VIDEO
from test_camera_signalling import publish
from test_clip_recording import (  # noqa: F401 - server: the fixture
    clip_file,
    record,
    refused,
    room_counts,
    server,
)

from socialsync.adapters.sql.clip_store import SqlClipStore
from socialsync.app import STORE
from socialsync.domain.clips import Clip, ClipReport, ClipStatus
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient
from socialsync.services.moderation import REPORTS_TO_HOLD


def collect(client: SocialSyncClient, event: str) -> list[dict]:
    seen: list[dict] = []
    client.on(event, seen.append)
    return seen


async def report(client: SocialSyncClient, party_id: str, clip_id: str, reason: str = "rude") -> dict:
    return await client.request("clip.report", {"party": party_id, "id": clip_id, "reason": reason})


async def listed(client: SocialSyncClient, party_id: str) -> dict[str, str]:
    """The clips ``client`` may see, id -> status."""
    clips = (await client.request("clip.list", {"party": party_id}))["clips"]
    return {c["id"]: c["status"] for c in clips}


async def audit(moderator: SocialSyncClient, party_id: str) -> list[dict]:
    return (await moderator.request("mod.audit", {"party": party_id}))["entries"]


async def recorded_clip(party, server, closing, members: int) -> tuple[str, list[SocialSyncClient], dict]:  # noqa: F811
    """A party of ``members`` (host first) where the second member has recorded a clip."""
    party_id, clients = await party(members)
    closing.append(await publish(clients[1], party_id))
    return party_id, clients, await record(server, clients[1], party_id)


async def foreign_clips(server, party_id: str) -> SqlClipStore:  # noqa: F811 - the fixture's value
    """Rows of another tenant under the same party id, a held clip and a reported
    visible one: the room list counts by tenant, not by party id alone. (The caller
    deletes them: the other lists of the room are not what this checks.)"""
    store = SqlClipStore(server.app[STORE])
    for clip_id, status in (("acme-held", ClipStatus.HELD), ("acme-shown", ClipStatus.VISIBLE)):
        clip = Clip(
            id=clip_id,
            tenant_id="acme",
            party_id=party_id,
            user_id="u-acme",
            user_name="Una",
            media_url="https://cdn.example/a.m3u8",
            media_time_s=0.0,
            duration_s=1.0,
            created_at_ms=int(time.time() * 1000),
            file_name=f"{clip_id}.webm",
            mime_type="video/webm",
            size_bytes=1,
            width=16,
            height=16,
            status=status,
        )
        await store.add(clip)
    await store.report(ClipReport("acme", party_id, "acme-shown", "u-acme-2", "Ula", "rude", 0))
    return store


async def test_your_own_clip_is_refused_and_a_repeat_counts_once(party, server, moderator, closing):  # noqa: F811
    party_id, (host, ada, bob), clip = await recorded_clip(party, server, closing, 3)
    await moderator.request("mod.watch", {"party": party_id})
    reports = collect(moderator, "mod.clip_report")

    error = await refused(report(ada, party_id, clip["id"]), "bad_request")
    assert "your own" in error.message
    assert await report(bob, party_id, clip["id"], "  spoilers  ") == {"ok": True}
    assert await report(bob, party_id, clip["id"], "again") == {"ok": True}
    await moderator.wait_until(lambda: len(reports) == 1)
    assert reports[0] == {
        "party": party_id,
        "clip": clip["id"],
        "reporter": {"id": bob.user["id"], "name": bob.user["name"]},
        "reason": "spoilers",
        "ts": reports[0]["ts"],
        "count": 1,
    }
    watched = await moderator.request("mod.watch", {"party": party_id})
    assert [(c["id"], c["reports"]) for c in watched["clips"]] == [(clip["id"], 1)]
    assert [r["reason"] for r in watched["clip_reports"]] == ["spoilers"]
    assert len(reports) == 1, "the repeat reached nobody"
    assert await listed(host, party_id) == {clip["id"]: "visible"}
    # A report is not an action: the log has no entry for it.
    assert not [e for e in await audit(moderator, party_id) if "report" in e["action"]]


async def test_the_third_reporter_takes_a_clip_down_and_approval_brings_it_back(
    party,
    server,  # noqa: F811
    moderator,
    closing,
):
    party_id, (host, ada, *reporters), clip = await recorded_clip(party, server, closing, 2 + REPORTS_TO_HOLD)
    await moderator.request("mod.watch", {"party": party_id})
    mod_clips = collect(moderator, "mod.clip")
    removed = collect(host, "clip.removed")
    foreign = await foreign_clips(server, party_id)
    nothing = {"held": 0, "reports": 0, "held_clips": 0, "clip_reports": 0}
    assert await room_counts(moderator, party_id) == nothing, "another tenant's clips are not this room's"
    for clip_id in ("acme-held", "acme-shown"):
        await foreign.delete(clip_id)
    for r in reporters[:-1]:
        await report(r, party_id, clip["id"])
    assert await listed(host, party_id) == {clip["id"]: "visible"}, "two reporters: not yet"
    # Like the chat's reports: one reported clip, however many reported it.
    assert await room_counts(moderator, party_id) == nothing | {"clip_reports": 1}

    gone = asyncio.create_task(host.wait_for("clip.removed"))
    back_to_author = asyncio.create_task(ada.wait_for("clip.added"))
    held = asyncio.create_task(moderator.wait_for("mod.clip", lambda d: d["clip"]["status"] == "held"))
    await report(reporters[-1], party_id, clip["id"], "offensive")
    assert await gone == {"party": party_id, "id": clip["id"], "reason": "reported"}
    assert (await back_to_author)["clip"]["status"] == "held"
    assert (await held)["clip"]["reports"] == REPORTS_TO_HOLD
    assert await listed(host, party_id) == {}
    assert await listed(ada, party_id) == {clip["id"]: "held"}, "its author still sees it, held"
    assert await room_counts(moderator, party_id) == nothing | {"held_clips": 1}, "taken down: held, not up"
    watched = await moderator.request("mod.watch", {"party": party_id})
    assert [(c["id"], c["status"], c["reports"]) for c in watched["clips"]] == [
        (clip["id"], "held", REPORTS_TO_HOLD)
    ]
    taken = next(e for e in await audit(moderator, party_id) if e["action"] == "clip_held_by_reports")
    assert taken["actor"] == {"id": "reports", "name": "reports"} and taken["target_user"] == ada.user["id"]
    assert taken["details"]["clip"] == clip["id"]
    assert sorted(r["reporter"]["id"] for r in taken["details"]["reports"]) == sorted(
        r.user["id"] for r in reporters
    )
    # Held, it is not there for the members who did not make it.
    await refused(report(host, party_id, clip["id"]), "not_found")

    shown = asyncio.create_task(host.wait_for("clip.added"))
    await moderator.request("mod.clip_review", {"party": party_id, "id": clip["id"], "decision": "approve"})
    assert (await shown)["clip"]["status"] == "visible"
    assert await listed(host, party_id) == {clip["id"]: "visible"}
    assert (await audit(moderator, party_id))[0]["action"] == "clip_review_approved"
    # Approved, it is up again with the reports it kept.
    assert await room_counts(moderator, party_id) == nothing | {"clip_reports": 1}
    # A moderator judged it: further reports reach the moderators, and take nothing down.
    counted = asyncio.create_task(moderator.wait_for("mod.clip_report"))
    await report(host, party_id, clip["id"])
    assert (await counted)["count"] == REPORTS_TO_HOLD + 1
    assert await listed(host, party_id) == {clip["id"]: "visible"}
    assert len(removed) == 1
    assert [c["clip"]["status"] for c in mod_clips] == ["held", "visible"]


async def test_reports_at_once_count_in_turn_and_rejecting_deletes_the_file(
    party,
    server,  # noqa: F811
    moderator,
    closing,
):
    party_id, (host, ada, *reporters), clip = await recorded_clip(party, server, closing, 1 + REPORTS_TO_HOLD)
    reporters.append(host)
    await moderator.request("mod.watch", {"party": party_id})
    counts = collect(moderator, "mod.clip_report")
    held = collect(moderator, "mod.clip")
    gone = asyncio.create_task(host.wait_for("clip.removed"))
    await asyncio.gather(*(report(r, party_id, clip["id"]) for r in reporters))
    await gone
    await moderator.wait_until(lambda: len(counts) == REPORTS_TO_HOLD and len(held) == 1)
    assert sorted(c["count"] for c in counts) == list(range(1, REPORTS_TO_HOLD + 1))
    assert clip_file(server, clip).is_file()

    rejected = asyncio.create_task(ada.wait_for("clip.removed"))
    review = {"party": party_id, "id": clip["id"], "decision": "reject", "reason": "abusive"}
    await moderator.request("mod.clip_review", review)
    assert (await rejected)["reason"] == "rejected"
    assert not clip_file(server, clip).exists()
    assert await listed(ada, party_id) == {}
    watched = await moderator.request("mod.watch", {"party": party_id})
    assert watched["clips"] == [] and watched["clip_reports"] == []
    actions = [e["action"] for e in await audit(moderator, party_id)]
    assert actions[:2] == ["clip_review_rejected", "clip_held_by_reports"]
    await refused(report(host, party_id, clip["id"]), "not_found")


async def test_only_a_clip_you_can_see_in_your_party_and_tenant_can_be_reported(
    server,  # noqa: F811
    party,
    connect,
    moderator,
    closing,
):
    party_id, (host, ada), clip = await recorded_clip(party, server, closing, 2)
    # Another party of the tenant: the clip is not in it.
    other_id, (other_host,) = await party(1)
    await refused(report(other_host, other_id, clip["id"]), "not_found")
    # The party is the clip's, but this socket has not joined it.
    await refused(report(other_host, party_id, clip["id"]), "forbidden")
    # Another tenant's member, in its own party.
    tenant = Tenant("acme", "Acme TV", "s" * 40, False, int(time.time() * 1000))
    await server.app[STORE].add_tenant(tenant)
    token = issue_token(tenant, "u-acme", "Una", ["viewer"], 600, int(time.time()))
    stranger = await connect(token=token, guest=None)
    acme = await stranger.create_party("Acme night", VIDEO)
    await stranger.join(acme["id"])
    await refused(report(stranger, acme["id"], clip["id"]), "not_found")
    await refused(report(host, party_id, "no-such-clip"), "not_found")

    # A shadow-muted author's clip is the author's alone: it does not exist for others.
    await moderator.request("mod.shadow_mute", {"party": party_id, "user": ada.user["id"], "on": True})
    hidden = await record(server, ada, party_id)
    assert hidden["status"] == "hidden"
    await refused(report(host, party_id, hidden["id"]), "not_found")
    # Nor does a deleted one.
    await ada.request("clip.delete", {"party": party_id, "id": clip["id"]})
    await refused(report(host, party_id, clip["id"]), "not_found")


async def test_hostile_reports_get_a_clear_error(party):
    party_id, (host, ada) = await party(2)
    cases = [
        ({"id": "abc", "reason": ""}, "bad_request"),
        ({"id": "abc", "reason": " \n\t "}, "bad_request"),
        ({"id": "abc", "reason": "x" * 201}, "too_large"),
        ({"id": "abc", "reason": "x" * 5_000}, "too_large"),  # under the packet limit
        ({"id": "abc", "reason": 42}, "bad_request"),
        ({"id": "abc", "reason": ["rude"]}, "bad_request"),
        ({"id": "abc"}, "bad_request"),
        ({"id": 7, "reason": "rude"}, "bad_request"),
        ({"id": "../../etc/passwd", "reason": "rude"}, "bad_request"),
        ({"id": "x" * 65, "reason": "rude"}, "too_large"),
        ({"id": None, "reason": "rude"}, "bad_request"),
        ({"party": {"$ne": 1}, "id": "abc", "reason": "rude"}, "bad_request"),
    ]
    for payload, code in cases:
        await refused(host.request("clip.report", {"party": party_id, **payload}), code)
    await refused(host.request("clip.report", ["not", "an", "object"]), "bad_request")
    # Within the bounds once trimmed, and still alive: the clip is what is missing.
    await refused(
        host.request("clip.report", {"party": party_id, "id": "abc", "reason": f"  {'x' * 200}  "}),
        "not_found",
    )
    await host.send_chat(party_id, "still here")
    await ada.wait_until(lambda: [m["text"] for m in ada.messages[party_id]] == ["still here"])
