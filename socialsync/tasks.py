"""Stopping background loops reliably."""

from __future__ import annotations

import asyncio

# How long to wait for a cancelled task before cancelling it again.
_RECANCEL_S = 0.05


async def stop(task: asyncio.Task[object] | None) -> None:
    """Cancel ``task`` and wait until it has ended, whatever it raised.

    One ``cancel()`` is not enough on Python 3.11. If ``asyncio.wait_for`` (redis-py
    wraps every socket write in one) is cancelled in the same loop iteration as the
    operation it waits on completes, it returns the result and drops the
    cancellation (CPython bpo-42130, fixed in 3.12). A ``while True`` loop then
    carries on, and the task that waited for it hangs. So this cancels again
    until the task really ends.
    """
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=_RECANCEL_S)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved
