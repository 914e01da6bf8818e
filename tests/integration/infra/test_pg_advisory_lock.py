"""PostgresAdvisoryLockFactory on a real server: two engines stand for two managers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.db.engine import create_engine
from sokovan.infra.locks.base import LockFactory
from sokovan.infra.locks.postgres import PostgresAdvisoryLockFactory
from unit.sokovan.infra import lock_scenarios as scenario
from unit.sokovan.infra.lock_scenarios import BOUND, Holder, acquire_and_run

pytestmark = pytest.mark.postgres

Pair = Callable[[float | None], tuple[LockFactory, LockFactory]]


@pytest.fixture
async def engines(pg_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    first, second = create_engine(pg_url), create_engine(pg_url)
    try:
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()


@pytest.fixture
def pair(engines: tuple[AsyncEngine, AsyncEngine]) -> Pair:
    def build(acquire_timeout: float | None) -> tuple[LockFactory, LockFactory]:
        first, second = engines
        return (
            PostgresAdvisoryLockFactory(first, acquire_timeout=acquire_timeout),
            PostgresAdvisoryLockFactory(second, acquire_timeout=acquire_timeout),
        )

    return build


@pytest.fixture
def until_waiting(engines: tuple[AsyncEngine, AsyncEngine]) -> scenario.UntilWaiting:
    """Returns once the server shows an advisory lock request that is not granted."""

    async def wait() -> None:
        waiting = sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
        async with asyncio.timeout(BOUND), engines[0].connect() as conn:
            while True:
                if await conn.scalar(waiting):
                    return
                await asyncio.sleep(0.01)  # the server offers no notification for this

    return wait


async def test_dl_001_pg_lock_acquired_runs_the_body(pair: Pair) -> None:
    await scenario.body_runs_under_lock(pair)


async def test_dl_002_pg_lock_two_managers_run_one_at_a_time(
    pair: Pair, until_waiting: scenario.UntilWaiting
) -> None:
    await scenario.competitors_take_turns(pair, until_waiting)


async def test_dl_003_pg_lock_waiter_times_out_and_next_cycle_acquires(pair: Pair) -> None:
    await scenario.waiter_gives_up_then_retries(pair)


async def test_pg_lock_lifetime_enforced_by_the_server(pair: Pair) -> None:
    await scenario.overdue_holder_is_overtaken(pair)


async def test_pg_lock_released_after_error(pair: Pair) -> None:
    await scenario.released_after_error(pair)


async def test_pg_lock_released_after_cancellation(pair: Pair) -> None:
    await scenario.released_after_cancellation(pair)


async def test_pg_lock_cancelled_waiter_leaves_nothing_held(
    pair: Pair, until_waiting: scenario.UntilWaiting
) -> None:
    await scenario.cancelled_waiter_leaves_nothing_held(pair, until_waiting)


async def test_pg_lock_settings_do_not_leak_into_pooled_connections(
    pair: Pair, engines: tuple[AsyncEngine, AsyncEngine]
) -> None:
    first, _ = pair(0.5)
    holder = Holder(first, lifetime=30.0)
    await holder.wait_entered()
    await holder.let_go()
    # The engine has opened one connection so far: this checkout is the one the lock used.
    async with engines[0].connect() as conn:
        assert await conn.scalar(sa.text("SHOW lock_timeout")) == "0"
        assert await conn.scalar(sa.text("SHOW idle_in_transaction_session_timeout")) == "0"
        held = await conn.scalar(
            sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        )
    assert held == 0
    assert await acquire_and_run(first)
