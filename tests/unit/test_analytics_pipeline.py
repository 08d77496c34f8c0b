"""The request path's side of analytics (services/analytics.py): what each committed
party command is observed as, the bounded queue (full: dropped, counted), and the
pipeline through the memory buffer to the memory store, with back-pressure when the
buffer is full."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import pytest

from socialsync.adapters.memory.analytics import MemoryAnalyticsBuffer, MemoryAnalyticsStore
from socialsync.domain.analytics.observations import Joined, Left, Moved, Posted, Reported, Stopped
from socialsync.domain.analytics.pseudonyms import Pseudonyms
from socialsync.domain.model import Media, Member, Party, Playback, Role, Settings, Status, User
from socialsync.domain.party import commands as c
from socialsync.domain.party.machine import PartyMachine, Transition, create_party
from socialsync.ports.analytics import Scope
from socialsync.services import analytics as service
from socialsync.services.analytics import AnalyticsCapture, AnalyticsPipeline, AnalyticsSettings

FILM = Media("https://cdn.example/film.mp4", duration_s=600.0)
ANN = User("ann", "Ann", "t1")
BOB = User("bob", "Bob", "t1")
T = 1_800_000_000_000


class Observed:
    def __init__(self) -> None:
        self.dropped: Counter[str] = Counter()
        self.committed = 0

    def analytics_dropped(self, stage: str) -> None:
        self.dropped[stage] += 1

    def analytics_committed(self, events: int) -> None:
        self.committed += events


class Clock:
    def __init__(self) -> None:
        self.ms = T

    def now_ms(self) -> int:
        return self.ms


class Run:
    """A party driven through the machine, each transition handed to the capture as
    PartyService._run does."""

    def __init__(self, capture: AnalyticsCapture) -> None:
        self.capture = capture
        self.machine = PartyMachine()
        self.party = create_party("p1", ANN, "Film", FILM, Settings(), T, creator_joins=False).party

    def __call__(self, command: c.Command, now_ms: int, ref: str | None = None) -> Transition:
        before = self.party
        transition = self.machine.handle(before, command, now_ms)
        self.party = transition.party
        self.capture.party_changed(before, command, transition, now_ms, ref)
        return transition


def test_each_command_is_observed_as_what_it_did() -> None:
    capture = AnalyticsCapture(Observed(), 100)
    run = Run(capture)
    run(c.Join(ANN, "s1"), T, ref="inv1")
    run(c.Join(ANN, "s2"), T + 1)  # a second socket of a member present: no new session
    run(c.Join(BOB, "s3"), T + 2)
    run(c.Control("ann", c.Action.PLAY), T + 10)
    run(c.ReportStatus("bob", 1.0, True, False, T + 1_000), T + 1_000)
    run(c.ReportStatus("bob", 2.0, True, True, T + 2_000), T + 2_000)  # buffering: not watching
    run(c.Leave("bob", "s3"), T + 3_000)
    run(c.End("ann"), T + 4_000)
    kinds = [type(o) for o in capture.queue]
    assert kinds == [Joined, Joined, Moved, Reported, Reported, Stopped, Left, Left]
    joined = [o for o in capture.queue if isinstance(o, Joined)]
    assert [(j.user_id, j.ref, j.session_ms) for j in joined] == [("ann", "inv1", T), ("bob", None, T + 2)]
    reports = [o for o in capture.queue if isinstance(o, Reported)]
    assert [(r.position_s, r.watching, r.at_ms) for r in reports] == [
        (1.0, True, T + 1_000),
        (2.0, False, T + 2_000),
    ]
    left = [o for o in capture.queue if isinstance(o, Left)]
    assert [(x.user_id, x.at_ms) for x in left] == [("bob", T + 3_000), ("ann", T + 4_000)]


def test_a_report_far_from_the_receipt_is_placed_at_the_receipt() -> None:
    capture = AnalyticsCapture(Observed(), 100)
    run = Run(capture)
    run(c.Join(ANN, "s1"), T)
    run(c.ReportStatus("ann", 1.0, True, False, T + 60_000), T + 1_000)
    (report,) = [o for o in capture.queue if isinstance(o, Reported)]
    assert report.at_ms == T + 1_000


def test_posts_take_the_partys_position_when_the_client_gives_none() -> None:
    capture = AnalyticsCapture(Observed(), 100)
    members = {"ann": Member("ann", "Ann", Role.HOST, T - 5_000, sessions=frozenset({"s"}))}
    party = Party(
        "p1", "t1", "Film", T, "ann", Settings(), Playback(FILM, Status.PLAYING, 10.0, 1.0, T), members
    )
    capture.posted(party, ANN, None, T + 2_500, "👍")
    capture.posted(party, ANN, 3.0, T + 2_500)
    assert [(o.media_time_s, o.emoji, o.session_ms) for o in capture.queue if isinstance(o, Posted)] == [
        (12.5, "👍", T - 5_000),
        (3.0, None, T - 5_000),
    ]


def test_the_queue_is_bounded_and_counts_what_it_drops() -> None:
    observed = Observed()
    capture = AnalyticsCapture(observed, 3)
    for i in range(5):
        capture.observe(Stopped("p", "u", i))
    assert len(capture.queue) == 3 and observed.dropped == {"queue": 2} and capture.dropped == 2
    off = AnalyticsCapture(observed, 3, enabled=False)
    off.observe(Stopped("p", "u", 0))
    assert not off.queue and observed.dropped == {"queue": 2}


def _pipeline(capture: AnalyticsCapture, buffer: MemoryAnalyticsBuffer, observed: Observed, batch: int = 500):
    store = MemoryAnalyticsStore()
    pipeline = AnalyticsPipeline(
        capture,
        buffer,
        store,
        Clock(),
        Pseudonyms([b"k" * 32]),
        observed,
        AnalyticsSettings(batch=batch, flush_s=0.05),
        "node",
    )
    return pipeline, store


async def test_the_pipeline_commits_sessions_and_sections_in_batches() -> None:
    observed = Observed()
    capture = AnalyticsCapture(observed, 1_000)
    pipeline, store = _pipeline(capture, MemoryAnalyticsBuffer(), observed, batch=2)
    run = Run(capture)
    run(c.Join(ANN, "s1"), T)
    run(c.Control("ann", c.Action.PLAY), T)
    run(c.ReportStatus("ann", 2.0, True, False, T + 2_000), T + 2_000)
    run(c.Leave("ann", "s1"), T + 2_000)
    await pipeline.flush()
    assert observed.committed == 3  # joined, watched, left: in two batches of at most 2
    (s,) = await store.sessions(Scope("t1"), T, T + 10_000)
    lead = PartyMachine().rules.lead_ms  # the play starts this much after the control
    assert (s.watch_ms, s.ended_ms) == (2_000 - lead, T + 2_000) and s.viewer == Pseudonyms([b"k" * 32]).of(
        "t1", "ann"
    )


async def test_a_full_buffer_holds_the_worker_back_and_drops_after_the_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "PUSH_WAIT_S", 0.2)
    observed = Observed()
    capture = AnalyticsCapture(observed, 10)
    buffer = MemoryAnalyticsBuffer(max_batches=1)
    pipeline, _ = _pipeline(capture, buffer, observed, batch=1)
    for i in range(3):
        capture.observe(Joined("t1", "p1", f"u{i}", T, FILM, T))
    # Nobody commits: the first batch fills the buffer, the worker waits on the second
    # (back-pressure), then drops it, counted; the queue meanwhile stays bounded.
    flushing = asyncio.create_task(pipeline.flush())
    await asyncio.sleep(0.05)
    for i in range(20):
        capture.observe(Stopped("p1", f"x{i}", T))
    assert len(capture.queue) <= 10 and observed.dropped["queue"] >= 10
    assert await buffer.pending() == 1
    await asyncio.wait_for(flushing, 5)
    assert observed.dropped["buffer"] >= 1


async def test_a_long_queue_is_drained_in_slices_without_losing_events() -> None:
    observed = Observed()
    capture = AnalyticsCapture(observed, 10_000)
    pipeline, store = _pipeline(capture, MemoryAnalyticsBuffer(max_batches=10_000), observed, batch=7)
    for i in range(service.SLICE * 2 + 5):  # batches fill mid-slice, slices follow pushes
        capture.observe(Joined("t1", "p1", f"u{i}", T, FILM, T))
    await pipeline.flush()
    assert observed.committed == service.SLICE * 2 + 5
    assert len(await store.sessions(Scope("t1"), T, T + 1)) == service.SLICE * 2 + 5


async def test_a_batch_the_store_refuses_is_dropped_alone_and_counted() -> None:
    from socialsync.domain.analytics.events import Batch
    from socialsync.domain.errors import Code, SyncError

    class Picky(MemoryAnalyticsStore):
        async def commit(self, batches: Sequence[Batch]) -> int:
            if any(e.party_id == "bad" for b in batches for e in b.events):
                raise SyncError(Code.BAD_REQUEST, "the database refused a value")
            return await super().commit(batches)

    observed = Observed()
    capture = AnalyticsCapture(observed, 100)
    pipeline, _ = _pipeline(capture, MemoryAnalyticsBuffer(), observed, batch=1)
    pipeline.store = store = Picky()
    for party in ("p1", "bad", "p2"):
        capture.observe(Joined("t1", party, "u", T, FILM, T))
    await pipeline.flush()
    assert observed.dropped == {"commit": 1} and observed.committed == 2
    assert {s.party_id for s in await store.sessions(Scope("t1"), T, T + 1)} == {"p1", "p2"}
