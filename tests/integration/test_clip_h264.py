"""Reaction clips of an H.264 camera: an aiortc publisher negotiates H.264, and the
server muxes its forwarded access units into an MP4 that carries them unchanged
(Annex B start codes become 4-byte lengths, the SPS and PPS also go into the avcC),
sized from the SPS. Browsers' playback of such a file: tests/browser/test_clip_h264_playback.py."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import av
import pytest
from aiortc.jitterbuffer import JitterFrame
from h264_camera import HEIGHT, WIDTH, publish_h264
from support import running_server
from test_clip_recording import clip_file, node_relay, packets_of, record

from socialsync.media.codecs import h264_size, nal_units

NAL_IDR, NAL_SPS, NAL_PPS = 5, 7, 8


@pytest.fixture
async def server(tmp_path, backend):
    async with running_server(tmp_path, clip_dir=str(tmp_path / "clips"), clip_max_s=5.0, **backend) as s:
        yield s


def video_source(server, party_id: str, user_id: str):
    return node_relay(server)._publications[(party_id, user_id)].sources["video"]


def tap(source, edit=None) -> list[bytes]:
    """Every access unit the relay forwards from now on (after ``edit``, if given)."""
    seen: list[bytes] = []
    original = source._on_encoded

    def on_encoded(codec, frame):
        if edit is not None:
            frame = JitterFrame(data=edit(frame.data), timestamp=frame.timestamp)
        seen.append(frame.data)
        original(codec, frame)

    source._on_encoded = on_encoded
    return seen


def nal_types(access_unit: bytes) -> list[int]:
    return [u[0] & 0x1F for u in nal_units(access_unit)]


def as_annex_b(sample: bytes) -> bytes:
    """An MP4 sample (4-byte big-endian lengths before each NAL unit) in Annex B."""
    out, pos = bytearray(), 0
    while pos < len(sample):
        length = int.from_bytes(sample[pos : pos + 4], "big")
        assert length > 0 and pos + 4 + length <= len(sample), "not length-prefixed"
        out += b"\x00\x00\x00\x01" + sample[pos + 4 : pos + 4 + length]
        pos += 4 + length
    return bytes(out)


def avcc_parameter_sets(extradata: bytes) -> tuple[int, list[bytes], list[bytes]]:
    """NAL length size, SPSs and PPSs of an AVCDecoderConfigurationRecord (ISO 14496-15 §5.3.3)."""
    assert extradata[0] == 1, "avcC version 1 (Annex B extradata would start with 00 00)"
    length_size = (extradata[4] & 0x03) + 1
    pos, sets = 5, []
    for count_mask in (0x1F, 0xFF):
        count = extradata[pos] & count_mask
        pos += 1
        found = []
        for _ in range(count):
            size = int.from_bytes(extradata[pos : pos + 2], "big")
            found.append(extradata[pos + 2 : pos + 2 + size])
            pos += 2 + size
        sets.append(found)
    return length_size, sets[0], sets[1]


def read_clip(path) -> tuple[bytes, list[tuple[bytes, bool]], int]:
    """The video stream's extradata, its samples (bytes, keyframe) and the audio packet count."""
    with av.open(str(path)) as container:
        extradata = bytes(container.streams.video[0].codec_context.extradata or b"")
        video, audio = [], 0
        for packet in container.demux():
            if not packet.size:
                continue
            if packet.stream.type == "video":
                video.append((bytes(packet), packet.is_keyframe))
            else:
                audio += 1
    return extradata, video, audio


async def test_an_h264_camera_is_recorded_into_an_mp4_access_unit_for_access_unit(party, server, closing):
    party_id, (host, ada) = await party(2)
    closing.append(await publish_h264(ada, party_id))
    source = video_source(server, party_id, ada.user["id"])
    forwarded = tap(source)
    added = asyncio.create_task(host.wait_for("clip.added"))
    started = time.monotonic()
    clip = await record(server, ada, party_id, video_frames=30)
    took_s = time.monotonic() - started
    assert (await added)["clip"]["id"] == clip["id"]
    assert source.mime_type == "video/h264"
    assert clip["mime_type"] == "video/mp4" and (clip["width"], clip["height"]) == (WIDTH, HEIGHT)
    assert 0.5 < clip["duration"] < took_s + 1.0, (took_s, clip)  # RTP times: see test_clip_recording

    path = clip_file(server, clip)
    assert path.suffix == ".mp4" and path.stat().st_size == clip["size"]
    streams = packets_of(path)
    assert streams["video"]["codec"] == "h264" and streams["audio"]["codec"] == "opus"
    extradata, samples, audio_packets = read_clip(path)
    assert len(samples) >= 30 and audio_packets >= 40, (len(samples), audio_packets)

    # Not re-encoded: the samples are a run of the forwarded access units, byte for byte
    # once their lengths are start codes again, so of the same sizes too.
    units = [as_annex_b(sample) for sample, _ in samples]
    start = forwarded.index(units[0])
    assert forwarded[start : start + len(units)] == units
    assert streams["video"]["sizes"] == [len(u) for u in forwarded[start : start + len(units)]]
    assert source.stats.frames_decoded == 0

    # The file opens with an IDR picture that carries its parameter sets, and the
    # avcC holds the same SPS and PPS: what Chromium's MP4 parser configures its decoder with.
    assert samples[0][1] and nal_types(units[0])[:2] == [NAL_SPS, NAL_PPS] and NAL_IDR in nal_types(units[0])
    assert [k for _, k in samples] == [NAL_IDR in nal_types(u) for u in units]
    length_size, sps, pps = avcc_parameter_sets(extradata)
    in_band = nal_units(units[0])
    # FFmpeg keeps the zero byte before the next 4-byte start code at the PPS's end
    # (trailing_zero_8bits, which decoders skip).
    assert length_size == 4 and sps == [in_band[0]] and [p.rstrip(b"\x00") for p in pps] == [in_band[1]]
    assert h264_size(units[0]) == (WIDTH, HEIGHT)

    # FFmpeg's decoder (a test-side check, the server decodes nothing) reads every sample.
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (WIDTH, HEIGHT)
        decoded = [(f.width, f.height) for f in container.decode(stream)]
    assert decoded == [(WIDTH, HEIGHT)] * len(samples)

    listed = await host.request("clip.list", {"party": party_id})
    async with aiohttp.ClientSession() as http:
        async with http.get(listed["clips"][0]["url"], headers={"Range": "bytes=0-99"}) as r:
            assert r.status == 206 and r.headers["Content-Type"] == "video/mp4"


async def test_a_keyframe_without_its_parameter_sets_does_not_open_the_file(party, server, closing):
    party_id, (_host, ada) = await party(2)
    closing.append(await publish_h264(ada, party_id))
    source = video_source(server, party_id, ada.user["id"])
    armed = asyncio.Event()
    stripped = 0

    def strip_two_keyframes(data: bytes) -> bytes:
        # A sender may send an IDR picture without SPS/PPS (they came before it): once the
        # camera's first frames have come and gone, the next two keyframes come so.
        nonlocal stripped
        if len(forwarded) < 10:
            return data
        armed.set()
        if stripped < 2 and NAL_IDR in nal_types(data):
            stripped += 1
            return b"".join(b"\x00\x00\x00\x01" + u for u in nal_units(data) if u[0] & 0x1F not in (7, 8))
        return data

    forwarded = tap(source, strip_two_keyframes)
    await asyncio.wait_for(armed.wait(), 10)
    pli_before = source.stats.keyframe_requests_sent
    clip = await record(server, ada, party_id)  # it opens on the third keyframe
    assert stripped == 2
    assert (clip["width"], clip["height"]) == (WIDTH, HEIGHT)
    # The recording asked for a keyframe when it started, and again after each unusable one.
    assert source.stats.keyframe_requests_sent - pli_before >= 3
    _, samples, _ = read_clip(clip_file(server, clip))
    units = [as_annex_b(sample) for sample, _ in samples]
    keyframes = [f for f in forwarded[10:] if NAL_IDR in nal_types(f)]
    assert units[0] == keyframes[2] and nal_types(units[0])[:2] == [NAL_SPS, NAL_PPS]
    assert keyframes[0] not in units and keyframes[1] not in units
