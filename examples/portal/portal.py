"""An example IPTV portal that adds watch parties with SocialSync.

What a platform's backend does, and nothing more (every SocialSync call is marked
``# SocialSync``):

- its own users sign in (here: just a name, kept in memory);
- a VOD page with the platform's own HTML5 player, and one <script> tag that puts the
  watch-party widget beside it (docs/embedding.md);
- "Start a watch party": the backend creates the party and an invite link with the
  Python platform SDK (API key auth) and the embed joins it;
- the embed asks the backend for a viewer token for the signed-in user (minted by the SDK);
- live channels, each with its public commentary room (a SocialSync live room);
- webhooks: the backend registers its endpoint at start, verifies every delivery with
  ``verify_webhook`` and keeps the last ones in memory, shown at /admin.

Run it with ``bash examples/portal/run.sh`` (a SocialSync server, a tenant, an API key
and this portal). Configuration, from the environment:

    SOCIALSYNC_URL       the SocialSync server            (default http://127.0.0.1:8080)
    SOCIALSYNC_API_KEY   ssk_..., scopes parties:write and webhooks:admin
    PORTAL_URL           where browsers and SocialSync reach this portal (default http://127.0.0.1:8090)
    PORTAL_MEDIA         the MP4 file its films and channels play (default: the web client's sample clip)
"""

from __future__ import annotations

import html
import os
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web

from socialsync.platform import (
    AsyncSocialSync,
    Media,
    NotFound,
    WebhookVerificationError,
    verify_webhook,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SAMPLE_MP4 = REPO / "web_client" / "build" / "media" / "clip.mp4"
SESSION_COOKIE = "portal_session"
WEBHOOK_PATH = "/webhooks/socialsync"


# ---------------------------------------------------------------- the catalogue
@dataclass(frozen=True)
class Film:
    slug: str
    title: str
    year: int
    duration_s: float
    blurb: str


@dataclass(frozen=True)
class Channel:
    slug: str
    name: str
    now_playing: str


FILMS = (
    Film(
        "test-pattern",
        "The Test Pattern",
        2025,
        60,
        "A minute of colour bars and a counting clock. A classic.",
    ),
    Film("one-minute", "One Minute to Midnight", 2024, 60, "Sixty seconds, one clock, no spoilers."),
)
CHANNELS = (
    Channel("news", "Portal News 24", "The evening bulletin"),
    Channel("sport", "Portal Sport", "Cup final, live"),
)


# ---------------------------------------------------------------- configuration and state
@dataclass
class Settings:
    socialsync_url: str = "http://127.0.0.1:8080"
    api_key: str = ""
    portal_url: str = "http://127.0.0.1:8090"
    media_file: Path = SAMPLE_MP4

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            socialsync_url=os.environ.get("SOCIALSYNC_URL", cls.socialsync_url).rstrip("/"),
            api_key=os.environ["SOCIALSYNC_API_KEY"],
            portal_url=os.environ.get("PORTAL_URL", cls.portal_url).rstrip("/"),
            media_file=Path(os.environ.get("PORTAL_MEDIA", SAMPLE_MP4)),
        )


@dataclass(frozen=True)
class User:
    id: str
    name: str


@dataclass(frozen=True)
class ReceivedWebhook:
    webhook_id: str
    type: str
    received_at: float
    event: dict[str, Any]


@dataclass
class State:
    """Everything the portal keeps, in memory (a real portal has a database)."""

    sessions: dict[str, User] = field(default_factory=dict)
    webhook_secret: str = ""
    webhooks: deque[ReceivedWebhook] = field(default_factory=lambda: deque(maxlen=200))
    channel_rooms: dict[str, str] = field(default_factory=dict)  # channel slug -> live room id


SETTINGS = web.AppKey("settings", Settings)
STATE = web.AppKey("state", State)
SOCIALSYNC = web.AppKey("socialsync", AsyncSocialSync)


async def socialsync_client(app: web.Application) -> AsyncIterator[None]:
    """The SDK's client for the app's lifetime, and our webhook endpoint registered."""
    settings = app[SETTINGS]
    async with AsyncSocialSync(settings.socialsync_url, api_key=settings.api_key) as client:  # SocialSync
        app[SOCIALSYNC] = client
        app[STATE].webhook_secret = await register_webhook(client, settings.portal_url + WEBHOOK_PATH)
        yield


async def register_webhook(client: AsyncSocialSync, url: str) -> str:
    """One endpoint for this portal's URL: the one an earlier run left is replaced (its
    secret was shown once, to that run). Returns the new endpoint's secret."""
    async for endpoint in client.webhooks.iter():  # SocialSync
        if endpoint.url == url:
            await client.webhooks.delete(endpoint.id)  # SocialSync
    made = await client.webhooks.create(  # SocialSync
        url, events=["party.*", "member.*"], description="Example portal"
    )
    return made.secret


# ---------------------------------------------------------------- sign-in
def current_user(request: web.Request) -> User | None:
    return request.app[STATE].sessions.get(request.cookies.get(SESSION_COOKIE, ""))


def sign_in_first(request: web.Request) -> web.HTTPFound:
    return web.HTTPFound("/signin?next=" + quote(request.path_qs, safe=""))


async def signin_page(request: web.Request) -> web.Response:
    next_url = safe_next(request.query.get("next", "/"))
    body = f"""
    <section class="card narrow">
      <h1>Sign in</h1>
      <p>This example portal only asks your name.</p>
      <form method="post" action="/signin">
        <input type="hidden" name="next" value="{esc(next_url)}">
        <label for="name">Your name</label>
        <input id="name" name="name" maxlength="40" required autofocus autocomplete="nickname">
        <button type="submit">Sign in</button>
      </form>
    </section>"""
    return page(request, "Sign in", body)


async def signin(request: web.Request) -> web.Response:
    form = await request.post()
    name = " ".join(str(form.get("name", "")).split())[:40]
    if not name:
        raise web.HTTPFound("/signin")
    token = secrets.token_urlsafe(24)
    request.app[STATE].sessions[token] = User(f"user-{secrets.token_hex(4)}", name)
    response = web.HTTPFound(safe_next(str(form.get("next", "/"))))
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/")
    raise response


async def signout(request: web.Request) -> web.Response:
    request.app[STATE].sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
    response = web.HTTPFound("/")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def safe_next(url: str) -> str:
    """Only a path of this portal (no open redirect)."""
    return url if url.startswith("/") and not url.startswith("//") else "/"


# ---------------------------------------------------------------- pages
async def home(request: web.Request) -> web.Response:
    channels = "".join(
        f'<li><a class="tile live" href="/channel/{c.slug}"><span class="badge">LIVE</span>'
        f"<strong>{esc(c.name)}</strong><span>{esc(c.now_playing)}</span></a></li>"
        for c in CHANNELS
    )
    films = "".join(
        f'<li><a class="tile" href="/watch/{f.slug}"><strong>{esc(f.title)}</strong>'
        f"<span>{f.year} · {int(f.duration_s)} s</span></a></li>"
        for f in FILMS
    )
    body = f"""
    <h1>Channels</h1><ul class="tiles">{channels}</ul>
    <h1>Films</h1><ul class="tiles">{films}</ul>"""
    return page(request, "Home", body)


async def watch_page(request: web.Request) -> web.Response:
    """A film: the portal's own player, and the embed beside it. The embed reads the
    page's URL: `?invite=` or `?party=` joins that party (`?t=` starts a party that has
    not started at that moment); without one it offers "Start a watch party", which
    POSTs to data-create-url."""
    film = find(FILMS, request.match_info["slug"])
    if current_user(request) is None:
        raise sign_in_first(request)
    settings = request.app[SETTINGS]
    body = f"""
    <div class="watch">
      <div class="player">
        <video id="player" src="/media/{film.slug}.mp4" controls playsinline muted preload="auto"></video>
        <h1>{esc(film.title)} <small>({film.year})</small></h1>
        <p>{esc(film.blurb)}</p>
      </div>
      <div id="together" class="together"></div>
    </div>
    <script src="{esc(settings.socialsync_url)}/embed/socialsync.js" defer
            data-player="#player" data-container="#together"
            data-token-url="/socialsync/token" data-create-url="/watch/{film.slug}/party"
            data-locale="en"></script>"""
    return page(request, film.title, body)


async def channel_page(request: web.Request) -> web.Response:
    """A live channel: everyone watching it shares its commentary room (chat, reactions).
    The example's "live" channel is a looping file with no program time, so the embed
    leaves the player alone and shows the room."""
    channel = find(CHANNELS, request.match_info["slug"])
    if current_user(request) is None:
        raise sign_in_first(request)
    room = await live_room(request.app, channel)
    settings = request.app[SETTINGS]
    body = f"""
    <div class="watch">
      <div class="player">
        <video id="player" src="/media/{channel.slug}.mp4" autoplay loop muted playsinline controls></video>
        <h1><span class="badge">LIVE</span> {esc(channel.name)}</h1>
        <p>{esc(channel.now_playing)}</p>
      </div>
      <div id="together" class="together"></div>
    </div>
    <script src="{esc(settings.socialsync_url)}/embed/socialsync.js" defer
            data-player="#player" data-container="#together" data-party="{esc(room)}"
            data-token-url="/socialsync/token" data-invite="off"></script>"""
    return page(request, channel.name, body)


async def live_room(app: web.Application, channel: Channel) -> str:
    """The channel's live room: made on first use, made again if it has ended."""
    client, rooms = app[SOCIALSYNC], app[STATE].channel_rooms
    if channel.slug in rooms:
        try:
            await client.parties.get(rooms[channel.slug])  # SocialSync
            return rooms[channel.slug]
        except NotFound:
            pass
    media = Media(
        f"{app[SETTINGS].portal_url}/media/{channel.slug}.mp4", kind="live", title=channel.now_playing
    )
    room = await client.parties.create(channel.name, media, type="live_room")  # SocialSync
    rooms[channel.slug] = room.id
    return room.id


async def admin_page(request: web.Request) -> web.Response:
    """The webhooks received, newest first (a real portal would protect this page)."""
    rows = "".join(
        f"<tr><td>{time.strftime('%H:%M:%S', time.localtime(w.received_at))}</td>"
        f"<td><code>{esc(w.type)}</code></td><td>{esc(describe_event(w.event))}</td>"
        f"<td><code>{esc(w.webhook_id)}</code></td><td>verified</td></tr>"
        for w in reversed(request.app[STATE].webhooks)
    )
    body = f"""
    <h1>Webhooks received</h1>
    <p>Every delivery to <code>{WEBHOOK_PATH}</code> is checked with the SDK's
       <code>verify_webhook</code>; refused ones are not listed.</p>
    <table class="log">
      <thead><tr><th>Time</th><th>Event</th><th>What</th><th>webhook-id</th><th>Signature</th></tr></thead>
    <tbody>{rows or '<tr><td colspan="5">Nothing yet: start a party.</td></tr>'}</tbody></table>"""
    return page(request, "Admin", body)


def describe_event(event: dict[str, Any]) -> str:
    data = event.get("data", {})
    who = (data.get("user") or {}).get("name") or (data.get("user") or {}).get("id")
    parts = [f"party {data.get('party_id', '?')}"]
    if data.get("title"):
        parts.append(f"“{data['title']}”")
    if who:
        parts.append(f"user {who}")
    if data.get("role"):
        parts.append(f"as {data['role']}")
    return ", ".join(parts)


# ---------------------------------------------------------------- what the embed calls
async def socialsync_token(request: web.Request) -> web.Response:
    """data-token-url: a viewer token for the signed-in user, fetched by the embed with
    the page's cookies. 401 when nobody is signed in (the embed says "Sign in")."""
    user = current_user(request)
    if user is None:
        return web.json_response({"error": "sign in first"}, status=401)
    minted = await request.app[SOCIALSYNC].tokens.create(user.id, user.name, ttl_s=3600)  # SocialSync
    return web.json_response({"token": minted.token}, headers={"Cache-Control": "no-store"})


async def start_party(request: web.Request) -> web.Response:
    """data-create-url: "Start a watch party" on a film. The party and an invite link
    (a week, any number of friends) are made here, with the API key; the embed joins by
    the invite's code, and its Invite button shares this page with that code."""
    user = current_user(request)
    if user is None:
        return web.json_response({"error": "sign in first"}, status=401)
    if request.headers.get("Origin", request.app[SETTINGS].portal_url) != origin(
        request.app[SETTINGS].portal_url
    ):
        return web.json_response({"error": "cross-site request"}, status=403)
    film = find(FILMS, request.match_info["slug"])
    client = request.app[SOCIALSYNC]
    media = Media(
        f"{request.app[SETTINGS].portal_url}/media/{film.slug}.mp4",
        title=film.title,
        duration=film.duration_s,
    )
    party = await client.parties.create(f"{user.name} watches {film.title}", media)  # SocialSync
    invite = await client.invites.create(party.id, expires_in_s=7 * 86400)  # SocialSync
    return web.json_response({"party": party.id, "invite": invite.code})


async def receive_webhook(request: web.Request) -> web.Response:
    """SocialSync's deliveries: verified on the raw body, deduplicated by webhook-id
    (deliveries are at least once), answered at once."""
    state = request.app[STATE]
    try:
        event = verify_webhook(state.webhook_secret, request.headers, await request.read())  # SocialSync
    except WebhookVerificationError:
        return web.Response(status=400, text="bad signature")
    webhook_id = request.headers["webhook-id"]
    if all(w.webhook_id != webhook_id for w in state.webhooks):
        state.webhooks.append(ReceivedWebhook(webhook_id, event["type"], time.time(), event))
    return web.Response(status=204)


async def media(request: web.Request) -> web.FileResponse:
    """Every film and channel plays the same local file (Range requests work: players seek)."""
    slug = request.match_info["slug"]
    if not any(item.slug == slug for item in (*FILMS, *CHANNELS)):
        raise web.HTTPNotFound()
    return web.FileResponse(request.app[SETTINGS].media_file, headers={"Content-Type": "video/mp4"})


async def no_icon(request: web.Request) -> web.Response:
    return web.Response(status=204)


# ---------------------------------------------------------------- the HTML around it all
def page(request: web.Request, title: str, body: str) -> web.Response:
    user = current_user(request)
    who = (
        f"<span>Signed in as <strong>{esc(user.name)}</strong></span>"
        f'<form method="post" action="/signout"><button class="link" type="submit">Sign out</button></form>'
        if user
        else '<a href="/signin">Sign in</a>'
    )
    text = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{esc(title)} · Portal TV</title>
  <link rel="stylesheet" href="/static/portal.css">
</head>
<body>
  <header class="top"><a class="brand" href="/">Portal TV</a>
    <nav><a href="/">Home</a><a href="/admin">Admin</a></nav><div class="who">{who}</div></header>
  <main>{body}</main>
</body>
</html>"""
    return web.Response(text=text, content_type="text/html")


def content_security_policy(socialsync_url: str) -> str:
    """No inline script anywhere; SocialSync's origin for its script, styles, socket and clips."""
    sync = origin(socialsync_url)
    sockets = sync.replace("http", "ws", 1)
    return (
        f"default-src 'self'; script-src 'self' {sync}; style-src 'self' {sync}; "
        f"connect-src 'self' {sync} {sockets}; img-src 'self' data: blob: {sync}; "
        f"media-src 'self' blob: {sync}; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def security_headers(csp: str) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def add(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers["Content-Security-Policy"] = csp
            raise
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return add


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def find(items: tuple[Any, ...], slug: str) -> Any:
    for item in items:
        if item.slug == slug:
            return item
    raise web.HTTPNotFound()


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def make_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[security_headers(content_security_policy(settings.socialsync_url))])
    app[SETTINGS] = settings
    app[STATE] = State()
    app.cleanup_ctx.append(socialsync_client)
    app.add_routes(
        [
            web.get("/", home),
            web.get("/signin", signin_page),
            web.post("/signin", signin),
            web.post("/signout", signout),
            web.get("/watch/{slug}", watch_page),
            web.post("/watch/{slug}/party", start_party),
            web.get("/channel/{slug}", channel_page),
            web.get("/admin", admin_page),
            web.get("/socialsync/token", socialsync_token),
            web.post(WEBHOOK_PATH, receive_webhook),
            web.get("/media/{slug}.mp4", media),
            web.get("/favicon.ico", no_icon),
            web.static("/static", HERE / "static"),
        ]
    )
    return app


if __name__ == "__main__":
    settings = Settings.from_env()
    address = urlsplit(settings.portal_url)
    print(f"Portal TV on {settings.portal_url} (SocialSync at {settings.socialsync_url})", flush=True)
    web.run_app(
        make_app(settings), host=address.hostname or "127.0.0.1", port=address.port or 8090, print=None
    )
