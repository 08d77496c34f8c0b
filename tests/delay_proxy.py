"""A TCP proxy that puts a network path between one browser page and the server.

Each direction has its own one-way delay and jitter (so a route can be asymmetric):
every chunk read from one side is written to the other ``delay ± jitter`` ms later,
never before the chunk ahead of it (TCP keeps order, so a late chunk holds the ones
behind it, as on a real path). The jitter is uniform and seeded, so a run can be
repeated. Works for anything over TCP: HTTP, WebSocket upgrades, Socket.IO.

It runs its own event loop in a thread of its own, so the server's work in the test's
loop does not add to the delays it imposes (nor the proxy's to the server's).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import threading
from collections.abc import Iterator


@dataclasses.dataclass(frozen=True)
class Path:
    """One-way delays (ms) of a route: client → server (``up``) and back (``down``)."""

    up_ms: float
    down_ms: float
    jitter_ms: float = 0.0

    @classmethod
    def symmetric(cls, one_way_ms: float, jitter_ms: float = 0.0) -> Path:
        return cls(one_way_ms, one_way_ms, jitter_ms)

    @property
    def label(self) -> str:
        if self.up_ms == self.down_ms:
            return f"{self.up_ms:g}±{self.jitter_ms:g}ms"
        return f"up {self.up_ms:g} / down {self.down_ms:g} ±{self.jitter_ms:g}ms"


class DelayProxy:
    """Listens on 127.0.0.1:``port`` and forwards to 127.0.0.1:``target_port`` over ``path``."""

    def __init__(self, target_port: int, path: Path, *, seed: int = 0) -> None:
        self.target_port = target_port
        self.path = path
        self.port = 0
        self._random = random.Random(seed)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="delay-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> int:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self.port = future.result(timeout=5)
        return self.port

    def close(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _listen(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def _spawn(self, coro: object) -> None:
        task = self._loop.create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_w.close()
            return
        self._spawn(self._pump(client_r, server_w, self.path.up_ms))
        self._spawn(self._pump(server_r, client_w, self.path.down_ms))

    def _delay_s(self, base_ms: float) -> float:
        jitter = self.path.jitter_ms
        return max(0.0, base_ms + self._random.uniform(-jitter, jitter)) / 1000

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, base_ms: float) -> None:
        """Read chunks as they come; a second task writes each at its due time, in order."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not chunk:
                    break
                writer.write(chunk)
                await writer.drain()

        sender = loop.create_task(deliver())
        last_due = 0.0
        try:
            while True:
                chunk = await reader.read(65_536)
                # In order: never before the chunk ahead of it.
                last_due = max(last_due, loop.time() + self._delay_s(base_ms))
                queue.put_nowait((last_due, chunk))
                if not chunk:
                    break
            await sender
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            sender.cancel()
            with contextlib.suppress(Exception):
                writer.close()


@contextlib.contextmanager
def delayed(target_port: int, path: Path, *, seed: int = 0) -> Iterator[DelayProxy]:
    proxy = DelayProxy(target_port, path, seed=seed)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.close()
