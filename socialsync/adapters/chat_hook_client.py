"""The ``ChatHookCaller`` on aiohttp's client: one shared session whose keep-alive
connections are reused from message to message, redirects never followed, and the
SSRF rules of the webhooks (adapters/webhook_sender.py's resolver: every address a
name resolves to is checked on each new connection; a literal private address is
refused before connecting). The deadline is the caller's (services/chat_hook.py):
a cancelled call closes its connection."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from urllib.parse import urlsplit

import aiohttp

from socialsync.adapters.webhook_sender import GuardedResolver, PrivateTarget
from socialsync.domain.webhooks import address_allowed, is_ip
from socialsync.ports.chat_hook import HookReply

USER_AGENT = "SocialSync-ChatHook/1"
REFUSED = "refused: a private address"
# A backstop only: the service's deadline (at most 2 s) ends a call first.
BACKSTOP_S = 10.0


class AiohttpChatHookCaller:
    def __init__(self, allow_private: bool, connections: int = 256, per_host: int = 64) -> None:
        self._allow_private = allow_private
        self._connections = connections
        self._per_host = per_host
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self._allow_private),
                limit=self._connections,
                limit_per_host=self._per_host,
                keepalive_timeout=30,
                ttl_dns_cache=10,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=BACKSTOP_S),
                headers={"User-Agent": USER_AGENT},
                skip_auto_headers=("Accept-Encoding",),
            )
        return self._session

    async def post(self, url: str, headers: Mapping[str, str], body: bytes, max_answer: int) -> HookReply:
        host = urlsplit(url).hostname or ""
        if is_ip(host) and not address_allowed(host, self._allow_private):
            return HookReply(None, error=REFUSED)
        try:
            async with self._client().post(
                url, data=body, headers=dict(headers), allow_redirects=False
            ) as answer:
                read = bytearray()
                while len(read) <= max_answer:
                    chunk = await answer.content.read(max_answer + 1 - len(read))
                    if not chunk:
                        break
                    read += chunk
                return HookReply(answer.status, bytes(read[:max_answer]), too_long=len(read) > max_answer)
        except TimeoutError:
            return HookReply(None, error="timed out")
        except aiohttp.ClientConnectorError as exc:
            private = isinstance(exc.os_error, PrivateTarget)
            return HookReply(None, error=REFUSED if private else _reason(exc))
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return HookReply(None, error=_reason(exc))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
            await asyncio.sleep(0)  # let the connector's transports close


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
