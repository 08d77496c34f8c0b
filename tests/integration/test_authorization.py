"""The authorisation matrix, proved against a real server: every Socket.IO event and
REST endpoint, called by each role on a fresh party, answers exactly what
``authorization_matrix.EXPECTED`` says (which docs/authorization.md is rendered from).

Embedded backend only: who may do what is decided by the services, the same on both
backends (the cluster's stores are covered by their contract suites)."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from authorization_matrix import EVENT_ROWS, EXPECTED, REST_ROWS, ROLES, render
from support import VIDEO, Server, running_server

from socialsync.adapters.sql.clip_store import SqlClipStore
from socialsync.app import SERVICE, STORE
from socialsync.domain.clips import Clip, ClipStatus
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

LIMITS = dict(
    parties_per_hour=100_000,
    event_burst=100_000,
    event_per_s=100_000,
    chat_burst=100_000,
    newcomer_chat_burst=100_000,
    reaction_burst=100_000,
    rtc_cameras_per_user=100,
)


@dataclass
class Cell:
    """One fresh party with a host, a cohost, a member and ``other`` (the target of
    sanctions and roles, author of a message and of two clips)."""

    party: str
    other: str
    cohost: str
    message: int
    clip: str = ""
    held_clip: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    server: Server
    clients: dict[str, SocialSyncClient]
    tokens: dict[str, str]
    offer_sdp: str
    http: aiohttp.ClientSession


Payload = Callable[[Cell], dict[str, Any]]


def _p(**fields: Any) -> Payload:
    """A payload for the cell's party; a callable field value is called with the cell."""

    def build(cell: Cell) -> dict[str, Any]:
        out: dict[str, Any] = {"party": cell.party}
        for k, v in fields.items():
            out[k] = v(cell) if callable(v) else v
        return out

    return build


OTHER = lambda cell: cell.other  # noqa: E731

EVENTS: dict[str, Payload] = {
    "time.sync": lambda cell: {"t0": 1.0},
    "party.create": lambda cell: {"title": "Mine", "media": VIDEO},
    "party.join": _p(),
    "party.leave": _p(),
    "party.update": _p(title="Renamed"),
    "party.end": _p(),
    "member.role": _p(user=OTHER, role="cohost"),
    "playback.control": _p(action="pause"),
    "playback.status": _p(position=1.0, playing=False, buffering=False),
    "chat.send": _p(text="hi", nonce=lambda cell: uuid.uuid4().hex),
    "chat.history": _p(),
    "chat.report": _p(id=lambda cell: cell.message, reason="spam"),
    "reaction.send": _p(emoji="👍"),
    "feedback.send": lambda cell: {"prompt": "no-such-prompt", "score": 5},
    "poll.open": _p(question="Tea?", choices=["Yes", "No"], duration=60),
    "poll.vote": _p(id=lambda cell: cell.extra["poll"], choice=0),
    "poll.get": _p(),
    "poll.close": _p(id=lambda cell: cell.extra["poll"]),
    "poll.cancel": _p(id=lambda cell: cell.extra["poll"]),
    "prediction.resolve": _p(id=lambda cell: cell.extra["poll"], outcome=1),
    "analytics.moments": _p(top=3),
    "analytics.watching": _p(),
    "mod.rooms": lambda cell: {},
    "mod.watch": _p(),
    "mod.unwatch": _p(),
    "mod.delete": _p(id=lambda cell: cell.message),
    "mod.purge": _p(user=OTHER),
    "mod.timeout": _p(user=OTHER, seconds=60),
    "mod.ban": _p(user=OTHER, seconds=60),
    "mod.unban": _p(user=OTHER),
    "mod.shadow_mute": _p(user=OTHER, on=True),
    "mod.rules": _p(slow_mode_s=5),
    "mod.review": _p(held=1, decision="approve"),
    "mod.audit": _p(),
    "mod.tenant_terms": lambda cell: {"blocked_terms": ["zzyzx"]},
    "rtc.config": _p(),
    "rtc.publish": _p(sdp=lambda cell: cell.extra["sdp"], audio=True, video=True, consent=True),
    "rtc.unpublish": _p(),
    "rtc.mute": _p(audio=False),
    "rtc.subscribe": _p(publisher=OTHER),
    "rtc.answer": _p(publisher=OTHER, sdp="v=0\r\n"),
    "rtc.unsubscribe": _p(publisher=OTHER),
    "rtc.stage": _p(user=OTHER, on=True),
    "clip.start": _p(consent=True),
    "clip.stop": _p(),
    "clip.list": _p(),
    "clip.delete": _p(id=lambda cell: cell.clip),
    "clip.report": _p(id=lambda cell: cell.clip, reason="rude"),
    "mod.clip_review": _p(id=lambda cell: cell.held_clip, decision="reject"),
}
# Events whose cell needs ``other``'s camera on.
WITH_CAMERA = {"rtc.subscribe", "rtc.answer", "rtc.unsubscribe", "GET /api/v1/parties/{party}/consents"}
# Where the admins' webhook endpoints point: a loopback address, which the server takes
# because it listens on loopback itself (docs/webhooks.md, SSRF); nothing listens on the
# discard port, so a delivery fails at once and harms nothing.
HOOKS = "http://127.0.0.1:9/matrix"

# name -> (method, path with {party} {clip} {user}, JSON body or None)
REST: dict[str, tuple[str, str, Any]] = {
    "POST /api/v1/parties": ("POST", "/api/v1/parties", {"title": "API", "media": VIDEO}),
    "GET /api/v1/parties": ("GET", "/api/v1/parties", None),
    "GET /api/v1/parties/{party}": ("GET", "/api/v1/parties/{party}", None),
    "PATCH /api/v1/parties/{party}": ("PATCH", "/api/v1/parties/{party}", {"title": "Renamed"}),
    "POST /api/v1/parties/{party}/end": ("POST", "/api/v1/parties/{party}/end", None),
    "GET /api/v1/parties/{party}/members": ("GET", "/api/v1/parties/{party}/members", None),
    "POST /api/v1/parties/{party}/members/{user}/kick": (
        "POST",
        "/api/v1/parties/{party}/members/{user}/kick",
        None,
    ),
    "POST /api/v1/parties/{party}/invites": ("POST", "/api/v1/parties/{party}/invites", {"max_uses": 5}),
    "GET /api/v1/parties/{party}/invites": ("GET", "/api/v1/parties/{party}/invites", None),
    "DELETE /api/v1/parties/{party}/invites/{invite}": (
        "DELETE",
        "/api/v1/parties/{party}/invites/{invite}",
        None,
    ),
    "GET /api/v1/parties/{party}/messages": ("GET", "/api/v1/parties/{party}/messages", None),
    "DELETE /api/v1/parties/{party}/messages/{message}": (
        "DELETE",
        "/api/v1/parties/{party}/messages/{message}",
        None,
    ),
    "GET /api/v1/parties/{party}/held": ("GET", "/api/v1/parties/{party}/held", None),
    "POST /api/v1/parties/{party}/held/{held}/approve": (
        "POST",
        "/api/v1/parties/{party}/held/1/approve",
        None,
    ),
    "POST /api/v1/parties/{party}/held/{held}/reject": (
        "POST",
        "/api/v1/parties/{party}/held/1/reject",
        None,
    ),
    "GET /api/v1/moderation/terms": ("GET", "/api/v1/moderation/terms", None),
    "PUT /api/v1/moderation/terms": ("PUT", "/api/v1/moderation/terms", {"blocked_terms": ["zzyzx"]}),
    "GET /api/v1/moderation/sanctions": ("GET", "/api/v1/moderation/sanctions", None),
    "POST /api/v1/moderation/sanctions": (
        "POST",
        "/api/v1/moderation/sanctions",
        lambda cell: {"user": cell.other, "kind": "timeout", "party": cell.party, "seconds": 60},
    ),
    "DELETE /api/v1/moderation/sanctions/{sanction}": (
        "DELETE",
        "/api/v1/moderation/sanctions/{sanction}",
        None,
    ),
    "GET /api/v1/moderation/audit": ("GET", "/api/v1/moderation/audit", None),
    "GET /api/v1/clips": ("GET", "/api/v1/clips", None),
    "DELETE /api/v1/clips/{clip}": ("DELETE", "/api/v1/clips/{clip}", None),
    "GET /api/v1/parties/{party}/clips": ("GET", "/api/v1/parties/{party}/clips", None),
    "GET /api/v1/parties/{party}/consents": ("GET", "/api/v1/parties/{party}/consents", None),
    "GET /api/v1/clips/{clip}/media": ("GET", "/api/v1/clips/{clip}/media", None),
    "POST /api/v1/clips/{clip}/keep": ("POST", "/api/v1/clips/{clip}/keep", None),
    "GET /api/v1/users/{user}/export": ("GET", "/api/v1/users/{user}/export", None),
    "POST /api/v1/users/{user}/erase": ("POST", "/api/v1/users/{user}/erase", None),
    "GET /api/v1/retention": ("GET", "/api/v1/retention", None),
    "PUT /api/v1/retention": ("PUT", "/api/v1/retention", {"chat_days": 30}),
    "GET /api/v1/tenant/settings": ("GET", "/api/v1/tenant/settings", None),
    # Back to the server's limit: harmless to the rest of the matrix (which creates many parties).
    "PUT /api/v1/tenant/settings": ("PUT", "/api/v1/tenant/settings", {"limits": {"parties_per_hour": None}}),
    # A jti no live token has: the row is about who may revoke, not about revoking.
    "POST /api/v1/revocations": ("POST", "/api/v1/revocations", {"jti": "no-such-token"}),
    "POST /api/v1/tokens": ("POST", "/api/v1/tokens", {"user": "minted-1", "name": "Mint"}),
    "POST /api/v1/api-keys": ("POST", "/api/v1/api-keys", {"name": "Matrix", "scopes": ["analytics:read"]}),
    "GET /api/v1/api-keys": ("GET", "/api/v1/api-keys", None),
    "DELETE /api/v1/api-keys/{key}": ("DELETE", "/api/v1/api-keys/{key}", None),
    "GET /api/v1/tenant/access": ("GET", "/api/v1/tenant/access", None),
    # Any origin, as it was: harmless to the rest of the matrix (whose clients send no Origin).
    "PUT /api/v1/tenant/access": ("PUT", "/api/v1/tenant/access", {"allowed_origins": None}),
    "POST /api/v1/webhooks/endpoints": ("POST", "/api/v1/webhooks/endpoints", {"url": HOOKS}),
    "GET /api/v1/webhooks/endpoints": ("GET", "/api/v1/webhooks/endpoints", None),
    "GET /api/v1/webhooks/endpoints/{endpoint}": ("GET", "/api/v1/webhooks/endpoints/{endpoint}", None),
    "PATCH /api/v1/webhooks/endpoints/{endpoint}": (
        "PATCH",
        "/api/v1/webhooks/endpoints/{endpoint}",
        {"description": "Renamed"},
    ),
    "DELETE /api/v1/webhooks/endpoints/{endpoint}": ("DELETE", "/api/v1/webhooks/endpoints/{endpoint}", None),
    "POST /api/v1/webhooks/endpoints/{endpoint}/rotate": (
        "POST",
        "/api/v1/webhooks/endpoints/{endpoint}/rotate",
        None,
    ),
    "POST /api/v1/webhooks/endpoints/{endpoint}/test": (
        "POST",
        "/api/v1/webhooks/endpoints/{endpoint}/test",
        None,
    ),
    "GET /api/v1/webhooks/deliveries": ("GET", "/api/v1/webhooks/deliveries", None),
    "GET /api/v1/webhooks/deliveries/{delivery}": ("GET", "/api/v1/webhooks/deliveries/{delivery}", None),
    "POST /api/v1/webhooks/deliveries/{delivery}/redeliver": (
        "POST",
        "/api/v1/webhooks/deliveries/{delivery}/redeliver",
        None,
    ),
    "GET /api/v1/analytics/summary": ("GET", "/api/v1/analytics/summary?party={party}", None),
    "GET /api/v1/analytics/concurrency": ("GET", "/api/v1/analytics/concurrency?party={party}", None),
    "GET /api/v1/analytics/retention": ("GET", "/api/v1/analytics/retention?party={party}", None),
    "GET /api/v1/analytics/moments": ("GET", "/api/v1/analytics/moments?party={party}", None),
    "GET /api/v1/analytics/funnels": ("GET", "/api/v1/analytics/funnels?party={party}", None),
    "GET /api/v1/analytics/viewers": ("GET", "/api/v1/analytics/viewers?party={party}", None),
    "GET /api/v1/analytics/top": ("GET", "/api/v1/analytics/top", None),
    "GET /api/v1/analytics/feedback": ("GET", "/api/v1/analytics/feedback?party={party}", None),
    "GET /api/v1/discovery": ("GET", "/api/v1/discovery", None),
    "GET /api/v1/openapi.json": ("GET", "/api/v1/openapi.json", None),
    "GET /api/docs": ("GET", "/api/docs", None),
}


async def _admin_made(
    w: World, cell: Cell, path: str, body: dict[str, Any] | None, status: int = 201
) -> dict[str, Any]:
    """What the tenant's admin made over REST for the cell (an invite, a sanction)."""
    headers = {"Authorization": f"Bearer {w.tokens['admin']}"}
    url = w.server.url + path.format(**cell.extra | {"party": cell.party})
    async with w.http.post(url, json=body, headers=headers) as r:
        answer: dict[str, Any] = await r.json()
        assert r.status == status, answer
        return answer


async def _with_invite(w: World, cell: Cell) -> None:
    cell.extra["invite"] = (await _admin_made(w, cell, "/api/v1/parties/{party}/invites", {}))["code"]


async def _with_timeout(w: World, cell: Cell) -> None:
    body = {"user": cell.other, "kind": "timeout", "party": cell.party, "seconds": 60}
    made = await _admin_made(w, cell, "/api/v1/moderation/sanctions", body)
    cell.extra["sanction"] = made["sanction"]["id"]


async def _with_key(w: World, cell: Cell) -> None:
    body = {"name": "Admin's", "scopes": ["analytics:read"]}
    cell.extra["key"] = (await _admin_made(w, cell, "/api/v1/api-keys", body))["key"]["id"]


async def _webhooks_cell(w: World, cell: Cell) -> None:
    """A cell whose webhook endpoints, of both tenants, are deleted when it is done
    (a tenant has at most 20; and a tenant without any writes no events)."""
    cell.extra["webhooks"] = True


async def _with_endpoint(w: World, cell: Cell) -> None:
    await _webhooks_cell(w, cell)
    made = await _admin_made(w, cell, "/api/v1/webhooks/endpoints", {"url": HOOKS})
    cell.extra["endpoint"] = made["endpoint"]["id"]


async def _with_delivery(w: World, cell: Cell) -> None:
    await _with_endpoint(w, cell)
    made = await _admin_made(w, cell, "/api/v1/webhooks/endpoints/{endpoint}/test", None, status=202)
    cell.extra["delivery"] = made["delivery"]["id"]


async def _without_endpoints(w: World) -> None:
    for role in ("admin", "other_admin"):
        headers = {"Authorization": f"Bearer {w.tokens[role]}"}
        base = w.server.url + "/api/v1/webhooks/endpoints"
        async with w.http.get(base, headers=headers) as r:
            found = (await r.json())["items"]
        for endpoint in found:
            async with w.http.delete(f"{base}/{endpoint['id']}", headers=headers) as r:
                assert r.status == 200, await r.text()


def _with_poll(kind: str) -> Callable[[World, Cell], Awaitable[None]]:
    async def open_one(w: World, cell: Cell) -> None:
        payload = {"party": cell.party, "kind": kind, "question": "Who?", "choices": ["A", "B"]}
        payload["duration"] = 60
        cell.extra["poll"] = (await w.clients["host"].request("poll.open", payload))["poll"]["id"]

    return open_one


# Rows whose cell needs something made first, put in ``cell.extra`` under its path parameter.
SETUP: dict[str, Callable[[World, Cell], Awaitable[None]]] = {
    "DELETE /api/v1/parties/{party}/invites/{invite}": _with_invite,
    "DELETE /api/v1/moderation/sanctions/{sanction}": _with_timeout,
    "GET /api/v1/api-keys": _with_key,
    "DELETE /api/v1/api-keys/{key}": _with_key,
    "POST /api/v1/webhooks/endpoints": _webhooks_cell,
    "GET /api/v1/webhooks/endpoints": _with_endpoint,
    "GET /api/v1/webhooks/endpoints/{endpoint}": _with_endpoint,
    "PATCH /api/v1/webhooks/endpoints/{endpoint}": _with_endpoint,
    "DELETE /api/v1/webhooks/endpoints/{endpoint}": _with_endpoint,
    "POST /api/v1/webhooks/endpoints/{endpoint}/rotate": _with_endpoint,
    "POST /api/v1/webhooks/endpoints/{endpoint}/test": _with_endpoint,
    "GET /api/v1/webhooks/deliveries": _with_delivery,
    "GET /api/v1/webhooks/deliveries/{delivery}": _with_delivery,
    "POST /api/v1/webhooks/deliveries/{delivery}/redeliver": _with_delivery,
    "poll.vote": _with_poll("poll"),
    "poll.close": _with_poll("poll"),
    "poll.cancel": _with_poll("poll"),
    "prediction.resolve": _with_poll("prediction"),
}


async def _offer() -> str:
    pc = RTCPeerConnection()
    pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    try:
        await pc.setLocalDescription(await pc.createOffer())
        return str(pc.localDescription.sdp)
    finally:
        await pc.close()


@contextlib.asynccontextmanager
async def world(tmp_path) -> AsyncIterator[World]:
    async with running_server(tmp_path, **LIMITS) as server:
        store = server.app[STORE]
        await store.add_tenant(Tenant("acme", "Acme TV", "b" * 40, True, int(time.time() * 1000)))
        demo, acme = await store.get_tenant("demo"), await store.get_tenant("acme")
        assert demo is not None and acme is not None
        now = int(time.time())
        tokens = {
            "viewer": issue_token(demo, "viewer-1", "Vic", ["viewer"], 600, now),
            "member": issue_token(demo, "member-1", "Mia", ["viewer"], 600, now),
            "host": issue_token(demo, "host-1", "Hal", ["viewer"], 600, now),
            "cohost": issue_token(demo, "cohost-1", "Cole", ["viewer"], 600, now),
            "moderator": issue_token(demo, "mod-1", "Moe", ["moderator"], 600, now),
            "admin": issue_token(demo, "admin-1", "Ada", ["admin"], 600, now),
            "other_admin": issue_token(acme, "admin-1", "Abe", ["admin"], 600, now),
            "other": issue_token(demo, "other-1", "Otto", ["viewer"], 600, now),
        }
        clients = {role: SocialSyncClient(server.url, token=t) for role, t in tokens.items()}
        clients["guest"] = SocialSyncClient(server.url, guest="Gus")
        async with aiohttp.ClientSession() as http:
            try:
                for client in clients.values():
                    await client.connect(sync_clock=False)
                tokens["guest"] = clients["guest"]._token or ""
                yield World(server, clients, tokens, await _offer(), http)
            finally:
                for client in clients.values():
                    await client.close()


def _clip_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(6))  # a WebM's magic: its bytes matter not


async def _cell(w: World, camera: bool) -> Cell:
    c = w.clients
    party = (await c["host"].request("party.create", {"title": "Cell", "media": VIDEO}))["party"]["id"]
    for role in ("host", "cohost", "member", "other"):
        await c[role].request("party.join", {"party": party})
    cohost = "cohost-1"
    await c["host"].request("member.role", {"party": party, "user": cohost, "role": "cohost"})
    sent = await c["other"].request("chat.send", {"party": party, "text": "hello", "nonce": uuid.uuid4().hex})
    cell = Cell(party, "other-1", cohost, sent["message"]["id"], extra={"sdp": w.offer_sdp})
    clips = SqlClipStore(w.server.app[STORE])
    for status in (ClipStatus.VISIBLE, ClipStatus.HELD):
        clip_id = uuid.uuid4().hex
        _clip_file(Path(w.server.config.clips_path) / f"{clip_id}.webm")
        await clips.add(
            Clip(
                clip_id,
                "demo",
                party,
                "other-1",
                "Otto",
                VIDEO["url"],
                1.0,
                2.0,
                0,
                f"{clip_id}.webm",
                "video/webm",
                10,
                2,
                2,
                status,
            )
        )
        if status is ClipStatus.VISIBLE:
            cell.clip = clip_id
        else:
            cell.held_clip = clip_id
    if camera:
        await c["other"].request(
            "rtc.publish", {"party": party, "sdp": w.offer_sdp, "audio": True, "video": True, "consent": True}
        )
    return cell


async def _done(w: World, cell: Cell) -> None:
    with contextlib.suppress(SocialSyncError):
        await w.clients["host"].request("party.end", {"party": cell.party})
    if cell.extra.get("webhooks"):
        await _without_endpoints(w)


def _outcome_of(answer: Any) -> str:
    if isinstance(answer, dict) and answer.get("ok"):
        return "ok"
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        return str(answer["error"].get("code"))
    return f"malformed {answer!r}"[:60]


async def _event(w: World, role: str, name: str, cell: Cell) -> str:
    try:
        answer = await w.clients[role].request(name, EVENTS[name](cell))
    except SocialSyncError as exc:
        return exc.code
    return _outcome_of(answer)


async def _rest(w: World, role: str, name: str, cell: Cell) -> str:
    method, path, body = REST[name]
    body = body(cell) if callable(body) else body
    url = w.server.url + path.format(
        **cell.extra | {"party": cell.party, "clip": cell.clip, "user": cell.other, "message": cell.message}
    )
    headers = {"Authorization": f"Bearer {w.tokens[role]}"} if role != "anonymous" else {}
    async with w.http.request(method, url, json=body, headers=headers) as response:
        text = await response.text()
    try:
        answer = json.loads(text)
    except ValueError:
        return "ok" if response.status < 300 else f"HTTP {response.status}"  # a clip's file
    if response.status < 300 and not isinstance(answer.get("ok"), bool):
        return "ok"  # the export archive
    if answer.get("ok") and answer.get("consents") == []:
        return "ok, none"  # another tenant's view of the party: nothing of it
    leaked = [cell.extra[k] for k in ADMINS_OWN if k in cell.extra and cell.extra[k] in text]
    if role == "other_admin" and answer.get("ok") and leaked:
        return f"ok, with the other tenant's {leaked}"  # a list of its own showing ours
    return _outcome_of(answer)


# What the admin made (in ``cell.extra``) that another tenant's answer must never show.
ADMINS_OWN = ("key", "endpoint", "delivery")


Call = Callable[[World, str, str, Cell], Awaitable[str]]


async def observe(w: World) -> dict[str, dict[str, str]]:
    observed: dict[str, dict[str, str]] = {}
    rows: list[tuple[str, Call]] = [(n, _event) for n, _ in EVENT_ROWS] + [(n, _rest) for n, _ in REST_ROWS]
    for name, call in rows:
        observed[name] = {}
        for role in ROLES:
            cell = await _cell(w, camera=name in WITH_CAMERA)
            if name in SETUP:
                await SETUP[name](w, cell)
            observed[name][role] = await call(w, role, name, cell)
            await _done(w, cell)
    return observed


def test_every_event_and_endpoint_has_a_row():
    assert [n for n, _ in EVENT_ROWS] and {n for n, _ in EVENT_ROWS} == set(EVENTS)
    assert {n for n, _ in REST_ROWS} == set(REST)
    assert set(EXPECTED) == set(EVENTS) | set(REST)


async def test_the_server_answers_the_matrix(tmp_path):
    async with world(tmp_path) as w:
        handlers = set(w.server.app[SERVICE].gateway._handlers)
        assert handlers == set(EVENTS), "a Socket.IO event without a row in the matrix"
        api = {
            f"{route.method} {route.resource.canonical}"
            for route in w.server.app.router.routes()
            if route.method != "HEAD"
            and route.resource is not None
            and route.resource.canonical.startswith("/api/")
        }
        assert api == set(REST), "a REST endpoint without a row in the matrix"
        observed = await observe(w)
    wrong = {
        f"{row} as {role}": (EXPECTED.get(row, {}).get(role), got)
        for row, cells in observed.items()
        for role, got in cells.items()
        if EXPECTED.get(row, {}).get(role) != got
    }
    if wrong:
        print(json.dumps(observed, indent=1))
    assert not wrong, f"(expected, observed): {wrong}"


def test_the_docs_show_the_matrix():
    doc = Path(__file__).resolve().parents[2] / "docs" / "authorization.md"
    assert doc.read_text() == render(), (
        "docs/authorization.md is stale: run python tests/authorization_matrix.py"
    )
