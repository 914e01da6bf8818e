"""Distributed-lock scenarios (seed 000 §6.3, DL-001…003), written once for every backend.

A backend's tests pass a `FactoryPair`: two lock factories standing for two managers (one
shared in-process factory, or two PostgreSQL engines), both built with the given acquire
timeout, and `until_waiting`, which returns once some acquirer is blocked on a held lock.
Every wait is bounded by `BOUND`, which only a failing test ever reaches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from sokovan.infra.locks.base import LockFactory, LockID

LOCK = LockID.LOCKID_SOKOVAN_TARGET_PENDING
BOUND = 10.0
LONG_LIFETIME = 60.0

FactoryPair = Callable[[float | None], tuple[LockFactory, LockFactory]]
UntilWaiting = Callable[[], Awaitable[None]]


class Holder:
    """Holds `LOCK` in a task until told to let go."""

    def __init__(self, factory: LockFactory, lifetime: float = LONG_LIFETIME) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.task = asyncio.create_task(self._hold(factory, lifetime))

    async def _hold(self, factory: LockFactory, lifetime: float) -> None:
        async with factory(LOCK, lifetime):
            self.entered.set()
            await self.release.wait()

    async def wait_entered(self) -> None:
        async with asyncio.timeout(BOUND):
            await self.entered.wait()

    async def let_go(self) -> None:
        self.release.set()
        async with asyncio.timeout(BOUND):
            await self.task


async def acquire_and_run(factory: LockFactory) -> bool:
    """Take `LOCK`, run a trivial body, release; True when the body ran."""
    ran = False
    async with asyncio.timeout(BOUND), factory(LOCK, LONG_LIFETIME):
        ran = True
    return ran


async def body_runs_under_lock(pair: FactoryPair) -> None:
    """DL-001: the first request gets the lock and its body runs; the lock is then free."""
    first, second = pair(None)
    assert await acquire_and_run(first)
    assert await acquire_and_run(second)


async def competitors_take_turns(pair: FactoryPair, until_waiting: UntilWaiting) -> None:
    """DL-002: with two concurrent requests only one is inside; the other waits its turn."""
    first, second = pair(None)
    inside: set[str] = set()
    peak = 0
    entered = {"first": asyncio.Event(), "second": asyncio.Event()}
    proceed = asyncio.Event()

    async def manager(name: str, factory: LockFactory) -> None:
        nonlocal peak
        async with factory(LOCK, LONG_LIFETIME):
            inside.add(name)
            peak = max(peak, len(inside))
            entered[name].set()
            await proceed.wait()
            inside.discard(name)

    managers = [asyncio.create_task(manager("first", first))]
    async with asyncio.timeout(BOUND):
        await entered["first"].wait()
    managers.append(asyncio.create_task(manager("second", second)))
    await until_waiting()
    assert not entered["second"].is_set()
    proceed.set()
    async with asyncio.timeout(BOUND):
        await asyncio.gather(*managers)
    assert entered["second"].is_set()
    assert peak == 1


async def waiter_gives_up_then_retries(pair: FactoryPair) -> None:
    """DL-003: a waiter gives up after the acquire timeout; the next cycle gets the lock."""
    first, second = pair(0.2)
    holder = Holder(first)
    await holder.wait_entered()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        async with second(LOCK, LONG_LIFETIME):
            pytest.fail("the lock is held; the waiter must not get in")
    assert 0.15 <= loop.time() - started < BOUND
    await holder.let_go()
    assert await acquire_and_run(second)


async def overdue_holder_is_overtaken(pair: FactoryPair) -> None:
    """A holder past its lifetime no longer excludes others; its late exit raises nothing."""
    first, second = pair(None)
    holder = Holder(first, lifetime=0.3)
    await holder.wait_entered()
    assert await acquire_and_run(second)
    await holder.let_go()


async def released_after_error(pair: FactoryPair) -> None:
    first, second = pair(5.0)
    with pytest.raises(RuntimeError, match="step failed"):
        async with first(LOCK, LONG_LIFETIME):
            raise RuntimeError("step failed")
    assert await acquire_and_run(second)


async def released_after_cancellation(pair: FactoryPair) -> None:
    first, second = pair(5.0)
    holder = Holder(first)
    await holder.wait_entered()
    holder.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await holder.task
    assert await acquire_and_run(second)


async def cancelled_waiter_leaves_nothing_held(
    pair: FactoryPair, until_waiting: UntilWaiting
) -> None:
    first, second = pair(None)
    holder = Holder(first)
    await holder.wait_entered()
    waiter = asyncio.create_task(acquire_and_run(second))
    await until_waiting()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await holder.let_go()
    assert await acquire_and_run(second)
    assert await acquire_and_run(first)
