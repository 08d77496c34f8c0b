"""The end-of-party feedback prompt (docs/engagement.md) on a real server over real
Socket.IO clients, with a manual clock: the tenant turns NPS on, a party ends and its
members are asked (not its guest), they answer (a comment the filter rejects is
refused, one it masks is kept masked, as chat), nobody is asked twice in a week, a member leaving
after a while is asked again a week later (CSAT then); the REST report (JSON, CSV and
the platform SDK) against scores this file computes from its own script; the answer as
a ``survey_answer`` analytics event; export and erasure."""

from __future__ import annotations

import contextlib
import csv
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from support import TEST_CONFIG, VIDEO, Server, free_port

from socialsync.app import ANALYTICS, FEEDBACK, STORE, create_app, make_runner
from socialsync.config import Config
from socialsync.edge.auth import issue_token
from socialsync.platform import AsyncSocialSync
from socialsync.sdk.client import SocialSyncClient, SocialSyncError

T0 = 1_800_000_000_000
WEEK_MS = 7 * 86_400_000
# Each member's answer to the NPS prompt at the end of the first party: (score, comment).
ANSWERS: dict[str, tuple[int, str | None]] = {
    "hal": (8, "what the fuck, great"),  # kept masked, as chat would show it
    "ana": (10, "Loved it"),
    "ben": (9, None),
    "cy": (3, "you are a f\u200baggot"),  # the filter rejects it: refused, then sent without it
}
SENT_AFTER_REFUSAL = {"cy": "too much talk"}


class ManualClock:
    def __init__(self, now_ms: int) -> None:
        self.ms = now_ms

    def now_ms(self) -> int:
        return self.ms


@contextlib.asynccontextmanager
async def server(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Server]:
    port = free_port()
    overrides = {
        "database_url": f"sqlite:///{tmp_path}/test.db",
        "port": port,
        **TEST_CONFIG,
        "retention_every_s": 0,
    }
    app = await create_app(Config.load(overrides, env={}), clock=clock)
    runner = make_runner(app, shutdown_timeout=1)
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Server(f"http://127.0.0.1:{port}", app, Config.load(overrides, env={}))
    finally:
        await runner.cleanup()


class Room:
    def __init__(self, srv: Server, clock: ManualClock, http: aiohttp.ClientSession) -> None:
        self.srv, self.clock, self.http = srv, clock, http
        self.clients: dict[str, SocialSyncClient] = {}
        self.prompts: dict[str, list[dict[str, Any]]] = {}
        self.admin = ""

    async def connect(self) -> None:
        tenant = await self.srv.app[STORE].get_tenant("demo")
        assert tenant is not None
        now = int(time.time())
        self.admin = issue_token(tenant, "admin-1", "Ada", ["admin"], 3600, now)
        for name in ANSWERS:
            token = issue_token(tenant, f"user-{name}", name.title(), ["viewer"], 3600, now)
            await self._add(name, SocialSyncClient(self.srv.url, token=token))
        await self._add("guest", SocialSyncClient(self.srv.url, guest="Gus"))

    async def _add(self, name: str, client: SocialSyncClient) -> None:
        await client.connect(sync_clock=False)
        self.clients[name] = client
        self.prompts[name] = []
        client.on("feedback.prompt", self.prompts[name].append)

    async def rest(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.admin}"}
        async with self.http.request(method, self.srv.url + path, json=body, headers=headers) as r:
            assert r.status < 300, (path, r.status, await r.text())
            if r.content_type == "text/csv":
                return {row["metric"]: row["value"] for row in csv.DictReader(io.StringIO(await r.text()))}
            return await r.json()

    async def asked(self) -> dict[str, int]:
        """Prompts each one received so far: once the server put them all, a round trip on
        each socket (the prompts came before its answer, on the same connection)."""
        await self.srv.app[FEEDBACK].settle()
        for client in self.clients.values():
            await client.request("time.sync", {"t0": 1.0})
        return {name: len(got) for name, got in self.prompts.items()}

    async def party(self, who: list[str]) -> str:
        party = (await self.clients[who[0]].create_party("Film club", VIDEO))["id"]
        for name in who:
            await self.clients[name].join(party)
        return party

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()


async def send(client: SocialSyncClient, prompt: str, score: int, comment: str | None = None) -> str:
    payload: dict[str, Any] = {"prompt": prompt, "score": score}
    if comment is not None:
        payload["comment"] = comment
    try:
        await client.request("feedback.send", payload)
    except SocialSyncError as exc:
        return exc.code
    return "ok"


async def test_members_are_asked_at_the_end_once_a_week_and_the_scores_are_reported(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    async with server(tmp_path, clock) as srv, aiohttp.ClientSession() as http:
        room = Room(srv, clock, http)
        await room.connect()
        try:
            await room.rest("PUT", "/api/v1/tenant/settings", {"engagement": {"feedback": "nps"}})
            party = await room.party([*ANSWERS, "guest"])
            clock.ms += 60_000
            await room.clients["hal"].request("party.end", {"party": party})
            assert await room.asked() == {**dict.fromkeys(ANSWERS, 1), "guest": 0}
            prompt = {name: got[0] for name, got in room.prompts.items() if got}
            assert prompt["ana"] | {"id": ""} == {
                "id": "",
                "party": party,
                "survey": "nps",
                "min": 0,
                "max": 10,
                "expires_at": T0 + 60_000 + 86_400_000,
            }

            # Refusals first: a score off the scale, another's prompt, a guest.
            assert await send(room.clients["ana"], prompt["ana"]["id"], 11) == "bad_request"
            assert await send(room.clients["ana"], prompt["ben"]["id"], 5) == "not_found"
            assert await send(room.clients["guest"], prompt["ana"]["id"], 5) == "forbidden"
            for name, (score, comment) in ANSWERS.items():
                clock.ms += 1_000
                got = await send(room.clients[name], prompt[name]["id"], score, comment)
                if name in SENT_AFTER_REFUSAL:
                    assert got == "moderated"
                    got = await send(room.clients[name], prompt[name]["id"], score, SENT_AFTER_REFUSAL[name])
                assert got == "ok", name
            assert await send(room.clients["ana"], prompt["ana"]["id"], 10) == "conflict"  # once

            # Nobody is asked again within the week: a party left after ten minutes.
            clock.ms += 3_600_000
            second = await room.party(["ana", "ben"])
            clock.ms += 600_000
            await room.clients["ana"].leave(second)
            assert (await room.asked())["ana"] == 1
            # A week later, with CSAT: leaving after a minute is not asked; after ten, it is.
            await room.rest("PUT", "/api/v1/tenant/settings", {"engagement": {"feedback": "csat"}})
            clock.ms = T0 + WEEK_MS + 120_000
            third = await room.party(["ana", "ben"])
            clock.ms += 60_000
            await room.clients["ben"].leave(third)
            clock.ms += 540_000
            await room.clients["ana"].leave(third)
            assert await room.asked() == {**dict.fromkeys(ANSWERS, 1), "ana": 2, "ben": 1, "guest": 0}
            csat = room.prompts["ana"][1]
            assert (csat["survey"], csat["min"], csat["max"], csat["party"]) == ("csat", 1, 5, third)
            assert await send(room.clients["ana"], csat["id"], 4, "Nice") == "ok"
            await srv.app[ANALYTICS].flush()

            # The report, against the script's own scores.
            scores = [score for score, _ in ANSWERS.values()]
            promoters = sum(s >= 9 for s in scores)
            detractors = sum(s <= 6 for s in scores)
            window = f"since={T0}&until={T0 + 2 * WEEK_MS}"
            report = await room.rest("GET", f"/api/v1/analytics/feedback?party={party}&{window}")
            nps = report["nps"]
            assert nps["answers"] == len(scores) == 4
            assert (nps["promoters"], nps["passives"], nps["detractors"]) == (promoters, 1, detractors)
            assert nps["nps"] == pytest.approx(100 * (promoters - detractors) / len(scores)) == 25.0
            assert nps["mean"] == pytest.approx(sum(scores) / len(scores))
            assert {d["score"]: d["answers"] for d in nps["distribution"] if d["answers"]} == {
                8: 1,
                10: 1,
                9: 1,
                3: 1,
            }
            assert report["csat"]["answers"] == 0 and report["csat"]["csat_percent"] is None
            assert [(c["comment"], c["score"], c["held"]) for c in report["comments"]] == [
                ("too much talk", 3, False),
                ("Loved it", 10, False),
                ("what the ****, great", 8, False),
            ]  # newest first
            assert report["comments_total"] == 3
            tenant = await room.rest("GET", f"/api/v1/analytics/feedback?{window}")
            assert (tenant["nps"]["answers"], tenant["csat"]["answers"], tenant["csat"]["csat_percent"]) == (
                4,
                1,
                100.0,
            )
            flat = await room.rest("GET", f"/api/v1/analytics/feedback?party={party}&{window}&format=csv")
            assert (flat["nps"], flat["nps_answers"], flat["nps_10"], flat["comments"]) == (
                "25.0",
                "4",
                "1",
                "3",
            )

            # The platform SDK reads the same.
            key = (await room.rest("POST", "/api/v1/api-keys", {"name": "BI", "scopes": ["analytics:read"]}))[
                "api_key"
            ]
            async with AsyncSocialSync(srv.url, api_key=key) as client:
                read = await client.analytics.feedback(party=party, since=T0, until=T0 + 2 * WEEK_MS, limit=1)
            assert read.nps.nps == 25.0 and read.comments_total == 3
            assert [c.comment for c in read.comments] == ["too much talk"]

            # The answers are analytics events of the user; an erasure takes the rest too.
            archive = await room.rest("GET", "/api/v1/users/user-ana/export")
            answered = [e for e in archive["records"]["analytics_events"] if e["kind"] == "survey_answer"]
            assert sorted((e["ref"], e["value"], e["party_id"]) for e in answered) == [
                ("csat", "4", third),
                ("nps", "10", party),
            ]
            mine = archive["records"]["feedback"]
            assert sorted(r["record"] for r in mine) == ["comment", "comment", "prompt"]
            assert {r["comment"] for r in mine if r["record"] == "comment"} == {"Loved it", "Nice"}
            erased = await room.rest("POST", "/api/v1/users/user-ana/erase")
            assert erased["counts"]["feedback"] == 3
            assert (await room.rest("GET", "/api/v1/users/user-ana/export"))["records"]["feedback"] == []
            after = await room.rest("GET", f"/api/v1/analytics/feedback?party={party}&{window}")
            assert [c["comment"] for c in after["comments"]] == ["too much talk", "what the ****, great"]
        finally:
            await room.close()


async def test_nobody_is_asked_where_the_tenant_has_it_off(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    async with server(tmp_path, clock) as srv, aiohttp.ClientSession() as http:
        room = Room(srv, clock, http)
        await room.connect()
        try:
            party = await room.party(list(ANSWERS))
            await room.clients["hal"].request("party.end", {"party": party})
            assert set((await room.asked()).values()) == {0}
        finally:
            await room.close()
