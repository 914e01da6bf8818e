"""Delivering events to the manager: batched, retried with capped backoff, bounded.

Events wait in a bounded buffer until the manager acknowledges them. While the manager is
down the buffer fills; once full, the oldest event is dropped for each new one and counted
(`dropped`), with a warning. Dropping the oldest keeps the most recent state, which is what
the manager acts on; presence in heartbeats and the registry cover what was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from sokovan.agent.gateway import GatewayError, ManagerGateway
from sokovan.agent.protocol import KernelEvent

log = logging.getLogger(__name__)

#: The protocol's limit on one KernelEventBatch.
MAX_BATCH = 1024
_FIRST_RETRY_DELAY = 0.1


class EventSender:
    """An `EventSink` that forwards events to the manager from a background task."""

    def __init__(self, gateway: ManagerGateway, buffer_size: int, max_retry_delay: float) -> None:
        self._gateway = gateway
        self._max_retry_delay = max_retry_delay
        self._buffer: deque[KernelEvent] = deque()
        self._buffer_size = buffer_size
        self._pending = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Events dropped because the buffer was full.
        self.dropped = 0
        #: Events the manager rejected as invalid (never retried).
        self.rejected = 0

    def emit(self, event: KernelEvent) -> None:
        if len(self._buffer) >= self._buffer_size:
            self._buffer.popleft()
            self.dropped += 1
            if self.dropped & (self.dropped - 1) == 0:  # 1, 2, 4, 8…: visible, not a flood
                log.warning("event buffer full: dropped %d oldest events so far", self.dropped)
        self._buffer.append(event)
        self._pending.set()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="event-sender")

    async def stop(self, flush_timeout: float) -> None:
        """Stop sending, after one last attempt (bounded by `flush_timeout`) to flush."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_timeout):
                while self._buffer and await self._send_batch():
                    pass
        if self._buffer:
            log.warning("%d events not delivered to the manager at shutdown", len(self._buffer))

    async def _run(self) -> None:
        delay = _FIRST_RETRY_DELAY
        while True:
            await self._pending.wait()
            self._pending.clear()
            while self._buffer:
                if await self._send_batch():
                    delay = _FIRST_RETRY_DELAY
                else:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._max_retry_delay)

    async def _send_batch(self) -> bool:
        """Send the oldest events; True once the manager has acknowledged or rejected them."""
        batch = [self._buffer[index] for index in range(min(len(self._buffer), MAX_BATCH))]
        try:
            await self._gateway.send_events(batch)
        except GatewayError as exc:
            if exc.retryable:
                log.warning("cannot deliver %d events, will retry: %s", len(batch), exc)
                return False
            # Retrying a batch the manager refuses would block every later event behind it.
            self.rejected += len(batch)
            log.error("manager rejected %d events, dropping them: %s", len(batch), exc)
        # Events emitted meanwhile were appended at the right; events dropped meanwhile for
        # lack of room were taken from the left, possibly from this very batch.
        for event in batch:
            if self._buffer and self._buffer[0] is event:
                self._buffer.popleft()
        return True
