"""Encoded frames, read without decoding them: whether a frame is a keyframe, and the
picture size a recording is opened with (VP8 frame headers, H.264 Annex B NAL units and
their SPS). Pure functions over bytes, shared by the forwarder and the recorder.

H.264 arrives as aiortc's depacketizer rebuilds it: Annex B, every NAL unit after a
start code (00 00 01, or 00 00 00 01), parameter sets in-band before each IDR picture.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

log = logging.getLogger("socialsync.services.clips")

START_CODE = b"\x00\x00\x01"
NAL_IDR, NAL_SPS, NAL_PPS = 5, 7, 8


def is_keyframe(mime_type: str, data: bytes) -> bool:
    """Whether an encoded frame (as aiortc's depayloaders rebuild it) starts a decodable picture."""
    mime = mime_type.lower()
    if mime == "video/vp8":
        # RFC 6386 §9.1: bit 0 of the frame tag is 0 for key frames, which carry a start code.
        return len(data) >= 6 and not data[0] & 0x01 and data[3:6] == b"\x9d\x01\x2a"
    if mime == "video/h264":
        return any(data[start] & 0x1F == NAL_IDR for start, _ in _nal_spans(data))
    return True  # audio: every frame stands alone


# ----------------------------------------------------------------------- H.264 NAL units
def _nal_spans(access_unit: bytes) -> Iterator[tuple[int, int]]:
    """Where each NAL unit of an Annex B access unit lies (start, end): after its start
    code, without the trailing zeros (the zero before a 4-byte start code is not part of
    the unit before it); empty units left out. The one start-code scanner."""
    start = access_unit.find(START_CODE)
    while start != -1:
        start += 3
        end = access_unit.find(START_CODE, start)
        stop = len(access_unit) if end == -1 else end
        while stop > start and access_unit[stop - 1] == 0:
            stop -= 1
        if stop > start:
            yield start, stop
        start = end


def nal_units(access_unit: bytes) -> list[bytes]:
    """The NAL units of an Annex B access unit, start codes and trailing zeros removed."""
    return [access_unit[start:stop] for start, stop in _nal_spans(access_unit)]


def nal_types(access_unit: bytes) -> list[int]:
    """The nal_unit_type of each NAL unit, in order."""
    return [access_unit[start] & 0x1F for start, _ in _nal_spans(access_unit)]


# ----------------------------------------------------------------------- picture sizes
def vp8_size(frame: bytes) -> tuple[int, int]:
    """Width and height from a VP8 keyframe header (RFC 6386 §9.1)."""
    if len(frame) < 10:
        return 0, 0
    return int.from_bytes(frame[6:8], "little") & 0x3FFF, int.from_bytes(frame[8:10], "little") & 0x3FFF


# ----------------------------------------------------------------------- H.264 SPS
# Profiles whose SPS carries chroma format, bit depths and scaling lists (H.264 §7.3.2.1.1).
_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
_MAX_SIZE = 16_384  # H.264 level 6.2 tops out at 8192x4320; anything beyond is garbage


class _Bits:
    """Big-endian bit reader over an RBSP, with the Exp-Golomb codes of H.264 §9.1."""

    def __init__(self, rbsp: bytes) -> None:
        self._data = rbsp
        self._pos = 0  # in bits

    def u(self, n: int) -> int:
        if self._pos + n > len(self._data) * 8:
            raise ValueError("SPS truncated")
        value = 0
        for _ in range(n):
            value = value << 1 | self._data[self._pos >> 3] >> (7 - (self._pos & 7)) & 1
            self._pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while not self.u(1):
            zeros += 1
            if zeros > 31:  # 32-bit codes at most (§9.1): a longer run is corrupt data
                raise ValueError("Exp-Golomb code too long")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)


def _skip_scaling_list(bits: _Bits, size: int) -> None:
    """Read past a scaling_list() (§7.3.2.1.1.1): only its length matters here."""
    last = next_ = 8
    for _ in range(size):
        if next_:
            next_ = (last + bits.se()) % 256
        last = next_ or last


def sps_size(sps: bytes) -> tuple[int, int]:
    """Displayed width and height from an H.264 SPS NAL unit (header byte included).

    Reads seq_parameter_set_data (§7.3.2.1.1) up to the frame cropping, which
    `frame_cropping_*_offset` applies in chroma units (§7.4.2.1.1): 1080p is coded as
    1088 lines and cropped. Raises ValueError for what is not a whole SPS."""
    if not sps or sps[0] & 0x1F != NAL_SPS:
        raise ValueError("not an SPS")
    # Emulation prevention (§7.4.1): 00 00 03 stands for 00 00 in the payload.
    bits = _Bits(sps[1:].replace(b"\x00\x00\x03", b"\x00\x00"))
    profile_idc = bits.u(8)
    bits.u(16)  # constraint flags, level_idc
    bits.ue()  # seq_parameter_set_id
    chroma_format_idc, separate_colour_planes = 1, False
    if profile_idc in _HIGH_PROFILES:
        chroma_format_idc = bits.ue()
        if chroma_format_idc > 3:
            raise ValueError(f"chroma_format_idc {chroma_format_idc}")
        if chroma_format_idc == 3:
            separate_colour_planes = bool(bits.u(1))
        bits.ue(), bits.ue()  # bit depths
        bits.u(1)  # qpprime_y_zero_transform_bypass_flag
        if bits.u(1):  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma_format_idc != 3 else 12):
                if bits.u(1):
                    _skip_scaling_list(bits, 16 if i < 6 else 64)
    bits.ue()  # log2_max_frame_num_minus4
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()  # log2_max_pic_order_cnt_lsb_minus4
    elif poc_type == 1:
        bits.u(1)
        bits.se(), bits.se()
        cycle = bits.ue()
        if cycle > 255:
            raise ValueError(f"num_ref_frames_in_pic_order_cnt_cycle {cycle}")
        for _ in range(cycle):
            bits.se()
    bits.ue()  # max_num_ref_frames
    bits.u(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs = bits.ue() + 1
    height_map_units = bits.ue() + 1
    frame_mbs_only = bits.u(1)
    if not frame_mbs_only:
        bits.u(1)  # mb_adaptive_frame_field_flag
    bits.u(1)  # direct_8x8_inference_flag
    crop = (bits.ue(), bits.ue(), bits.ue(), bits.ue()) if bits.u(1) else (0, 0, 0, 0)
    # Table 6-1: the chroma sample grid is what the crop offsets count in.
    if separate_colour_planes or chroma_format_idc == 0:
        unit_x, unit_y = 1, 2 - frame_mbs_only
    else:
        unit_x = 1 if chroma_format_idc == 3 else 2
        unit_y = (2 if chroma_format_idc == 1 else 1) * (2 - frame_mbs_only)
    width = width_mbs * 16 - unit_x * (crop[0] + crop[1])
    height = (2 - frame_mbs_only) * height_map_units * 16 - unit_y * (crop[2] + crop[3])
    if not (0 < width <= _MAX_SIZE and 0 < height <= _MAX_SIZE):
        raise ValueError(f"picture size {width}x{height}")
    return width, height


def h264_size(access_unit: bytes) -> tuple[int, int]:
    """Width and height of an Annex B keyframe that carries its SPS and PPS, else (0, 0).

    Both parameter sets are asked for because the MP4's avcC is made of this very
    access unit's: without them the file would have no decoder configuration."""
    units = nal_units(access_unit)
    types = {u[0] & 0x1F for u in units}
    if NAL_PPS not in types:
        return 0, 0
    for unit in units:
        if unit[0] & 0x1F == NAL_SPS:
            try:
                return sps_size(unit)
            except ValueError as exc:
                log.warning("clip: unreadable H.264 SPS (%s)", exc)
                return 0, 0
    return 0, 0
