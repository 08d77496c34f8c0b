"""Polls: each party's current poll or prediction, its votes and their tallies."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from socialsync.domain.polls import Poll, Tally


class Counted(StrEnum):
    COUNTED = "counted"  # the vote is in
    AGAIN = "again"  # this voter voted in this poll before (``choice``: its vote then)
    CLOSED = "closed"  # the poll is the party's current one, but no longer open
    MISSING = "missing"  # the party's current poll (if any) is another


@dataclass(frozen=True, slots=True)
class VoteResult:
    outcome: Counted
    choice: int | None = None  # COUNTED: the vote; AGAIN: the earlier one


class PollStore(Protocol):
    """One current poll per party, with its votes (one per voter) and per-choice counts;
    shared by every node (Redis) or this process (memory).

    Guarantees:

    - ``open`` makes ``poll`` the party's current poll, with no votes, unless the current
      one has not ended: then nothing changes and that one is returned. Atomic, so two
      openers racing on two nodes get one poll.
    - ``vote`` counts ``voter``'s choice once per poll, atomically with the check that
      ``poll_id`` is the party's current poll and is ``open``: a voter counts once however
      many sockets, nodes or reconnections it votes from, and once ``save`` has stored a
      status other than ``open`` no vote is counted any more (the counts are then final).
    - ``save`` replaces the poll if it is still ``poll.id`` at ``expected_version``
      (compare-and-set); False (nothing stored) otherwise.
    - ``current`` reads the poll and its counts at one instant (never counts of another poll).
    - What a poll holds is forgotten at ``keep_until_ms`` (given with each write; Redis
      expires it, memory drops it when next looked at), and by ``forget``.
    - Voters are ``UserKey`` strings (tenant and user): two tenants' users never meet.
    - ``erase_user`` forgets who the user is in the tenant's polls: their vote leaves the
      voters (its count stays), and a poll they opened names ``pseudonym`` as its opener
      (id and name; its version unchanged). How many polls changed.
    """

    async def open(self, poll: Poll, keep_until_ms: int) -> Poll | None:
        """None when opened; else the party's current poll, which is under way."""
        ...

    async def current(self, party_id: str) -> Tally | None: ...

    async def vote(self, party_id: str, poll_id: str, voter: str, choice: int) -> VoteResult: ...

    async def choice_of(self, party_id: str, poll_id: str, voter: str) -> int | None:
        """``voter``'s vote in ``poll_id`` (None: none, or ``poll_id`` is not current)."""
        ...

    async def save(self, poll: Poll, expected_version: int, keep_until_ms: int) -> bool: ...

    async def forget(self, party_id: str) -> None: ...

    async def erase_user(self, tenant_id: str, user_id: str, pseudonym: str) -> int: ...
