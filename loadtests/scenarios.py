"""What the viewers of one worker do in each scenario.

Each scenario has ``setup`` (connect and join, before the clock starts),
``run`` (the traffic, until the worker's stop event), ``after_stop`` (put
churned viewers back so they can be checked) and ``extra`` (numbers only this
scenario has). Parties are dealt to workers round-robin and live wholly in one
worker, except the live room, which every worker joins; members alternate
between the nodes, so with two nodes every party spans both.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .worker import Party, Viewer, Worker

# One cycle of host controls in which every step changes the state (so each is broadcast).
CONTROL_CYCLE = ("play", "seek", "pause", "seek", "rate_up", "rate_back")
EMOJI = ("😂", "❤️", "👍", "👏", "😮", "😢", "🔥", "🎉")


def control_payload(party_id: str, step: int) -> dict[str, Any]:
    action = CONTROL_CYCLE[step % len(CONTROL_CYCLE)]
    if action == "seek":
        return {"party": party_id, "action": "seek", "position": float((step * 37) % 7000)}
    if action == "rate_up":
        return {"party": party_id, "action": "rate", "rate": 1.25}
    if action == "rate_back":
        return {"party": party_id, "action": "rate", "rate": 1.0}
    return {"party": party_id, "action": action}


class Scenario:
    def __init__(self, w: Worker) -> None:
        self.w = w
        self.p = w.params

    def my_party_indices(self, parties: int) -> range:
        return range(self.w.index, parties, self.w.workers)

    async def setup_groups(self, parties: int, members: int, settings: dict[str, Any] | None = None) -> None:
        from .worker import Viewer

        w = self.w
        if settings is None and members > 50:
            settings = {"max_members": members}  # watch parties hold 50 unless told otherwise

        async def one(pi: int) -> None:
            group = []
            for j in range(members):
                n = pi * members + j
                # "members": a party's members alternate between the nodes; "parties": each party on one node.
                node = pi if w.spec.get("placement") == "parties" else n
                v = Viewer(w, f"Viewer {n}", w.url_for(node), None)
                w.viewers.append(v)
                group.append(v)
            await w.setup_party(f"g{pi}", group, settings)

        await asyncio.gather(*(one(pi) for pi in self.my_party_indices(parties)))

    def ready_info(self) -> dict[str, Any]:
        return {}

    def on_start(self, msg: dict[str, Any]) -> None:
        pass

    async def after_stop(self) -> None:
        pass

    def extra(self) -> dict[str, Any]:
        return {}

    async def status_loop(self, v: Viewer, party: Party, every_s: float) -> None:
        """playback.status every ``every_s`` (the SDK's cadence is 2 s), phase-shifted per viewer."""
        w = self.w
        t = time.perf_counter() + w.rng.random() * every_s
        position = 0.0
        while await w.sleep_until(t):
            position += every_s
            w.spawn(
                v.req(
                    "playback.status",
                    {"party": party.id, "position": position % 7000, "playing": True, "buffering": False},
                )
            )
            t += every_s

    async def control_loop(self, v: Viewer, party: Party, every_s: float, series: Any) -> None:
        """The host's playback.control every ``every_s``, one at a time; ``series()`` names the sample."""
        w = self.w
        t = time.perf_counter() + w.rng.random() * every_s
        step = 0
        while await w.sleep_until(t):
            party.ctl_t = time.perf_counter()
            await v.req("playback.control", control_payload(party.id, step), series())
            step += 1
            t += every_s


class Parties(Scenario):
    """Many small watch parties: status reports, host controls, chat."""

    async def setup(self) -> None:
        await self.setup_groups(self.p["parties"], self.p["members"])

    async def run(self) -> None:
        w = self.w
        loops = []
        for party in w.parties.values():
            if not party.id:
                continue
            if party.host is not None:
                loops.append(
                    self.control_loop(party.host, party, self.p["control_every"], lambda: "playback.control")
                )
            for v in party.members:
                loops.append(self.status_loop(v, party, self.p["status_every"]))
                loops.append(self.chat_loop(v, party))
        await asyncio.gather(*loops)

    async def chat_loop(self, v: Viewer, party: Party) -> None:
        w = self.w
        every = self.p["chat_every"]
        t = time.perf_counter() + w.rng.random() * every
        while await w.sleep_until(t):
            w.spawn(v.send_chat(party))
            t += w.rng.expovariate(1 / every)


class Live(Scenario):
    """One big live room: chat, then a reaction storm; host controls in a small side party all along."""

    def phase(self) -> str:
        elapsed = time.perf_counter() - self.w.started_at
        return "storm" if elapsed >= self.p["storm_at"] * self.w.duration else "calm"

    async def setup(self) -> None:
        from .worker import Party, Viewer

        w = self.w
        room = w.parties["room"] = Party("room")
        room.id = self.p["room"]
        mine = []
        for n in range(w.index, self.p["viewers"], w.workers):
            v = Viewer(w, f"Viewer {n}", w.url_for(n), room)
            w.viewers.append(v)
            mine.append(v)

        async def enter(v: Viewer) -> None:
            if await v.connect():
                if await v.join(room):
                    room.members.append(v)
                    w.rec.add("connect+join", (time.perf_counter() - v.t_connect) * 1000.0)

        await asyncio.gather(*(enter(v) for v in mine))
        if w.index == 0 and self.p["probe_members"]:
            probes = [Viewer(w, f"Probe {j}", w.url_for(j), None) for j in range(self.p["probe_members"])]
            w.viewers.extend(probes)
            await w.setup_party("probe", probes)

    async def run(self) -> None:
        w = self.w
        room = w.parties["room"]
        loops: list[Any] = [w.open_loop(lambda _t: self.p["chat_rate"] / w.workers, lambda: self.chat(room))]
        probe = w.parties.get("probe")
        if probe is not None and probe.host is not None:
            loops.append(
                self.control_loop(
                    probe.host, probe, self.p["probe_every"], lambda: f"playback.control.{self.phase()}"
                )
            )
        every = 1.0 / self.p["reaction_rate"] if self.p["reaction_rate"] > 0 else 0
        for i, v in enumerate(room.members):
            if every and (i * w.workers + w.index) % 100 < self.p["reactors_pct"]:
                loops.append(self.react_loop(v, room, every))
        syncers = room.members[: max(1, self.p["sync_probes"] // w.workers)]
        for v in syncers:
            loops.append(self.time_sync_loop(v))
        await asyncio.gather(*loops)

    async def chat(self, room: Party) -> None:
        members = room.members
        if members:
            await members[self.w.rng.randrange(len(members))].send_chat(room)

    async def react_loop(self, v: Viewer, room: Party, every: float) -> None:
        w = self.w
        start = w.started_at + self.p["storm_at"] * w.duration
        t = start + w.rng.random() * every
        while await w.sleep_until(t):
            w.spawn(self.react(v, room))
            t += every

    async def react(self, v: Viewer, room: Party) -> None:
        w = self.w
        w.rec.tick("reactions", time.time())
        emoji = EMOJI[w.rng.randrange(len(EMOJI))]
        # Until its answer arrives a reaction is "unknown": the server may or may not count it. One
        # that times out (or is cancelled at the end) stays unknown.
        room.reactions_unknown += 1
        answer = await v.req(
            "reaction.send", {"party": room.id, "emoji": emoji}, f"reaction.send.{self.phase()}"
        )
        if answer is not None:
            room.reactions_ok += 1
        if answer is not None or v.last_failure == "answer":
            room.reactions_unknown -= 1

    async def time_sync_loop(self, v: Viewer) -> None:
        w = self.w
        t = time.perf_counter() + w.rng.random()
        while await w.sleep_until(t):
            await v.req("time.sync", {"t0": time.time() * 1000.0}, f"time.sync.{self.phase()}")
            t += 1.0


class Churn(Scenario):
    """Watch parties where part of each party keeps leaving and coming back while chat flows."""

    def __init__(self, w: Worker) -> None:
        super().__init__(w)
        self.actions = 0

    async def setup(self) -> None:
        await self.setup_groups(self.p["parties"], self.p["members"])

    async def run(self) -> None:
        w = self.w
        live = [p for p in w.parties.values() if p.id]
        stay = self.p["stayers"]
        loops: list[Any] = []
        if live:
            loops.append(
                w.open_loop(lambda _t: self.p["chat_rate"] / w.workers, lambda: self.chat(live, stay))
            )
        for party in live:
            for v in party.members[stay:]:
                loops.append(self.churn_loop(v, party))
        await asyncio.gather(*loops)

    async def chat(self, live: list[Party], stay: int) -> None:
        party = live[self.w.rng.randrange(len(live))]
        senders = party.members[:stay]
        if senders:
            await senders[self.w.rng.randrange(len(senders))].send_chat(party)

    async def churn_loop(self, v: Viewer, party: Party) -> None:
        w = self.w
        mode = self.p["churn_mode"]
        t = time.perf_counter() + w.rng.expovariate(1 / self.p["churn_every"])
        k = 0
        while await w.sleep_until(t):
            reconnect = mode == "reconnect" or (mode == "mixed" and k % 2 == 1)
            k += 1
            await self.leave(v, party, reconnect)
            await asyncio.sleep(w.rng.uniform(0.05, self.p["away"]))
            await self.come_back(v, party, reconnect)
            t = time.perf_counter() + w.rng.expovariate(1 / self.p["churn_every"])

    async def leave(self, v: Viewer, party: Party, reconnect: bool) -> None:
        v.absent = True
        self.actions += 1
        if reconnect:
            t = time.perf_counter()
            await v.client.close()
            v.client = None
            self.w.rec.add("disconnect", (time.perf_counter() - t) * 1000.0)
        else:
            await v.req("party.leave", {"party": party.id}, "leave")

    async def come_back(self, v: Viewer, party: Party, reconnect: bool) -> None:
        if reconnect or v.client is None:
            self.w.connected -= 1
            if not await v.connect():
                return
        if await v.join(party, "rejoin", since=v.max_seen()):
            v.absent = False
            if reconnect:
                self.w.rec.add("reconnect+rejoin", (time.perf_counter() - v.t_connect) * 1000.0)

    async def after_stop(self) -> None:
        # Viewers caught away by the stop come back, so every one of them can be checked.
        w = self.w
        away = [(v, p) for p in w.parties.values() for v in p.members if v.absent]
        await asyncio.gather(*(self.come_back(v, p, v.client is None) for v, p in away))

    def extra(self) -> dict[str, Any]:
        return {"churn_actions": self.actions}


class Idle(Scenario):
    """Connections that only keep their heartbeat: server memory and CPU per connection."""

    async def setup(self) -> None:
        from .worker import Viewer

        w = self.w
        members = self.p["members"]
        if members > 0:
            await self.setup_groups(-(-self.p["connections"] // members), members)
            return
        mine = [
            Viewer(w, f"Idle {n}", w.url_for(n), None)
            for n in range(w.index, self.p["connections"], w.workers)
        ]
        w.viewers.extend(mine)
        await asyncio.gather(*(v.connect() for v in mine))

    async def run(self) -> None:
        await self.w.stop.wait()


class Fanout(Scenario):
    """A target chat rate into parties of M members (or a ramp of rates): delivered/s and latency."""

    async def setup(self) -> None:
        await self.setup_groups(self.p["parties"], self.p["members"])

    def on_start(self, msg: dict[str, Any]) -> None:
        self.steps: list[tuple[float, float]] = [tuple(s) for s in self.p["steps"]]  # type: ignore[misc]

    def rate_at(self, elapsed: float) -> float:
        rate = 0.0
        for start, r in self.steps:
            if elapsed >= start:
                rate = r
        return rate / self.w.workers

    async def run(self) -> None:
        w = self.w
        live = [p for p in w.parties.values() if p.id and p.members]
        if not live:
            await w.stop.wait()
            return
        turn = 0

        def fire() -> Any:
            nonlocal turn
            party = live[turn % len(live)]
            turn += 1
            sender = party.members[w.rng.randrange(len(party.members))]
            return sender.send_chat(party)

        await w.open_loop(self.rate_at, fire)


SCENARIOS: dict[str, type[Scenario]] = {
    "parties": Parties,
    "live": Live,
    "churn": Churn,
    "idle": Idle,
    "fanout": Fanout,
}
