"""The one H.264 start-code scanner (media/codecs.py): the recorder's NAL units and the
forwarder's keyframe test read the same units."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from socialsync.media.codecs import is_keyframe, nal_types, nal_units

SPS, PPS, IDR, SLICE = b"\x67\x42\x00\x1f", b"\x68\xce\x3c\x80", b"\x65\x88\x84\x00\x10", b"\x41\x9a\x00"


def test_units_after_three_and_four_byte_start_codes_without_trailing_zeros() -> None:
    access_unit = b"\x00\x00\x00\x01" + SPS + b"\x00\x00\x01" + PPS + b"\x00\x00\x00\x01" + IDR
    assert nal_units(access_unit) == [SPS, PPS, IDR.rstrip(b"\x00")]
    assert nal_types(access_unit) == [7, 8, 5]


def test_empty_and_all_zero_units_are_left_out() -> None:
    assert nal_units(b"\x00\x00\x01\x00\x00\x00\x01" + SLICE) == [SLICE.rstrip(b"\x00")]
    assert nal_units(b"") == [] and nal_units(b"\x00\x00\x01") == []


def test_an_h264_keyframe_is_one_with_an_idr_slice() -> None:
    assert is_keyframe(
        "video/H264", b"\x00\x00\x00\x01" + SPS + b"\x00\x00\x00\x01" + PPS + b"\x00\x00\x01" + IDR
    )
    assert not is_keyframe("video/h264", b"\x00\x00\x00\x01" + SLICE)
    assert not is_keyframe("video/h264", IDR)  # no start code: not Annex B


def test_vp8_keyframes_and_audio() -> None:
    assert is_keyframe("video/VP8", b"\x10\x02\x00\x9d\x01\x2a\x80\x02\xe0\x01")
    assert not is_keyframe("video/vp8", b"\x11\x02\x00\x9d\x01\x2a")
    assert is_keyframe("audio/opus", b"\x01")


@given(
    st.lists(st.sampled_from([b"\x00\x00\x01", b"\x00\x00\x00\x01", b"\x00", b"\x65", b"\x41", b"\x07\x00"]))
)
def test_types_keyframes_and_units_agree(parts: list[bytes]) -> None:
    data = b"".join(parts)
    units = nal_units(data)
    assert nal_types(data) == [u[0] & 0x1F for u in units]
    assert all(u and not u.endswith(b"\x00") for u in units)
    assert is_keyframe("video/h264", data) == (5 in nal_types(data))
