"""The duplicate tracker: pure, time passed in, bounded."""

from __future__ import annotations

from socialsync.domain.moderation import DuplicateTracker, Repeats

T0 = 1_000_000


def test_counts_repeats_by_the_same_sender_and_distinct_senders() -> None:
    tracker = DuplicateTracker(window_ms=10_000)
    assert tracker.observe("room", "spam", "u1", T0) == Repeats(by_sender=1, senders=1)
    assert tracker.observe("room", "spam", "u1", T0 + 1) == Repeats(by_sender=2, senders=1)
    assert tracker.observe("room", "spam", "u2", T0 + 2) == Repeats(by_sender=1, senders=2)


def test_rooms_are_counted_apart() -> None:
    tracker = DuplicateTracker()
    tracker.observe("a", "spam", "u1", T0)
    assert tracker.observe("b", "spam", "u1", T0) == Repeats(1, 1)


def test_sendings_older_than_the_window_are_forgotten() -> None:
    tracker = DuplicateTracker(window_ms=10_000)
    tracker.observe("room", "spam", "u1", T0)
    tracker.observe("room", "spam", "u1", T0 + 5_000)
    assert tracker.observe("room", "spam", "u1", T0 + 12_000) == Repeats(2, 1)
    assert tracker.observe("room", "spam", "u1", T0 + 30_000) == Repeats(1, 1)


def test_texts_not_seen_within_the_window_are_dropped_entirely() -> None:
    tracker = DuplicateTracker(window_ms=10_000)
    for n in range(100):
        tracker.observe("room", f"text {n}", "u1", T0)
    tracker.observe("room", "latest", "u1", T0 + 20_000)
    assert len(tracker) == 1


def test_memory_is_bounded_in_texts_and_in_senders_per_text() -> None:
    tracker = DuplicateTracker(max_texts=50, max_senders_per_text=8)
    for n in range(1_000):
        tracker.observe("room", f"text {n}", "u1", T0 + n)
    assert len(tracker) == 50
    for n in range(1_000):
        counts = tracker.observe("room", "raid", f"user {n}", T0 + 1_000 + n)
    assert counts.senders == 8  # it saturates: enough to know it is a raid


def test_the_least_recently_seen_text_is_forgotten_first() -> None:
    tracker = DuplicateTracker(max_texts=2)
    tracker.observe("room", "a", "u1", T0)
    tracker.observe("room", "b", "u1", T0 + 1)
    tracker.observe("room", "a", "u1", T0 + 2)
    tracker.observe("room", "c", "u1", T0 + 3)  # evicts "b"
    assert tracker.observe("room", "a", "u1", T0 + 4).by_sender == 3
    assert tracker.observe("room", "b", "u1", T0 + 5).by_sender == 1
