"""One generator process: one event loop, many simulated viewers.

Started by ``loadtests.run`` (never by hand). It reads a JSON spec on its first
stdin line, then talks to the orchestrator in JSON lines:

    worker -> {"t": "ready"}                      all its viewers connected and joined
    orch   -> {"t": "start"}                      begin the scenario's traffic
    worker -> {"t": "p", ...}                     progress, twice a second, all along
    orch   -> {"t": "stop"}                       (optional) stop early (ramp limit)
    worker -> {"t": "stopped", "parties": {...}}  traffic over; highest ids and reactions per party
    orch   -> {"t": "verify", "parties": {...}}   the global highest ids and reaction totals
    worker -> {"t": "result", ...}                after the drain: losses, duplicates, samples
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from .metrics import Recorder
from .scenarios import SCENARIOS
from .sioclient import CLIENTS, AckTimeout, ConnectRefused, make_session
from .texts import TextSource

ATTEMPTS = 5
RETRYABLE = frozenset({"unavailable"})
MEDIA = {"url": "https://media.example/load.mp4", "duration": 7200.0}


class Party:
    __slots__ = (
        "ctl_t",
        "host",
        "id",
        "key",
        "max_acked",
        "members",
        "reactions_ok",
        "reactions_unknown",
        "state_seq",
    )

    def __init__(self, key: str) -> None:
        self.key = key
        self.id = ""
        self.members: list[Viewer] = []
        self.host: Viewer | None = None
        self.max_acked = 0
        self.reactions_ok = 0
        self.reactions_unknown = 0
        self.ctl_t = 0.0  # perf_counter when the latest playback.control was sent
        self.state_seq = 0


class Viewer:
    """One simulated viewer: one connection, one party, a bitmap of the message ids it has seen."""

    __slots__ = (
        "absent",
        "client",
        "dups",
        "ids",
        "joined",
        "last_failure",
        "name",
        "party",
        "rx_reactions",
        "t_connect",
        "url",
        "user_id",
        "w",
    )

    def __init__(self, w: Worker, name: str, url: str, party: Party | None) -> None:
        self.w = w
        self.name = name
        self.url = url
        self.party = party
        self.client: Any = None
        self.user_id = ""
        # ids[i]: bit 1 = received live as chat.message, bit 2 = came in a join answer or history page.
        self.ids = bytearray(64)
        self.dups = 0
        self.rx_reactions = 0
        self.joined = False
        self.t_connect = 0.0
        self.last_failure = ""
        self.absent = False  # left (or disconnected) on purpose, in the churn scenario

    # ---------------------------------------------------------------- events (hot path)
    def on_event(self, name: str, payload: Any) -> None:
        w = self.w
        if name == "chat.message":
            now = time.time()
            rec = w.rec
            rec.add_timed("fanout", now * 1000.0 - payload["ts"], now)
            rec.tick("delivered", now)
            w.recv += 1
            mid = payload["id"]
            ids = self.ids
            if mid >= len(ids):
                ids.extend(bytes(mid + 1024 - len(ids)))
            if ids[mid] & 1:
                self.dups += 1
            ids[mid] |= 1
        elif name == "reaction.burst":
            self.rx_reactions += sum(payload["counts"].values())
            w.rec.tick("bursts", time.time())
        elif name == "playback.state":
            party = self.party
            if party is not None and payload.get("by") is not None and party.ctl_t:
                w.rec.add("sync_fanout", (time.perf_counter() - party.ctl_t) * 1000.0)
        elif name == "disconnect":
            if not self.absent and not w.closing:
                w.rec.error("disconnected")

    def note_history(self, messages: list[dict[str, Any]]) -> None:
        ids = self.ids
        for m in messages:
            mid = m["id"]
            if mid >= len(ids):
                ids.extend(bytes(mid + 1024 - len(ids)))
            ids[mid] |= 2

    def max_seen(self) -> int:
        ids = self.ids
        for i in range(len(ids) - 1, 0, -1):
            if ids[i]:
                return i
        return 0

    def lost(self, upto: int) -> int:
        ids = self.ids
        have = min(len(ids), upto + 1)
        return (upto + 1 - have) + ids.count(0, 1, have)

    # ---------------------------------------------------------------- requests
    async def connect(self) -> bool:
        w = self.w
        self.client = w.client_cls(self.on_event)
        t = time.perf_counter()
        try:
            async with w.connect_sem:
                t = self.t_connect = time.perf_counter()
                await self.client.connect(w.http, self.url, {"guest": self.name}, w.timeout)
        except (ConnectRefused, OSError, TimeoutError, ConnectionError) as exc:
            w.rec.error(f"connect:{type(exc).__name__}")
            return False
        except Exception as exc:  # aiohttp's handshake errors and the like
            w.rec.error(f"connect:{type(exc).__name__}")
            return False
        w.rec.add("connect", (time.perf_counter() - t) * 1000.0)
        info = self.client.session_info or {}
        self.user_id = info.get("user", {}).get("id", "")
        w.connected += 1
        return True

    async def req(
        self,
        name: str,
        payload: dict[str, Any],
        series: str | None = None,
        retry_codes: frozenset[str] = frozenset(),
    ) -> dict[str, Any] | None:
        """A request with an answer; its latency goes to ``series`` (default: the event name).

        An error answer counts as an error and gives None, unless its code is in
        ``retry_codes``: then the answer itself is returned for the caller to retry."""
        w = self.w
        t = time.perf_counter()
        try:
            answer = await self.client.call(name, payload, w.timeout)
        except AckTimeout:
            w.rec.error(f"{name}:timeout")
            self.last_failure = "timeout"
            return None
        except ConnectionError:
            w.rec.error(f"{name}:disconnected")
            self.last_failure = "disconnected"
            return None
        self.last_failure = "answer"
        w.rec.add(series or name, (time.perf_counter() - t) * 1000.0)
        if not isinstance(answer, dict) or not answer.get("ok"):
            code = answer.get("error", {}).get("code", "?") if isinstance(answer, dict) else "no-answer"
            if code in retry_codes:
                return answer
            w.rec.error(f"{name}:{code}")
            if w.first_errors.get(name) is None:
                w.first_errors[name] = answer
            return None
        return answer

    async def req_retrying(
        self, name: str, payload: dict[str, Any], series: str | None = None
    ) -> dict[str, Any] | None:
        """``req``, retried with backoff on "unavailable", which is safe to retry (protocol 1.5): a client
        would, so we do; the retries are counted, and only giving up is an error."""
        answer = None
        for attempt in range(ATTEMPTS):
            answer = await self.req(name, payload, series, retry_codes=RETRYABLE)
            if answer is None or answer.get("ok"):
                return answer
            self.w.rec.counters[f"{name}:retried:{answer['error']['code']}"] += 1
            await asyncio.sleep(0.2 * 2**attempt)
        self.w.rec.error(f"{name}:gave-up")
        return None

    async def join(self, party: Party, series: str = "join", since: int | None = None) -> bool:
        payload: dict[str, Any] = {"party": party.id}
        if since is not None:
            payload["since"] = since
        answer = await self.req_retrying("party.join", payload, series)
        if answer is None or not answer.get("ok"):
            return False
        self.joined = True
        self.note_history(answer.get("messages", []))
        after = since
        while answer.get("has_more") and after is not None:
            after = max(after, self.max_seen())
            page = await self.req("chat.history", {"party": party.id, "after": after, "limit": 100})
            if page is None:
                break
            self.note_history(page["messages"])
            if len(page["messages"]) < 100:
                break
        return True

    async def send_chat(self, party: Party) -> None:
        w = self.w
        text = w.texts.next()
        w.sent += 1
        w.rec.tick("sent", time.time())
        answer = await self.req("chat.send", {"party": party.id, "text": text, "nonce": f"n{w.texts.n}"})
        if answer is None:
            return
        if answer.get("held"):
            w.rec.error("chat.send:held")
            return
        message = answer["message"]
        if message["id"] > party.max_acked:
            party.max_acked = message["id"]
        if message["text"] != text:
            w.rec.counters["chat.masked"] += 1

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


class Worker:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.index: int = spec["worker"]
        self.workers: int = spec["workers"]
        self.urls: list[str] = spec["urls"]
        self.params: dict[str, Any] = spec["params"]
        self.duration: float = spec["duration"]
        self.timeout: float = spec.get("timeout", 15.0)
        self.client_cls = CLIENTS[spec.get("client", "lean")]
        self.rec = Recorder(spec["t0"])
        self.texts = TextSource(self.index)
        self.rng = random.Random(1000 + self.index)
        self.connect_sem = asyncio.Semaphore(spec.get("connect_concurrency", 64))
        self.viewers: list[Viewer] = []
        self.parties: dict[str, Party] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.first_errors: dict[str, Any] = {}
        self.connected = 0
        self.sent = 0
        self.recv = 0
        self.closing = False
        self.stop = asyncio.Event()
        self.started_at = 0.0
        self.http: Any = None
        self._fan_seen = 0
        self._slow = 0
        self._lat_prev = 0.0
        self.slow_ms: float = spec.get("slow_ms", 1000.0)
        self.scenario = SCENARIOS[spec["scenario"]](self)

    def url_for(self, n: int) -> str:
        return self.urls[n % len(self.urls)]

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def sleep_until(self, t: float) -> bool:
        """Sleep until perf_counter() == t; False if the run was stopped meanwhile."""
        delay = t - time.perf_counter()
        if delay > 0:
            try:
                await asyncio.wait_for(self.stop.wait(), delay)
            except TimeoutError:
                pass
        return not self.stop.is_set()

    # ---------------------------------------------------------------- shared set-up helpers
    async def setup_party(
        self, key: str, members: list[Viewer], settings: dict[str, Any] | None = None
    ) -> Party:
        """Connect the members, let the first create the party, then all join."""
        party = self.parties[key] = Party(key)
        for v in members:
            v.party = party
        ok = await asyncio.gather(*(v.connect() for v in members))
        members = [v for v, good in zip(members, ok, strict=True) if good]
        if not members:
            return party
        payload: dict[str, Any] = {"title": f"Load {key}", "media": MEDIA}
        if settings:
            payload["settings"] = settings
        answer = await members[0].req_retrying("party.create", payload)
        if answer is None:
            return party
        party.id = answer["party"]["id"]
        party.host = members[0]
        await members[0].join(party)
        await asyncio.gather(*(v.join(party) for v in members[1:]))
        party.members = [v for v in members if v.joined]
        return party

    # ---------------------------------------------------------------- the run
    async def open_loop(self, rate_of: Any, fire: Any) -> None:
        """Fire ``fire()`` at ``rate_of(elapsed_s)`` per second, open loop (no waiting on answers)."""
        start = time.perf_counter()
        fired = 0.0
        due = 0.0
        last = start
        while not self.stop.is_set():
            now = time.perf_counter()
            due += rate_of(now - start) * (now - last)
            last = now
            while fired < due:
                fired += 1
                if len(self.tasks) < 20000:
                    self.spawn(fire())
                else:
                    self.rec.error("generator:backlog")
            await self.sleep_until(now + 0.01)

    def progress(self) -> dict[str, Any]:
        fan = self.rec.samples.get("fanout")
        lat_max = 0.0
        if fan is not None and len(fan) > self._fan_seen:
            fresh = fan[self._fan_seen :]
            lat_max = max(fresh)
            slow_ms = self.slow_ms
            self._slow += sum(1 for x in fresh if x > slow_ms)
            self._fan_seen = len(fan)
        # Worst over the last two reports (about a second), so a status line read once a second sees it.
        lat_max, self._lat_prev = max(lat_max, self._lat_prev), lat_max
        return {
            "t": "p",
            "conn": self.connected,
            "sent": self.sent,
            "recv": self.recv,
            "err": sum(self.rec.errors.values()),
            "inflight": len(self.tasks),
            "lat_max": round(lat_max, 1),
            "slow": self._slow,
        }

    async def verify(
        self, maxima: dict[str, int], reactions: dict[str, int], drain_s: float, unknown: dict[str, int]
    ) -> dict[str, Any]:
        watched = [
            v
            for v in self.viewers
            if v.party is not None and v.party.id and v.joined and not v.absent and v.client
        ]
        deadline = time.perf_counter() + drain_s

        def incomplete() -> list[Viewer]:
            return [
                v
                for v in watched
                if v.lost(maxima.get(v.party.id, 0)) or v.rx_reactions < reactions.get(v.party.id, 0)
            ]

        while incomplete() and time.perf_counter() < deadline:  # noqa: ASYNC110 - polls state that no event signals
            await asyncio.sleep(0.2)
        lost = [v.lost(maxima.get(v.party.id, 0)) for v in watched]
        dups = [v.dups for v in watched]
        want_r = {pid: n for pid, n in reactions.items() if n or unknown.get(pid)}
        r_bad = [v for v in watched if v.party.id in want_r and v.rx_reactions != want_r[v.party.id]]
        # Outside [answered ok, answered ok + unanswered]: wrong whatever the unanswered ones did.
        r_out = [
            v
            for v in r_bad
            if not want_r[v.party.id] <= v.rx_reactions <= want_r[v.party.id] + unknown.get(v.party.id, 0)
        ]
        return {
            "viewers_checked": len(watched),
            "lost": sum(lost),
            "viewers_with_loss": sum(1 for n in lost if n),
            "duplicates": sum(dups),
            "viewers_with_duplicates": sum(1 for n in dups if n),
            "reaction_viewers_checked": sum(1 for v in watched if v.party.id in want_r),
            "reaction_mismatch_viewers": len(r_bad),
            "reaction_out_of_bounds_viewers": len(r_out),
            "reaction_mismatch_examples": [
                {"got": v.rx_reactions, "want": want_r[v.party.id], "unanswered": unknown.get(v.party.id, 0)}
                for v in r_bad[:5]
            ],
        }


class Control:
    """JSON lines with the orchestrator over stdin/stdout."""

    def __init__(self) -> None:
        self.reader: asyncio.StreamReader | None = None
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=100)

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self.reader = asyncio.StreamReader(limit=1 << 24)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(self.reader), sys.stdin)

    async def read(self) -> dict[str, Any]:
        assert self.reader is not None
        line = await self.reader.readline()
        if not line:
            raise SystemExit("orchestrator went away")
        return json.loads(line)

    def send(self, msg: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(msg) + "\n")
        sys.stdout.flush()


async def amain() -> None:
    ctl = Control()
    await ctl.open()
    spec = await ctl.read()
    w = Worker(spec)
    w.http = make_session()

    async def report() -> None:
        while True:
            ctl.send(w.progress())
            await asyncio.sleep(0.5)

    reporter = asyncio.get_running_loop().create_task(report())
    try:
        await w.scenario.setup()
        ctl.send({"t": "ready", **w.scenario.ready_info()})
        msg = await ctl.read()
        w.scenario.on_start(msg)
        w.started_at = time.perf_counter()

        async def listen() -> None:
            while True:
                m = await ctl.read()
                if m.get("t") == "stop":
                    w.stop.set()
                    return

        listener = asyncio.get_running_loop().create_task(listen())
        runner = asyncio.get_running_loop().create_task(w.scenario.run())
        try:
            await asyncio.wait_for(w.stop.wait(), w.duration)
        except TimeoutError:
            w.stop.set()
        listener.cancel()
        await runner
        # Let answers in flight come back (bounded) before counting.
        deadline = time.perf_counter() + w.timeout
        while w.tasks and time.perf_counter() < deadline:  # noqa: ASYNC110 - polls the task set
            await asyncio.sleep(0.1)
        for t in list(w.tasks):
            t.cancel()
        await w.scenario.after_stop()
        parties = {
            p.id: {
                "max_acked": p.max_acked,
                "max_seen": max((v.max_seen() for v in p.members), default=0),
                "reactions_ok": p.reactions_ok,
                "reactions_unknown": p.reactions_unknown,
            }
            for p in w.parties.values()
            if p.id
        }
        ctl.send({"t": "stopped", "parties": parties})
        msg = await ctl.read()
        while msg.get("t") == "stop":  # a ramp's stop that crossed the end of the schedule
            msg = await ctl.read()
        check = await w.verify(msg["maxima"], msg["reactions"], msg["drain_s"], msg.get("unknown", {}))
        reporter.cancel()
        out = Path(spec["out_dir"])
        ctl.send(
            {
                "t": "result",
                "check": check,
                "rec": w.rec.dump(out, f"w{w.index}"),
                "extra": w.scenario.extra(),
                "first_errors": {k: repr(v)[:300] for k, v in w.first_errors.items()},
            }
        )
    finally:
        reporter.cancel()
        w.closing = True
        await asyncio.gather(*(v.close() for v in w.viewers), return_exceptions=True)
        await w.http.close()


def main() -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(amain())
    else:
        uvloop.run(amain())


if __name__ == "__main__":
    main()
