"""Who said the same thing recently: the state behind the duplicate and copy-paste-raid rules.

Pure and bounded: time comes in as ``now_ms``, at most ``max_texts`` texts are
remembered (the least recently seen are forgotten first) and at most
``max_senders_per_text`` sendings of each, so a raid of a million users costs no
more memory than one of fifty.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Repeats:
    """About one message, counting itself, within the window."""

    by_sender: int  # times this sender sent this text
    senders: int  # distinct senders of this text


class DuplicateTracker:
    __slots__ = ("_seen", "max_senders_per_text", "max_texts", "window_ms")

    def __init__(
        self, *, window_ms: int = 30_000, max_texts: int = 10_000, max_senders_per_text: int = 64
    ) -> None:
        self.window_ms = window_ms
        self.max_texts = max_texts
        self.max_senders_per_text = max_senders_per_text
        # (scope, fingerprint) -> (sent_at_ms, user_id) oldest first; the dict is kept in
        # order of last sending, so the stalest text is always first.
        self._seen: OrderedDict[tuple[str, str], deque[tuple[int, str]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def observe(self, scope: str, fingerprint: str, user_id: str, now_ms: int) -> Repeats:
        """Record a sending of ``fingerprint`` in ``scope`` (a room) and count its repeats."""
        self._forget_before(now_ms - self.window_ms)
        key = (scope, fingerprint)
        sendings = self._seen.pop(key, None)
        if sendings is None:
            sendings = deque(maxlen=self.max_senders_per_text)
        while sendings and sendings[0][0] < now_ms - self.window_ms:
            sendings.popleft()
        sendings.append((now_ms, user_id))
        self._seen[key] = sendings
        while len(self._seen) > self.max_texts:
            self._seen.popitem(last=False)
        return Repeats(
            by_sender=sum(1 for _, sender in sendings if sender == user_id),
            senders=len({sender for _, sender in sendings}),
        )

    def _forget_before(self, cutoff_ms: int) -> None:
        while self._seen:
            key, sendings = next(iter(self._seen.items()))
            if sendings[-1][0] >= cutoff_ms:
                return
            del self._seen[key]
