"""Polls in this process (the embedded default and the test double): see ports/polls.py.

Each call runs without awaiting in between, so the event loop makes it atomic.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from socialsync.domain.identity import UserKey
from socialsync.domain.polls import Poll, PollStatus, Tally, counts_of
from socialsync.ports import Clock
from socialsync.ports.polls import Counted, VoteResult

# Beyond this many parties with a poll, those past their keep time are swept out.
SWEEP_ABOVE = 10_000


@dataclass
class _Entry:
    poll: Poll
    keep_until_ms: int
    votes: dict[str, int] = field(default_factory=dict)
    counts: Counter[int] = field(default_factory=Counter)


class MemoryPolls:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._parties: dict[str, _Entry] = {}

    def _entry(self, party_id: str) -> _Entry | None:
        entry = self._parties.get(party_id)
        if entry is not None and entry.keep_until_ms <= self._clock.now_ms():
            del self._parties[party_id]
            return None
        return entry

    async def open(self, poll: Poll, keep_until_ms: int) -> Poll | None:
        entry = self._entry(poll.party_id)
        if entry is not None and entry.poll.status is not PollStatus.ENDED:
            return entry.poll
        if len(self._parties) > SWEEP_ABOVE:
            now = self._clock.now_ms()
            for party_id in [p for p, e in self._parties.items() if e.keep_until_ms <= now]:
                del self._parties[party_id]
        self._parties[poll.party_id] = _Entry(poll, keep_until_ms)
        return None

    async def current(self, party_id: str) -> Tally | None:
        entry = self._entry(party_id)
        if entry is None:
            return None
        return Tally(entry.poll, counts_of(entry.counts, len(entry.poll.choices)))

    async def vote(self, party_id: str, poll_id: str, voter: str, choice: int) -> VoteResult:
        entry = self._entry(party_id)
        if entry is None or entry.poll.id != poll_id:
            return VoteResult(Counted.MISSING)
        if entry.poll.status is not PollStatus.OPEN:
            return VoteResult(Counted.CLOSED)
        earlier = entry.votes.get(voter)
        if earlier is not None:
            return VoteResult(Counted.AGAIN, earlier)
        entry.votes[voter] = choice
        entry.counts[choice] += 1
        return VoteResult(Counted.COUNTED, choice)

    async def choice_of(self, party_id: str, poll_id: str, voter: str) -> int | None:
        entry = self._entry(party_id)
        if entry is None or entry.poll.id != poll_id:
            return None
        return entry.votes.get(voter)

    async def save(self, poll: Poll, expected_version: int, keep_until_ms: int) -> bool:
        entry = self._entry(poll.party_id)
        if entry is None or entry.poll.id != poll.id or entry.poll.version != expected_version:
            return False
        entry.poll = poll
        entry.keep_until_ms = keep_until_ms
        return True

    async def forget(self, party_id: str) -> None:
        self._parties.pop(party_id, None)

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str) -> int:
        voter = str(UserKey(tenant_id, user_id))
        changed = 0
        for entry in self._parties.values():
            if entry.poll.tenant_id != tenant_id:
                continue
            found = entry.votes.pop(voter, None) is not None
            if entry.poll.by_id == user_id:
                entry.poll = replace(entry.poll, by_id=pseudonym, by_name=pseudonym)
                found = True
            changed += found
        return changed
