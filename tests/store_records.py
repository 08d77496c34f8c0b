"""The three durable stores of one backend, as the contract suites take them (a module
of its own: each test folder has a conftest.py, so ``from conftest import`` is ambiguous)."""

from __future__ import annotations

from dataclasses import dataclass

from socialsync.ports import ClipStore, MessageStore, ModerationStore


@dataclass(frozen=True)
class Records:
    messages: MessageStore
    moderation: ModerationStore
    clips: ClipStore
