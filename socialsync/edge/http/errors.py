"""Errors over HTTP: every refusal is ``{ok: false, error: {code, message}}`` with the
status of its code (docs/protocol.md 1.5), under /api/ whatever raised it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from socialsync.domain.errors import Code, SyncError

log = logging.getLogger("socialsync.http")

STATUS = {
    Code.BAD_REQUEST: 400,
    Code.UNAUTHORIZED: 401,
    Code.FORBIDDEN: 403,
    Code.NOT_FOUND: 404,
    Code.CONFLICT: 409,
    Code.TOO_LARGE: 413,
    Code.MODERATED: 422,
    Code.RATE_LIMITED: 429,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(exc: SyncError) -> web.Response:
    response = web.json_response(exc.to_wire(), status=STATUS[exc.code])
    if exc.retry_after_s is not None:
        response.headers["Retry-After"] = str(max(1, round(exc.retry_after_s)))
    return response


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure under /api answers {ok: false, error: {code, message}}."""
    try:
        return await handler(request)
    except SyncError as exc:
        return error_response(exc)
    except web.HTTPRequestEntityTooLarge:
        return error_response(SyncError(Code.TOO_LARGE, "request body too large"))
    except web.HTTPException as exc:
        if not request.path.startswith("/api/"):
            raise
        code = {404: Code.NOT_FOUND, 405: Code.BAD_REQUEST}.get(exc.status, Code.BAD_REQUEST)
        return error_response(SyncError(code, exc.reason))
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(SyncError(Code.INTERNAL, "internal error"))
