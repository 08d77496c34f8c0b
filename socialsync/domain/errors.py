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


class SyncError(Exception):
    """A refusal with a wire code.

    ``details`` are extra top-level fields of the error answer (for example the
    current ``playback`` on a conflict); ``retry_after_s`` tells a rate-limited
    client how long to wait.
    """

    def __init__(
        self,
        code: Code,
        message: str,
        *,
        retry_after_s: float | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s
        self.details = details or {}

    def to_wire(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code.value, "message": self.message}
        if self.retry_after_s is not None:
            error["retry_after"] = round(self.retry_after_s, 3)
        return {"ok": False, "error": error, **self.details}

    def __repr__(self) -> str:
        return f"SyncError({self.code.value!r}, {self.message!r})"


def bad_request(message: str) -> SyncError:
    return SyncError(Code.BAD_REQUEST, message)


def forbidden(message: str) -> SyncError:
    return SyncError(Code.FORBIDDEN, message)


def not_found(message: str) -> SyncError:
    return SyncError(Code.NOT_FOUND, message)


class ConflictError(SyncError):
    """A control carried a stale ``seq``; the answer carries the state that won."""

    def __init__(self, message: str, current: Any) -> None:
        super().__init__(Code.CONFLICT, message)
        self.current = current
