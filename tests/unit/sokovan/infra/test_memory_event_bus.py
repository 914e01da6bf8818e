"""InMemoryEventBus: ordered fan-out, bounded queues that drop the oldest, listeners."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sokovan.common.ids import SessionId
from sokovan.infra.events.base import EventProducer, SchedulingBroadcastEvent
from sokovan.infra.events.memory import EventSubscription, InMemoryEventBus

BOUND = 5.0


def event(number: int) -> SchedulingBroadcastEvent:
    return SchedulingBroadcastEvent(
        session_id=SessionId(uuid.UUID(int=number)),
        creation_id=f"c{number}",
        status_transition="RUNNING",
    )


async def drain(subscription: EventSubscription) -> list[SchedulingBroadcastEvent]:
    """Everything queued so far (closes the subscription to end the iteration)."""
    subscription.close()
    async with asyncio.timeout(BOUND):
        return [item async for item in subscription]


async def test_every_subscriber_gets_every_event_in_order() -> None:
    bus = InMemoryEventBus()
    producer: EventProducer = bus
    first, second = bus.subscribe(), bus.subscribe()
    await producer.broadcast_event(event(1))
    await producer.broadcast_events_batch([event(2), event(3)])
    expected = [event(1), event(2), event(3)]
    assert await drain(first) == expected
    assert await drain(second) == expected


async def test_subscriber_sees_only_events_after_subscribing() -> None:
    bus = InMemoryEventBus()
    await bus.broadcast_event(event(1))
    late = bus.subscribe()
    await bus.broadcast_event(event(2))
    assert await drain(late) == [event(2)]


async def test_empty_batch_is_a_no_op() -> None:
    bus = InMemoryEventBus()
    subscription = bus.subscribe()
    await bus.broadcast_events_batch([])
    assert await drain(subscription) == []


async def test_full_queue_drops_the_oldest_and_counts_it() -> None:
    bus = InMemoryEventBus(queue_size=3)
    slow, fast = bus.subscribe(), bus.subscribe()
    await bus.broadcast_event(event(1))
    assert await anext(fast) == event(1)
    for number in range(2, 6):  # the producer never blocks on the slow subscriber
        await bus.broadcast_event(event(number))
    assert slow.dropped == 2
    assert await drain(slow) == [event(3), event(4), event(5)]
    assert fast.dropped == 1
    assert await drain(fast) == [event(3), event(4), event(5)]


async def test_iteration_waits_for_the_next_event() -> None:
    bus = InMemoryEventBus()
    subscription = bus.subscribe()
    receiver = asyncio.create_task(anext(subscription))
    await asyncio.sleep(0)
    assert not receiver.done()
    await bus.broadcast_event(event(7))
    async with asyncio.timeout(BOUND):
        assert await receiver == event(7)


async def test_closed_subscription_receives_nothing_more() -> None:
    bus = InMemoryEventBus()
    subscription = bus.subscribe()
    await bus.broadcast_event(event(1))
    subscription.close()
    await bus.broadcast_event(event(2))
    assert [item async for item in subscription] == [event(1)]


async def test_listener_is_called_in_order_and_survives_a_failing_call() -> None:
    bus = InMemoryEventBus()
    seen: list[SchedulingBroadcastEvent] = []
    all_seen = asyncio.Event()

    async def callback(item: SchedulingBroadcastEvent) -> None:
        seen.append(item)
        if len(seen) == 3:
            all_seen.set()
        if item == event(1):
            raise RuntimeError("listener bug")

    listener = bus.listen(callback)
    await bus.broadcast_events_batch([event(1), event(2), event(3)])
    async with asyncio.timeout(BOUND):
        await all_seen.wait()
    assert seen == [event(1), event(2), event(3)]
    await listener.stop()


async def test_close_stops_listeners_and_subscriptions() -> None:
    bus = InMemoryEventBus()
    calls: list[SchedulingBroadcastEvent] = []

    async def callback(item: SchedulingBroadcastEvent) -> None:
        calls.append(item)

    bus.listen(callback)
    subscription = bus.subscribe()
    await bus.close()
    await bus.broadcast_event(event(1))
    assert [item async for item in subscription] == []
    assert calls == []


def test_queue_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="queue_size"):
        InMemoryEventBus(queue_size=0)


async def test_a_subscriber_may_ask_for_a_larger_queue_than_the_bus_default() -> None:
    bus = InMemoryEventBus(queue_size=2)
    recorder, default = bus.subscribe(queue_size=5), bus.subscribe()
    for number in range(5):
        await bus.broadcast_event(event(number))
    assert (recorder.dropped, default.dropped) == (0, 3)
    assert await drain(recorder) == [event(n) for n in range(5)]
    with pytest.raises(ValueError, match="queue_size"):
        bus.subscribe(queue_size=0)
