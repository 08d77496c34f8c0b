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

# name -> (method, path with {party} {clip} {user}, JSON body or None)
REST: dict[str, tuple[str, str, Any]] = {
    "POST /api/v1/parties": ("POST", "/api/v1/parties", {"title": "API", "media": VIDEO}),
    "GET /api/v1/parties": ("GET", "/api/v1/parties", None),
    "GET /api/v1/parties/{party}": ("GET", "/api/v1/parties/{party}", None),
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
    url = w.server.url + path.format(party=cell.party, clip=cell.clip, user=cell.other)
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
    return _outcome_of(answer)


Call = Callable[[World, str, str, Cell], Awaitable[str]]


async def observe(w: World) -> dict[str, dict[str, str]]:
    observed: dict[str, dict[str, str]] = {}
    rows: list[tuple[str, Call]] = [(n, _event) for n, _ in EVENT_ROWS] + [(n, _rest) for n, _ in REST_ROWS]
    for name, call in rows:
        observed[name] = {}
        for role in ROLES:
            cell = await _cell(w, camera=name in WITH_CAMERA)
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
