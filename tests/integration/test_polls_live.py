"""Polls and predictions with real clients against a real server (embedded, and as a
cluster node): members vote once whatever they try, results go out in bursts and the end
to everyone, a late joiner gets the poll, time closes it, moderation and bad input are
refused with their codes; the votes reach analytics and the end reaches webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from support import TEST_CONFIG, VIDEO, Server, free_port

from socialsync.adapters.system_clock import SystemClock
from socialsync.app import ANALYTICS, STORE, create_app, make_runner
from socialsync.config import Config
from socialsync.edge.auth import issue_token
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

POLL_EVENTS = ("poll.opened", "poll.results", "poll.locked", "poll.ended")


class SkewClock:
    """The system clock, moved on by ``offset_ms`` when a test says time has passed."""

    def __init__(self) -> None:
        self.offset_ms = 0
        self._system = SystemClock()

    def now_ms(self) -> int:
        return self._system.now_ms() + self.offset_ms


@contextlib.asynccontextmanager
async def clocked_server(tmp_path, clock: SkewClock, **overrides: Any) -> AsyncIterator[Server]:
    port = free_port()
    settings = {"database_url": f"sqlite:///{tmp_path}/test.db", "port": port, **TEST_CONFIG, **overrides}
    config = Config.load(settings, env={})
    app = await create_app(config, clock=clock)
    runner = make_runner(app, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Server(f"http://127.0.0.1:{port}", app, config)
    finally:
        await runner.cleanup()


@dataclass
class World:
    server: Server
    clock: SkewClock
    party: str
    host: SocialSyncClient
    ann: SocialSyncClient
    ben: SocialSyncClient
    seen: dict[SocialSyncClient, list[tuple[str, dict[str, Any]]]]

    async def join(self, name: str, **kwargs: Any) -> SocialSyncClient:
        client = SocialSyncClient(self.server.url, **(kwargs or {"guest": name}))
        await client.connect(sync_clock=False)
        self.watch(client)
        await client.join(self.party)
        return client

    def watch(self, client: SocialSyncClient) -> None:
        self.seen[client] = []
        for event in POLL_EVENTS:
            client.on(event, lambda data, event=event, c=client: self.seen[c].append((event, data)))

    def of(self, client: SocialSyncClient, event: str) -> list[dict[str, Any]]:
        return [data for name, data in self.seen[client] if name == event]

    async def each(self, event: str, check) -> None:
        """Every member has received ``event`` with a payload that passes ``check``."""
        for client in self.seen:
            await client.wait_until(lambda c=client: any(check(d) for d in self.of(c, event)))


@pytest.fixture
async def world(tmp_path, backend: dict[str, str]) -> AsyncIterator[World]:
    clock = SkewClock()
    async with clocked_server(tmp_path, clock, **backend) as server:
        clients: list[SocialSyncClient] = []
        seen: dict[SocialSyncClient, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        w = World(
            server, clock, "", *(SocialSyncClient(server.url, guest=n) for n in ("Hal", "Ann", "Ben")), seen
        )
        try:
            for client in (w.host, w.ann, w.ben):
                clients.append(client)
                await client.connect(sync_clock=False)
                w.watch(client)
            w.party = (await w.host.create_party("Polls", VIDEO))["id"]
            for client in (w.host, w.ann, w.ben):
                await client.join(w.party)
            yield w
        finally:
            for client in list(w.seen):
                await client.close()


async def _open(w: World, **fields: Any) -> dict[str, Any]:
    payload = {"party": w.party, "question": "Best film?", "choices": ["Alien", "Heat", "Up"], "duration": 60}
    return (await w.host.request("poll.open", payload | fields))["poll"]


async def _refused(client: SocialSyncClient, event: str, payload: dict[str, Any]) -> SocialSyncError:
    with pytest.raises(SocialSyncError) as caught:
        await client.request(event, payload)
    return caught.value


async def _receiver() -> tuple[str, list[dict[str, Any]], asyncio.Event, web.AppRunner]:
    got: list[dict[str, Any]] = []
    arrived = asyncio.Event()

    async def take(request: web.Request) -> web.Response:
        got.append(await request.json())
        arrived.set()
        return web.Response()

    app = web.Application()
    app.router.add_post("/hooks", take)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return f"http://127.0.0.1:{port}/hooks", got, arrived, runner


async def test_votes_go_out_in_bursts_the_end_to_everyone_and_to_analytics_and_webhooks(world: World):
    w = world
    tenant = await w.server.app[STORE].get_tenant("demo")
    admin = issue_token(tenant, "admin-1", "Ada", ["admin"], 600, int(time.time()))
    url, hooks, arrived, receiver = await _receiver()
    try:
        async with aiohttp.ClientSession() as http:
            made = await http.post(
                f"{w.server.url}/api/v1/webhooks/endpoints",
                json={"url": url, "events": ["poll.*"]},
                headers={"Authorization": f"Bearer {admin}"},
            )
            assert made.status == 201, await made.text()
        poll = await _open(w)
        assert (poll["status"], poll["counts"], poll["total"], poll["by"]["name"]) == (
            "open",
            [0, 0, 0],
            0,
            "Hal",
        )
        await w.each("poll.opened", lambda d: d["poll"]["id"] == poll["id"])
        votes = [(w.ann, 0), (w.ben, 2), (w.host, 2)]
        answers = await asyncio.gather(
            *(c.request("poll.vote", {"party": w.party, "id": poll["id"], "choice": n}) for c, n in votes)
        )
        assert [a["choice"] for a in answers] == [0, 2, 2]
        await w.each("poll.results", lambda d: d["counts"] == [1, 0, 2] and d["total"] == 3)
        assert all(len(w.of(c, "poll.results")) <= 2 for c in w.seen), (
            "votes are summed, not echoed one by one"
        )
        ended = (await w.host.request("poll.close", {"party": w.party, "id": poll["id"]}))["poll"]
        assert (ended["status"], ended["end"], ended["counts"]) == ("ended", "completed", [1, 0, 2])
        await w.each("poll.ended", lambda d: d["poll"] == ended)
        await asyncio.sleep(0.6)  # a results window still open would have sent by now
        for client in w.seen:
            names = [name for name, _ in w.seen[client]]
            assert names[-1] == "poll.ended" and names.count("poll.ended") == 1
        await asyncio.wait_for(arrived.wait(), 10)
        assert [h["type"] for h in hooks] == ["poll.ended"]
        data = hooks[0]["data"]
        assert (data["poll_id"], data["votes"], data["winners"], data["end"]) == (
            poll["id"],
            3,
            [2],
            "completed",
        )
        assert [c["votes"] for c in data["choices"]] == [1, 0, 2]
        analytics = w.server.app[ANALYTICS]
        await analytics.flush()
        assert await analytics.store.tallies("demo", "poll_vote", poll["id"]) == {"0": 1, "2": 2}
    finally:
        await receiver.cleanup()


async def test_a_member_votes_once_from_two_tabs_after_reconnecting_and_never_after_the_end(world: World):
    w = world
    poll = await _open(w, kind="prediction", choices=["Red", "Blue"], duration=30)
    second_tab = await w.join("Ann", token=w.ann._token)
    vote = {"party": w.party, "id": poll["id"]}
    tries = await asyncio.gather(
        w.ann.request("poll.vote", vote | {"choice": 0}),
        second_tab.request("poll.vote", vote | {"choice": 1}),
        return_exceptions=True,
    )
    counted = [t for t in tries if isinstance(t, dict)]
    refused = [t for t in tries if isinstance(t, SocialSyncError)]
    assert len(counted) == 1 and [r.code for r in refused] == ["conflict"]
    assert refused[0].answer["choice"] == counted[0]["choice"], "told the vote that counts"
    await w.ann.close()
    del w.seen[w.ann]
    back = await w.join("Ann", token=second_tab._token)
    again = await _refused(back, "poll.vote", vote | {"choice": 1 - counted[0]["choice"]})
    assert again.code == "conflict"
    current = await back.request("poll.get", {"party": w.party})
    assert current["choice"] == counted[0]["choice"] and current["poll"]["total"] == 1
    await w.host.request("poll.cancel", vote)
    late = await _refused(w.ben, "poll.vote", vote | {"choice": 0})
    assert (late.code, late.message) == ("conflict", "voting has closed")
    await w.each("poll.ended", lambda d: d["poll"]["end"] == "cancelled" and d["poll"]["total"] == 1)


async def test_a_late_joiner_gets_the_poll_and_time_locks_a_prediction_until_it_is_resolved(world: World):
    w = world
    poll = await _open(w, kind="prediction", question="Who wins?", choices=["Red", "Blue"], duration=15)
    vote = {"party": w.party, "id": poll["id"]}
    await w.ann.request("poll.vote", vote | {"choice": 1})
    late = await w.join("Late")
    current = await late.request("poll.get", {"party": w.party})
    assert (
        current["poll"]["id"],
        current["poll"]["status"],
        current["poll"]["counts"],
        current["choice"],
    ) == (
        poll["id"],
        "open",
        [0, 1],
        None,
    )
    await late.request("poll.vote", vote | {"choice": 0})
    w.clock.offset_ms += 16_000  # the prediction's 15 s are up
    refused = await _refused(w.ben, "poll.vote", vote | {"choice": 0})
    assert refused.code == "conflict"
    await w.each(
        "poll.locked", lambda d: d["poll"]["counts"] == [1, 1] and d["poll"]["closed_at"] is not None
    )
    ended = (await w.host.request("prediction.resolve", vote | {"outcome": 1}))["poll"]
    assert (ended["end"], ended["outcome"], ended["counts"]) == ("resolved", 1, [1, 1])
    await w.each("poll.ended", lambda d: d["poll"]["outcome"] == 1)
    latest = await w.join("Later")
    assert (await latest.request("poll.get", {"party": w.party}))["poll"] == ended, "the result, for a while"
    for client in w.seen:
        assert len(w.of(client, "poll.locked")) <= 1


REFUSED = [
    ({"choices": ["Alien"]}, "bad_request"),
    ({"choices": ["a", "b", "c", "d", "e", "f"]}, "too_large"),
    ({"choices": ["Alien", "alien"]}, "bad_request"),
    ({"choices": ["Alien", "   "]}, "bad_request"),
    ({"choices": ["Alien", "x" * 41]}, "too_large"),
    ({"question": "   "}, "bad_request"),
    ({"question": "q" * 121}, "too_large"),
    ({"duration": 14}, "bad_request"),
    ({"duration": 1801}, "bad_request"),
    ({"duration": 60.0}, "bad_request"),
    ({"kind": "survey"}, "bad_request"),
    ({"question": "Is zzyzx the best?"}, "moderated"),
    ({"choices": ["Alien", "zzyzx"]}, "moderated"),
]


async def test_a_bad_or_moderated_poll_is_refused_with_its_code(world: World):
    w = world
    await w.host.request("mod.rules", {"party": w.party, "blocked_terms": ["zzyzx"]})
    payload = {"party": w.party, "question": "Best film?", "choices": ["Alien", "Heat"], "duration": 60}
    codes = [(await _refused(w.host, "poll.open", payload | fields)).code for fields, _ in REFUSED]
    assert codes == [code for _, code in REFUSED]
    assert (await w.ann.request("poll.get", {"party": w.party}))["poll"] is None


async def test_only_runners_run_polls_one_at_a_time_and_votes_must_fit(world: World):
    w = world
    question = {"party": w.party, "question": "Tea?", "choices": ["Yes", "No"], "duration": 60}
    assert (await _refused(w.ann, "poll.open", question)).code == "forbidden"
    poll = await _open(w)
    assert (await _refused(w.host, "poll.open", question)).code == "conflict"
    vote = {"party": w.party, "id": poll["id"]}
    assert (await _refused(w.ann, "poll.vote", vote | {"choice": 3})).code == "bad_request"
    assert (await _refused(w.ann, "poll.vote", vote | {"id": "nope", "choice": 0})).code == "not_found"
    assert (await _refused(w.ann, "poll.close", vote)).code == "forbidden"
    assert (await _refused(w.host, "prediction.resolve", vote | {"outcome": 0})).code == "bad_request"
    await w.host.request("member.role", {"party": w.party, "user": w.ben.user["id"], "role": "cohost"})
    assert (await w.ben.request("poll.close", vote))["poll"]["status"] == "ended"
    assert (await _refused(w.ben, "poll.close", vote)).code == "conflict"
    assert (await w.host.request("poll.open", question))["poll"]["question"] == "Tea?"
