"""The clip recorder's H.264 SPS reading: the picture size an MP4 clip is opened with.

Two sources of SPSs: libx264 (what aiortc publishers send, plus the profiles, chroma
formats and interlacing it can make) and SPSs written here field by field, for the
branches x264 never takes (scaling lists in the SPS, picture order count type 1,
separate colour planes, emulation prevention bytes)."""

from __future__ import annotations

import fractions

import av
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialsync.media.codecs import h264_size, nal_units, sps_size


def encoded_keyframe(width: int, height: int, pix_fmt: str = "yuv420p", **options: str) -> bytes:
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, pix_fmt
    codec.time_base = fractions.Fraction(1, 30)
    codec.options = {"preset": "ultrafast", **options}
    frame = av.VideoFrame(width=width, height=height, format=pix_fmt)
    frame.pts = 0
    return b"".join(bytes(p) for p in [*codec.encode(frame), *codec.encode(None)])


def sps_of(access_unit: bytes) -> bytes:
    return next(u for u in nal_units(access_unit) if u[0] & 0x1F == 7)


@pytest.mark.parametrize(
    ("size", "pix_fmt", "options"),
    [
        ((640, 480), "yuv420p", {"profile": "baseline"}),  # aiortc's camera: whole macroblocks
        ((640, 360), "yuv420p", {"profile": "baseline"}),  # 23 rows of macroblocks, 8 lines cropped
        ((1920, 1080), "yuv420p", {"profile": "high"}),
        ((322, 242), "yuv444p", {}),  # High 4:4:4: crop counted in luma samples
        ((322, 242), "yuv422p", {}),  # High 4:2:2: 2 across, 1 down
        ((176, 144), "gray", {}),  # monochrome
        ((720, 576), "yuv420p", {"x264-params": "interlaced=1"}),  # field coding: map units are pairs
        ((720, 572), "yuv420p", {"x264-params": "interlaced=1"}),  # and their crop counts 4 lines
        ((2, 2), "yuv420p", {}),
    ],
)
def test_libx264_sps_sizes(size, pix_fmt, options):
    keyframe = encoded_keyframe(*size, pix_fmt, **options)
    assert sps_size(sps_of(keyframe)) == size
    assert h264_size(keyframe) == size


class BitWriter:
    def __init__(self) -> None:
        self.bits: list[int] = []

    def u(self, n: int, value: int) -> BitWriter:
        self.bits += [(value >> (n - 1 - i)) & 1 for i in range(n)]
        return self

    def ue(self, value: int) -> BitWriter:
        code = value + 1
        return self.u(code.bit_length() - 1, 0).u(code.bit_length(), code)

    def se(self, value: int) -> BitWriter:
        return self.ue(2 * value - 1 if value > 0 else -2 * value)

    def nal(self, header: int = 0x67) -> bytes:
        bits = [*self.bits, 1]  # rbsp_stop_one_bit, then zeros to the byte
        bits += [0] * (-len(bits) % 8)
        rbsp = bytes(int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8))
        out, zeros = bytearray([header]), 0
        for byte in rbsp:  # emulation prevention (§7.4.1)
            if zeros >= 2 and byte <= 3:
                out.append(3)
                zeros = 0
            out.append(byte)
            zeros = zeros + 1 if byte == 0 else 0
        return bytes(out)


def written_sps(
    *,
    profile: int = 66,
    chroma: int = 1,
    separate_planes: int = 0,
    scaling_lists: tuple[int, ...] = (),
    poc_type: int = 2,
    mbs: tuple[int, int] = (40, 30),
    frame_mbs_only: int = 1,
    crop: tuple[int, int, int, int] | None = None,
    poc_offsets: tuple[int, ...] = (-3, 7, 1, -2, 300),
) -> bytes:
    w = BitWriter().u(8, profile).u(8, 0).u(8, 31).ue(0)
    if profile in (100, 110, 122, 244):
        w.ue(chroma)
        if chroma == 3:
            w.u(1, separate_planes)
        w.ue(0).ue(0).u(1, 0)
        w.u(1, 1 if scaling_lists else 0)
        if scaling_lists:
            for i in range(8 if chroma != 3 else 12):
                present = i in scaling_lists
                w.u(1, present)
                if present:  # a list of deltas that ends early with next_scale 0
                    for delta in (5, -3, 100, -110):  # 8 → 13 → 10 → 110 → 0
                        w.se(delta)
    w.ue(0).ue(poc_type)
    if poc_type == 0:
        w.ue(2)
    elif poc_type == 1:
        w.u(1, 0).se(poc_offsets[0]).se(poc_offsets[1]).ue(len(poc_offsets) - 2)
        for offset in poc_offsets[2:]:
            w.se(offset)
    w.ue(1).u(1, 0).ue(mbs[0] - 1).ue(mbs[1] - 1).u(1, frame_mbs_only)
    if not frame_mbs_only:
        w.u(1, 1)
    w.u(1, 1)
    w.u(1, crop is not None)
    for offset in crop or ():
        w.ue(offset)
    w.u(1, 0)  # no VUI
    return w.nal()


@pytest.mark.parametrize(
    ("fields", "size"),
    [
        ({}, (640, 480)),
        ({"crop": (0, 0, 0, 4)}, (640, 472)),
        ({"profile": 100, "mbs": (120, 68), "crop": (0, 0, 0, 4)}, (1920, 1080)),
        ({"profile": 100, "scaling_lists": (0, 3, 6, 7), "poc_type": 0}, (640, 480)),
        ({"profile": 244, "chroma": 3, "scaling_lists": (1, 6, 11), "crop": (1, 2, 0, 3)}, (637, 477)),
        ({"profile": 244, "chroma": 3, "separate_planes": 1, "crop": (1, 0, 0, 1)}, (639, 479)),
        ({"profile": 100, "chroma": 0, "crop": (0, 1, 0, 1)}, (639, 479)),
        ({"profile": 122, "chroma": 2, "crop": (1, 0, 0, 1)}, (638, 479)),
        ({"poc_type": 1, "mbs": (80, 45)}, (1280, 720)),
        ({"frame_mbs_only": 0, "mbs": (45, 18), "crop": (0, 0, 0, 1)}, (720, 572)),
        ({"mbs": (1, 1)}, (16, 16)),
    ],
)
def test_written_sps_sizes(fields, size):
    assert sps_size(written_sps(**fields)) == size


def test_emulation_prevention_is_undone():
    # Huge offsets are long runs of zero bits: escaped with 03 bytes, which are no data.
    sps = written_sps(poc_type=1, poc_offsets=(1 << 24, -(1 << 24), 0), mbs=(80, 45))
    assert b"\x00\x00\x03" in sps
    assert sps_size(sps) == (1280, 720)
    with pytest.raises(ValueError):  # read with the escapes in, the fields come out wrong
        assert sps_size(sps.replace(b"\x00\x00\x03", b"\x00\x00\x00")) != (1280, 720)


def test_a_keyframe_without_its_parameter_sets_has_no_size():
    keyframe = encoded_keyframe(640, 360, profile="baseline")
    units = nal_units(keyframe)
    without_pps = b"".join(b"\x00\x00\x00\x01" + u for u in units if u[0] & 0x1F != 8)
    without_sps = b"".join(b"\x00\x00\x01" + u for u in units if u[0] & 0x1F != 7)
    assert h264_size(without_pps) == (0, 0) and h264_size(without_sps) == (0, 0)
    three_byte_codes = b"".join(b"\x00\x00\x01" + u for u in units)
    assert h264_size(three_byte_codes) == (640, 360)
    assert h264_size(b"") == (0, 0)


@pytest.mark.parametrize(
    "bad",
    [
        b"\x68\x42",  # a PPS
        b"\x67",
        b"\x67\x42\x00\x1f",  # truncated after the level
        b"\x67\x42\x00\x1f" + b"\x00" * 8,  # an Exp-Golomb code of more than 32 bits
        written_sps(mbs=(2000, 2000)),  # 32000 pixels wide
        written_sps(crop=(400, 0, 0, 0)),  # cropped to nothing
        written_sps(profile=100, chroma=4),
    ],
)
def test_what_is_not_an_sps_is_refused(bad):
    with pytest.raises(ValueError):
        sps_size(bad)


@given(st.binary(max_size=200))
def test_any_bytes_give_a_size_or_value_error(payload):
    try:
        width, height = sps_size(b"\x67" + payload)
    except ValueError:
        return
    assert 0 < width <= 16_384 and 0 < height <= 16_384
