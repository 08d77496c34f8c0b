"""Stopping a background loop, even one whose first cancellation gets lost."""

from __future__ import annotations

import asyncio

from socialsync.tasks import stop


async def test_a_loop_that_loses_a_cancellation_still_stops():
    # What asyncio.wait_for does on Python 3.11 when the cancellation and the
    # awaited operation's completion coincide: the cancellation is swallowed.
    cancellations = 0

    async def loop_forever() -> None:
        nonlocal cancellations
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                cancellations += 1
                if cancellations < 3:
                    continue  # lost, as in wait_for
                raise

    task = asyncio.create_task(loop_forever())
    await asyncio.sleep(0)
    await asyncio.wait_for(stop(task), 2)
    assert task.cancelled() and cancellations == 3


async def test_stop_takes_a_finished_or_failed_task_or_none():
    async def fail() -> None:
        raise RuntimeError("boom")

    failed = asyncio.create_task(fail())
    await asyncio.sleep(0)
    await stop(failed)  # its exception is retrieved, not raised
    await stop(None)
    assert failed.done()
