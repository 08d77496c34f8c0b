"""The transports: a request description (``_request.Request``) over httpx, with the
client's credentials, timeout and retries.

Everything but the waiting and the I/O is shared: ``prepare`` builds the httpx request,
``decide`` reads what came back (an answer, or httpx's exception) into the result, an
error, or a retry after a delay. ``SyncRunner`` and ``AsyncRunner`` differ only in
``time.sleep`` / ``asyncio.sleep`` and ``send`` / ``await send``.

Retries (at most ``max_retries``, each wait at most ``max_retry_wait_s``):

- ``429 rate_limited``: any request, after ``Retry-After``. The server refuses before the
  handler runs, so even a POST had no effect; a wait longer than the bound is not
  waited: ``RateLimited`` is raised with its ``retry_after_s``.
- ``503 unavailable`` and an answer lost on the way (a read timeout, a reset): idempotent
  requests only (GET, PUT, DELETE, and the PATCHes that set fields), after
  ``Retry-After`` or a short backoff.
- no connection made (refused, a connect timeout): any request (nothing was sent).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

from socialsync.platform._errors import (
    NetworkError,
    Timeout,
    UnexpectedAnswer,
    error_of,
    retry_after_s,
)
from socialsync.platform._models import Page
from socialsync.platform._request import Request

T = TypeVar("T")

API_KEY_PREFIX = "ssk_"
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RETRY_WAIT_S = 10.0
BACKOFF_S = 0.25
USER_AGENT = "socialsync-platform-python/0.1"
# Failures after which nothing reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True, slots=True)
class Options:
    base_url: str
    authorization: str
    timeout_s: float
    max_retries: int
    max_retry_wait_s: float


def options(
    base_url: str | None,
    api_key: str | None,
    token: str | None,
    timeout_s: float,
    max_retries: int,
    max_retry_wait_s: float,
) -> Options:
    """The client's settings, checked; ``base_url`` and ``api_key`` default to the
    environment's ``SOCIALSYNC_URL`` and ``SOCIALSYNC_API_KEY``."""
    base_url = base_url or os.environ.get("SOCIALSYNC_URL")
    if not base_url:
        raise ValueError("give base_url (or set SOCIALSYNC_URL), e.g. https://sync.example.com")
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
    if api_key is not None and token is not None:
        raise ValueError("give api_key or token, not both")
    if api_key is None and token is None:
        api_key = os.environ.get("SOCIALSYNC_API_KEY")
    if api_key is not None and not api_key.startswith(API_KEY_PREFIX):
        raise ValueError("an API key starts with ssk_ (a signed token goes in token=)")
    credential = api_key or token
    if not credential:
        raise ValueError("give api_key='ssk_...' (or set SOCIALSYNC_API_KEY), or token=")
    if timeout_s <= 0 or max_retries < 0 or max_retry_wait_s < 0:
        raise ValueError("timeout_s must be > 0, max_retries and max_retry_wait_s >= 0")
    return Options(base_url.rstrip("/"), f"Bearer {credential}", timeout_s, max_retries, max_retry_wait_s)


@dataclass(frozen=True, slots=True)
class Retry:
    delay_s: float


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    value: T


def prepare(http: httpx.Client | httpx.AsyncClient, opts: Options, request: Request[Any]) -> httpx.Request:
    body = request.spec.body
    return http.build_request(
        request.method,
        opts.base_url + request.path,
        params=request.params(),
        json=body if body is not None else None,
        headers={
            "Authorization": opts.authorization,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        },
        timeout=opts.timeout_s,
    )


def decide(
    opts: Options, request: Request[T], answer: httpx.Response | httpx.HTTPError, attempt: int
) -> Done[T] | Retry:
    """The result of one attempt, a retry, or the exception for it."""
    more = attempt < opts.max_retries
    if isinstance(answer, httpx.HTTPError):
        if more and (isinstance(answer, _NOT_SENT) or request.idempotent):
            return Retry(_backoff(opts, attempt))
        kind = Timeout if isinstance(answer, httpx.TimeoutException) else NetworkError
        raise kind(f"{request.method} {request.path}: {answer}") from answer
    status = answer.status_code
    if status in (429, 503) and more and (status == 429 or request.idempotent):
        wait = retry_after_s(answer.headers.get("retry-after"))
        if wait is None:
            return Retry(_backoff(opts, attempt))
        if wait <= opts.max_retry_wait_s:
            return Retry(wait)
    data = _json(answer)
    if not 200 <= status < 300:
        raise error_of(status, answer.headers, data)
    try:
        return Done(request.spec.read(data))
    except (ValueError, KeyError, TypeError) as exc:
        raise UnexpectedAnswer(f"{request.method} {request.route}: {exc}", status=status) from exc


def _json(answer: httpx.Response) -> Any:
    if not answer.content:
        return None
    try:
        return answer.json()
    except ValueError:
        if 200 <= answer.status_code < 300:
            raise UnexpectedAnswer("the answer is not JSON", status=answer.status_code) from None
        return None  # an error page: the status tells


def _backoff(opts: Options, attempt: int) -> float:
    return float(min(BACKOFF_S * 2**attempt, opts.max_retry_wait_s))


class SyncRunner:
    """Runs requests with an ``httpx.Client`` (its own, or one given and not closed here)."""

    def __init__(self, opts: Options, http: httpx.Client | None = None) -> None:
        self.opts = opts
        self._owned = http is None
        self.http = http if http is not None else httpx.Client()

    def send(self, request: Request[T]) -> T:
        attempt = 0
        while True:
            try:
                answer: httpx.Response | httpx.HTTPError = self.http.send(
                    prepare(self.http, self.opts, request)
                )
            except httpx.HTTPError as exc:
                answer = exc
            step = decide(self.opts, request, answer, attempt)
            if isinstance(step, Done):
                return step.value
            time.sleep(step.delay_s)
            attempt += 1

    def items(self, request: Request[Page[T]]) -> Iterator[T]:
        while True:
            page = self.send(request)
            yield from page.items
            if page.next_cursor is None:
                return
            request = request.after(page.next_cursor)

    def close(self) -> None:
        if self._owned:
            self.http.close()


class AsyncRunner:
    """Runs requests with an ``httpx.AsyncClient`` (its own, or one given and not closed here)."""

    def __init__(self, opts: Options, http: httpx.AsyncClient | None = None) -> None:
        self.opts = opts
        self._owned = http is None
        self.http = http if http is not None else httpx.AsyncClient()

    async def send(self, request: Request[T]) -> T:
        attempt = 0
        while True:
            try:
                answer: httpx.Response | httpx.HTTPError = await self.http.send(
                    prepare(self.http, self.opts, request)
                )
            except httpx.HTTPError as exc:
                answer = exc
            step = decide(self.opts, request, answer, attempt)
            if isinstance(step, Done):
                return step.value
            await asyncio.sleep(step.delay_s)
            attempt += 1

    async def items(self, request: Request[Page[T]]) -> AsyncIterator[T]:
        while True:
            page = await self.send(request)
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            request = request.after(page.next_cursor)

    async def aclose(self) -> None:
        if self._owned:
            await self.http.aclose()
