"""A session's whole life on the wired scheduler: the happy path, lost hints, dead kernels.

Each scenario runs `build_scheduler`'s coordinator step by step, in the order the hints ask
for, against a real database and a fake agent that reports only when told to. Statuses,
history and agent occupancy are read back from the rows after every step.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from integration.scheduler.coordinator_world import agent_row, kernel_rows, session_row
from integration.scheduler.fake_agent import (
    AGENT,
    PULL,
    START,
    TERMINATE,
    LifecycleWorld,
    add_cluster,
    assert_agent_occupancy_consistent,
    lifecycle_world,
)
from sokovan.common.clock import ManualClock
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ScheduleType, SchedulingResult
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.events.memory import InMemoryEventBus
from sokovan.scheduling_controller import KernelCreationSpec
from support.factories import T0, Tenant

P, K, S = SessionStatus, KernelStatus, ScheduleType
OK = SchedulingResult.SUCCESS
ONE_CPU = ResourceSlot({"cpu": 1})
STEP = timedelta(seconds=1)


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    return await add_cluster(db_engine)


@pytest.fixture
def world(db_engine: AsyncEngine, tenant: Tenant) -> LifecycleWorld:
    return lifecycle_world(db_engine, ManualClock(T0 + timedelta(hours=1)))


async def occupied(world: LifecycleWorld) -> ResourceSlot:
    occupied_slots: ResourceSlot = (await agent_row(world.engine, AGENT)).occupied_slots
    return occupied_slots


async def step(world: LifecycleWorld, *schedule_types: ScheduleType) -> None:
    """Let a second pass, then run `schedule_types` in order."""
    assert isinstance(world.clock, ManualClock)
    world.clock.advance(STEP)
    await world.run(*schedule_types)


async def test_every_schedule_type_has_a_step(world: LifecycleWorld) -> None:
    for schedule_type in ScheduleType:
        assert await world.components.coordinator.process_lifecycle_schedule(schedule_type)


async def test_session_runs_and_terminates_following_the_hints(
    world: LifecycleWorld, tenant: Tenant
) -> None:
    bus = world.components.event_bus
    assert isinstance(bus, InMemoryEventBus)
    events = bus.subscribe()
    sid = await world.submit(tenant)
    assert await world.state(sid) == (P.PENDING, [K.PENDING])
    assert await world.hinted() == {S.SCHEDULE}

    await step(world, S.SCHEDULE)
    assert await world.state(sid) == (P.SCHEDULED, [K.SCHEDULED])
    assert await occupied(world) == ONE_CPU
    assert await world.hinted() == {S.CHECK_PRECONDITION}

    await step(world, S.CHECK_PRECONDITION)
    assert await world.state(sid) == (P.PREPARING, [K.PREPARING])
    assert world.agent.sessions_called(PULL) == [sid]
    assert (await world.history(sid))[-1] == ("check-precondition", OK, 1)
    assert await world.hinted() == {S.CHECK_PULLING_PROGRESS}

    await step(world, S.CHECK_PULLING_PROGRESS)  # the image is not there yet
    assert await world.state(sid) == (P.PREPARING, [K.PREPARING])
    await world.agent.report_prepared(sid)
    assert await world.hinted() == {S.CHECK_PULLING_PROGRESS}
    await step(world, S.CHECK_PULLING_PROGRESS)
    assert await world.state(sid) == (P.PREPARED, [K.PREPARED])
    assert (await world.history(sid))[-1] == ("promote-to-prepared", OK, 1)
    assert await world.hinted() == {S.START}

    await step(world, S.START)
    assert await world.state(sid) == (P.CREATING, [K.CREATING])
    assert world.agent.sessions_called(START) == [sid]
    assert (await world.history(sid))[-1] == ("start-sessions", OK, 1)
    assert await world.hinted() == {S.CHECK_CREATING_PROGRESS}

    await step(world, S.CHECK_CREATING_PROGRESS)  # nothing started yet
    assert await world.state(sid) == (P.CREATING, [K.CREATING])
    await world.agent.report_running(sid)
    await step(world, *await world.hinted())
    assert await world.state(sid) == (P.RUNNING, [K.RUNNING])
    assert (await session_row(world.engine, sid)).occupying_slots == ONE_CPU
    assert all(k.container_id for k in await kernel_rows(world.engine, sid))
    assert (await world.history(sid))[-1] == ("promote-to-running", OK, 1)
    assert await occupied(world) == ONE_CPU
    assert await world.hinted() == set()

    await world.components.controller.mark_sessions_for_termination([sid])
    assert await world.state(sid) == (P.TERMINATING, [K.TERMINATING])
    assert (await world.history(sid))[-1] == ("request-termination", OK, 1)
    assert await world.hinted() == {S.TERMINATE, S.CHECK_TERMINATING_PROGRESS}
    await step(world, S.TERMINATE, S.CHECK_TERMINATING_PROGRESS)
    assert world.agent.sessions_called(TERMINATE) == [sid]
    assert await world.state(sid) == (P.TERMINATING, [K.TERMINATING])
    assert await occupied(world) == ONE_CPU  # held until the agent says the kernel is gone

    await world.agent.report_terminated(sid)
    assert await occupied(world) == ResourceSlot()
    await step(world, *sorted(await world.hinted()))
    assert await world.state(sid) == (P.TERMINATED, [K.TERMINATED])
    final = await session_row(world.engine, sid)
    assert (final.status_info, final.terminated_at) == ("user-requested", world.clock.now())
    assert [phase for phase, _, _ in await world.history(sid)][-2:] == [
        "request-termination",
        "promote-to-terminated",
    ]
    assert await world.hinted() == {S.SCHEDULE}  # capacity was freed
    await bus.close()
    assert [e.status_transition async for e in events] == [
        "SCHEDULED",
        "PREPARING",
        "PREPARED",
        "CREATING",
        "RUNNING",
        "TERMINATED",
    ]
    await assert_agent_occupancy_consistent(world.engine)


async def test_placement_is_recorded_in_the_history(world: LifecycleWorld, tenant: Tenant) -> None:
    sid = await world.submit(tenant)

    await step(world, S.SCHEDULE)

    assert await world.history(sid) == [("schedule-sessions", OK, 1)]
    assert (await session_row(world.engine, sid)).status_info == "scheduled"


async def test_lost_hint_is_covered_by_the_next_periodic_run(
    world: LifecycleWorld, tenant: Tenant
) -> None:
    """The kernels run, but the hint of that event is lost: the short loop has nothing to
    wake on, and the session is promoted by the long loop's next run of the promotion."""
    sid = await world.submit(tenant)
    await step(world, S.SCHEDULE, S.CHECK_PRECONDITION)
    await world.agent.report_prepared(sid)
    await step(world, S.CHECK_PULLING_PROGRESS, S.START, S.CHECK_CREATING_PROGRESS)
    await world.hinted()

    await world.agent.report_running(sid)
    hints = world.components.valkey_schedule
    assert await hints.load_and_delete_schedule_mark(S.CHECK_CREATING_PROGRESS)  # lost
    assert not await hints.wait_for_schedule_mark(S.CHECK_CREATING_PROGRESS, 0.01)
    await step(world, S.SCHEDULE, S.CHECK_PULLING_PROGRESS, S.START)
    assert await world.state(sid) == (P.CREATING, [K.RUNNING])

    await step(world, S.CHECK_CREATING_PROGRESS)  # the long loop's periodic run

    assert await world.state(sid) == (P.RUNNING, [K.RUNNING])
    assert (await world.history(sid))[-1] == ("promote-to-running", OK, 1)
    await assert_agent_occupancy_consistent(world.engine)


async def test_cancelled_kernel_ends_the_session_without_getting_stuck(
    world: LifecycleWorld, tenant: Tenant
) -> None:
    """One kernel of a two-kernel session starts, the other's creation is cancelled: the
    session is never promoted, detect-termination ends it, and promote-to-terminated counts
    the CANCELLED kernel as finished once the running one has terminated."""
    kernel = KernelCreationSpec(image="python:3.11", resources={"cpu": "1"})
    sid = await world.submit(tenant, kernel, kernel)
    await step(world, S.SCHEDULE, S.CHECK_PRECONDITION)
    await world.agent.report_prepared(sid)
    await step(world, S.CHECK_PULLING_PROGRESS, S.START)
    main, sub = world.agent.known[sid]
    await world.hinted()

    await world.agent.report_kernel_running(main)
    await world.agent.report_kernel_cancelled(sub)
    assert await occupied(world) == ONE_CPU  # the cancelled kernel freed its share
    await step(world, S.CHECK_CREATING_PROGRESS, S.DETECT_KERNEL_TERMINATION)
    assert await world.state(sid) == (P.TERMINATING, [K.TERMINATING, K.CANCELLED])
    assert (await session_row(world.engine, sid)).status_info == "ABNORMAL_TERMINATION"
    assert (await world.history(sid))[-1] == ("detect-termination", OK, 1)

    await step(world, *sorted(await world.hinted()))
    assert world.agent.sessions_called(TERMINATE) == [sid]
    await world.agent.report_terminated(sid)
    await step(world, S.CHECK_TERMINATING_PROGRESS)

    assert await world.state(sid) == (P.TERMINATED, [K.TERMINATED, K.CANCELLED])
    assert (await world.history(sid))[-1] == ("promote-to-terminated", OK, 1)
    assert await occupied(world) == ResourceSlot()
    await assert_agent_occupancy_consistent(world.engine)
