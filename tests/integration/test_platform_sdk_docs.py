"""docs/platform-sdk.md, run as a platform would follow it: the quick start's two
commands (a real `socialsync` process on the server's database), then every ```python
block of the page in order, in one namespace, against a real server, with the
environment the page says to set. What the blocks did is then checked from outside:
the viewer tokens they minted sign real sockets in, the token they revoked does not,
and the webhook route they wrote verifies real deliveries (and refuses a forged one)."""

from __future__ import annotations

import asyncio
import re
import shlex
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web
from support import free_port, running_server

from socialsync.platform import Party, SocialSync
from socialsync.platform._request import Operation, Paged, Resource
from socialsync.sdk.client import SocialSyncClient
from socialsync.sdk.client import SocialSyncError as SocketRefused

DOCS = Path(__file__).resolve().parents[2] / "docs" / "platform-sdk.md"
TEXT = DOCS.read_text()
EXAMPLE_TENANT = "acme-tv-1a2b3c4d"


def section(title: str) -> str:
    start = TEXT.index(title)
    ends = [i for i in (TEXT.find("\n## ", start + 1), TEXT.find("\n### ", start + 1)) if i != -1]
    return TEXT[start : min(ends, default=len(TEXT))]


def quick_start_commands() -> list[list[str]]:
    quick = section("## Quick start")
    return [shlex.split(line[2:]) for line in quick.splitlines() if line.startswith("$ socialsync ")]


async def run_cli(database_url: str, argv: list[str]) -> dict[str, str]:
    """A documented ``socialsync`` command as its own process; its ``name: value`` lines."""
    assert argv[0] == "socialsync"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "socialsync",
        *argv[1:],
        "--database-url",
        database_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.decode().splitlines())}


async def test_the_guides_commands_and_python_blocks_run_against_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    got: list[tuple[dict[str, str], bytes]] = []

    async def take(request: web.Request) -> web.Response:
        got.append((dict(request.headers), await request.read()))
        return web.Response(status=204)

    receiver = web.Application()
    receiver.router.add_post("/hooks/socialsync", take)
    runner = web.AppRunner(receiver, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    sockets: list[SocialSyncClient] = []
    try:
        async with running_server(tmp_path) as server:
            # 1. The quick start's commands, as written (the tenant id is the one made).
            create_tenant, create_key = quick_start_commands()
            tenant = await run_cli(server.config.database_url, create_tenant)
            tenant_id = tenant["tenant id"]
            argv = [tenant_id if arg == EXAMPLE_TENANT else arg for arg in create_key]
            key = (await run_cli(server.config.database_url, argv))["api key"]
            assert key.startswith("ssk_")
            for name, value in {
                "SOCIALSYNC_URL": server.url,
                "SOCIALSYNC_API_KEY": key,
                "SOCIALSYNC_TENANT_ID": tenant_id,
                "SOCIALSYNC_TENANT_SECRET": tenant["secret"],
                "PORTAL_WEBHOOK_URL": f"http://127.0.0.1:{port}/hooks/socialsync",
            }.items():
                monkeypatch.setenv(name, value)

            # 2. Every python block, in order, in one namespace (blocking code: in a thread).
            blocks = re.findall(r"```python\n(.*?)```", TEXT, re.S)
            assert len(blocks) >= 12
            namespace: dict[str, object] = {"__name__": "platform_sdk_docs"}
            for number, block in enumerate(blocks, 1):
                code = compile(block, f"{DOCS} (python block {number})", "exec")
                await asyncio.to_thread(exec, code, namespace)
            out = capsys.readouterr().out
            assert "not_found 404" in out  # what the errors block says it prints

            # 3. What the blocks made, from outside: tokens sign sockets in, in the tenant.
            party = namespace["party"]
            assert isinstance(party, Party) and party.title == "Friday film club"
            for token in (namespace["viewer_token"], namespace["minted"].token):  # type: ignore[attr-defined]
                viewer = SocialSyncClient(server.url, token=token)
                sockets.append(viewer)
                await viewer.connect(sync_clock=False)
                assert (viewer.user or {}).get("tenant") == tenant_id
                await viewer.join(party.id)
            with pytest.raises(SocketRefused) as refused:  # revoked by its jti in the guide
                await SocialSyncClient(server.url, token=namespace["subscriber_token"]).connect(
                    sync_clock=False
                )
            assert refused.value.code == "unauthorized"

            # 4. The guide's webhook route verifies real deliveries: the test ping, the joins.
            deadline = time.monotonic() + 10
            while sum(b"member.joined" in body for _, body in got) < 2:
                assert time.monotonic() < deadline, [body[:40] for _, body in got]
                await asyncio.sleep(0.05)
            handle = namespace["handle_webhook"]
            assert [handle(headers, body) for headers, body in got] == [204] * len(got)  # type: ignore[operator]
            assert any(b'"webhook.test"' in body for _, body in got)
            headers, body = got[-1]
            assert handle(headers, body.replace(b"member", b"merber")) == 400  # type: ignore[operator]
            assert handle({**headers, "webhook-timestamp": "1700000000"}, body) == 400  # type: ignore[operator]
    finally:
        for viewer in sockets:
            await viewer.close()
        await runner.cleanup()


def test_the_guide_lists_every_method_of_every_resource() -> None:
    client = SocialSync("http://sync.test", api_key="ssk_x")
    missing = []
    for name, resource in vars(client).items():
        if not isinstance(resource, Resource):
            continue
        (title,) = [t for t in re.findall(r"^### .*$", TEXT, re.M) if f"`client.{name}`" in t]
        text = section(title)
        for method, attribute in vars(type(resource)).items():
            documented = f"`{method}(" in text or f"`{name}.{method}(" in text
            if isinstance(attribute, Operation | Paged) and not documented:
                missing.append(f"client.{name}.{method}")
    assert missing == []
