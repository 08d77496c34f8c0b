"""The ``WebhookSender`` on aiohttp's client: one POST per attempt, redirects not
followed, a total timeout, and (unless the server allows private targets) every
address the target resolves to checked before connecting, so a name that resolves to
a private or loopback address (or is re-pointed there later) is refused (SSRF:
docs/webhooks.md)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from socialsync.domain.webhooks import address_allowed, is_ip
from socialsync.ports.webhooks import SendResult

# At most this much of an answer is read (then the connection is dropped).
MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "SocialSync-Webhooks/1"


class PrivateTarget(OSError):
    pass


class GuardedResolver(AbstractResolver):
    """Resolves as usual, then refuses if any address is not allowed."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if not all(address_allowed(r["host"], self._allow_private) for r in found):
            raise PrivateTarget(f"{host} resolves to a private address")
        return found

    async def close(self) -> None:
        await self._inner.close()


class AiohttpWebhookSender:
    def __init__(self, timeout_s: float, allow_private: bool, concurrency: int = 16) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._allow_private = allow_private
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self._allow_private),
                limit=self._concurrency * 2,
                limit_per_host=self._concurrency,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, headers={"User-Agent": USER_AGENT}
            )
        return self._session

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult:
        loop = asyncio.get_running_loop()
        started = loop.time()

        def elapsed() -> int:
            return round((loop.time() - started) * 1000)

        host = urlsplit(url).hostname or ""
        if is_ip(host) and not address_allowed(host, self._allow_private):
            return SendResult(None, 0, "refused: a private address")
        try:
            async with self._client().post(
                url, data=body, headers=dict(headers), allow_redirects=False
            ) as answer:
                await answer.content.read(MAX_ANSWER_BYTES)
                return SendResult(answer.status, elapsed())
        except TimeoutError:
            return SendResult(None, elapsed(), "timed out")
        except aiohttp.ClientConnectorError as exc:
            private = isinstance(exc.os_error, PrivateTarget)
            return SendResult(None, elapsed(), "refused: a private address" if private else _reason(exc))
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return SendResult(None, elapsed(), _reason(exc))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _reason(exc: Any) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
