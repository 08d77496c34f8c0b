"""Command line: ``socialsync serve | cluster | tenant create | token``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import secrets
import signal
import sys
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from socialsync import launcher, logs
from socialsync.adapters.sql.secrets import secret_box
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.adapters.system_clock import SystemClock
from socialsync.config import Config
from socialsync.domain.errors import SyncError
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token, new_secret

log = logging.getLogger("socialsync.cli")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL, without a password (env SOCIALSYNC_DATABASE_URL)"
    )
    parser.add_argument(
        "--database-url-file", help="a file holding the database URL (env SOCIALSYNC_DATABASE_URL_FILE)"
    )
    parser.add_argument("--log-level", help="debug, info, warning, error (env SOCIALSYNC_LOG_LEVEL)")
    _verbose(parser, default=argparse.SUPPRESS)  # after the command too; not given: the top level's


def _verbose(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default,
        help="log at info level (commands other than serve and cluster log only warnings and errors)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="socialsync", description="SocialSync watch-party server")
    _verbose(parser, default=False)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to bind (env SOCIALSYNC_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (env SOCIALSYNC_PORT, default 8080)")
    serve.add_argument("--redis-url", help="Redis URL for scale-out, no password (env SOCIALSYNC_REDIS_URL)")
    serve.add_argument(
        "--redis-url-file", help="a file holding the Redis URL (env SOCIALSYNC_REDIS_URL_FILE)"
    )
    serve.add_argument("--node-id", help="this node's name in the cluster (env SOCIALSYNC_NODE_ID)")
    serve.add_argument("--public-url", help="URL users reach this server at (env SOCIALSYNC_PUBLIC_URL)")
    _common(serve)

    launcher.add_arguments(sub.add_parser("cluster", help="run local nodes of one cluster (the launcher)"))

    tenant = sub.add_parser("tenant", help="manage tenants")
    tenant_sub = tenant.add_subparsers(dest="tenant_command", required=True)
    create = tenant_sub.add_parser("create", help="create a tenant; prints its id and signing secret")
    create.add_argument("name")
    create.add_argument("--guests", action="store_true", help="allow guest logins")
    create.add_argument("--max-token-lifetime", type=int, help="refuse tokens with exp - iat over this (s)")
    _common(create)
    rotate = tenant_sub.add_parser(
        "rotate-secret", help="a new signing secret; the current one stays valid until the next rotation"
    )
    rotate.add_argument("tenant")
    _common(rotate)
    _tenant_settings_command(tenant_sub)
    _tenant_access_command(tenant_sub)

    token = sub.add_parser(
        "token", help="print a signed token for development; `token revoke`: revoke one, or a user's"
    )
    token.add_argument("action", nargs="?", choices=["issue", "revoke"], default="issue")
    token.add_argument("--tenant", required=True)
    token.add_argument("--user", help="the token's user; revoke: every token the user holds now")
    token.add_argument("--name", help="the user's display name (issue)")
    token.add_argument("--jti", help="revoke: the token's id (its jti claim; --jti=ID when it starts with -)")
    token.add_argument("--url", help="revoke: a running node's URL (default: SOCIALSYNC_PUBLIC_URL)")
    token.add_argument(
        "--role",
        action="append",
        choices=["viewer", "moderator", "admin"],
        help="repeat for several roles (default viewer)",
    )
    token.add_argument("--ttl", type=int, default=3600, help="seconds the token is valid (default 3600)")
    _common(token)
    _privacy_commands(sub)
    _apikey_commands(sub)
    return parser


def _tenant_settings_command(tenant_sub: Any) -> None:
    settings = tenant_sub.add_parser(
        "settings",
        help="show or change a tenant's embedders (CSP frame-ancestors) and own abuse limits; prints them",
    )
    settings.add_argument("tenant")
    settings.add_argument(
        "--frame-ancestors",
        nargs="*",
        metavar="ORIGIN",
        help="origins that may frame its pages (e.g. https://tv.example, 'self'); none given: nobody",
    )
    settings.add_argument(
        "--default-frame-ancestors", action="store_true", help="back to the server's frame_ancestors"
    )
    for name in LIMIT_NAMES:
        settings.add_argument(
            f"--{name.replace('_', '-')}",
            metavar="N|default",
            help=f"{name}: a number, or default (the server's)",
        )
    _common(settings)


LIMIT_NAMES = ("parties_per_hour", "cameras_per_user", "guests_per_address_per_hour")


def _privacy_commands(sub: Any) -> None:
    user = sub.add_parser("user", help="a user's personal data: export or erase (docs/privacy.md)")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    commands = (("export", "print everything kept about the user as JSON"), ("erase", "forget the user"))
    for name, text in commands:
        cmd = user_sub.add_parser(name, help=text)
        cmd.add_argument("--tenant", required=True)
        cmd.add_argument("--user", required=True)
        _common(cmd)
    retention = sub.add_parser("retention", help="run one retention pass over every tenant now")
    _common(retention)


def _config(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    names = ("host", "port", "node_id", "public_url", "log_level")
    overrides = {n: getattr(args, n, None) for n in names}
    for name in ("database_url", "redis_url"):
        overrides[name] = _secret_url(args, env, name)
    return Config.load(overrides, env)


def _secret_url(args: argparse.Namespace, env: Mapping[str, str], name: str) -> str | None:
    """A URL that may hold a password: from the environment or a file, never from the
    command line (every user of the machine reads it in ``ps``). The flag
    (``--database-url``) is refused when it carries a password; ``--database-url-file``
    or ``SOCIALSYNC_DATABASE_URL_FILE`` name a file holding it; else the variable
    ``SOCIALSYNC_DATABASE_URL`` (Config.load)."""
    flag = "--" + name.replace("_", "-")
    value: str | None = getattr(args, name, None)
    if value is not None:
        if _has_password(value):
            var = f"SOCIALSYNC_{name.upper()}"
            raise SystemExit(
                f"{flag} holds a password, which any user of this machine can read in the process "
                f"list: give the URL in {var}, or in a file ({flag}-file or {var}_FILE)"
            )
        return value
    path = getattr(args, f"{name}_file", None) or env.get(f"SOCIALSYNC_{name.upper()}_FILE") or None
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as file:
            url = file.read().strip()
    except OSError as exc:
        raise SystemExit(f"{flag}-file: cannot read {path}: {exc.strerror}") from None
    if not url:
        raise SystemExit(f"{flag}-file: {path} is empty")
    return url


def _has_password(url: str) -> bool:
    try:
        return bool(urlsplit(url).password)
    except ValueError:
        return ":" in url.split("@", 1)[0].split("//", 1)[-1] and "@" in url


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = _config(args)
    logs.setup(_log_level(args, config))
    if args.command == "serve":
        asyncio.run(_serve(config))
        return 0
    if args.command == "cluster":
        return launcher.run(args, config)
    if args.command in ("user", "retention"):
        return asyncio.run(_privacy(config, args))
    if args.command == "tenant" and args.tenant_command == "rotate-secret":
        return asyncio.run(_rotate_secret(config, args))
    if args.command == "tenant" and args.tenant_command == "settings":
        return asyncio.run(_tenant_settings(config, args))
    if args.command == "apikey" or (args.command == "tenant" and args.tenant_command == "access"):
        return asyncio.run(_access(config, args))
    if args.command == "tenant":
        return asyncio.run(_tenant_create(config, args))
    return asyncio.run(_token(config, args))


# Commands that run until stopped log as configured (info by default: serving, requests,
# nodes starting and dying); the others only warnings, unless -v or --log-level.
LOGGING_COMMANDS = ("serve", "cluster")


def _log_level(args: argparse.Namespace, config: Config) -> str:
    verbose = bool(getattr(args, "verbose", False))
    if args.command in LOGGING_COMMANDS or getattr(args, "log_level", None):
        level = config.log_level
        return "info" if verbose and logs.level_number(level) > logging.INFO else level
    return "info" if verbose else "warning"


async def _serve(config: Config) -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully: stop accepting, ask the
    clients to move (drain), close their sockets, flush, and exit."""
    from socialsync.app import DRAIN, create_app, make_runner

    app = await create_app(config)
    runner = make_runner(app, shutdown_timeout=5, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
        log.info("stopping")
        await site.stop()
        await app[DRAIN]()
    finally:
        await runner.cleanup()


async def _open(config: Config) -> SqlStore:
    await upgrade_database(config.database_url)
    box = secret_box(config.secret_key, config.database_url)
    return await SqlStore.open(config.database_url, box=box)


async def _rotate_secret(config: Config, args: argparse.Namespace) -> int:
    store = await _open(config)
    secret = new_secret()
    try:
        await store.rotate_secret(args.tenant, secret)
    except SyncError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        await store.close()
    print(f"tenant id: {args.tenant}\nsecret:    {secret}")
    print("(the previous secret stays valid until the next rotation)")
    return 0


async def _tenant_settings(config: Config, args: argparse.Namespace) -> int:
    """``tenant settings``: what a tenant admin changes with PUT /api/v1/tenant/settings
    (nodes hold a change made here within 5 s)."""
    import json

    from socialsync.app import tenant_defaults
    from socialsync.services.tenants import TenantPolicies

    changes: dict[str, Any] = {}
    if args.default_frame_ancestors:
        changes["frame_ancestors"] = None
    elif args.frame_ancestors is not None:
        changes["frame_ancestors"] = args.frame_ancestors
    limits: dict[str, int | None] = {}
    for name in LIMIT_NAMES:
        raw = getattr(args, name)
        if raw is not None:
            if raw != "default" and not raw.isdigit():
                print(f"--{name.replace('_', '-')}: a number or default", file=sys.stderr)
                return 2
            limits[name] = None if raw == "default" else int(raw)
    if limits:
        changes["limits"] = limits
    store = await _open(config)
    policies = TenantPolicies(store, SystemClock(), tenant_defaults(config))
    try:
        policy = await (policies.set(args.tenant, changes) if changes else policies.policy_of(args.tenant))
    except SyncError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        await store.close()
    print(json.dumps({"tenant": args.tenant, **policy.to_data(policies.defaults)}, indent=2))
    return 0


async def _tenant_create(config: Config, args: argparse.Namespace) -> int:
    slug = re.sub(r"[^a-z0-9]+", "-", args.name.lower()).strip("-")[:24] or "tenant"
    tenant = Tenant(
        id=f"{slug}-{secrets.token_hex(4)}",
        name=args.name,
        secret=new_secret(),
        allow_guests=args.guests,
        created_at_ms=SystemClock().now_ms(),
        max_token_lifetime_s=args.max_token_lifetime,
    )
    store = await _open(config)
    try:
        await store.add_tenant(tenant)
    finally:
        await store.close()
    print(f"tenant id: {tenant.id}\nsecret:    {tenant.secret}")
    return 0


async def _token(config: Config, args: argparse.Namespace) -> int:
    if args.action == "revoke" and (args.jti is None) == (args.user is None):
        print("token revoke: give --jti or --user", file=sys.stderr)
        return 2
    if args.action == "issue" and (args.user is None or args.name is None):
        print("token: give --user and --name", file=sys.stderr)
        return 2
    store = await _open(config)
    try:
        tenant = await store.get_tenant(args.tenant)
    finally:
        await store.close()
    if tenant is None:
        print(f"no tenant {args.tenant!r}", file=sys.stderr)
        return 1
    roles: list[Any] = args.role or ["viewer"]
    now_s = SystemClock().now_ms() // 1000
    if args.action == "revoke":
        return await _revoke(tenant, args, args.url or config.base_url, now_s)
    print(issue_token(tenant, args.user, args.name, sorted(set(roles)), args.ttl, now_s))
    return 0


async def _revoke(tenant: Tenant, args: argparse.Namespace, url: str, now_s: int) -> int:
    """Through a running node's REST API (an embedded node keeps revocations in its
    memory; a cluster's nodes all learn of it through Redis), as the tenant's admin
    for a minute."""
    import json

    from aiohttp import ClientError, ClientSession

    admin = issue_token(tenant, "socialsync-cli", "socialsync CLI", ["admin"], 60, now_s)
    body = {"jti": args.jti} if args.jti is not None else {"user": args.user}
    headers = {"Authorization": f"Bearer {admin}"}
    try:
        async with (
            ClientSession() as http,
            http.post(url.rstrip("/") + "/api/v1/revocations", json=body, headers=headers) as response,
        ):
            answer = await response.json(content_type=None)
    except (ClientError, ValueError) as exc:
        print(f"token revoke: no answer from {url}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(answer))
    return 0 if answer.get("ok") else 1


async def _privacy(config: Config, args: argparse.Namespace) -> int:
    """``user export|erase`` and ``retention``: the PrivacyService over the database
    (a cluster's recent-chat cache expires by itself within a day; an erasure through
    the REST API also drops it at once)."""
    import json
    from pathlib import Path

    from socialsync.adapters.memory.lease import MemoryLease
    from socialsync.adapters.sql.privacy_store import SqlPrivacyStore
    from socialsync.services.privacy import PrivacyService

    clock = SystemClock()
    store = await _open(config)
    privacy = PrivacyService(
        SqlPrivacyStore(store),
        clock,
        MemoryLease(clock),
        Path(config.clips_path),
        load_party=store.load_party,
    )
    try:
        if args.command == "retention":
            print(json.dumps(await privacy.run_retention(), indent=2))
            return 0
        if await store.get_tenant(args.tenant) is None:
            print(f"no tenant {args.tenant!r}", file=sys.stderr)
            return 1
        if args.user_command == "export":
            archive = await privacy.export(args.tenant, args.user)
            print(json.dumps(archive, indent=2, ensure_ascii=False, default=str))
        else:
            print(json.dumps(await privacy.erase(args.tenant, args.user), indent=2))
        return 0
    finally:
        await store.close()


# --- API keys and tenants' access settings (docs/api-keys.md) ---------------------------


def _apikey_commands(sub: Any) -> None:
    from socialsync.domain.access import Scope

    apikey = sub.add_parser("apikey", help="a tenant's API keys: create, list, revoke (docs/api-keys.md)")
    apikey_sub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_sub.add_parser("create", help="a new key; prints it, once (only its hash is kept)")
    create.add_argument("--tenant", required=True)
    create.add_argument("--name", required=True, help="what the key is for (shown in lists)")
    create.add_argument(
        "--scope", action="append", required=True, choices=[s.value for s in Scope], help="repeat for several"
    )
    create.add_argument("--expires-in", type=int, metavar="DAYS", help="the key stops working after DAYS")
    create.add_argument("--per-minute", type=int, help="its requests a minute (default: the server's, 600)")
    create.add_argument("--burst", type=int, help="its requests at once (default: the server's, 60)")
    _common(create)
    listing = apikey_sub.add_parser("list", help="the tenant's keys as JSON (never their secrets)")
    listing.add_argument("--tenant", required=True)
    _common(listing)
    revoke = apikey_sub.add_parser("revoke", help="revoke a key: every node refuses it within 30 s")
    revoke.add_argument("--tenant", required=True)
    revoke.add_argument("key", help="the key's id (or the whole key)")
    _common(revoke)


def _tenant_access_command(tenant_sub: Any) -> None:
    access = tenant_sub.add_parser(
        "access", help="show or change a tenant's JWKS (its own signing keys) and allowed origins"
    )
    access.add_argument("tenant")
    jwks = access.add_mutually_exclusive_group()
    jwks.add_argument("--jwks-url", help="where the platform publishes its JWKS (https)")
    jwks.add_argument("--jwks-file", help="a JWKS file to keep inline (public keys)")
    jwks.add_argument("--no-jwks", action="store_true", help="accept only HS256 tokens again")
    origins = access.add_mutually_exclusive_group()
    origins.add_argument(
        "--allowed-origin", action="append", metavar="ORIGIN", help="repeat for several (https://tv.example)"
    )
    origins.add_argument("--any-origin", action="store_true", help="no restriction (the default)")
    _common(access)


async def _access(config: Config, args: argparse.Namespace) -> int:
    """``apikey create|list|revoke`` and ``tenant access``, straight on the database."""
    import json

    from socialsync.adapters.sql.api_keys import SqlApiKeys
    from socialsync.domain.api_keys import parse_key
    from socialsync.services.api_keys import AccessSettings, ApiKeys

    clock = SystemClock()
    store = await _open(config)
    tenant_id = args.tenant
    try:
        if await store.get_tenant(tenant_id) is None:
            print(f"no tenant {tenant_id!r}", file=sys.stderr)
            return 1
        keys = ApiKeys(SqlApiKeys(store), clock)
        if args.command == "tenant":
            changes = _access_changes(args)
            access = AccessSettings(SqlApiKeys(store), clock)
            settings = await (access.set(tenant_id, changes) if changes else access.store.access(tenant_id))
            print(json.dumps({"tenant": tenant_id, **settings.to_data()}, indent=2))
        elif args.apikey_command == "create":
            days = args.expires_in
            expires = None if days is None else clock.now_ms() + days * 86_400_000
            rate = {"per_minute": args.per_minute, "burst": args.burst}
            made = await keys.create(tenant_id, args.name, args.scope, expires_at_ms=expires, **rate)
            scopes = " ".join(sorted(made.key.scopes))
            print(f"key id:  {made.key.id}\nscopes:  {scopes}\napi key: {made.text}")
            print("(shown this once: only its hash is kept)")
        elif args.apikey_command == "list":
            print(json.dumps([k.to_data() for k in await keys.keys(tenant_id)], indent=2))
        else:
            parsed = parse_key(args.key)
            revoked = await keys.revoke(tenant_id, parsed[0] if parsed else args.key)
            print(f"revoked {revoked.id}: every node refuses it within {int(config.access_cache_s)} s")
        return 0
    except (SyncError, OSError, ValueError) as exc:
        print(exc.message if isinstance(exc, SyncError) else str(exc), file=sys.stderr)
        return 1
    finally:
        await store.close()


def _access_changes(args: argparse.Namespace) -> dict[str, Any]:
    import json

    changes: dict[str, Any] = {}
    if args.no_jwks:
        changes |= {"jwks_url": None, "jwks": None}
    elif args.jwks_url is not None:
        changes["jwks_url"] = args.jwks_url
    elif args.jwks_file is not None:
        with open(args.jwks_file, encoding="utf-8") as file:
            changes["jwks"] = json.load(file)
    if args.any_origin:
        changes["allowed_origins"] = None
    elif args.allowed_origin is not None:
        changes["allowed_origins"] = args.allowed_origin
    return changes
