"""An aiortc camera that makes the server's relay take H.264, for the H.264 clip tests.

The server answers VP8 or H.264 (VP8 first); a publisher that offers H.264 only
gets H.264. aiortc encodes it with libx264 (Constrained Baseline, level 3.1), and
its picture here is 640x360, which is not a whole number of macroblocks high (23
rows, 8 lines cropped), so the size read from the SPS is checked on the hard case."""

from __future__ import annotations

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from moving_video import MovingVideo

from socialsync.sdk.client import SocialSyncClient

WIDTH, HEIGHT = 640, 360


async def publish_h264(client: SocialSyncClient, party: str) -> RTCPeerConnection:
    """Publish camera (H.264 only) and microphone, as `rtc.publish` with consent."""
    pc = RTCPeerConnection()
    video = pc.addTransceiver(MovingVideo(WIDTH, HEIGHT), direction="sendonly")
    codecs = RTCRtpSender.getCapabilities("video").codecs
    video.setCodecPreferences([c for c in codecs if c.mimeType in ("video/H264", "video/rtx")])
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    try:
        await pc.setLocalDescription(await pc.createOffer())  # gathers ICE: no trickle
        answer = await client.request(
            "rtc.publish",
            {"party": party, "sdp": pc.localDescription.sdp, "audio": True, "video": True, "consent": True},
        )
        assert "H264/90000" in answer["sdp"] and "VP8/90000" not in answer["sdp"]
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    except BaseException:
        await pc.close()
        raise
    return pc
