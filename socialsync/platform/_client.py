"""The two clients: ``SocialSync`` (blocking) and ``AsyncSocialSync`` (asyncio). Both
carry the same resources, built once in ``_Api``; only their runner differs."""

from __future__ import annotations

from types import TracebackType
from typing import Generic

import httpx

from socialsync.platform._http import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT_S,
    DEFAULT_TIMEOUT_S,
    AsyncRunner,
    SyncRunner,
    options,
)
from socialsync.platform._request import Async, M, Runner, Sync
from socialsync.platform._resources.analytics import Analytics
from socialsync.platform._resources.api_keys import ApiKeys
from socialsync.platform._resources.chat import Chat
from socialsync.platform._resources.clips import Clips
from socialsync.platform._resources.discovery import Discovery
from socialsync.platform._resources.invites import Invites
from socialsync.platform._resources.members import Members
from socialsync.platform._resources.moderation import Moderation
from socialsync.platform._resources.parties import Parties
from socialsync.platform._resources.privacy import Privacy
from socialsync.platform._resources.tenant import Tenant
from socialsync.platform._resources.tokens import Tokens
from socialsync.platform._resources.webhooks import Deliveries, Webhooks


class _Api(Generic[M]):
    """Every resource of the REST API v1, over one runner."""

    def __init__(self, runner: Runner) -> None:
        self.parties: Parties[M] = Parties(runner)
        self.members: Members[M] = Members(runner)
        self.invites: Invites[M] = Invites(runner)
        self.chat: Chat[M] = Chat(runner)
        self.moderation: Moderation[M] = Moderation(runner)
        self.tokens: Tokens[M] = Tokens(runner)
        self.api_keys: ApiKeys[M] = ApiKeys(runner)
        self.tenant: Tenant[M] = Tenant(runner)
        self.webhooks: Webhooks[M] = Webhooks(runner)
        self.deliveries: Deliveries[M] = Deliveries(runner)
        self.privacy: Privacy[M] = Privacy(runner)
        self.clips: Clips[M] = Clips(runner)
        self.analytics: Analytics[M] = Analytics(runner)
        self.discovery: Discovery[M] = Discovery(runner)


class SocialSync(_Api[Sync]):
    """A blocking client of the REST API v1.

    ``base_url``: the server (default ``$SOCIALSYNC_URL``); ``api_key``: an ``ssk_...``
    key (default ``$SOCIALSYNC_API_KEY``) or ``token``: a person's signed token;
    ``timeout_s`` per attempt; ``max_retries`` and ``max_retry_wait_s`` bound the retries
    (429 and 503 after ``Retry-After``, connection failures); ``http_client``: an
    ``httpx.Client`` of yours (proxies, TLS, event hooks), left open by ``close``."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        token: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait_s: float = DEFAULT_MAX_RETRY_WAIT_S,
        http_client: httpx.Client | None = None,
    ) -> None:
        opts = options(base_url, api_key, token, timeout_s, max_retries, max_retry_wait_s)
        self._runner = SyncRunner(opts, http_client)
        super().__init__(self._runner)

    @property
    def base_url(self) -> str:
        return self._runner.opts.base_url

    def close(self) -> None:
        self._runner.close()

    def __enter__(self) -> SocialSync:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncSocialSync(_Api[Async]):
    """The asyncio client: the same resources and arguments as ``SocialSync``, each
    method awaited (``iter`` with ``async for``); ``http_client``: an ``httpx.AsyncClient``."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        token: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait_s: float = DEFAULT_MAX_RETRY_WAIT_S,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        opts = options(base_url, api_key, token, timeout_s, max_retries, max_retry_wait_s)
        self._runner = AsyncRunner(opts, http_client)
        super().__init__(self._runner)

    @property
    def base_url(self) -> str:
        return self._runner.opts.base_url

    async def aclose(self) -> None:
        await self._runner.aclose()

    async def __aenter__(self) -> AsyncSocialSync:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
