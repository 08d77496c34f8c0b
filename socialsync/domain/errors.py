"""The one error type of SocialSync: every refusal carries a code from a closed set."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Code(StrEnum):
    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    MODERATED = "moderated"
    TOO_LARGE = "too_large"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


class Reason(StrEnum):
    """What exactly was refused, beside the code, for a client to put in its own words
    (protocol.md 1.4): the refusals people meet in the widget. ``params`` name the
    numbers the English ``message`` quotes."""

    # cameras (protocol 15.3)
    CAMERA_CONSENT = "camera_consent"
    CAMERAS_OFF = "cameras_off"  # the host's switch
    NOT_ON_STAGE = "not_on_stage"  # a live room's member off stage
    CAMERAS_FULL = "cameras_full"  # params: max
    CAMERAS_PER_USER = "cameras_per_user"  # params: max
    NO_RELAY = "no_relay"
    RELAY_FULL = "relay_full"
    RELAY_TIMEOUT = "relay_timeout"
    # reaction clips (protocol 16.4)
    CLIP_CONSENT = "clip_consent"
    CAMERA_NEEDED = "camera_needed"
    CLIPS_FULL = "clips_full"  # params: max
    CLIP_RATE = "clip_rate"
    RECORDINGS_FULL = "recordings_full"  # params: max
    RECORDING_ALREADY = "recording_already"
    NOT_RECORDING = "not_recording"
    CLIP_NO_VIDEO = "clip_no_video"
    CLIP_MODERATED = "clip_moderated"
    CLIP_FAILED = "clip_failed"
    OWN_CLIP = "own_clip"
    NO_RECORDER = "no_recorder"


class SyncError(Exception):
    """A refusal with a wire code.

    ``details`` are extra top-level fields of the error answer (for example the
    current ``playback`` on a conflict); ``retry_after_s`` tells a rate-limited
    client how long to wait. ``reason`` names the refusal more precisely than the code
    (``"cameras_full"``), with ``params`` the numbers its sentence quotes (``{"max": 8}``):
    what a client translates, where ``message`` is English for people.
    """

    def __init__(
        self,
        code: Code,
        message: str,
        *,
        retry_after_s: float | None = None,
        details: dict[str, Any] | None = None,
        reason: str | None = None,
        params: dict[str, str | int | float] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s
        self.details = details or {}
        self.reason = reason
        self.params = params or {}

    def to_wire(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code.value, "message": self.message}
        if self.retry_after_s is not None:
            error["retry_after"] = round(self.retry_after_s, 3)
        if self.reason is not None:
            error["reason"] = str(self.reason)
            if self.params:
                error["params"] = dict(self.params)
        return {"ok": False, "error": error, **self.details}

    def __repr__(self) -> str:
        return f"SyncError({self.code.value!r}, {self.message!r})"


Params = dict[str, str | int | float]


def bad_request(message: str, reason: str | None = None, params: Params | None = None) -> SyncError:
    return SyncError(Code.BAD_REQUEST, message, reason=reason, params=params)


def forbidden(message: str, reason: str | None = None, params: Params | None = None) -> SyncError:
    return SyncError(Code.FORBIDDEN, message, reason=reason, params=params)


def not_found(message: str, reason: str | None = None, params: Params | None = None) -> SyncError:
    return SyncError(Code.NOT_FOUND, message, reason=reason, params=params)


class ConflictError(SyncError):
    """A control carried a stale ``seq``; the answer carries the state that won."""

    def __init__(self, message: str, current: Any) -> None:
        super().__init__(Code.CONFLICT, message)
        self.current = current
