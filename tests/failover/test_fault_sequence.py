"""The issue's whole scenario at once: three nodes, six members of one party chatting
at about 20 messages a second, playback commands between faults, and three faults
in sequence with the load running: a node SIGKILLed, Redis restarted (down ~2 s,
with two members dropping and rejoining during the outage), a node drained with
SIGTERM. Run with Redis without persistence and with AOF.

Five members are raw Socket.IO clients written from docs/protocol.md alone (guest
auth, `party.join` with `since`, the 9.3 merge, unique nonces retried across
`unavailable` and disconnects, the next node on their own); the sixth is the Python
SDK with the node list. Afterwards every member must hold every acknowledged message
exactly once, in id order, without gaps, as the acks, a fresh history read and the
database say; the playback after each fault must be the last acknowledged command;
no send may fail for good. The recovery after each fault (ms from the fault's end
until every member holds a message sent after it) is printed and written to
test-artifacts/fault-sequence-<mode>.json.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import json
import random
import secrets
import signal
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import socketio
import sqlalchemy as sa
from support import VIDEO

from socialsync.sdk.client import SocialSyncClient

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMELINE = ("status", "position", "rate", "at", "media")
MEMBERS = 6
RATE_PER_S = 20.0  # chat messages a second, all members together
INTERVAL_S = MEMBERS / RATE_PER_S  # between one member's sends
CALL_TIMEOUT_S = 3.0
RETRY_FOR_S = 30.0  # how long a send is retried, as the SDKs do
RECOVERY_BOUND_MS = 15_000  # generous: the numbers themselves are reported, not asserted
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def words(i: int) -> str:
    # Letters, not digits: the duplicate filter reads "1" and "11" as one text.
    return "".join(LETTERS[(i // 26**k) % 26] for k in range(3))


def timeline(state: dict[str, Any]) -> dict[str, Any]:
    return {k: state[k] for k in TIMELINE}


class Retry(Exception):
    """No answer to act on (disconnected, timed out): the request may be sent again."""


@dataclasses.dataclass
class Ack:
    member: str
    nonce: str
    id: int
    started: float  # monotonic, first attempt
    attempts: int


@dataclasses.dataclass
class Log:
    """What every member's sends came to, shared by the members."""

    acks: list[Ack] = dataclasses.field(default_factory=list)
    failures: list[str] = dataclasses.field(default_factory=list)
    codes: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)


class RawMember:
    """A member written from docs/protocol.md alone, on python-socketio used plainly.

    One loop owns the connection: connect (a new socket each attempt, the next URL
    each time, backoff with jitter) → `party.join` with `since` = the highest id held
    → joined, until the socket (or the membership) is lost; then again."""

    def __init__(self, name: str, urls: list[str], log: Log) -> None:
        self.name = name
        self.urls = urls
        self.turn = 0
        self.log = log
        self.token: str | None = None
        self.sio: socketio.AsyncClient | None = None
        self.session = asyncio.Event()
        self.closed = asyncio.Event()  # the current socket is gone
        self.lost = asyncio.Event()  # the current socket, or its membership, is gone
        self.joined = asyncio.Event()
        self.party = ""
        self.ids: list[int] = []
        self.nonces: dict[int, str] = {}
        self.got_at: dict[int, float] = {}
        self.duplicates = 0
        self.buffer: list[dict[str, Any]] | None = None
        self.playback: dict[str, Any] | None = None
        self.timelines: list[dict[str, Any]] = []  # every playback it was shown
        self.joins = 0
        self.task: asyncio.Task[None] | None = None
        self.stopping = False

    # ---------------------------------------------------------------- connection
    async def open(self) -> None:
        """Connect to the next URL; raises Retry if that fails."""
        await self.drop()
        url = self.urls[self.turn % len(self.urls)]
        self.turn += 1
        sio = socketio.AsyncClient(reconnection=False)
        session, closed = asyncio.Event(), asyncio.Event()

        def mine(handler: Callable[..., Any]) -> Callable[..., Any]:
            async def wrapped(*args: Any) -> None:
                if sio is self.sio:
                    await handler(*args)

            return wrapped

        async def on_session(data: dict[str, Any]) -> None:
            self.token = data.get("token") or self.token  # come back as the same guest (2.4)
            session.set()

        async def on_disconnect(*_: Any) -> None:
            closed.set()
            self.lost.set()

        async def on_draining(_: Any) -> None:
            # 2.5: disconnect and reconnect at once, to another node.
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(sio.disconnect()))

        sio.on("session", mine(on_session))
        sio.on("disconnect", mine(on_disconnect))
        sio.on("server.draining", mine(on_draining))
        sio.on("chat.message", mine(self.on_message))
        sio.on("playback.state", mine(self.on_playback))
        self.sio, self.session, self.closed = sio, session, closed
        auth = {"token": self.token} if self.token else {"guest": self.name}
        try:
            await sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=CALL_TIMEOUT_S)
            await asyncio.wait_for(session.wait(), CALL_TIMEOUT_S)
        except (socketio.exceptions.SocketIOError, OSError, TimeoutError, ValueError) as exc:
            raise Retry(f"connect {url}: {exc!r}") from None

    async def drop(self) -> None:
        sio, self.sio = self.sio, None
        if sio is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sio.disconnect(), CALL_TIMEOUT_S)

    async def call(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        """One request; Retry if the socket is gone or goes, or no answer comes."""
        sio, closed = self.sio, self.closed
        if sio is None or not sio.connected or closed.is_set():
            raise Retry("not connected")
        answer = asyncio.ensure_future(sio.call(event, payload, timeout=CALL_TIMEOUT_S))
        gone = asyncio.ensure_future(closed.wait())
        try:
            await asyncio.wait(
                {answer, gone}, timeout=CALL_TIMEOUT_S + 0.5, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            gone.cancel()
        if not answer.done():
            answer.cancel()
            raise Retry(f"{event}: no answer")
        if answer.exception() is not None:
            raise Retry(f"{event}: no answer")
        result = answer.result()
        assert isinstance(result, dict), result
        return result

    async def run(self) -> None:
        delay = 0.1
        while not self.stopping:
            try:
                if self.sio is None or not self.sio.connected or self.closed.is_set():
                    self.lost.clear()
                    await self.open()
                await self.join()
            except Retry:
                await asyncio.sleep(delay * (0.5 + random.random() / 2))
                delay = min(2 * delay, 1.0)
                continue
            delay = 0.1
            self.joined.set()
            await self.lost.wait()
            self.joined.clear()
            self.lost.clear()

    async def join(self) -> None:
        self.buffer = []
        try:
            answer = await self.call("party.join", {"party": self.party, "since": self.highest})
            if not answer["ok"]:
                self.log.codes[f"join {answer['error']['code']}"] += 1
                raise Retry(str(answer["error"]))
            messages = answer["messages"]
            more = answer["has_more"]
            while more:  # 9.4: the rest in pages
                page = await self.call(
                    "chat.history", {"party": self.party, "after": messages[-1]["id"], "limit": 100}
                )
                assert page["ok"], page
                messages += page["messages"]
                more = len(page["messages"]) == 100
            self.playback = answer["playback"]  # the join answer is the truth
            self.timelines.append(timeline(self.playback))
            self.joins += 1
            for message in sorted(messages + self.buffer, key=lambda m: m["id"]):
                self.take(message)
        finally:
            self.buffer = None

    async def start(self, party: str) -> None:
        self.party = party
        self.task = asyncio.create_task(self.run())
        await asyncio.wait_for(self.joined.wait(), 20)

    async def stop(self) -> None:
        self.stopping = True
        self.lost.set()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.drop()

    async def blip(self) -> None:
        """A network blip: the socket goes, the member comes back by itself."""
        if self.sio is not None:
            with contextlib.suppress(Exception):
                await self.sio.disconnect()
        self.closed.set()
        self.lost.set()

    # ---------------------------------------------------------------- events
    @property
    def highest(self) -> int:
        return self.ids[-1] if self.ids else 0

    async def on_message(self, message: dict[str, Any]) -> None:
        if message.get("party") != self.party:
            return
        if self.buffer is not None:  # 9.3: held until the join's answer
            self.buffer.append(message)
        else:
            self.take(message)

    def take(self, message: dict[str, Any]) -> None:
        if message["id"] <= self.highest:
            self.duplicates += 1
            return
        self.ids.append(message["id"])
        self.nonces[message["id"]] = message["nonce"]
        self.got_at[message["id"]] = time.monotonic()

    async def on_playback(self, state: dict[str, Any]) -> None:
        self.timelines.append(timeline(state))
        if self.playback is None or state["seq"] >= self.playback["seq"]:
            self.playback = state

    # ---------------------------------------------------------------- requests
    async def request(self, event: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Sent until answered for good (the same payload, so a chat send keeps its
        nonce); None if it failed for good (recorded)."""
        deadline = time.monotonic() + RETRY_FOR_S
        while time.monotonic() < deadline:
            if not self.joined.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.joined.wait(), max(0.0, deadline - time.monotonic()))
                continue
            try:
                answer = await self.call(event, payload)
            except Retry as exc:
                self.log.codes[f"{event} {exc}"] += 1
                await asyncio.sleep(0.05)
                continue
            if answer["ok"]:
                return answer
            error = answer["error"]
            self.log.codes[f"{event} {error['code']}"] += 1
            if error["code"] == "unavailable":
                await asyncio.sleep(0.1 + random.random() * 0.1)
            elif error["code"] == "rate_limited":
                await asyncio.sleep(error.get("retry_after", 0.5))
            elif error["code"] == "forbidden" and error["message"] == "join the party first":
                self.lost.set()  # the server no longer counts this socket in: rejoin
                await asyncio.sleep(0.05)
            else:
                self.log.failures.append(f"{self.name} {event}: {error}")
                return None
        self.log.failures.append(f"{self.name} {event}: still failing after {RETRY_FOR_S} s")
        return None

    async def send(self, text: str) -> None:
        nonce = f"{self.name}-{secrets.token_hex(6)}"
        started = time.monotonic()
        answer = await self.request("chat.send", {"party": self.party, "text": text, "nonce": nonce})
        if answer is not None:
            if answer.get("held"):
                self.log.failures.append(f"{self.name}: held {text!r}")
            else:
                self.log.acks.append(Ack(self.name, nonce, answer["message"]["id"], started, 1))

    async def control(self, action: str, **fields: Any) -> dict[str, Any]:
        answer = await self.request("playback.control", {"party": self.party, "action": action, **fields})
        assert answer is not None, f"{action} failed"
        await self.on_playback(answer["playback"])
        return dict(answer["playback"])


class SdkMember:
    """The Python SDK member, seen through the same few properties."""

    def __init__(self, client: SocialSyncClient, party: str, log: Log) -> None:
        self.client = client
        self.name = "Sdk"
        self.party = party
        self.log = log
        self.got_at: dict[int, float] = {}
        self.timelines: list[dict[str, Any]] = []
        client.on("chat.message", self.on_message)
        client.on("playback.state", lambda state: self.timelines.append(timeline(state)))

    def on_message(self, message: dict[str, Any]) -> None:
        if message["party"] == self.party:
            self.got_at.setdefault(message["id"], time.monotonic())

    @property
    def ids(self) -> list[int]:
        return [m["id"] for m in self.client.messages[self.party]]

    @property
    def nonces(self) -> dict[int, str]:
        return {m["id"]: m["nonce"] for m in self.client.messages[self.party]}

    @property
    def playback(self) -> dict[str, Any] | None:
        return self.client.playback.get(self.party)

    async def send(self, text: str) -> None:
        nonce = f"{self.name}-{secrets.token_hex(6)}"
        started = time.monotonic()
        try:
            message = await self.client.send_chat(self.party, text, nonce=nonce, retry_for_s=RETRY_FOR_S)
        except Exception as exc:
            self.log.failures.append(f"Sdk chat.send: {exc!r}")
            return
        if message.get("held"):
            self.log.failures.append(f"Sdk: held {text!r}")
        else:
            self.log.acks.append(Ack(self.name, nonce, message["id"], started, 1))

    async def blip(self) -> None:
        await self.client.sio.disconnect()


Member = RawMember | SdkMember


async def chatter(member: Member, stop: asyncio.Event) -> None:
    """One member's share of the load: a message every INTERVAL_S, each sent only
    once the previous one is answered (order matters, 1.4)."""
    await asyncio.sleep(random.random() * INTERVAL_S)
    i = 0
    while not stop.is_set():
        started = time.monotonic()
        await member.send(f"{member.name} says {words(i)}")
        i += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, INTERVAL_S - (time.monotonic() - started)))


async def until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """A bounded wait on a condition."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.05)


def holds_one_sent_after(members: list[Member], log: Log, since: float) -> bool:
    fresh = {a.id for a in log.acks if a.started >= since}
    return all(fresh & m.got_at.keys() for m in members)


def recovery_ms(members: list[Member], log: Log, end: float) -> dict[str, float]:
    """Per member: from the fault's end until it held a message sent after it."""
    fresh = {a.id for a in log.acks if a.started >= end}
    return {m.name: (min(m.got_at[i] for i in fresh & m.got_at.keys()) - end) * 1000 for m in members}


async def stored_messages(database_url: str, party: str) -> list[tuple[int, str]]:
    url = sa.make_url(database_url).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        rows = await conn.fetch("SELECT id, nonce FROM messages WHERE party_id = $1 ORDER BY id", party)
    finally:
        await conn.close()
    return [(row["id"], row["nonce"]) for row in rows]


@pytest.mark.timeout(150)
@pytest.mark.parametrize("cluster", ["none", "aof"], indirect=True)
async def test_three_faults_in_sequence_lose_repeat_and_reorder_nothing(cluster):
    began = time.monotonic()
    nodes = await asyncio.gather(cluster.node("node-a"), cluster.node("node-b"), cluster.node("node-c"))
    urls = [node.url for node in nodes]
    log = Log()
    raws = [RawMember(f"Raw{i}", urls[i % 3 :] + urls[: i % 3], log) for i in range(MEMBERS - 1)]
    try:
        await scenario(cluster, nodes, raws, log, began)
    finally:
        for r in raws:
            await r.stop()


async def scenario(cluster, nodes, raws: list[RawMember], log: Log, began: float) -> None:
    mode = "aof" if cluster.redis.aof_dir else "none"
    a, b, c = nodes
    host = raws[0]
    await host.open()
    created = await host.call("party.create", {"title": "Faults", "media": VIDEO})
    assert created["ok"], created
    party = created["party"]["id"]
    await asyncio.gather(*(m.start(party) for m in raws))
    sdk_client = await cluster.client("Sdk", b.url, c.url, a.url)
    sdk_client.retry_for_s = RETRY_FOR_S
    await sdk_client.join(party)
    sdk = SdkMember(sdk_client, party, log)
    members: list[Member] = [*raws, sdk]

    def everyone_has(expected: dict[str, Any]) -> bool:
        return all(m.playback is not None and timeline(m.playback) == expected for m in members)

    async def command(action: str, **fields: Any) -> dict[str, Any]:
        expected = timeline(await host.control(action, **fields))
        commanded.append(expected)
        await until(lambda: everyone_has(expected), 10, f"every member to take {action}")
        return expected

    commanded = [timeline(host.playback or {})]  # as created
    last_command = await command("play", position=10.0)
    stop = asyncio.Event()
    load = [asyncio.create_task(chatter(m, stop)) for m in members]
    load_began = time.monotonic()
    results: dict[str, Any] = {}

    async def recovered(fault: str, end: float) -> None:
        await until(lambda: holds_one_sent_after(members, log, end), 20, f"every member after {fault}")
        await until(lambda: everyone_has(last_command), 10, f"the last command after {fault}")
        results[fault] = {"end": end}

    try:
        await until(lambda: holds_one_sent_after(members, log, began), 15, "the load to flow")
        await asyncio.sleep(2.0)  # the load running before the first fault
        steady = [ack for ack in log.acks if ack.started >= load_began + INTERVAL_S]
        steady_rate = len(steady) / (time.monotonic() - load_began - INTERVAL_S)

        # 1. SIGKILL a node: no goodbye, no flush.
        await a.stop()
        await recovered("sigkill", time.monotonic())
        await a.start()  # back for the later faults
        last_command = await command("seek", position=60.0)  # still playing

        # 2. Redis restarted, down ~2 s; two members drop and rejoin during the outage.
        await cluster.redis.kill()
        await asyncio.sleep(0.3)
        await asyncio.gather(raws[2].blip(), sdk.blip())
        await asyncio.sleep(1.7)  # the outage's length, not a wait for a condition
        await cluster.redis.start()  # returns once Redis accepts connections
        await recovered("redis-restart", time.monotonic())
        last_command = await command("pause", position=90.0)

        # 3. SIGTERM: the node drains and stops.
        assert await b.signal(signal.SIGTERM) == 0
        await recovered("sigterm-drain", time.monotonic())
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        load_ended = time.monotonic()
        await asyncio.wait(load, timeout=RETRY_FOR_S + 5)
    assert all(t.done() for t in load), "a send still hangs"
    for task in load:
        task.result()

    # Every acknowledged message, exactly once, in order, without gaps, everywhere.
    assert log.failures == [], f"sends failed for good: {log.failures}"
    acked = sorted((ack.id, ack.nonce) for ack in log.acks)
    ids = [i for i, _ in acked]
    assert ids == list(range(1, len(ids) + 1)), "acked ids are 1..N, each once"
    await until(lambda: all(len(m.ids) >= len(ids) for m in members), 15, "every member to hold all")
    history: list[tuple[int, str]] = []
    while True:
        after = history[-1][0] if history else 0
        page = await raws[1].call("chat.history", {"party": party, "after": after, "limit": 100})
        assert page["ok"], page
        history += [(m["id"], m["nonce"]) for m in page["messages"]]
        if len(page["messages"]) < 100:
            break
    assert history == acked, "a fresh history read is exactly the acked messages"
    assert await stored_messages(cluster.env["SOCIALSYNC_DATABASE_URL"], party) == acked, "the database"
    for m in members:
        assert m.ids == ids, f"{m.name}: every message once, in order, no gap"
        assert sorted(m.nonces.items()) == acked, f"{m.name}: each id is the acked message"
    assert everyone_has(last_command)
    for m in members:
        shown = [t for t in m.timelines if t not in commanded]
        assert shown == [], f"{m.name} was shown a playback nobody commanded: {shown}"

    # Recovery after each fault, reported; bounded only generously.
    report: dict[str, Any] = {
        "mode": mode,
        "members": len(members),
        "messages": len(ids),
        "rate_per_s_before_faults": round(steady_rate, 1),
        "rate_per_s_whole_load": round(len(ids) / (load_ended - load_began), 1),
        "duplicates_dropped_by_raw_clients": sum(r.duplicates for r in raws),
        "joins": {r.name: r.joins for r in raws},
        "sdk_states": [str(s) for s in sdk_client.states],
        "answers_retried": dict(log.codes),
        "faults": {},
    }
    for fault, data in results.items():
        per_member = recovery_ms(members, log, data["end"])
        values = sorted(per_member.values())
        report["faults"][fault] = {
            "recovery_ms": round(max(values)),
            "per_member_ms": {k: round(v) for k, v in per_member.items()},
            "median_member_ms": round(statistics.median(values)),
        }
    report["duration_s"] = round(time.monotonic() - began, 1)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"fault-sequence-{mode}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nfault sequence ({mode}): " + json.dumps(report["faults"]))
    for fault, data in report["faults"].items():
        assert data["recovery_ms"] < RECOVERY_BOUND_MS, f"{fault}: {data}"
