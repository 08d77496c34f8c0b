"""Reaction clips end to end over real sockets: an aiortc peer publishes its camera, the
server muxes the forwarded packets into a file (never decoding them), stores and
serves it to the party's members, and clips go through the chat's moderation: the
same gate, review queue in live rooms, deletion and audit log."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import av
import pytest
from support import VIDEO, running_server
from test_camera_signalling import publish

from socialsync.app import SERVICE
from socialsync.sdk.client import SocialSyncError

CAP_S = 3.0


@pytest.fixture
async def server(tmp_path, backend):
    """The suite's server with a short clip cap, so that the cap fits in a test."""
    async with running_server(tmp_path, clip_dir=str(tmp_path / "clips"), clip_max_s=CAP_S, **backend) as s:
        yield s


async def refused(request, code: str) -> SocialSyncError:
    with pytest.raises(SocialSyncError) as info:
        await request
    assert info.value.code == code, info.value
    return info.value


def clip_file(server, clip: dict) -> Path:
    suffix = {"video/webm": ".webm", "video/mp4": ".mp4"}[clip["mime_type"]]
    return Path(server.config.clip_dir) / clip["party"] / f"{clip['id']}{suffix}"


def packets_of(path: Path) -> dict:
    """Codec, packet count and sizes per stream, read back by the demuxer."""
    out: dict = {}
    with av.open(str(path)) as container:
        for stream in container.streams:
            out[stream.type] = {"codec": stream.codec_context.name, "sizes": []}
        for packet in container.demux():
            if packet.size:
                out[packet.stream.type]["sizes"].append(packet.size)
    return out


def node_relay(server):
    """The node's own media relay (behind the party routing)."""
    relay = server.app[SERVICE].relay
    return getattr(relay, "local", relay)


async def until_recorded(server, client, party_id: str, video_frames: int) -> None:
    """Until the member's recording holds ``video_frames`` frames of video: however long
    the first keyframe and the frames take on a loaded machine, not a fixed time."""
    recording = node_relay(server)._clips[(party_id, client.user["id"])]
    deadline = asyncio.get_running_loop().time() + 20
    while recording._packets.get("video", 0) < video_frames:
        assert asyncio.get_running_loop().time() < deadline, "the recording got no video"
        await asyncio.sleep(0.02)


async def record(server, client, party_id: str, video_frames: int = 10) -> dict:
    started = await client.request("clip.start", {"party": party_id, "consent": True})
    await until_recorded(server, client, party_id, video_frames)
    stopped = await client.request("clip.stop", {"party": party_id})
    assert stopped["clip"]["id"] == started["recording"]["id"]
    return stopped["clip"]


async def room_counts(moderator, party_id: str) -> dict[str, int]:
    """The room's review counts in the moderators' room list (mod.rooms)."""
    rooms = (await moderator.request("mod.rooms", {}))["rooms"]
    (room,) = [r for r in rooms if r["id"] == party_id]
    return {k: room[k] for k in ("held", "reports", "held_clips", "clip_reports")}


async def test_a_recorded_clip_is_the_forwarded_packets_muxed_and_every_member_gets_it(
    party, server, closing
):
    party_id, (host, ada) = await party(2)
    await host.request("playback.control", {"party": party_id, "action": "seek", "position": 100.0})
    await host.request("playback.control", {"party": party_id, "action": "play"})
    closing.append(await publish(ada, party_id))
    source = node_relay(server)._publications[(party_id, ada.user["id"])].sources["video"]
    seen: list[int] = []  # what the relay forwards while the clip records, by size
    original = source._on_encoded

    def tap(codec, frame):
        seen.append(len(frame.data))
        original(codec, frame)

    source._on_encoded = tap
    added = asyncio.create_task(host.wait_for("clip.added"))
    asked_at, started = host.expected_position(party_id), time.monotonic()
    clip = await record(server, ada, party_id, video_frames=30)
    took_s = time.monotonic() - started
    assert (await added)["clip"]["id"] == clip["id"]
    assert clip["user"]["id"] == ada.user["id"] and clip["media_url"] == VIDEO["url"]
    # Where the content was when the first frame came: after the ask, within the recording.
    # (0.1 s: the client's estimate of the server's clock is that close)
    assert asked_at - 0.1 <= clip["media_time"] <= asked_at + took_s, (asked_at, took_s, clip)
    assert clip["mime_type"] == "video/webm" and clip["status"] == "visible"
    assert clip["width"] == 640 and clip["height"] == 480
    # 30 frames at 30 fps, by their RTP times: a camera running late sends frames
    # stamped before the recording began, so the span may exceed the wall time a little.
    assert 0.5 < clip["duration"] < took_s + 1.0, (took_s, clip)

    path = clip_file(server, clip)
    assert path.stat().st_size == clip["size"]
    streams = packets_of(path)
    assert streams["video"]["codec"] == "vp8" and streams["audio"]["codec"] == "opus"
    video = streams["video"]["sizes"]
    assert len(video) >= 30, len(video)
    # Not re-encoded: the file's video packets are frames the relay forwarded, byte counts and all.
    position = next(i for i in range(len(seen)) if seen[i : i + len(video)] == video)
    assert position >= 0
    assert source.stats.frames_decoded == 0
    assert len(streams["audio"]["sizes"]) >= 40

    listed = await host.request("clip.list", {"party": party_id})
    assert [c["id"] for c in listed["clips"]] == [clip["id"]]
    same_media = await host.request("clip.list", {"party": party_id, "media_url": VIDEO["url"]})
    assert len(same_media["clips"]) == 1
    other_media = await host.request("clip.list", {"party": party_id, "media_url": "https://x.example/y"})
    assert other_media["clips"] == []

    async with aiohttp.ClientSession() as http:
        url = listed["clips"][0]["url"]
        async with http.get(url, headers={"Range": "bytes=0-99"}) as r:
            assert r.status == 206 and r.headers["Content-Type"] == "video/webm"
            assert len(await r.read()) == 100
        async with http.get(url) as r:
            assert r.status == 200 and len(await r.read()) == clip["size"]
        async with http.get(url[:-4] + "AAAA") as r:
            assert r.status == 401
        async with http.get(url.split("?")[0]) as r:
            assert r.status == 401


async def test_consent_and_a_camera_are_required_and_hostile_input_is_refused(party, connect, closing):
    party_id, (host, ada) = await party(2)
    await refused(ada.request("clip.start", {"party": party_id, "consent": True}), "bad_request")
    closing.append(await publish(ada, party_id))
    error = await refused(ada.request("clip.start", {"party": party_id, "consent": False}), "forbidden")
    assert "consent" in error.message
    await refused(ada.request("clip.start", {"party": party_id}), "bad_request")
    await refused(ada.request("clip.start", {"party": party_id, "consent": "yes"}), "bad_request")
    await refused(ada.request("clip.start", {"party": "../../etc", "consent": True}), "bad_request")
    await refused(ada.request("clip.stop", {"party": party_id}), "not_found")
    await refused(host.request("clip.delete", {"party": party_id, "id": "../x"}), "bad_request")
    await refused(host.request("clip.delete", {"party": party_id, "id": "nope"}), "not_found")
    await refused(host.request("clip.list", {"party": party_id, "media_url": "x" * 3000}), "too_large")
    await refused(
        host.request("mod.clip_review", {"party": party_id, "id": "nope", "decision": "maybe"}), "bad_request"
    )
    stranger = await connect("Stranger")
    await refused(stranger.request("clip.list", {"party": party_id}), "forbidden")
    await refused(stranger.request("clip.start", {"party": party_id, "consent": True}), "forbidden")
    # Host's camera off: a member's own camera is what a clip records.
    await refused(host.request("clip.start", {"party": party_id, "consent": True}), "bad_request")
    # One recording per member at a time.
    await ada.request("clip.start", {"party": party_id, "consent": True})
    await refused(ada.request("clip.start", {"party": party_id, "consent": True}), "conflict")
    try:
        await ada.request("clip.stop", {"party": party_id})
    except SocialSyncError as exc:  # stopped before its first keyframe came: nothing to keep
        assert exc.code == "bad_request" and "no video" in exc.message


async def test_the_cap_and_the_camera_going_off_end_a_recording(party, server, closing):
    party_id, (host, ada) = await party(2)
    closing.append(await publish(ada, party_id))
    ended = asyncio.create_task(ada.wait_for("clip.ended", timeout_s=CAP_S + 8))
    await ada.request("clip.start", {"party": party_id, "consent": True})
    done = await ended
    assert done["reason"] == "limit" and done["clip"] is not None
    # At the cap, by the RTP times; a camera lagging badly ends at the wall-clock
    # bound (cap + 0.5 s after its first frame) a little short of it.
    assert CAP_S - 1.0 <= done["clip"]["duration"] <= CAP_S, done
    assert clip_file(server, done["clip"]).is_file()

    ended = asyncio.create_task(ada.wait_for("clip.ended", timeout_s=10))
    await ada.request("clip.start", {"party": party_id, "consent": True})
    await until_recorded(server, ada, party_id, 10)
    await ada.request("rtc.unpublish", {"party": party_id})
    done = await ended
    assert done["reason"] == "camera_off" and done["clip"]["duration"] > 0.2
    assert server.app[SERVICE].relay.stats()["clip_recordings"] == 0
    listed = await host.request("clip.list", {"party": party_id})
    assert len(listed["clips"]) == 2


async def test_author_and_moderator_deletions_remove_the_file_and_are_audited(
    party, server, moderator, closing
):
    party_id, (host, ada, bob) = await party(3)
    closing.append(await publish(ada, party_id))
    first = await record(server, ada, party_id)
    second = await record(server, ada, party_id)
    await refused(bob.request("clip.delete", {"party": party_id, "id": first["id"]}), "forbidden")

    removed = asyncio.create_task(bob.wait_for("clip.removed", lambda d: d["id"] == first["id"]))
    await ada.request("clip.delete", {"party": party_id, "id": first["id"]})
    await removed
    assert not clip_file(server, first).exists()

    watched = await moderator.request("mod.watch", {"party": party_id})
    assert [c["id"] for c in watched["clips"]] == [second["id"]]
    async with aiohttp.ClientSession() as http:  # a moderator's token fetches it too
        media = watched["clips"][0]["url"].split("?")[0]
        headers = {"Authorization": f"Bearer {moderator._token}"}
        async with http.get(media, headers=headers) as r:
            assert r.status == 200
    removed = asyncio.create_task(bob.wait_for("clip.removed", lambda d: d["id"] == second["id"]))
    reason = {"party": party_id, "id": second["id"], "reason": "not ok"}
    await moderator.request("clip.delete", reason)
    await removed
    assert not clip_file(server, second).exists()
    assert (await host.request("clip.list", {"party": party_id}))["clips"] == []
    async with aiohttp.ClientSession() as http:
        async with http.get(second["url"]) as r:
            assert r.status == 404

    audit = (await moderator.request("mod.audit", {"party": party_id}))["entries"]
    deletes = [e for e in audit if e["action"] == "clip_delete"]
    assert [(e["actor"]["id"], e["details"]["clip"]) for e in deletes] == [
        ("mod-1", second["id"]),
        (ada.user["id"], first["id"]),
    ]
    assert deletes[0]["target_user"] == ada.user["id"] and deletes[0]["reason"] == "not ok"
    assert deletes[0]["details"]["media_time"] == second["media_time"]


async def test_a_live_room_holds_a_members_clip_for_review(connect, server, moderator, closing):
    host = await connect("Host")
    room = await host.create_party("Live", VIDEO | {"kind": "live"}, {"type": "live_room"})
    party_id = room["id"]
    await host.join(party_id)
    ada = await connect("Ada")
    await ada.join(party_id)
    await host.request("rtc.stage", {"party": party_id, "user": ada.user["id"], "on": True})
    closing.append(await publish(ada, party_id))
    watching = await moderator.request("mod.watch", {"party": party_id})
    assert watching["clips"] == []
    held = asyncio.create_task(moderator.wait_for("mod.clip"))
    clip = await record(server, ada, party_id)
    assert clip["status"] == "held" and (await held)["clip"]["id"] == clip["id"]
    assert (await host.request("clip.list", {"party": party_id}))["clips"] == []
    assert [c["id"] for c in (await ada.request("clip.list", {"party": party_id}))["clips"]] == [clip["id"]]
    counts = await room_counts(moderator, party_id)
    assert counts == {"held": 0, "reports": 0, "held_clips": 1, "clip_reports": 0}

    shown = asyncio.create_task(host.wait_for("clip.added"))
    review = {"party": party_id, "id": clip["id"], "decision": "approve"}
    await moderator.request("mod.clip_review", review)
    assert (await shown)["clip"]["status"] == "visible"
    assert (await room_counts(moderator, party_id))["held_clips"] == 0
    await refused(moderator.request("mod.clip_review", review), "conflict")
    audit = (await moderator.request("mod.audit", {"party": party_id}))["entries"]
    assert audit[0]["action"] == "clip_review_approved" and audit[0]["details"]["clip"] == clip["id"]


async def test_a_banned_member_records_nothing(party, moderator, closing):
    party_id, (host, ada) = await party(2)
    closing.append(await publish(ada, party_id))
    await host.request("mod.rules", {"party": party_id, "locked": True})
    error = await refused(ada.request("clip.start", {"party": party_id, "consent": True}), "forbidden")
    assert "locked" in error.message
