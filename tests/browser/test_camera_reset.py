"""`rtc.reset` in the browser SDK (protocol 15.4): the media node's connections are
gone; the publisher's page publishes again by itself and the other page receives
the camera again, with no click and no "unpublished" event."""

from __future__ import annotations

import time

import pytest
from browser_support import create_party
from test_cameras import camera_server, frames_over, open_member, report, turn_camera_on, uid, wait_video

from socialsync.app import SERVICE

pytestmark = pytest.mark.browser
__all__ = ["camera_server", "open_member"]  # fixtures, used by name

WATCH = """
() => {
  const cams = window.socialsyncDemo.party.cameras;
  window.resetLog = [];
  cams.on("unpublished", (reason) => window.resetLog.push("unpublished:" + reason));
  cams.on("published", () => window.resetLog.push("published"));
  cams.on("streamEnded", (user, reason) => window.resetLog.push("ended:" + reason));
}
"""


async def test_a_reset_republishes_and_resubscribes_by_itself(camera_server, open_member):
    party_id = await create_party(camera_server)
    ada = await open_member(camera_server, party_id, "Ada")
    bob = await open_member(camera_server, party_id, "Bob")
    await turn_camera_on(ada)
    await wait_video(bob, uid(ada))
    for m in (ada, bob):
        await m.page.evaluate(WATCH)
    await bob.page.evaluate(
        "(u) => { window.oldPc = window.socialsyncDemo.party.cameras.peerConnection(u); }", uid(ada)
    )

    # What a dead media node leaves: no connections, then the reset.
    service = camera_server.app[SERVICE]
    started = time.monotonic()
    await service.relay.local.drop_party(party_id)
    await service.cameras.reset(party_id)

    await ada.page.wait_for_function("() => window.resetLog.includes('published')", timeout=10_000)
    await bob.page.wait_for_function(
        """(u) => { const pc = window.socialsyncDemo.party.cameras.peerConnection(u);
                   return pc && pc !== window.oldPc; }""",
        arg=uid(ada),
        timeout=10_000,
    )
    await wait_video(bob, uid(ada))
    back_s = time.monotonic() - started
    decoded = await frames_over(bob, uid(ada), 1.0)
    assert decoded >= 5, decoded
    assert await ada.page.evaluate("window.resetLog") == ["published"], "no 'unpublished' on a reset"
    assert "ended:reset" in await bob.page.evaluate("window.resetLog")
    report("reset", {"camera_back_s": round(back_s, 2), "frames_decoded_in_1s": decoded})
    for m in (ada, bob):
        assert m.console_errors == [], (m.name, m.console_errors)
