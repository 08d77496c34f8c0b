"""Errors of the platform SDK: every failure is a ``SocialSyncError`` carrying a code.

A refusal of the server keeps its ``code`` (the closed set of socialsync.domain.errors:
``bad_request``, ``unauthorized``, ``forbidden``, ``not_found``, ``conflict``,
``too_large``, ``moderated``, ``rate_limited``, ``unavailable``, ``internal``) as a
subclass per code, its HTTP ``status`` and ``message``, and the answer's extra fields
(``details``). httpx's exceptions never leave the SDK: a failure to reach the server is
a ``NetworkError`` (``Timeout`` for a timeout), raised ``from`` httpx's.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

from socialsync.domain.errors import Code


class SocialSyncError(Exception):
    """A request that did not work. ``code`` is the server's (a ``Code``, which compares
    equal to its string), or ``unavailable`` when no answer came; ``status`` is the HTTP
    status, None without an answer."""

    code: str = Code.INTERNAL

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.status = status
        self.details: Mapping[str, Any] = details or {}

    def __str__(self) -> str:
        where = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.code}{where}: {self.message}"


class BadRequest(SocialSyncError):
    code = Code.BAD_REQUEST


class Unauthorized(SocialSyncError):
    code = Code.UNAUTHORIZED


class Forbidden(SocialSyncError):
    code = Code.FORBIDDEN


class NotFound(SocialSyncError):
    code = Code.NOT_FOUND


class Conflict(SocialSyncError):
    code = Code.CONFLICT


class TooLarge(SocialSyncError):
    code = Code.TOO_LARGE


class Moderated(SocialSyncError):
    code = Code.MODERATED


class RateLimited(SocialSyncError):
    """``retry_after_s``: how long the server asked to wait (None: it did not say)."""

    code = Code.RATE_LIMITED

    def __init__(self, message: str, *, retry_after_s: float | None = None, **rest: Any) -> None:
        super().__init__(message, **rest)
        self.retry_after_s = retry_after_s


class Unavailable(SocialSyncError):
    code = Code.UNAVAILABLE


class InternalError(SocialSyncError):
    code = Code.INTERNAL


class NetworkError(Unavailable):
    """The server could not be reached, or the connection failed before an answer."""


class Timeout(NetworkError):
    """No answer within the client's timeout."""


class UnexpectedAnswer(SocialSyncError):
    """An answer this SDK cannot read (not JSON, or not the shape the API documents)."""

    code = Code.INTERNAL


BY_CODE: dict[str, type[SocialSyncError]] = {
    cls.code: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        TooLarge,
        Moderated,
        RateLimited,
        Unavailable,
        InternalError,
    )
}
# A code by status, for answers without the JSON envelope (a proxy's 502 page).
_BY_STATUS = {
    400: Code.BAD_REQUEST,
    401: Code.UNAUTHORIZED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    405: Code.BAD_REQUEST,
    409: Code.CONFLICT,
    413: Code.TOO_LARGE,
    422: Code.MODERATED,
    429: Code.RATE_LIMITED,
    502: Code.UNAVAILABLE,
    503: Code.UNAVAILABLE,
    504: Code.UNAVAILABLE,
}


def retry_after_s(value: str | None, now_s: float | None = None) -> float | None:
    """Seconds of a ``Retry-After`` header (a number of seconds, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now_s is None else now_s))


def error_of(status: int, headers: Mapping[str, str], data: Any) -> SocialSyncError:
    """The exception of a non-2xx answer: its JSON ``{ok: false, error: {code, message}}``
    when it has one, else a code by status."""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        code = str(error["code"])
        message = str(error.get("message", ""))
        details = {k: v for k, v in data.items() if k not in ("ok", "error")}
    else:
        fallback = Code.INTERNAL if status >= 500 else Code.BAD_REQUEST
        code = _BY_STATUS.get(status, fallback)
        message = f"HTTP {status} without an error body"
        details = {}
    cls = BY_CODE.get(code, SocialSyncError)
    if cls is RateLimited:
        wait = retry_after_s(headers.get("retry-after"))
        if wait is None and isinstance(error, dict) and isinstance(error.get("retry_after"), int | float):
            wait = float(error["retry_after"])
        return RateLimited(message, retry_after_s=wait, code=code, status=status, details=details)
    return cls(message, code=code, status=status, details=details)
