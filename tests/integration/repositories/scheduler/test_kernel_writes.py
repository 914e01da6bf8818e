"""Kernel writes of the kernel state engine, and lowering session priorities."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from test_update_with_history import (
    LATER,
    assert_occupancy_consistent,
    kernel_rows,
    session_row,
    settle_agents,
)

from sokovan.common.clock import ManualClock
from sokovan.common.ids import AgentId, KernelId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import SESSION_PRIORITY_MIN
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.kernel_writes import KernelChange
from support.factories import (
    T0,
    KernelSpec,
    Tenant,
    add_agent,
    add_scaling_group,
    add_session,
    add_tenant,
)

CPU1 = {"cpu": 1, "mem": 2**30}


@pytest.fixture
def repo(db_engine: AsyncEngine) -> SchedulerRepository:
    return SchedulerRepository(db_engine, ManualClock(LATER))


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1", available={"cpu": 16, "mem": 2**36})
    await add_agent(db_engine, "a2", available={"cpu": 16, "mem": 2**36})
    return await add_tenant(db_engine)


async def test_reset_sends_retriable_kernels_back_to_pending(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.PREPARING,
        kernels=[
            KernelSpec(slots=CPU1, agent_id="a1", status=KernelStatus.PREPARING),
            KernelSpec(slots=CPU1, agent_id="a2", status=KernelStatus.PREPARED, container_id="c"),
            KernelSpec(slots=CPU1, agent_id="a2", status=KernelStatus.RUNNING),
            KernelSpec(slots=CPU1, agent_id="a1", status=KernelStatus.TERMINATED),
        ],
    )
    await settle_agents(db_engine)

    count = await repo.reset_kernels_to_pending([session_id], "EXCEEDED_MAX_RETRIES")

    assert count == 2
    kernels = await kernel_rows(db_engine, session_id)
    assert [(k.status, k.agent_id, k.container_id) for k in kernels] == [
        (KernelStatus.PENDING, None, None),
        (KernelStatus.PENDING, None, None),
        (KernelStatus.RUNNING, "a2", None),
        (KernelStatus.TERMINATED, "a1", None),
    ]
    assert [k.status_info for k in kernels[:2]] == ["EXCEEDED_MAX_RETRIES"] * 2
    session = await session_row(db_engine, session_id)
    assert session.occupying_slots == ResourceSlot(CPU1)  # only the running kernel holds slots
    await assert_occupancy_consistent(db_engine)


async def test_reset_of_nothing_returns_zero(repo: SchedulerRepository) -> None:
    assert await repo.reset_kernels_to_pending([], "r") == 0


async def test_mark_kernel_terminated_is_idempotent_and_frees_the_agent(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, [kernel_id, other] = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(slots=CPU1, agent_id="a1")] * 2,
    )
    await settle_agents(db_engine)

    assert await repo.mark_kernel_terminated(kernel_id, "kernel_handler_failure", exit_code=137)
    assert not await repo.mark_kernel_terminated(kernel_id, "again")
    assert not await repo.mark_kernel_terminated(KernelId(uuid.uuid4()), "unknown")

    kernel, sibling = await kernel_rows(db_engine, session_id)
    assert kernel.id == kernel_id
    assert (kernel.status, kernel.status_info, kernel.exit_code) == (
        KernelStatus.TERMINATED,
        "kernel_handler_failure",
        137,
    )
    assert (kernel.terminated_at, kernel.status_changed, kernel.agent_id) == (LATER, LATER, "a1")
    assert (sibling.id, sibling.status) == (other, KernelStatus.RUNNING)
    await assert_occupancy_consistent(db_engine)


async def test_cancelled_kernels_are_not_marked_terminated(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, [kernel_id] = await add_session(
        db_engine, tenant, status=SessionStatus.CANCELLED, kernel_status=KernelStatus.CANCELLED
    )

    assert not await repo.mark_kernel_terminated(kernel_id, "late event")
    [kernel] = await kernel_rows(db_engine, session_id)
    assert (kernel.status, kernel.status_changed) == (KernelStatus.CANCELLED, T0)


async def test_update_kernel_status_applies_only_from_expected_statuses(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, [kernel_id] = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.CREATING,
        kernels=[KernelSpec(slots=CPU1, agent_id="a1")],
    )
    await settle_agents(db_engine)

    refused = await repo.update_kernel_status(
        kernel_id, KernelStatus.RUNNING, expected_statuses={KernelStatus.PREPARED}
    )
    applied = await repo.update_kernel_status(
        kernel_id,
        KernelStatus.RUNNING,
        "started",
        expected_statuses={KernelStatus.CREATING},
        container_id="c-42",
    )

    assert (refused, applied) == (False, True)
    [kernel] = await kernel_rows(db_engine, session_id)
    assert (kernel.status, kernel.status_info, kernel.container_id) == (
        KernelStatus.RUNNING,
        "started",
        "c-42",
    )
    assert kernel.occupied_slots == ResourceSlot(CPU1)
    await assert_occupancy_consistent(db_engine)


async def test_update_kernel_status_frees_slots_and_never_leaves_a_finished_status(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, [kernel_id] = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(slots=CPU1, agent_id="a1")],
    )
    await settle_agents(db_engine)

    assert await repo.update_kernel_status(kernel_id, KernelStatus.ERROR, "crashed")
    await assert_occupancy_consistent(db_engine)
    assert await repo.update_kernel_status(kernel_id, KernelStatus.CANCELLED, "cleaned")
    assert not await repo.update_kernel_status(kernel_id, KernelStatus.RUNNING)
    assert not await repo.update_kernel_status(kernel_id, KernelStatus.CANCELLED)

    [kernel] = await kernel_rows(db_engine, session_id)
    assert (kernel.status, kernel.status_info, kernel.terminated_at) == (
        KernelStatus.CANCELLED,
        "cleaned",
        LATER,
    )
    assert (await session_row(db_engine, session_id)).occupying_slots == ResourceSlot()
    await assert_occupancy_consistent(db_engine)


async def test_update_of_an_unknown_kernel_is_refused(repo: SchedulerRepository) -> None:
    assert not await repo.update_kernel_status(KernelId(uuid.uuid4()), KernelStatus.RUNNING)


async def test_a_batch_of_changes_applies_in_order_in_one_transaction(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    # Two sessions on two agents. In one batch: k1 moves twice (PREPARED, then RUNNING from
    # PREPARED), k2 is asked to go back to PREPARING (refused: it is past it) and then
    # terminates, which frees a2; a finished kernel and an unknown kernel do not move.
    first, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.CREATING,
        kernels=[KernelSpec(slots=CPU1, agent_id="a1", status=KernelStatus.CREATING)],
    )
    second, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[
            KernelSpec(slots=CPU1, agent_id="a2", status=KernelStatus.RUNNING),
            KernelSpec(slots=CPU1, agent_id="a2", status=KernelStatus.TERMINATED),
        ],
    )
    await settle_agents(db_engine)
    [k1] = await kernel_rows(db_engine, first)
    k2, finished = await kernel_rows(db_engine, second)
    running_from = {KernelStatus.CREATING, KernelStatus.PREPARED}

    applied = await repo.apply_kernel_changes(
        [
            KernelChange(k1.id, KernelStatus.PREPARED, "created", {KernelStatus.CREATING}),
            KernelChange(k1.id, KernelStatus.RUNNING, "started", running_from, "c-1"),
            KernelChange(k2.id, KernelStatus.PREPARING, "late", {KernelStatus.PULLING}),
            KernelChange(k2.id, KernelStatus.TERMINATED, "exited", exit_code=0),
            KernelChange(finished.id, KernelStatus.RUNNING, "zombie"),
            KernelChange(KernelId(uuid.uuid4()), KernelStatus.RUNNING, "unknown"),
        ]
    )

    assert applied == [True, True, False, True, False, False]
    [k1] = await kernel_rows(db_engine, first)
    assert (k1.status, k1.status_info, k1.container_id) == (KernelStatus.RUNNING, "started", "c-1")
    k2, finished = await kernel_rows(db_engine, second)
    assert (k2.status, k2.exit_code) == (KernelStatus.TERMINATED, 0)
    assert k2.occupied_slots == ResourceSlot()
    assert finished.status is KernelStatus.TERMINATED
    assert (await session_row(db_engine, second)).occupying_slots == ResourceSlot()
    await assert_occupancy_consistent(db_engine)


async def test_progress_reports_move_only_the_kernels_they_name(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    """Moves between resource-occupying statuses take the narrow path: same outcome, no
    session row touched, occupancy unchanged."""
    session_id, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.CREATING,
        kernels=[
            KernelSpec(slots=CPU1, agent_id="a1", status=KernelStatus.PREPARED),
            KernelSpec(slots=CPU1, agent_id="a2", status=KernelStatus.CREATING),
            KernelSpec(slots=CPU1, agent_id="a2", status=KernelStatus.RUNNING),
        ],
    )
    await settle_agents(db_engine)
    session_before = await session_row(db_engine, session_id)
    prepared, creating, running = await kernel_rows(db_engine, session_id)
    to_running = {KernelStatus.PREPARED, KernelStatus.CREATING}

    applied = await repo.apply_kernel_changes(
        [
            KernelChange(prepared.id, KernelStatus.CREATING, "creating", {KernelStatus.PREPARED}),
            KernelChange(prepared.id, KernelStatus.RUNNING, "started", to_running, "c-1"),
            KernelChange(creating.id, KernelStatus.RUNNING, "started", to_running, "c-2"),
            KernelChange(running.id, KernelStatus.CREATING, "late", {KernelStatus.PREPARED}),
        ]
    )

    assert applied == [True, True, True, False]
    rows = {row.id: row for row in await kernel_rows(db_engine, session_id)}
    assert (rows[prepared.id].status, rows[prepared.id].container_id) == (
        KernelStatus.RUNNING,
        "c-1",
    )
    assert (rows[creating.id].status, rows[creating.id].status_info) == (
        KernelStatus.RUNNING,
        "started",
    )
    assert rows[creating.id].status_changed == LATER
    assert rows[running.id] == running
    assert await session_row(db_engine, session_id) == session_before
    await assert_occupancy_consistent(db_engine)


@pytest.mark.parametrize("to_status", [KernelStatus.RUNNING, KernelStatus.TERMINATED])
async def test_a_change_held_to_an_agent_skips_a_kernel_bound_elsewhere(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant, to_status: KernelStatus
) -> None:
    session_id, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.CREATING,
        kernels=[
            KernelSpec(slots=CPU1, agent_id="a1", status=KernelStatus.CREATING),
            KernelSpec(slots=CPU1, agent_id="a2", status=KernelStatus.CREATING),
        ],
    )
    await settle_agents(db_engine)
    on_a1, on_a2 = await kernel_rows(db_engine, session_id)
    expected = {KernelStatus.CREATING}

    applied = await repo.apply_kernel_changes(
        [
            KernelChange(on_a1.id, to_status, "reported", expected, bound_to=AgentId("a1")),
            KernelChange(on_a2.id, to_status, "reported", expected, bound_to=AgentId("a1")),
        ]
    )

    assert applied == [True, False]
    assert [row.status for row in await kernel_rows(db_engine, session_id)] == [
        to_status,
        KernelStatus.CREATING,
    ]
    await assert_occupancy_consistent(db_engine)


async def test_an_empty_batch_of_changes_touches_nothing(repo: SchedulerRepository) -> None:
    assert await repo.apply_kernel_changes([]) == []


async def test_lower_session_priority_clamps_at_the_minimum(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    high, _ = await add_session(db_engine, tenant, priority=25)
    low, _ = await add_session(db_engine, tenant, priority=5)
    floor, _ = await add_session(db_engine, tenant, priority=SESSION_PRIORITY_MIN)
    bystander, _ = await add_session(db_engine, tenant, priority=25)

    await repo.lower_session_priority([high, low, floor], 10, SESSION_PRIORITY_MIN)
    await repo.lower_session_priority([high], 10, 8)

    priorities = [
        (await session_row(db_engine, session_id)).priority
        for session_id in (high, low, floor, bystander)
    ]
    assert priorities == [8, 0, 0, 25]
