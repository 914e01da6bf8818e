"""Kernel events applied by the KernelStateEngine to real kernel rows, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from integration.scheduler.coordinator_world import agent_row, kernel_rows, session_row, set_kernel
from sokovan.agent.protocol import KernelEventKind
from sokovan.common.clock import ManualClock
from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.agent import AgentRepository
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.scheduler.kernel.events import AgentKernelEvent
from sokovan.scheduler.kernel.state_engine import KernelStateEngine
from support.factories import (
    T0,
    KernelSpec,
    Tenant,
    add_agent,
    add_scaling_group,
    add_session,
    add_tenant,
)
from unit.sokovan.scheduler.kernel.kernel_rows_fake import RecordingHints

S = KernelStatus
K = KernelEventKind
CPU2 = {"cpu": 2, "mem": 2**30}
CURRENT = {AgentId("a1"): "i-a1", AgentId("a2"): "i-a2"}


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1", available={"cpu": 16, "mem": 2**36})
    await add_agent(db_engine, "a2", available={"cpu": 16, "mem": 2**36})
    return await add_tenant(db_engine)


@pytest.fixture
def hints() -> RecordingHints:
    return RecordingHints()


@pytest.fixture
def engine(db_engine: AsyncEngine, hints: RecordingHints) -> KernelStateEngine:
    return KernelStateEngine(SchedulerRepository(db_engine, ManualClock(T0)), hints)


def kernel_event(
    kind: KernelEventKind,
    kernel_id: KernelId,
    *,
    instance_id: str = "i-a1",
    **fields: object,
) -> AgentKernelEvent:
    return AgentKernelEvent(
        kind=kind,
        agent_id=AgentId("a1"),
        instance_id=instance_id,
        occurred_at=T0,
        kernel_id=kernel_id,
        **fields,  # type: ignore[arg-type]
    )


def image_event(kind: KernelEventKind, *, agent: str = "a1", **fields: object) -> AgentKernelEvent:
    return AgentKernelEvent(
        kind=kind,
        agent_id=AgentId(agent),
        instance_id=f"i-{agent}",
        occurred_at=T0,
        image="python:3.11",
        **fields,  # type: ignore[arg-type]
    )


async def statuses(db_engine: AsyncEngine, session_id: SessionId) -> list[KernelStatus]:
    return [row.status for row in await kernel_rows(db_engine, session_id)]


async def test_pull_finished_prepares_the_agents_kernels_waiting_for_the_image(
    db_engine: AsyncEngine, tenant: Tenant, engine: KernelStateEngine, hints: RecordingHints
) -> None:
    session_id, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.PREPARING,
        kernels=[
            KernelSpec(slots=CPU2, agent_id="a1", status=S.PULLING),
            KernelSpec(slots=CPU2, agent_id="a1", status=S.SCHEDULED),
            KernelSpec(slots=CPU2, agent_id="a1", status=S.PULLING, image="other:1"),
            KernelSpec(slots=CPU2, agent_id="a2", status=S.PULLING),
        ],
    )

    result = await engine.apply_events([image_event(K.IMAGE_PULL_FINISHED)], CURRENT)

    assert len(result.moved_kernels) == 2
    assert await statuses(db_engine, session_id) == [S.PREPARED, S.PREPARED, S.PULLING, S.PULLING]
    rows = await kernel_rows(db_engine, session_id)
    assert rows[0].status_info == "image-ready"
    assert rows[0].occupied_slots == ResourceSlot(CPU2)
    assert hints.marked == [ScheduleType.CHECK_PULLING_PROGRESS]


async def test_started_records_the_container_and_a_late_creating_changes_nothing(
    db_engine: AsyncEngine, tenant: Tenant, engine: KernelStateEngine
) -> None:
    session_id, (kernel_id,) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.CREATING,
        kernels=[KernelSpec(slots=CPU2, agent_id="a1", status=S.CREATING)],
    )

    await engine.apply_events(
        [kernel_event(K.KERNEL_STARTED, kernel_id, container_id="pid-4242")], CURRENT
    )
    late = await engine.apply_events([kernel_event(K.KERNEL_CREATING, kernel_id)], CURRENT)

    (row,) = await kernel_rows(db_engine, session_id)
    assert (row.status, row.container_id) == (S.RUNNING, "pid-4242")
    assert late.unchanged == 1


async def test_terminated_frees_the_kernels_slots_on_its_agent(
    db_engine: AsyncEngine, tenant: Tenant, engine: KernelStateEngine, hints: RecordingHints
) -> None:
    session_id, (first, second) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[
            KernelSpec(slots=CPU2, agent_id="a1", status=S.RUNNING, container_id="c1"),
            KernelSpec(slots=CPU2, agent_id="a1", status=S.RUNNING, container_id="c2"),
        ],
    )
    await AgentRepository(db_engine).recalculate_usage()
    assert (await agent_row(db_engine, "a1")).occupied_slots == ResourceSlot(
        {"cpu": 4, "mem": 2**31}
    )

    event = kernel_event(K.KERNEL_TERMINATED, first, exit_code=137, reason="oom-killed")
    await engine.apply_events([event], CURRENT)

    rows = await kernel_rows(db_engine, session_id)
    assert (rows[0].status, rows[0].exit_code, rows[0].status_info) == (
        S.TERMINATED,
        137,
        "oom-killed",
    )
    assert rows[0].terminated_at == T0
    assert rows[0].occupied_slots == ResourceSlot()
    agent = await agent_row(db_engine, "a1")
    assert agent.occupied_slots == ResourceSlot(CPU2)
    assert agent.container_count == 1
    assert (await session_row(db_engine, session_id)).occupying_slots == ResourceSlot(CPU2)
    assert set(hints.marked) == {
        ScheduleType.CHECK_TERMINATING_PROGRESS,
        ScheduleType.DETECT_KERNEL_TERMINATION,
    }
    assert rows[1].status is S.RUNNING
    assert second == rows[1].id


async def test_events_of_an_old_incarnation_leave_the_rows_alone(
    db_engine: AsyncEngine, tenant: Tenant, engine: KernelStateEngine
) -> None:
    session_id, (kernel_id,) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(slots=CPU2, agent_id="a1", status=S.RUNNING)],
    )

    old = kernel_event(K.KERNEL_TERMINATED, kernel_id, instance_id="i-a1-before-restart")
    result = await engine.apply_events([old], CURRENT)

    assert result.ignored == 1
    assert await statuses(db_engine, session_id) == [S.RUNNING]


async def test_an_event_from_the_agent_a_kernel_left_is_ignored(
    db_engine: AsyncEngine, tenant: Tenant, engine: KernelStateEngine
) -> None:
    session_id, (kernel_id,) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.CREATING,
        kernels=[KernelSpec(slots=CPU2, agent_id="a1", status=S.CREATING)],
    )
    # Rescheduled meanwhile: the kernel now belongs to a2.
    await set_kernel(db_engine, kernel_id, agent_id="a2", status=S.SCHEDULED)

    result = await engine.apply_events([kernel_event(K.KERNEL_STARTED, kernel_id)], CURRENT)

    assert result.ignored == 1
    assert await statuses(db_engine, session_id) == [S.SCHEDULED]


async def test_a_failed_pull_terminates_only_the_kernels_waiting_for_that_image(
    db_engine: AsyncEngine, tenant: Tenant, engine: KernelStateEngine
) -> None:
    waiting_id, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.PULLING,
        kernels=[KernelSpec(slots=CPU2, agent_id="a1", status=S.PULLING)],
    )
    running_id, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(slots=CPU2, agent_id="a1", status=S.RUNNING)],
    )

    await engine.apply_events(
        [image_event(K.IMAGE_PULL_FAILED, reason="requirement torch==99 not found")], CURRENT
    )

    (waiting,) = await kernel_rows(db_engine, waiting_id)
    assert waiting.status is S.TERMINATED
    assert waiting.status_info == "image-pull-failed: requirement torch==99 not found"
    assert await statuses(db_engine, running_id) == [S.RUNNING]


@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "reversed"])
async def test_events_in_any_order_end_in_the_same_rows(
    db_engine: AsyncEngine, tenant: Tenant, engine: KernelStateEngine, reverse: bool
) -> None:
    session_id, (kernel_id,) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.PREPARING,
        kernels=[KernelSpec(slots=CPU2, agent_id="a1", status=S.PREPARING)],
    )
    events = [
        image_event(K.IMAGE_PULL_STARTED),
        image_event(K.IMAGE_PULL_FINISHED),
        kernel_event(K.KERNEL_CREATING, kernel_id),
        kernel_event(K.KERNEL_STARTED, kernel_id, container_id="pid-9"),
    ]

    for event in reversed(events) if reverse else events:
        await engine.apply_events([event], CURRENT)

    (row,) = await kernel_rows(db_engine, session_id)
    assert (row.status, row.container_id) == (S.RUNNING, "pid-9")
    assert row.occupied_slots == ResourceSlot(CPU2)
