"""What the moderation panel is sent, over real sockets: a panel opened after a message
was masked still gets its verdict, reasons and original words (kept for the review
window, dropped by retention and by the author's erasure, never sent to members); the
room list's report count and the Reports tab agree (one definition: open reports);
refusals people meet carry a `reason` code a client can translate, beside the message."""

from __future__ import annotations

import asyncio

import pytest

from socialsync.app import PRIVACY
from socialsync.domain.privacy import DAY_MS
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

PROFANE = "what the shit"
AUDIO_OFFER = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"


async def watched_message(moderator: SocialSyncClient, party_id: str, message_id: int) -> dict:
    watch = await moderator.request("mod.watch", {"party": party_id})
    (found,) = [m for m in watch["messages"] if m["id"] == message_id]
    return found


async def test_a_panel_opened_later_sees_what_the_filter_masked_until_the_review_window_ends(
    party, moderator, server
):
    party_id, (host, ben) = await party(2, {"type": "live_room"})
    masked = await ben.send_chat(party_id, PROFANE)
    plain = await ben.send_chat(party_id, "hello everyone")
    assert masked["text"] != PROFANE  # what the members got

    # The moderator opens the room only now: the verdict, the reasons, the words.
    seen = await watched_message(moderator, party_id, masked["id"])
    assert seen["verdict"] == "mask" and seen["reasons"] and seen["original"] == PROFANE, seen
    assert seen["text"] == masked["text"]
    assert "verdict" not in await watched_message(moderator, party_id, plain["id"])
    # Members never get them, live or in history.
    for message in await host.history(party_id):
        assert "original" not in message and "verdict" not in message, message

    # The author's own export has them; the review window's end drops them.
    privacy = server.app[PRIVACY]
    exported = (await privacy.export("demo", ben.user["id"]))["records"]["filter_notes"]
    assert [(n["message_id"], n["original"]) for n in exported] == [(masked["id"], PROFANE)]
    await privacy.set_retention("demo", {"deleted_text_days": 1})
    now = masked["ts"]
    await privacy.run_retention(now_ms=now + DAY_MS // 2)
    assert (await watched_message(moderator, party_id, masked["id"]))["original"] == PROFANE
    await privacy.run_retention(now_ms=now + 2 * DAY_MS)
    later = await watched_message(moderator, party_id, masked["id"])
    assert "original" not in later and "verdict" not in later and later["text"] == masked["text"]

    # A new one, then the author's erasure takes it.
    again = await ben.send_chat(party_id, PROFANE)
    assert (await watched_message(moderator, party_id, again["id"]))["original"] == PROFANE
    erased = await privacy.erase("demo", ben.user["id"])
    assert erased["counts"]["filter_notes"] == 1
    assert (await privacy.export("demo", ben.user["id"]))["records"]["filter_notes"] == []


async def test_the_room_list_counts_what_the_reports_tab_lists(party, moderator):
    party_id, (host, a, b, c) = await party(4)

    async def agree() -> int:
        rooms = (await moderator.request("mod.rooms", {}))["rooms"]
        (room,) = [r for r in rooms if r["id"] == party_id]
        listed = {
            r["message"] for r in (await moderator.request("mod.watch", {"party": party_id}))["reports"]
        }
        assert room["reports"] == len(listed), (room, listed)
        return room["reports"]

    first = await a.send_chat(party_id, "a spoiler")
    await b.request("chat.report", {"party": party_id, "id": first["id"], "reason": "spoiler"})
    assert await agree() == 1
    # Deleted by a moderator: still listed, still counted.
    await moderator.request("mod.delete", {"party": party_id, "id": first["id"]})
    assert await agree() == 1
    # Taken down by three reports into the review queue: listed and counted.
    second = await host.send_chat(party_id, "buy followers now")
    held = asyncio.create_task(moderator.wait_for("mod.held"))
    for reporter in (a, b, c):
        await reporter.request("chat.report", {"party": party_id, "id": second["id"], "reason": "spam"})
    queued = await held
    assert await agree() == 2
    # The takedown decided: its reports are dealt with.
    await moderator.request("mod.review", {"party": party_id, "held": queued["id"], "decision": "reject"})
    assert await agree() == 1


async def refused(request) -> dict:
    with pytest.raises(SocialSyncError) as err:
        await request
    return err.value.answer["error"]


async def test_refusals_people_meet_carry_a_reason_beside_the_message(party):
    party_id, (host, ada) = await party(2)
    clip = await refused(ada.request("clip.start", {"party": party_id, "consent": True}))
    assert clip["code"] == "bad_request" and clip["reason"] == "camera_needed", clip
    assert clip["message"] == "turn your camera on to record a clip"
    assert (await refused(ada.request("clip.stop", {"party": party_id})))["reason"] == "not_recording"
    offer = {"party": party_id, "sdp": AUDIO_OFFER, "audio": True, "video": False}
    consent = await refused(ada.request("rtc.publish", offer | {"consent": False}))
    assert consent["code"] == "forbidden" and consent["reason"] == "camera_consent", consent
    await host.request("party.update", {"party": party_id, "settings": {"cameras": False}})
    off = await refused(ada.request("rtc.publish", offer | {"consent": True}))
    assert off["reason"] == "cameras_off" and "turned cameras off" in off["message"], off
    # Refusals without a reason of their own have none.
    assert "reason" not in await refused(ada.request("chat.history", {"party": "nope"}))
