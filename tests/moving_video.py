"""A test camera for aiortc peers: a picture that changes every frame."""

from __future__ import annotations

import av
from aiortc import VideoStreamTrack


class MovingVideo(VideoStreamTrack):
    """Horizontal bands that scroll down one step per frame (30 fps), so every frame
    differs and a receiver can tell frames apart by their pixels."""

    def __init__(self, width: int = 640, height: int = 480) -> None:
        super().__init__()
        self.width, self.height = width, height
        # Twice the picture's height of bands: each frame is a window sliding down it.
        self._luma = b"".join(bytes([(y * 3) % 220 + 16]) * width for y in range(height * 2))
        self._chroma = bytes([128]) * (width * height // 4)
        self._count = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        offset = (self._count * 4 % self.height) * self.width
        self._count += 1
        frame = av.VideoFrame(width=self.width, height=self.height, format="yuv420p")
        frame.planes[0].update(self._luma[offset : offset + self.width * self.height])
        frame.planes[1].update(self._chroma)
        frame.planes[2].update(self._chroma)
        frame.pts, frame.time_base = pts, time_base
        return frame
