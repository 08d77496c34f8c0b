"""H.264 reaction clips play in Chromium: the MP4 the server muxes from a camera's
forwarded H.264 (never re-encoded) is fetched over the clip's signed media URL (Range
requests answered 206) into a plain <video>, which must show its picture size, decode
its frames and audio, advance and seek.

Two cameras: an aiortc one (libx264, 640x360), and Chromium's own fake camera made to
send H.264 (its WebRTC encoder and packetization, 640x480) through the demo page."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator

import pytest
from browser_support import ARTIFACTS, Member, create_party
from h264_camera import HEIGHT, WIDTH, publish_h264
from support import Server, running_server

from socialsync.sdk.client import SocialSyncClient

pytestmark = pytest.mark.browser

RECORD_S = 3.0

# Plays a clip's URL in a new muted <video> (muted: autoplay needs no gesture), for at
# most 2.5 s, then seeks back into it; what the element reports on the way.
PLAY = """
async (url) => {
  const v = document.createElement('video');
  v.muted = true;
  v.playsInline = true;
  document.body.append(v);
  const event = (name) => new Promise((resolve) => v.addEventListener(name, resolve, {once: true}));
  v.src = url;
  await Promise.race([event('loadedmetadata'), event('error')]);
  if (v.error) return {error: v.error.code, message: v.error.message};
  const out = {width: v.videoWidth, height: v.videoHeight, duration: v.duration, times: []};
  await v.play();
  const started = performance.now();
  while (performance.now() - started < 2500 && !v.ended) {
    out.times.push(v.currentTime);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  out.times.push(v.currentTime);
  const quality = v.getVideoPlaybackQuality();
  out.frames = quality.totalVideoFrames;
  out.corrupted = quality.corruptedVideoFrames;
  out.audioBytes = v.webkitAudioDecodedByteCount;
  v.pause();
  const seeked = event('seeked');
  v.currentTime = 0.5;
  await seeked;
  out.seekedTo = v.currentTime;
  out.error = v.error ? v.error.code : null;
  return out;
}
"""

# Chromium offers VP8 first, and the server takes VP8 when offered: the page's camera
# offers H.264 only (packetization mode 1, what aiortc depacketizes) to be relayed as such.
H264_ONLY = """
(() => {
  const add = RTCPeerConnection.prototype.addTransceiver;
  RTCPeerConnection.prototype.addTransceiver = function (trackOrKind, init) {
    const transceiver = add.call(this, trackOrKind, init);
    const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
    if (kind === 'video') {
      const codecs = RTCRtpSender.getCapabilities('video').codecs.filter((c) =>
        c.mimeType === 'video/rtx' ||
        (c.mimeType === 'video/H264' && (c.sdpFmtpLine || '').includes('packetization-mode=1')));
      transceiver.setCodecPreferences(codecs);
    }
    return transceiver;
  };
})();
"""


@pytest.fixture
async def clip_server(tmp_path) -> AsyncIterator[Server]:
    async with running_server(tmp_path, leave_grace_ms=1_000, clip_dir=str(tmp_path / "clips")) as server:
        yield server


async def play(browser, clip: dict, name: str) -> dict:
    """Play ``clip`` by its signed URL; a screenshot and the numbers go to test-artifacts."""
    page = await browser.new_page(viewport={"width": 700, "height": 500})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        result = await page.evaluate(PLAY, clip["url"])
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        keep = {k: clip[k] for k in ("mime_type", "duration", "size", "width", "height")}
        (ARTIFACTS / f"{name}.json").write_text(json.dumps({"clip": keep, "played": result}, indent=1))
    finally:
        await page.close()
    assert errors == [], errors
    return result


def assert_played(result: dict, clip: dict, size: tuple[int, int]) -> None:
    assert result.get("error") is None, result
    assert (result["width"], result["height"]) == size == (clip["width"], clip["height"]), result
    assert abs(result["duration"] - clip["duration"]) < 0.25, (result, clip)
    times = result["times"]
    assert all(b >= a for a, b in itertools.pairwise(times)), times
    assert times[-1] - times[0] > 1.5, times  # played for real, not stuck on the first frame
    assert result["frames"] >= 30 and result["corrupted"] == 0, result
    assert result["audioBytes"] > 0, "the Opus track of the MP4 decodes too"
    assert abs(result["seekedTo"] - 0.5) < 0.1, result


async def test_chromium_plays_an_h264_clip_of_an_aiortc_camera(browser, clip_server):
    clients = [SocialSyncClient(clip_server.url, guest=name) for name in ("Host", "Ada")]
    pc = None
    try:
        for client in clients:
            await client.connect()
        host, ada = clients
        party = await host.create_party("H.264", {"url": "https://media.example/f.mp4", "duration": 600.0})
        for client in clients:
            await client.join(party["id"])
        pc = await publish_h264(ada, party["id"])
        await ada.request("clip.start", {"party": party["id"], "consent": True})
        await asyncio.sleep(RECORD_S)
        clip = (await ada.request("clip.stop", {"party": party["id"]}))["clip"]
        assert clip["mime_type"] == "video/mp4", clip
        listed = (await host.request("clip.list", {"party": party["id"]}))["clips"][0]
    finally:
        if pc is not None:
            await pc.close()
        for client in clients:
            await client.close()
    assert_played(await play(browser, listed, "clip-h264-aiortc"), clip, (WIDTH, HEIGHT))


async def test_chromium_plays_an_h264_clip_of_its_own_camera(browser, camera_browser, clip_server):
    party_id = await create_party(clip_server)
    context = await camera_browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        await context.add_init_script(H264_ONLY)
        page = await context.new_page()
        ada = Member("Ada", context, page)
        await page.goto(f"{clip_server.url}/?party={party_id}&name=Ada")
        await page.wait_for_function("() => document.body.dataset.state === 'joined'", timeout=15_000)
        await page.click(".ssw-camera-toggle[data-kind='video']")
        await page.locator(".ssw-consent[open] .ssw-consent-confirm").click()
        await page.wait_for_function(
            "() => window.socialsyncDemo.party.cameras.mine !== null", timeout=10_000
        )
        record = page.locator(".ssw-clip-record")
        await page.wait_for_function("() => !document.querySelector('.ssw-clip-record').disabled")
        await record.click()
        await page.wait_for_function(
            "() => document.querySelector('.ssw-clip-record').textContent.includes('s left')", timeout=5_000
        )
        await asyncio.sleep(RECORD_S)
        await record.click()
        await page.wait_for_function(
            "() => window.socialsyncDemo.party.clips.clips.size === 1", timeout=10_000
        )
        clip = await page.evaluate("[...window.socialsyncDemo.party.clips.clips.values()][0]")
        assert ada.console_errors == [], ada.console_errors
    finally:
        await context.close()
    assert clip["mime_type"] == "video/mp4", clip  # the camera was relayed as H.264
    # Chromium's fake camera is 640x480; its encoder may start lower while it ramps up.
    result = await play(browser, clip, "clip-h264-chromium")
    assert_played(result, clip, (clip["width"], clip["height"]))
    assert clip["width"] > 0 and clip["height"] > 0, clip
