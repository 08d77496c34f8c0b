"""The REST adapter (edge/http/rest.py) over a real socket, with declarations of this
test: who calls (a person's token, a guest's, an API key), scopes, rate-limit headers,
parsing (path, query, body) and the error shape; and the cursor pagination helper.

API keys here are a fake of the ``ApiKeys`` protocol (the real service has its own
tests); everything else is real."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import Field

from socialsync.domain.access import Caller, Scope
from socialsync.domain.api_keys import Quota, QuotaExceeded
from socialsync.domain.errors import SyncError
from socialsync.domain.model import TenantRole, User
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import Authenticator, issue_token
from socialsync.edge.http.endpoint import AnyEndpoint, Body, Call, Endpoint, Nothing, Reply
from socialsync.edge.http.errors import errors_as_json
from socialsync.edge.http.pagination import PageQuery, decode_cursor, encode_cursor, page_answer, paginate
from socialsync.edge.http.params import PartyPath
from socialsync.edge.http.rest import RestApi

THINGS = "/api/v1/parties/p1/things"
TENANT = Tenant("acme", "Acme", "s" * 40, True, 0)


class Store:
    """The one read the Authenticator makes."""

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        return TENANT if tenant_id == TENANT.id else None


class FakeKeys:
    """``ssk_good`` holds parties:write; its rate limit is spent when ``spent``."""

    def __init__(self) -> None:
        self.spent = False
        self.counted: list[str] = []

    async def caller(self, authorization: str) -> Caller | None:
        if authorization != "Bearer ssk_good":
            return None
        user = User("key:k1", "Backend", TENANT.id, frozenset({TenantRole.ADMIN}))
        return Caller(user, frozenset({Scope.PARTIES_WRITE}), "k1")

    def quota(self, key_id: str, now_ms: int) -> Quota:
        self.counted.append(key_id)
        if self.spent:
            raise QuotaExceeded(Quota(10, 0, 6), 5.4)
        return Quota(10, 9, 1)


class ThingCreate(Body):
    name: Annotated[str, Field(min_length=1, max_length=20)]


ITEMS = [f"t{i}" for i in range(7)]


class Things:
    def endpoints(self) -> list[AnyEndpoint]:
        common: dict[str, Any] = {"summary": "x", "tag": "things"}
        return [
            Endpoint(
                method="GET",
                path="/api/v1/things",
                handler=self.list,
                scope=Scope.PARTIES_WRITE,
                query=PageQuery,
                **common,
            ),
            Endpoint(
                method="POST",
                path="/api/v1/parties/{party}/things",
                handler=self.create,
                scope=Scope.PARTIES_WRITE,
                path_params=PartyPath,
                body=ThingCreate,
                status=201,
                **common,
            ),
            Endpoint(
                method="POST", path="/api/v1/secrets", handler=self.secret, scope=Scope.USERS_ADMIN, **common
            ),
        ]

    async def list(self, call: Call[Nothing, PageQuery]) -> Reply:
        page, cursor = paginate(ITEMS, lambda t: (t,), call.query)
        return page_answer(page, cursor) | {"who": call.caller.user.id}

    async def create(self, call: Call[PartyPath, Nothing, ThingCreate]) -> Reply:
        return {"ok": True, "party": call.path.party, "name": call.body.name}

    async def secret(self, call: Call[Nothing]) -> Reply:
        return {"ok": True}


async def _client(keys: FakeKeys | None) -> TestClient[web.Request, web.Application]:
    auth = Authenticator(Store())  # type: ignore[arg-type]
    rest = RestApi(auth, [Things()], lambda: 0, api_keys=keys)
    app = web.Application(middlewares=[errors_as_json])
    app.router.add_routes(rest.routes())
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def keys() -> FakeKeys:
    return FakeKeys()


@pytest.fixture
async def client(keys: FakeKeys) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    c = await _client(keys)
    try:
        yield c
    finally:
        await c.close()


def _bearer(*roles: str, guest: bool = False) -> dict[str, str]:
    token = issue_token(TENANT, "u1", "Una", list(roles or ["viewer"]), 60, int(time.time()))
    if guest:
        import jwt

        claims = jwt.decode(token, options={"verify_signature": False}) | {"guest": True}
        token = jwt.encode(claims, TENANT.secret, algorithm="HS256", headers={"kid": TENANT.id})
    return {"Authorization": f"Bearer {token}"}


async def _answer(response: Any) -> tuple[int, str, dict[str, Any]]:
    body = await response.json()
    code = "ok" if body.get("ok") else body["error"]["code"]
    return response.status, code, body


async def test_callers_and_their_refusals(client: Any) -> None:
    assert (await _answer(await client.get("/api/v1/things")))[:2] == (401, "unauthorized")
    assert (await _answer(await client.get("/api/v1/things", headers={"Authorization": "Bearer x"})))[1] == (
        "unauthorized"
    )
    status, code, body = await _answer(await client.get("/api/v1/things", headers=_bearer()))
    assert (status, code, body["who"]) == (200, "ok", "u1")
    # A guest's token is refused on the whole REST API.
    status, code, body = await _answer(await client.get("/api/v1/things", headers=_bearer(guest=True)))
    assert (status, code) == (403, "forbidden") and "guest" in body["error"]["message"]
    # A person's token has no scopes: its roles decide (in the services).
    assert (await _answer(await client.post("/api/v1/secrets", headers=_bearer())))[1] == "ok"


async def test_api_keys_scopes_and_rate_limit_headers(client: Any, keys: FakeKeys) -> None:
    key = {"Authorization": "Bearer ssk_good"}
    response = await client.get("/api/v1/things", headers=key)
    assert response.status == 200 and (await response.json())["who"] == "key:k1"
    assert [response.headers[h] for h in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")] == [
        "10",
        "9",
        "1",
    ]
    # Without the scope: refused, and still counted, with the headers.
    response = await client.post("/api/v1/secrets", headers=key)
    status, code, body = await _answer(response)
    assert (status, code) == (403, "forbidden") and "users:admin" in body["error"]["message"]
    assert response.headers["RateLimit-Remaining"] == "9"
    assert keys.counted == ["k1", "k1"]
    # Spent: 429 with Retry-After and the quota as it stands.
    keys.spent = True
    response = await client.get("/api/v1/things", headers=key)
    assert (await _answer(response))[:2] == (429, "rate_limited")
    assert response.headers["Retry-After"] == "5"
    assert (response.headers["RateLimit-Remaining"], response.headers["RateLimit-Reset"]) == ("0", "6")
    # An unknown key; a person's token never gets the headers.
    response = await client.get("/api/v1/things", headers={"Authorization": "Bearer ssk_nope"})
    assert (await _answer(response))[:2] == (401, "unauthorized")
    response = await client.get("/api/v1/things", headers=_bearer())
    assert "RateLimit-Limit" not in response.headers


async def test_without_api_keys_configured_a_key_is_unauthorized() -> None:
    c = await _client(None)
    try:
        response = await c.get("/api/v1/things", headers={"Authorization": "Bearer ssk_good"})
        assert (await _answer(response))[:2] == (401, "unauthorized")
    finally:
        await c.close()


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        (THINGS, b"{not json", 400, "the body must be JSON"),
        (THINGS, b"[1]", 400, "the body must be a JSON object"),
        (THINGS, b"{}", 400, "name: Field required"),
        (THINGS, b'{"name": 5}', 400, "name: Input should be a valid string"),
        (THINGS, b'{"name": "' + b"x" * 21 + b'"}', 413, "name: String should have at most"),
        (THINGS, b'{"name": "a\\u0000b"}', 400, "control character U+0000"),
        (THINGS, b'{"name": "a", "extra": 1}', 400, "extra: Extra inputs are not permitted"),
        (THINGS, b'{"name": ' + b"[" * 40 + b"]" * 40 + b"}", 400, "nested too deeply"),
        ("/api/v1/parties/bad%20id/things", b'{"name": "a"}', 400, "party: String should match pattern"),
    ],
)
async def test_bad_input_is_a_bad_request_naming_the_field(
    client: Any, path: str, body: bytes, status: int, message: str
) -> None:
    headers = _bearer() | {"Content-Type": "application/json"}
    got_status, _, answer = await _answer(await client.post(path, data=body, headers=headers))
    assert got_status == status and message in answer["error"]["message"], answer


async def test_a_good_body_reaches_the_handler_typed(client: Any) -> None:
    response = await client.post("/api/v1/parties/p-1/things", json={"name": " a "}, headers=_bearer())
    assert response.status == 201
    assert await response.json() == {"ok": True, "party": "p-1", "name": " a "}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit: Input should be greater than or equal to 1"),
        ("limit=201", "limit: Input should be less than or equal to 200"),
        ("limit=ten", "limit: Input should be a valid integer"),
        ("limit=1&limit=2", "limit: give it once"),
        ("cursor=!!", "cursor: String should match pattern"),
        ("cursor=bm9wZQ", "cursor: malformed"),  # base64 of "nope": not JSON
        ("cursor=e30", "cursor: malformed"),  # {}: not a key
        ("cursor=WzEuNV0", "cursor: malformed"),  # [1.5]
        ("cursor=WzFd", "cursor: not a cursor of this list"),  # [1]: a key of another shape
    ],
)
async def test_bad_pages_are_bad_requests(client: Any, query: str, message: str) -> None:
    status, code, answer = await _answer(await client.get(f"/api/v1/things?{query}", headers=_bearer()))
    assert (status, code) == (400, "bad_request") and message in answer["error"]["message"], answer


async def test_cursors_walk_the_whole_list_once(client: Any) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = await (await client.get(f"/api/v1/things?{query}", headers=_bearer())).json()
        seen += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ITEMS and pages == 3
    default = await (await client.get("/api/v1/things", headers=_bearer())).json()
    assert default["items"] == ITEMS and default["next_cursor"] is None


def test_a_cursor_is_url_safe_and_round_trips() -> None:
    key = (1_700_000_000_000, "ü/+?=")
    cursor = encode_cursor(key)
    assert cursor.replace("-", "").replace("_", "").isalnum()
    assert decode_cursor(cursor) == key
    for bad in ("", "%%%", encode_cursor(()), "W3RydWVd"):  # [true]
        with pytest.raises(SyncError):
            decode_cursor(bad)
