"""mark_sessions_for_termination on both backends: cancel, terminate, or leave alone."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from integration.repositories.scheduler.test_update_with_history import (
    assert_occupancy_consistent,
    history_rows,
    kernel_rows,
    session_row,
    settle_agents,
)
from integration.scheduling_controller.controller_setup import NOW, Harness, harness, spec_for
from sokovan.common.ids import SessionId
from sokovan.common.scheduling import ScheduleType, SchedulingResult
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.scheduler.write_termination_marks import TERMINATION_REQUEST_PHASE
from support.factories import (
    KernelSpec,
    Tenant,
    add_agent,
    add_image,
    add_scaling_group,
    add_session,
    add_tenant,
)

ON_A1 = KernelSpec(agent_id="a1", slots={"cpu": 2, "mem": 2**30})


@pytest.fixture
async def world(db_engine: AsyncEngine) -> tuple[Harness, Tenant]:
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine, "default")
    await add_agent(db_engine, "a1")
    return harness(db_engine), tenant


@pytest.mark.parametrize("status", [SessionStatus.PENDING, SessionStatus.DEPRIORITIZING])
async def test_sessions_that_never_started_are_cancelled_at_once(
    world: tuple[Harness, Tenant], status: SessionStatus
) -> None:
    h, tenant = world
    session_id, _ = await add_session(
        h.engine,
        tenant,
        status=status,
        kernel_status=KernelStatus.PENDING,
        kernels=(KernelSpec(), KernelSpec()),
    )
    await h.controller.mark_sessions_for_termination([session_id])

    session = await session_row(h.engine, session_id)
    assert (session.status, session.status_info) == (SessionStatus.CANCELLED, "user-requested")
    assert (session.status_changed, session.terminated_at) == (NOW, NOW)
    for kernel in await kernel_rows(h.engine, session_id):
        assert (kernel.status, kernel.status_info) == (KernelStatus.CANCELLED, "user-requested")
        assert kernel.terminated_at == NOW
    [history] = await history_rows(h.engine, session_id)
    assert (history.phase, history.result) == (TERMINATION_REQUEST_PHASE, SchedulingResult.SUCCESS)
    assert (history.from_status, history.to_status) == (status, SessionStatus.CANCELLED)
    assert history.message == "user-requested"
    assert await h.marked() == {ScheduleType.SCHEDULE}


@pytest.mark.parametrize(
    "status", [SessionStatus.SCHEDULED, SessionStatus.PREPARING, SessionStatus.RUNNING]
)
async def test_live_sessions_go_terminating_with_their_unfinished_kernels(
    world: tuple[Harness, Tenant], status: SessionStatus
) -> None:
    h, tenant = world
    finished = KernelSpec(agent_id="a1", status=KernelStatus.TERMINATED)
    session_id, kernel_ids = await add_session(
        h.engine, tenant, status=status, kernels=(ON_A1, finished)
    )
    await settle_agents(h.engine)

    await h.controller.mark_sessions_for_termination([session_id], reason="route-scaled-in")

    session = await session_row(h.engine, session_id)
    assert (session.status, session.status_info) == (SessionStatus.TERMINATING, "route-scaled-in")
    assert session.terminated_at is None
    live, done = await kernel_rows(h.engine, session_id)
    assert (live.id, live.status, live.terminated_at) == (
        kernel_ids[0],
        KernelStatus.TERMINATING,
        None,
    )
    assert (done.status, done.status_info) == (KernelStatus.TERMINATED, None)
    # TERMINATING still holds the agent's resources until the agent confirms the kernel is gone.
    assert not live.occupied_slots.is_zero()
    await assert_occupancy_consistent(h.engine)
    [history] = await history_rows(h.engine, session_id)
    assert (history.from_status, history.to_status) == (status, SessionStatus.TERMINATING)
    assert await h.marked() == {ScheduleType.TERMINATE, ScheduleType.CHECK_TERMINATING_PROGRESS}


@pytest.mark.parametrize(
    "status",
    [
        SessionStatus.TERMINATING,
        SessionStatus.TERMINATED,
        SessionStatus.CANCELLED,
        SessionStatus.ERROR,
    ],
)
async def test_terminating_and_ended_sessions_are_left_alone(
    world: tuple[Harness, Tenant], status: SessionStatus
) -> None:
    h, tenant = world
    session_id, _ = await add_session(h.engine, tenant, status=status, status_info="earlier reason")
    before = (await session_row(h.engine, session_id), await kernel_rows(h.engine, session_id))

    await h.controller.mark_sessions_for_termination([session_id, SessionId(uuid.uuid4())])

    after = (await session_row(h.engine, session_id), await kernel_rows(h.engine, session_id))
    assert after == before
    assert await history_rows(h.engine, session_id) == []
    assert await h.marked() == set()


async def test_one_request_handles_a_mix_in_one_transaction_and_repeats_harmlessly(
    world: tuple[Harness, Tenant],
) -> None:
    h, tenant = world
    pending, _ = await add_session(h.engine, tenant, status=SessionStatus.PENDING)
    running, _ = await add_session(h.engine, tenant, status=SessionStatus.RUNNING, kernels=(ON_A1,))
    ended, _ = await add_session(h.engine, tenant, status=SessionStatus.TERMINATED)
    await settle_agents(h.engine)

    result = await h.repository.mark_sessions_for_termination([ended, running, pending], "bye")
    assert (result.cancelled, result.terminating, result.untouched) == (
        (pending,),
        (running,),
        (ended,),
    )
    again = await h.repository.mark_sessions_for_termination([pending, running, ended], "bye")
    assert again.untouched == (pending, running, ended)
    assert [len(await history_rows(h.engine, s)) for s in (pending, running, ended)] == [1, 1, 0]
    await assert_occupancy_consistent(h.engine)


async def test_cancelling_refreshes_the_cached_keypair_occupancy(
    world: tuple[Harness, Tenant],
) -> None:
    h, tenant = world
    pending, _ = await add_session(h.engine, tenant, status=SessionStatus.PENDING)
    cached = await h.repository.get_keypair_occupancy([tenant.access_key])
    assert cached[tenant.access_key].pending_sessions == 1
    await h.controller.mark_sessions_for_termination([pending])
    fresh = await h.repository.get_keypair_occupancy([tenant.access_key])
    assert fresh[tenant.access_key].pending_sessions == 0


async def test_a_submitted_session_can_be_cancelled(world: tuple[Harness, Tenant]) -> None:
    h, tenant = world
    await add_image(h.engine, "python:3.11")
    session_id = await h.controller.enqueue_session(spec_for(tenant))
    await h.controller.mark_sessions_for_termination([session_id])
    assert (await session_row(h.engine, session_id)).status is SessionStatus.CANCELLED
    assert {k.status for k in await kernel_rows(h.engine, session_id)} == {KernelStatus.CANCELLED}
