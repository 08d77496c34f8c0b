"""Every REST endpoint, property-based against its own OpenAPI document (schemathesis):
requests drawn from the document (valid ones, and ones it rules out) go to a real
server over a real socket; it never answers 5xx, and every answer (status, content
type, body, headers) is one the document allows. Bad input is refused with a 4xx.

The server runs on an event loop of its own in a thread (schemathesis calls it with
requests, synchronously); the document is the one it serves at /api/v1/openapi.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from support import VIDEO, Server, running_server

from socialsync.app import STORE
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient

T = TypeVar("T")
# Per operation; with ~20 operations the run stays well under 30 s on a busy 2-core machine.
MAX_EXAMPLES = 10
# With the path naming real things and the documented body: the success paths.
REAL_EXAMPLES = 4
VIEWER = "viewer-7"


class LiveServer:
    """A real server on its own loop in a thread, for synchronous callers."""

    def __init__(self, tmp_path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="live-server", daemon=True)
        self.tmp_path = tmp_path
        self._server: contextlib.AbstractAsyncContextManager[Server] | None = None

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def __enter__(self) -> Server:
        self.thread.start()
        # Generous limits: the run creates many parties; the limits have tests of their own.
        self._server = running_server(self.tmp_path, parties_per_hour=100_000)
        return self.run(self._server.__aenter__())

    def __exit__(self, *exc: object) -> None:
        try:
            if self._server is not None:
                self.run(self._server.__aexit__(None, None, None))
            self.run(_cancel_the_rest())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


async def _cancel_the_rest() -> None:
    """Tasks clients left behind (a socket's pings) end before the loop does."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Server]]:
    runner = LiveServer(tmp_path_factory.mktemp("rest-openapi"))
    with runner as server:
        yield runner, server


@pytest.fixture(scope="module")
def admin_headers(live: tuple[LiveServer, Server]) -> dict[str, str]:
    runner, server = live
    tenant = runner.run(server.app[STORE].get_tenant("demo"))
    assert tenant is not None
    token = issue_token(tenant, "admin-1", "Ada", ["admin"], 3600, int(time.time()))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _schema(server: Server, headers: dict[str, str], http: requests.Session) -> Any:
    document = http.get(f"{server.url}/api/v1/openapi.json", timeout=10).json()
    config = schemathesis.Config.from_dict(
        {
            "base-url": server.url,
            "headers": headers,
            "checks": {
                "enabled": False,
                "not_a_server_error": {"enabled": True},
                "status_code_conformance": {"enabled": True},
                "content_type_conformance": {"enabled": True},
                "response_schema_conformance": {"enabled": True},
                "response_headers_conformance": {"enabled": True},
                # A value over a size bound is 413 too_large, as on the socket.
                "negative_data_rejection": {
                    "enabled": True,
                    "expected-statuses": [400, 401, 403, 404, 409, 413, 422, 429],
                },
                "ignored_auth": {"enabled": True},
            },
        }
    )
    return schemathesis.openapi.from_dict(document, config=config)


def _check(operation: Any, mode: GenerationMode, http: requests.Session, **fixed: Any) -> None:
    @settings(
        max_examples=MAX_EXAMPLES if not fixed else REAL_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def run(case: Any) -> None:
        case.call_and_validate(session=http)

    run()


def _real(
    operation: Any, runner: LiveServer, server: Server, viewer: SocialSyncClient, http: requests.Session
) -> dict[str, Any]:
    """What makes a drawn request name real things: a fresh party (the viewer in it) for
    ``{party}``, the viewer for ``{user}``, and the documented example for the body."""
    fixed: dict[str, Any] = {}
    names = {p.name for p in operation.path_parameters}
    if names & {"party", "user"}:
        path: dict[str, str] = {}
        if "party" in names:
            party = _create_party(server, http)
            runner.run(viewer.join(party))
            path["party"] = party
        if "user" in names:
            path["user"] = VIEWER
        fixed["path_parameters"] = path
    body = operation.definition.raw.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "example" in body:
        fixed["body"] = body["example"]
    return fixed


def _create_party(server: Server, http: requests.Session) -> str:
    body = {"title": "Drawn", "media": VIDEO}
    answer = http.post(f"{server.url}/api/v1/parties", json=body, headers=http.headers, timeout=10)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["party"]["id"])


def test_every_endpoint_answers_as_its_document_says(
    live: tuple[LiveServer, Server], admin_headers: dict[str, str], http: requests.Session
) -> None:
    runner, server = live
    http.headers.update(admin_headers)
    schema = _schema(server, admin_headers, http)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    tenant = runner.run(server.app[STORE].get_tenant("demo"))
    assert tenant is not None
    viewer = SocialSyncClient(
        server.url, token=issue_token(tenant, VIEWER, "Vic", ["viewer"], 600, int(time.time()))
    )
    runner.run(viewer.connect(sync_clock=False))
    failed: dict[str, str] = {}
    try:
        for operation in operations:
            rounds = [(GenerationMode.POSITIVE, {}), (GenerationMode.NEGATIVE, {})]
            real = _real(operation, runner, server, viewer, http)
            if real:
                rounds.append((GenerationMode.POSITIVE, real))
            for mode, fixed in rounds:
                try:
                    _check(operation, mode, http, **fixed)
                except Unsatisfiable:  # nothing in it to get wrong (no parameters, no body)
                    assert mode is GenerationMode.NEGATIVE, operation.label
                except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
                    failed[f"{operation.label} ({mode.value}{', real' if fixed else ''})"] = str(exc)[:1500]
    finally:
        runner.run(viewer.close())
    assert not failed, "\n\n".join(f"{name}:\n{why}" for name, why in failed.items())
