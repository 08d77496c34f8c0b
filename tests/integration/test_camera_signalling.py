"""Cameras end to end over real sockets: aiortc peers stand in for browsers, the
server relays their media forwarded (not re-encoded), and hostile signalling gets
coded errors while the party goes on."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

from socialsync.app import SERVICE
from socialsync.sdk.client import SocialSyncClient, SocialSyncError


async def gathered(pc: RTCPeerConnection, description) -> str:
    await pc.setLocalDescription(description)  # aiortc gathers ICE here: no trickle
    return pc.localDescription.sdp


async def publish(client: SocialSyncClient, party: str, *, audio=True, video=True) -> RTCPeerConnection:
    pc = RTCPeerConnection()
    if video:
        pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    if audio:
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    try:
        sdp = await gathered(pc, await pc.createOffer())
        answer = await client.request(
            "rtc.publish", {"party": party, "sdp": sdp, "audio": audio, "video": video, "consent": True}
        )
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    except BaseException:
        await pc.close()
        raise
    return pc


async def subscribe(client: SocialSyncClient, party: str, publisher: str) -> tuple[RTCPeerConnection, dict]:
    offer = await client.request("rtc.subscribe", {"party": party, "publisher": publisher})
    pc = RTCPeerConnection()
    tracks: dict = {}
    pc.on("track", lambda track: tracks.__setitem__(track.kind, track))
    await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
    sdp = await gathered(pc, await pc.createAnswer())
    await client.request("rtc.answer", {"party": party, "publisher": publisher, "sdp": sdp})
    return pc, tracks


async def frames(track, count: int, timeout_s: float = 10.0) -> list:
    got = []
    async with asyncio.timeout(timeout_s):
        while len(got) < count:
            got.append(await track.recv())
    return got


async def test_a_camera_is_relayed_forwarded_to_every_other_member(party, server, closing):
    party_id, (host, ada, bob) = await party(3)
    announced = asyncio.create_task(host.wait_for("rtc.camera", lambda d: d["user"] == ada.user["id"]))
    closing.append(await publish(ada, party_id))
    camera = (await announced)["camera"]
    assert camera == {"audio": True, "video": True, "audio_muted": False, "video_muted": False}

    receivers = []
    for viewer in (host, bob):
        pc, tracks = await subscribe(viewer, party_id, ada.user["id"])
        closing.append(pc)
        receivers.append(tracks)
    for tracks in receivers:
        assert {"audio", "video"} <= set(tracks), "tracks arrive with the answer"
        video = await frames(tracks["video"], 5)
        assert video[-1].width == 640 and video[-1].pts > video[0].pts
        await frames(tracks["audio"], 5)
    stats = server.app[SERVICE].relay.stats()
    assert stats["forwarded_streams"] == 4 and stats["transcoded_streams"] == 0, stats

    gone = asyncio.create_task(bob.wait_for("rtc.camera", lambda d: d["camera"] is None))
    await ada.request("rtc.unpublish", {"party": party_id})
    await gone
    with pytest.raises(MediaStreamError):
        async with asyncio.timeout(10):
            while True:
                await receivers[1]["video"].recv()
    assert server.app[SERVICE].relay.stats()["subscriptions"] == 0


async def test_mute_and_the_hosts_switch_reach_everyone(party, closing):
    party_id, (host, ada) = await party(2)
    closing.append(await publish(ada, party_id, audio=True, video=False))
    muted = await ada.request("rtc.mute", {"party": party_id, "audio": True})
    assert muted["camera"]["audio_muted"] is True
    off = asyncio.create_task(ada.wait_for("rtc.camera", lambda d: d["camera"] is None))
    await host.request("party.update", {"party": party_id, "settings": {"cameras": False}})
    await off
    error = await refused(publish(ada, party_id), "forbidden")
    assert "turned cameras off" in error.message


async def refused(request, code: str) -> SocialSyncError:
    with pytest.raises(SocialSyncError) as info:
        await request
    assert info.value.code == code, info.value
    return info.value


async def test_hostile_signalling_gets_coded_errors_and_the_party_goes_on(party, connect, closing):
    party_id, (host, ada) = await party(2)
    base = {"party": party_id, "audio": True, "video": True, "consent": True}
    await refused(ada.request("rtc.publish", base | {"sdp": "hello"}), "bad_request")
    await refused(ada.request("rtc.publish", base | {"sdp": "v=0\r\n" + "a=x\r\n" * 5000}), "too_large")
    garbage = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nm=audio nonsense\r\n"
    await refused(ada.request("rtc.publish", base | {"sdp": garbage}), "bad_request")
    three = "v=0\r\nm=video 9 X 96\r\nm=audio 9 X 111\r\nm=video 9 X 97\r\n"
    await refused(ada.request("rtc.publish", base | {"sdp": three}), "bad_request")
    pc = RTCPeerConnection()
    closing.append(pc)
    pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    offer = await gathered(pc, await pc.createOffer())
    await refused(ada.request("rtc.publish", base | {"sdp": offer, "consent": False}), "forbidden")
    await refused(ada.request("rtc.publish", base | {"sdp": offer, "video": False}), "bad_request")
    stranger = await connect("Stranger")
    other = (await stranger.create_party("Elsewhere", {"url": "https://m.example/x.mp4"}))["id"]
    await refused(ada.request("rtc.publish", base | {"sdp": offer, "party": other}), "forbidden")
    await refused(host.request("rtc.subscribe", {"party": party_id, "publisher": "nobody"}), "not_found")
    await refused(
        host.request("rtc.subscribe", {"party": party_id, "publisher": ada.user["id"]}), "not_found"
    )
    await refused(
        ada.request("rtc.subscribe", {"party": party_id, "publisher": ada.user["id"]}), "bad_request"
    )
    answer = {"party": party_id, "publisher": ada.user["id"], "sdp": offer}
    await refused(host.request("rtc.answer", answer), "conflict")
    await refused(host.request("rtc.mute", {"party": party_id, "audio": "yes"}), "bad_request")
    # The party is unharmed: a real camera still goes on and chat still flows.
    closing.append(await publish(ada, party_id))
    sent = await host.send_chat(party_id, "still here")
    await ada.wait_until(lambda: ada.last_message_id.get(party_id) == sent["id"])
