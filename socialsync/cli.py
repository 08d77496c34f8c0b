"""Command line: ``socialsync serve | cluster | tenant create | token``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import secrets
import signal
import sys
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from socialsync import launcher, logs
from socialsync.adapters.sql.store import SqlStore, upgrade_database
from socialsync.adapters.system_clock import SystemClock
from socialsync.config import Config
from socialsync.domain.tenant import Tenant
from socialsync.edge.auth import issue_token, new_secret

log = logging.getLogger("socialsync.cli")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="SQLAlchemy URL (env SOCIALSYNC_DATABASE_URL)")
    parser.add_argument("--log-level", help="debug, info, warning, error (env SOCIALSYNC_LOG_LEVEL)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="socialsync", description="SocialSync watch-party server")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to bind (env SOCIALSYNC_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (env SOCIALSYNC_PORT, default 8080)")
    serve.add_argument("--redis-url", help="Redis URL for scale-out (env SOCIALSYNC_REDIS_URL)")
    serve.add_argument("--node-id", help="this node's name in the cluster (env SOCIALSYNC_NODE_ID)")
    serve.add_argument("--public-url", help="URL users reach this server at (env SOCIALSYNC_PUBLIC_URL)")
    _common(serve)

    launcher.add_arguments(sub.add_parser("cluster", help="run local nodes of one cluster (the launcher)"))

    tenant = sub.add_parser("tenant", help="manage tenants")
    tenant_sub = tenant.add_subparsers(dest="tenant_command", required=True)
    create = tenant_sub.add_parser("create", help="create a tenant; prints its id and signing secret")
    create.add_argument("name")
    create.add_argument("--guests", action="store_true", help="allow guest logins")
    _common(create)

    token = sub.add_parser("token", help="print a signed token for development")
    token.add_argument("--tenant", required=True)
    token.add_argument("--user", required=True)
    token.add_argument("--name", required=True)
    token.add_argument(
        "--role",
        action="append",
        choices=["viewer", "moderator", "admin"],
        help="repeat for several roles (default viewer)",
    )
    token.add_argument("--ttl", type=int, default=3600, help="seconds the token is valid (default 3600)")
    _common(token)
    return parser


def _config(args: argparse.Namespace) -> Config:
    names = ("host", "port", "database_url", "redis_url", "node_id", "public_url", "log_level")
    return Config.load({n: getattr(args, n, None) for n in names})


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = _config(args)
    logs.setup(config.log_level)
    if args.command == "serve":
        asyncio.run(_serve(config))
        return 0
    if args.command == "cluster":
        return launcher.run(args, config)
    if args.command == "tenant":
        return asyncio.run(_tenant_create(config, args))
    return asyncio.run(_token(config, args))


async def _serve(config: Config) -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully: stop accepting, ask the
    clients to move (drain), close their sockets, flush, and exit."""
    from socialsync.app import DRAIN, create_app

    app = await create_app(config)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5, handle_signals=False)
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
    return await SqlStore.open(config.database_url)


async def _tenant_create(config: Config, args: argparse.Namespace) -> int:
    slug = re.sub(r"[^a-z0-9]+", "-", args.name.lower()).strip("-")[:24] or "tenant"
    tenant = Tenant(
        id=f"{slug}-{secrets.token_hex(4)}",
        name=args.name,
        secret=new_secret(),
        allow_guests=args.guests,
        created_at_ms=SystemClock().now_ms(),
    )
    store = await _open(config)
    try:
        await store.add_tenant(tenant)
    finally:
        await store.close()
    print(f"tenant id: {tenant.id}\nsecret:    {tenant.secret}")
    return 0


async def _token(config: Config, args: argparse.Namespace) -> int:
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
    print(issue_token(tenant, args.user, args.name, sorted(set(roles)), args.ttl, now_s))
    return 0
