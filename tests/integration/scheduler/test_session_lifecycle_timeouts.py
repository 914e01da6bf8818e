"""Time limits on the wired scheduler: stuck preparation, pending timeout, force termination.

The clock is a ManualClock; every limit is checked at its boundary (still waiting) and one
second past it (acted on), and each session is followed until it has ended.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from integration.scheduler.coordinator_world import agent_row, kernel_rows, session_row
from integration.scheduler.fake_agent import (
    AGENT,
    TERMINATE,
    LifecycleWorld,
    add_cluster,
    assert_agent_occupancy_consistent,
    lifecycle_world,
)
from sokovan.common.clock import ManualClock
from sokovan.common.ids import SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ScheduleType, SchedulingResult
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.config import ManagerConfig
from sokovan.scheduling_controller import KernelCreationSpec
from support.factories import T0

P, K, S, R = SessionStatus, KernelStatus, ScheduleType, SchedulingResult
NOW = T0 + timedelta(hours=1)
SECOND = timedelta(seconds=1)
PULL_TIMEOUT = timedelta(seconds=900)
GRACE = timedelta(seconds=120)


async def agent_occupancy(world: LifecycleWorld) -> ResourceSlot:
    slots: ResourceSlot = (await agent_row(world.engine, AGENT)).occupied_slots
    return slots


async def wait_out(world: LifecycleWorld, limit: timedelta, schedule_type: ScheduleType) -> None:
    """Run `schedule_type` exactly at `limit` from now, where nothing may happen yet, then
    advance one more second (past the limit) and run it again."""
    clock = world.clock
    assert isinstance(clock, ManualClock)
    clock.advance(limit)
    before = await world.scheduling_state()
    await world.run(schedule_type)
    assert await world.scheduling_state() == before
    clock.advance(SECOND)
    await world.run(schedule_type)


async def terminate_with_agent(world: LifecycleWorld, sid: SessionId) -> None:
    """The termination of a TERMINATING session when its agent does answer."""
    assert await world.hinted() >= {S.TERMINATE, S.CHECK_TERMINATING_PROGRESS}
    await world.run(S.TERMINATE)
    await world.agent.report_terminated(sid)
    await world.run(S.CHECK_TERMINATING_PROGRESS)
    assert await world.state(sid) == (P.TERMINATED, [K.TERMINATED])
    assert await agent_occupancy(world) == ResourceSlot()
    await assert_agent_occupancy_consistent(world.engine)


async def test_sw_001_session_stuck_preparing_is_terminated(db_engine: AsyncEngine) -> None:
    tenant = await add_cluster(db_engine)
    world = lifecycle_world(db_engine, ManualClock(NOW))
    sid = await world.submit(tenant)
    await world.run(S.SCHEDULE, S.CHECK_PRECONDITION)  # the agent never reports the image

    await wait_out(world, PULL_TIMEOUT, S.CHECK_PULLING_PROGRESS)

    assert await world.state(sid) == (P.TERMINATING, [K.TERMINATING])
    assert (await session_row(db_engine, sid)).status_info == "PREPARING_TIMEOUT_EXCEEDED"
    assert (await world.history(sid))[-1] == ("promote-to-prepared", R.EXPIRED, 1)
    assert await agent_occupancy(world) == ResourceSlot({"cpu": 1})
    await terminate_with_agent(world, sid)


async def test_sw_002_session_stuck_pulling_is_terminated(db_engine: AsyncEngine) -> None:
    tenant = await add_cluster(db_engine)
    world = lifecycle_world(db_engine, ManualClock(NOW))
    sid = await world.submit(tenant)
    await world.run(S.SCHEDULE, S.CHECK_PRECONDITION)
    await world.agent.report_pull_started(sid)  # and never finishes
    assert await world.state(sid) == (P.PULLING, [K.PULLING])

    await wait_out(world, PULL_TIMEOUT, S.CHECK_PULLING_PROGRESS)

    assert await world.state(sid) == (P.TERMINATING, [K.TERMINATING])
    assert (await session_row(db_engine, sid)).status_info == "PULLING_TIMEOUT_EXCEEDED"
    assert (await world.history(sid))[-1] == ("promote-to-prepared", R.EXPIRED, 1)
    await terminate_with_agent(world, sid)


async def test_pending_timeout_terminates_the_session_which_ends_terminated(
    db_engine: AsyncEngine,
) -> None:
    """A session that never fits waits past its scaling group's pending_timeout: the sweeper
    makes it TERMINATING, the terminator finishes its never-placed kernels at once (TS-003),
    and promote-to-terminated ends it TERMINATED (not CANCELLED), keeping the sweeper's
    reason. It held nothing at any time."""
    tenant = await add_cluster(db_engine, pending_timeout=60.0)
    world = lifecycle_world(db_engine, ManualClock(NOW))
    too_big = KernelCreationSpec(image="python:3.11", resources={"cpu": "16"})
    sid = await world.submit(tenant, too_big)
    await world.run(S.SCHEDULE)
    assert await world.state(sid) == (P.PENDING, [K.PENDING])
    assert await world.hinted() == {S.SCHEDULE}  # the submission's

    await wait_out(world, timedelta(seconds=60), S.SWEEP)  # counted from submission
    assert await world.state(sid) == (P.TERMINATING, [K.TERMINATING])
    assert (await session_row(db_engine, sid)).status_info == "PENDING_TIMEOUT_EXCEEDED"
    assert (await world.history(sid))[-1] == ("sweep-sessions", R.EXPIRED, 1)
    assert await world.hinted() == {S.TERMINATE, S.CHECK_TERMINATING_PROGRESS}

    await world.run(S.TERMINATE, S.CHECK_TERMINATING_PROGRESS)

    assert world.agent.sessions_called(TERMINATE) == [sid]
    assert await world.state(sid) == (P.TERMINATED, [K.TERMINATED])
    (kernel,) = await kernel_rows(db_engine, sid)
    assert kernel.status_info == "PENDING_TIMEOUT_EXCEEDED"
    assert (await session_row(db_engine, sid)).status_info == "PENDING_TIMEOUT_EXCEEDED"
    assert (await world.history(sid))[-1] == ("promote-to-terminated", R.SUCCESS, 1)
    assert await agent_occupancy(world) == ResourceSlot()
    await assert_agent_occupancy_consistent(db_engine)


async def test_ts_002_silent_agent_kernels_are_forced_terminated_after_the_grace_period(
    db_engine: AsyncEngine,
) -> None:
    """The agent takes the destroy request and never reports: past the configured grace
    period the session and its kernels are forced to TERMINATED and the agent is freed."""
    tenant = await add_cluster(db_engine)
    config = ManagerConfig(terminating_grace_period=GRACE.total_seconds())
    world = lifecycle_world(db_engine, ManualClock(NOW), config=config)
    sid = await world.run_to_running(tenant)
    await world.components.controller.mark_sessions_for_termination([sid])
    await world.run(S.TERMINATE, S.CHECK_TERMINATING_PROGRESS)
    assert world.agent.sessions_called(TERMINATE) == [sid]

    await wait_out(world, GRACE, S.CHECK_TERMINATING_PROGRESS)

    assert await world.state(sid) == (P.TERMINATED, [K.TERMINATED])
    assert (await session_row(db_engine, sid)).status_info == "TERMINATING_TIMEOUT_EXCEEDED"
    (kernel,) = await kernel_rows(db_engine, sid)
    assert kernel.status_info == "TERMINATING_TIMEOUT_EXCEEDED"
    assert (await world.history(sid))[-1] == ("promote-to-terminated", R.EXPIRED, 1)
    assert await agent_occupancy(world) == ResourceSlot()
    assert S.SCHEDULE in await world.hinted()  # the freed capacity is offered at once
    await assert_agent_occupancy_consistent(db_engine)


async def test_ts_002_unreachable_agent_termination_failures_expire_after_the_grace_period(
    db_engine: AsyncEngine,
) -> None:
    """The destroy request itself fails: within the grace period it is retried, past it the
    failure counts as expired and forces the session and its kernels to TERMINATED."""
    tenant = await add_cluster(db_engine)
    config = ManagerConfig(terminating_grace_period=GRACE.total_seconds())
    world = lifecycle_world(db_engine, ManualClock(NOW), config=config)
    sid = await world.run_to_running(tenant)
    world.agent.fail_next(TERMINATE, times=3)
    await world.components.controller.mark_sessions_for_termination([sid])

    await world.run(S.TERMINATE)
    assert await world.state(sid) == (P.TERMINATING, [K.TERMINATING])
    assert (await world.history(sid))[-1] == ("terminate-sessions", R.NEED_RETRY, 1)
    assert isinstance(world.clock, ManualClock)
    world.clock.advance(GRACE + SECOND)
    await world.run(S.TERMINATE)

    assert await world.state(sid) == (P.TERMINATED, [K.TERMINATED])
    reason = "agent unreachable during terminate_sessions_for_handler"
    assert (await session_row(db_engine, sid)).status_info == reason
    assert (await world.history(sid))[-1] == ("terminate-sessions", R.EXPIRED, 1)
    assert await agent_occupancy(world) == ResourceSlot()
    await assert_agent_occupancy_consistent(db_engine)
