"""The REST adapter: endpoint declarations (edge/http/endpoint.py) become aiohttp routes.

For each request: who calls (``Authorization: Bearer``: an API key ``ssk_...``, or a
person's signed token), the scope the endpoint needs (a guest is refused everywhere),
the path, query and body parsed with the declared models (``bad_request`` naming the
field), the handler, and its answer as JSON. An API key's caller gets ``RateLimit-*``
headers on every answer, and ``Retry-After`` with a 429.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from aiohttp import web
from pydantic import BaseModel, ValidationError

from socialsync.domain.access import Caller
from socialsync.domain.api_keys import QuotaExceeded
from socialsync.domain.errors import Code, SyncError
from socialsync.edge.auth import Authenticator, bearer_token
from socialsync.edge.http.endpoint import AnyEndpoint, Call, Family, Nothing, Plain, body_required
from socialsync.edge.http.errors import error_response
from socialsync.edge.http.openapi import DOCUMENT_PATH, document, document_operation
from socialsync.protocol import inbound

API_KEY_PREFIX = "ssk_"
DOCS_PATH = "/api/docs"
# web_client/apidocs/ holds init.js; scripts/build_web.sh copies swagger-ui-dist beside it.
DOCS_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SocialSync REST API</title>
<link rel="stylesheet" href="/apidocs/swagger-ui.css">
</head>
<body>
<div id="docs" data-url="{DOCUMENT_PATH}">
<p>The SocialSync REST API: its OpenAPI document is <a href="{DOCUMENT_PATH}">{DOCUMENT_PATH}</a>.
If nothing renders here, the web client is not built: run <code>bash scripts/build_web.sh</code>.</p>
</div>
<script src="/apidocs/swagger-ui-bundle.js"></script>
<script src="/apidocs/init.js"></script>
</body>
</html>
"""
# Errors about a value being too long are "too_large", as on the socket (protocol/inbound.py).
_TOO_LARGE = {"string_too_long", "too_long", "bytes_too_long"}


class Quota(Protocol):
    """A key's rate limit after a request (services/api_keys.py makes it)."""

    @property
    def limit(self) -> int: ...

    @property
    def remaining(self) -> int: ...

    @property
    def reset_s(self) -> int: ...


class ApiKeys(Protocol):
    """Resolves ``Authorization: Bearer ssk_...`` to its caller (None: no such key, or
    revoked, or expired) and counts a request against the key's rate limit:
    ``quota`` raises SyncError(rate_limited, retry_after_s=...) when it is spent."""

    async def caller(self, authorization: str) -> Caller | None: ...

    def quota(self, key_id: str, now_ms: int) -> Quota: ...


def validate(model: type[BaseModel], data: Any, where: str = "") -> Any:
    """``data`` as ``model``, or bad_request (too_large for an over-long value) naming
    the first field at fault."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(p) for p in first["loc"])
        name = f"{where}.{field}" if where and field else field or where or "payload"
        code = Code.TOO_LARGE if first["type"] in _TOO_LARGE else Code.BAD_REQUEST
        raise SyncError(code, f"{name}: {first['msg']}") from None


async def read_json(request: web.Request) -> Any:
    """The request's JSON body, checked for control characters and depth."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SyncError(Code.BAD_REQUEST, "the body must be JSON") from None
    except RecursionError:
        raise SyncError(Code.BAD_REQUEST, "the body is nested too deeply") from None
    inbound.check_strings(data)
    return data


def _single_values(query: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in query.items():
        if name in out:
            raise SyncError(Code.BAD_REQUEST, f"{name[:64]}: give it once")
        out[name] = value
    return out


class RestApi:
    """Every family's endpoints as routes, through one path of checks."""

    def __init__(
        self,
        auth: Authenticator,
        families: Sequence[Family],
        now_ms: Callable[[], int],
        api_keys: ApiKeys | None = None,
        plain: Sequence[Plain] = (),
    ) -> None:
        self.auth = auth
        self.api_keys = api_keys
        self.now_ms = now_ms
        self.endpoints: list[AnyEndpoint] = [e for family in families for e in family.endpoints()]
        own = Plain(method="GET", path=DOCUMENT_PATH, handler=self.openapi, operation=document_operation())
        self.plain = [*plain, own]
        seen = [(e.method, e.path) for e in self.endpoints] + [(p.method, p.path) for p in self.plain]
        if len(set(seen)) != len(seen):
            raise ValueError(f"two declarations of one route: {sorted(seen)}")
        self._document: bytes | None = None

    def routes(self) -> list[web.RouteDef]:
        out = [web.route(e.method, e.path, self._route(e)) for e in self.endpoints]
        out += [web.route(p.method, p.path, p.handler) for p in self.plain]
        return [*out, web.get(DOCS_PATH, self.docs, allow_head=False)]

    def document(self) -> dict[str, Any]:
        return document(self.endpoints, self.plain)

    async def openapi(self, request: web.Request) -> web.Response:
        if self._document is None:
            self._document = json.dumps(self.document(), ensure_ascii=False).encode()
        return web.Response(
            body=self._document, content_type="application/json", headers={"Cache-Control": "no-cache"}
        )

    async def docs(self, request: web.Request) -> web.Response:
        """The rendered document: Swagger UI from the web build (``/apidocs/``), started by
        a script file of its own (the pages' CSP allows no inline script)."""
        return web.Response(text=DOCS_PAGE, content_type="text/html", headers={"Cache-Control": "no-cache"})

    def _route(self, endpoint: AnyEndpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            quota: Quota | None = None
            by_key = False
            try:
                caller = await self.caller(request)
                if caller.key_id is not None and self.api_keys is not None:
                    by_key = True
                    quota = self.api_keys.quota(caller.key_id, self.now_ms())
                caller.require(endpoint.scope)
                call = await self._parse(endpoint, caller, request)
                reply = await endpoint.handler(call)
                response = (
                    reply
                    if isinstance(reply, web.Response)
                    else web.json_response(dict(reply), status=endpoint.status)
                )
            except SyncError as exc:
                response = error_response(exc)  # with Retry-After when it says
                if by_key and isinstance(exc, QuotaExceeded):  # the key's own limit is spent
                    quota = exc.quota
            if quota is not None:
                response.headers["RateLimit-Limit"] = str(quota.limit)
                response.headers["RateLimit-Remaining"] = str(quota.remaining)
                response.headers["RateLimit-Reset"] = str(quota.reset_s)
            return response

        handle.__name__ = getattr(endpoint.handler, "__name__", "handle")
        return handle

    async def caller(self, request: web.Request) -> Caller:
        """Who calls: an API key's caller, or a person's token as a caller without scopes."""
        header = request.headers.get("Authorization", "")
        token = bearer_token(header)
        if token is not None and token.startswith(API_KEY_PREFIX):
            found = await self.api_keys.caller(header) if self.api_keys is not None else None
            if found is None:
                raise SyncError(Code.UNAUTHORIZED, "unknown, revoked or expired API key")
            return found
        return Caller(await self.auth.from_bearer(header))

    async def _parse(
        self, endpoint: AnyEndpoint, caller: Caller, request: web.Request
    ) -> Call[Any, Any, Any]:
        path = validate(endpoint.path_params, dict(request.match_info))
        raw_query = _single_values(request.query)
        inbound.check_strings(raw_query)
        query = validate(endpoint.query, raw_query)
        body: BaseModel = Nothing()
        if endpoint.body is not Nothing:
            # A body of optional fields may be left out altogether.
            optional = not body_required(endpoint.body)
            data = await read_json(request) if request.body_exists or not optional else {}
            if not isinstance(data, dict):
                raise SyncError(Code.BAD_REQUEST, "the body must be a JSON object")
            body = validate(endpoint.body, data)
        return Call(caller, path, query, body, request)
