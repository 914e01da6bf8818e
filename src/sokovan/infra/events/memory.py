"""The in-process event bus of the embedded mode.

Producers never wait: each subscriber has its own bounded queue, and when a subscriber falls
so far behind that its queue is full, the oldest event in *that* queue is dropped and counted
(`EventSubscription.dropped`). Events are hints for API waiters and dashboards; the database
stays the record, so losing old events under overload is preferable to stalling the scheduler.

Every subscriber sees the events published after it subscribed, in publication order, minus
any it dropped. Consume with `async for` over a subscription, or register a callback with
`listen`, which drains a subscription in a task of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress

from sokovan.infra.events.base import BroadcastEvent

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 1024

EventCallback = Callable[[BroadcastEvent], Awaitable[None]]


class EventSubscription:
    """One subscriber's queue; an async iterator of events that ends once closed and drained."""

    def __init__(self, bus: InMemoryEventBus, queue_size: int) -> None:
        self._bus = bus
        self._queue: deque[BroadcastEvent] = deque(maxlen=queue_size)
        self._ready = asyncio.Event()
        self._closed = False
        #: Events dropped because this subscriber's queue was full.
        self.dropped = 0

    def _offer(self, event: BroadcastEvent) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1  # appending to a full deque evicts its oldest entry
        self._queue.append(event)
        self._ready.set()

    def close(self) -> None:
        """Stop receiving; iteration ends after the events already queued. Idempotent."""
        self._closed = True
        self._bus._unsubscribe(self)
        self._ready.set()

    def __aiter__(self) -> EventSubscription:
        return self

    async def __anext__(self) -> BroadcastEvent:
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()


class EventListener:
    """A callback fed from its own subscription by a task; stop it with `stop`."""

    def __init__(
        self,
        subscription: EventSubscription,
        callback: EventCallback,
        on_done: Callable[[EventListener], None],
    ) -> None:
        self.subscription = subscription
        self._callback = callback
        self._task = asyncio.create_task(self._run(), name="event-listener")
        self._task.add_done_callback(lambda _task: on_done(self))

    async def _run(self) -> None:
        async for event in self.subscription:
            try:
                await self._callback(event)
            except Exception:
                # One bad event must not silence the listener for all later ones.
                log.exception("event listener failed on %r", event)

    async def stop(self) -> None:
        """Close the subscription and wait for the task; queued events are not delivered."""
        self.subscription.close()
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task


class InMemoryEventBus:
    """An `EventProducer` that fans events out to in-process subscribers."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self._queue_size = queue_size
        self._subscriptions: list[EventSubscription] = []
        self._listeners: set[EventListener] = set()

    async def broadcast_event(self, event: BroadcastEvent) -> None:
        for subscription in self._subscriptions:
            subscription._offer(event)

    async def broadcast_events_batch(self, events: Sequence[BroadcastEvent]) -> None:
        for event in events:
            await self.broadcast_event(event)

    def subscribe(self, queue_size: int | None = None) -> EventSubscription:
        """A new subscription receiving every event published from now on.

        `queue_size` overrides the bus's for this subscriber (one that records every event
        and must not drop any under a burst).
        """
        size = self._queue_size if queue_size is None else queue_size
        if size < 1:
            raise ValueError("queue_size must be at least 1")
        subscription = EventSubscription(self, size)
        self._subscriptions.append(subscription)
        return subscription

    def listen(self, callback: EventCallback) -> EventListener:
        """Call `callback` for each event from now on, one at a time, in order.

        Must be called from a running event loop; `close` stops every listener.
        """
        listener = EventListener(self.subscribe(), callback, self._listeners.discard)
        self._listeners.add(listener)
        return listener

    async def close(self) -> None:
        """Stop every listener and close every subscription."""
        for listener in list(self._listeners):
            await listener.stop()
        for subscription in list(self._subscriptions):
            subscription.close()

    def _unsubscribe(self, subscription: EventSubscription) -> None:
        with suppress(ValueError):
            self._subscriptions.remove(subscription)
