"""Failing steps on the wired scheduler: an unreachable agent, a placement that keeps failing.

What the coordinator decides about each failure (retry, send back, give up) is read back
from the session, kernel, agent and history rows.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from integration.scheduler.coordinator_world import agent_row, session_row
from integration.scheduler.fake_agent import (
    AGENT,
    PULL,
    add_cluster,
    assert_agent_occupancy_consistent,
    lifecycle_world,
)
from sokovan.common.clock import ManualClock
from sokovan.common.errors import DatabaseError
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ScheduleType, SchedulingResult
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.write_specs import AllocationBatch, AllocationOutcome
from sokovan.scheduler.constants import SERVICE_MAX_RETRIES
from sokovan.scheduler.provisioner.allocators.base import Allocator
from sokovan.scheduler.provisioner.allocators.repository_allocator import RepositoryAllocator
from support.factories import T0

P, K, S, R = SessionStatus, KernelStatus, ScheduleType, SchedulingResult
NOW = T0 + timedelta(hours=1)


class FlakyAllocator:
    """Commits through `inner` after the first `failures` batches failed in the database."""

    def __init__(self, inner: Allocator, failures: int) -> None:
        self._inner = inner
        self._failures = failures

    async def allocate(self, batch: AllocationBatch) -> AllocationOutcome:
        if self._failures > 0:
            self._failures -= 1
            raise DatabaseError("could not serialize access due to concurrent update")
        return await self._inner.allocate(batch)


async def test_st_002_unreachable_agent_sends_the_session_back_and_it_is_retried(
    db_engine: AsyncEngine,
) -> None:
    """CHECK_PRECONDITION declares only an expired transition, so each launcher error sends
    the session back to PENDING at once, its kernels unplaced and the agent freed; every
    attempt is counted in the history, and the session goes ahead once the agent answers."""
    tenant = await add_cluster(db_engine)
    world = lifecycle_world(db_engine, ManualClock(NOW))
    world.agent.fail_next(PULL, times=2)
    sid = await world.submit(tenant)

    for attempt in (1, 2):
        await world.run(S.SCHEDULE)
        assert await world.state(sid) == (P.SCHEDULED, [K.SCHEDULED])
        await world.run(S.CHECK_PRECONDITION)
        assert await world.state(sid) == (P.PENDING, [K.PENDING])
        session = await session_row(db_engine, sid)
        assert session.status_info == "agent unreachable during trigger_image_pulling"
        assert (await agent_row(db_engine, AGENT)).occupied_slots == ResourceSlot()
        await assert_agent_occupancy_consistent(db_engine)
        expired = [
            attempts
            for phase, result, attempts in await world.history(sid)
            if (phase, result) == ("check-precondition", R.EXPIRED)
        ]
        assert sum(expired) == attempt

    await world.run(S.SCHEDULE, S.CHECK_PRECONDITION)

    assert await world.state(sid) == (P.PREPARING, [K.PREPARING])
    assert (await world.history(sid))[-1] == ("check-precondition", R.SUCCESS, 1)
    assert world.agent.sessions_called(PULL) == [sid, sid, sid]
    await assert_agent_occupancy_consistent(db_engine)


async def test_fc_003_placement_failing_past_max_retries_is_deprioritized_and_rescheduled(
    db_engine: AsyncEngine,
) -> None:
    """The allocation transaction fails: SERVICE_MAX_RETRIES failures are retried in place
    (one merged NEED_RETRY row counting them); the next one gives up, the session is
    deprioritised back to PENDING at a lower priority, and is placed once the database
    accepts the allocation."""
    tenant = await add_cluster(db_engine)
    clock = ManualClock(NOW)
    allocator = FlakyAllocator(
        RepositoryAllocator(SchedulerRepository(db_engine, clock)), SERVICE_MAX_RETRIES + 1
    )
    world = lifecycle_world(db_engine, clock, allocator=allocator)
    sid = await world.submit(tenant)
    assert await world.hinted() == {S.SCHEDULE}

    for attempt in range(1, SERVICE_MAX_RETRIES + 1):
        clock.advance(timedelta(seconds=1))
        await world.run(S.SCHEDULE)
        assert await world.state(sid) == (P.PENDING, [K.PENDING])
        assert await world.history(sid) == [("schedule-sessions", R.NEED_RETRY, attempt)]
        assert await world.hinted() == set()  # retried in place, by the loops
    assert "could not serialize access" in (await session_row(db_engine, sid)).status_info

    await world.run(S.SCHEDULE)
    assert await world.state(sid) == (P.DEPRIORITIZING, [K.PENDING])
    assert (await world.history(sid))[-1] == ("schedule-sessions", R.GIVE_UP, 1)
    assert await world.hinted() == {S.DEPRIORITIZE}

    await world.run(S.DEPRIORITIZE)
    assert await world.state(sid) == (P.PENDING, [K.PENDING])
    assert (await session_row(db_engine, sid)).priority == 0  # 10 lowered by 10
    assert (await world.history(sid))[-1] == ("deprioritize-sessions", R.SUCCESS, 1)

    await world.run(S.SCHEDULE)
    assert await world.state(sid) == (P.SCHEDULED, [K.SCHEDULED])
    assert (await agent_row(db_engine, AGENT)).occupied_slots == ResourceSlot({"cpu": 1})
    await assert_agent_occupancy_consistent(db_engine)
