"""What every event family's module shares: the handler signature and its answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

# A Socket.IO payload as received (validated by protocol.inbound) and an answer as sent.
Answer = dict[str, Any]
EventHandler = Callable[[str, Any, int], Awaitable[Answer]]
Handlers = dict[str, EventHandler]
OK: Answer = {"ok": True}
