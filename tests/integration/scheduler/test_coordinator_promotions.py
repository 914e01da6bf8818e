"""Promotions end to end: 000 §2 (PP, PR, DT, PT) against the real repository.

Each test puts sessions and kernels in given statuses, runs one ScheduleType through the
coordinator and reads the session, kernel and history rows back. Where a 000 row describes
the same situation differently from the detailed design (DESIGN §3, seed 002), the docstring
says how it was reconciled.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from integration.repositories.scheduler.test_update_with_history import (
    assert_occupancy_consistent,
    settle_agents,
)
from integration.scheduler.coordinator_world import (
    World,
    build_world,
    history_rows,
    kernel_rows,
    kernel_statuses,
    session_row,
    set_kernel,
)
from sokovan.common.ids import KernelId, SessionId
from sokovan.common.scheduling import ScheduleType, SchedulingResult
from sokovan.common.status import AgentStatus, KernelStatus, SessionStatus
from support.factories import (
    T0,
    KernelSpec,
    Tenant,
    add_agent,
    add_scaling_group,
    add_session,
    add_tenant,
)

P, K = SessionStatus, KernelStatus


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "agent-1")
    await add_agent(db_engine, "agent-2")
    return await add_tenant(db_engine)


async def a_session(
    engine: AsyncEngine,
    tenant: Tenant,
    status: SessionStatus,
    *kernels: KernelStatus,
    **columns: object,
) -> tuple[SessionId, list[KernelId]]:
    """A session on agent-1 whose kernels are in `kernels` (one per status given)."""
    specs = [KernelSpec(status=k, agent_id="agent-1", container_id=None) for k in kernels]
    sid, kids = await add_session(engine, tenant, status=status, kernels=specs, **columns)
    await settle_agents(engine)
    return sid, list(kids)


async def status_of(engine: AsyncEngine, sid: SessionId) -> SessionStatus:
    status: SessionStatus = (await session_row(engine, sid)).status
    return status


async def results_of(engine: AsyncEngine, sid: SessionId) -> list[tuple[str, SchedulingResult]]:
    return [(row.phase, row.result) for row in await history_rows(engine, sid)]


@pytest.fixture
def world(db_engine: AsyncEngine) -> World:
    return build_world(db_engine)


# --- 2.1 promote-to-prepared ------------------------------------------------------------


async def test_pp_001_pulling_done_promotes_to_prepared(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    sid, _ = await a_session(db_engine, tenant, P.PULLING, K.PREPARED)

    await world.run(ScheduleType.CHECK_PULLING_PROGRESS)

    assert await status_of(db_engine, sid) is P.PREPARED
    assert await kernel_statuses(db_engine, sid) == [K.PREPARED]
    assert await results_of(db_engine, sid) == [("promote-to-prepared", SchedulingResult.SUCCESS)]
    assert world.events.transitions() == [(sid, "PREPARED")]
    assert world.marks.marked == [ScheduleType.START]


async def test_pp_002_still_pulling_is_left_alone(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    sid, _ = await a_session(db_engine, tenant, P.PULLING, K.PULLING)

    await world.run(ScheduleType.CHECK_PULLING_PROGRESS)

    assert await status_of(db_engine, sid) is P.PULLING
    assert await history_rows(db_engine, sid) == []
    assert world.events.batches == []


async def test_pp_003_a_failed_pull_is_never_promoted_and_ends_the_session(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    """000 lists a failed pull as a failure of this promotion; promotions are declarative and
    have no failures of their own. The agent reports the failed pull on the kernel
    (CANCELLED); a session with a dead kernel is never promoted, and detect-termination
    terminates it."""
    sid, _ = await a_session(db_engine, tenant, P.PULLING, K.PREPARED, K.CANCELLED)

    await world.run(ScheduleType.CHECK_PULLING_PROGRESS)
    assert await status_of(db_engine, sid) is P.PULLING

    await world.run(ScheduleType.DETECT_KERNEL_TERMINATION)
    row = await session_row(db_engine, sid)
    assert (row.status, row.status_info) == (P.TERMINATING, "ABNORMAL_TERMINATION")
    assert await kernel_statuses(db_engine, sid) == [K.TERMINATING, K.CANCELLED]


async def test_pp_004_a_cluster_is_promoted_once_every_kernel_is_ready(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    sid, kids = await a_session(db_engine, tenant, P.PULLING, K.PREPARED, K.PREPARED, K.PULLING)

    await world.run(ScheduleType.CHECK_PULLING_PROGRESS)
    assert await status_of(db_engine, sid) is P.PULLING

    await set_kernel(db_engine, kids[2], status=K.PREPARED)
    await world.run(ScheduleType.CHECK_PULLING_PROGRESS)

    assert await status_of(db_engine, sid) is P.PREPARED
    assert await kernel_statuses(db_engine, sid) == [K.PREPARED] * 3


async def test_pp_005_pulling_past_fifteen_minutes_expires(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    """The status timeout map (seed 002) covers exactly the statuses promotions wait in, so
    the promotion applies it: a session still pulling after 15 minutes is expired and
    terminated (000 SW-001/SW-002: stale PREPARING/PULLING → TERMINATING)."""
    sid, _ = await a_session(db_engine, tenant, P.PULLING, K.PULLING)

    world.clock.advance(timedelta(minutes=15))
    await world.run(ScheduleType.CHECK_PULLING_PROGRESS)
    assert await status_of(db_engine, sid) is P.PULLING

    world.clock.advance(timedelta(seconds=1))
    await world.run(ScheduleType.CHECK_PULLING_PROGRESS)

    row = await session_row(db_engine, sid)
    assert (row.status, row.status_info) == (P.TERMINATING, "PULLING_TIMEOUT_EXCEEDED")
    assert await kernel_statuses(db_engine, sid) == [K.TERMINATING]
    assert await results_of(db_engine, sid) == [("promote-to-prepared", SchedulingResult.EXPIRED)]
    assert world.marks.marked == [ScheduleType.TERMINATE, ScheduleType.CHECK_TERMINATING_PROGRESS]


# --- 2.2 promote-to-running -------------------------------------------------------------


async def test_pr_001_created_kernels_promote_to_running(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    sid, kids = await a_session(db_engine, tenant, P.CREATING, K.RUNNING)
    await set_kernel(db_engine, kids[0], container_id="c-1")

    await world.run(ScheduleType.CHECK_CREATING_PROGRESS)

    assert await status_of(db_engine, sid) is P.RUNNING
    (kernel,) = await kernel_rows(db_engine, sid)
    assert (kernel.status, kernel.container_id) == (K.RUNNING, "c-1")
    assert await results_of(db_engine, sid) == [("promote-to-running", SchedulingResult.SUCCESS)]
    assert world.events.transitions() == [(sid, "RUNNING")]
    await assert_occupancy_consistent(db_engine)


async def test_pr_002_a_kernel_still_being_created_keeps_the_session_creating(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    """000 speaks of container_id=None; readiness is the kernel status, which the agent
    moves to RUNNING when its container exists. A kernel still CREATING (no container yet)
    keeps the session CREATING."""
    sid, _ = await a_session(db_engine, tenant, P.CREATING, K.CREATING)

    await world.run(ScheduleType.CHECK_CREATING_PROGRESS)

    assert await status_of(db_engine, sid) is P.CREATING
    assert await history_rows(db_engine, sid) == []


async def test_pr_003_a_failed_creation_is_never_promoted_and_ends_the_session(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    """Like PP-003: the failed kernel (TERMINATED by the agent) blocks the promotion and
    detect-termination terminates the session."""
    sid, _ = await a_session(db_engine, tenant, P.CREATING, K.TERMINATED)

    await world.run(ScheduleType.CHECK_CREATING_PROGRESS)
    assert await status_of(db_engine, sid) is P.CREATING

    await world.run(ScheduleType.DETECT_KERNEL_TERMINATION)
    assert await status_of(db_engine, sid) is P.TERMINATING


async def test_pr_004_a_cluster_runs_once_every_kernel_runs(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    sid, kids = await a_session(db_engine, tenant, P.CREATING, K.RUNNING, K.CREATING)

    await world.run(ScheduleType.CHECK_CREATING_PROGRESS)
    assert await status_of(db_engine, sid) is P.CREATING

    await set_kernel(db_engine, kids[1], status=K.RUNNING)
    await world.run(ScheduleType.CHECK_CREATING_PROGRESS)

    assert await status_of(db_engine, sid) is P.RUNNING
    assert await kernel_statuses(db_engine, sid) == [K.RUNNING, K.RUNNING]


async def test_pr_005_creating_past_ten_minutes_expires(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    sid, _ = await a_session(db_engine, tenant, P.CREATING, K.CREATING)

    world.clock.advance(timedelta(minutes=10, seconds=1))
    await world.run(ScheduleType.CHECK_CREATING_PROGRESS)

    row = await session_row(db_engine, sid)
    assert (row.status, row.status_info) == (P.TERMINATING, "CREATING_TIMEOUT_EXCEEDED")
    assert await results_of(db_engine, sid) == [("promote-to-running", SchedulingResult.EXPIRED)]


async def test_pr_006_a_partly_created_cluster_fails_as_a_whole(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    sid, _ = await a_session(db_engine, tenant, P.CREATING, K.RUNNING, K.CREATING)

    world.clock.advance(timedelta(minutes=5))
    await world.run(ScheduleType.CHECK_CREATING_PROGRESS)
    assert await status_of(db_engine, sid) is P.CREATING

    world.clock.advance(timedelta(minutes=6))
    await world.run(ScheduleType.CHECK_CREATING_PROGRESS)

    assert await status_of(db_engine, sid) is P.TERMINATING
    assert await kernel_statuses(db_engine, sid) == [K.TERMINATING, K.TERMINATING]


# --- 2.3 detect-termination ---------------------------------------------------------------
# 000 describes this handler as watching TERMINATING sessions until their kernels are gone;
# in DESIGN §3 that is promote-to-terminated, and detect-termination watches sessions up to
# RUNNING for a kernel that died on its own. The DT rows are checked against that split.


async def test_dt_001_all_kernels_terminated_completes_the_session(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    sid, _ = await a_session(db_engine, tenant, P.TERMINATING, K.TERMINATED, K.TERMINATED)

    await world.run(ScheduleType.DETECT_KERNEL_TERMINATION)
    assert await status_of(db_engine, sid) is P.TERMINATING  # not detect-termination's scope

    await world.run(ScheduleType.CHECK_TERMINATING_PROGRESS)
    assert await status_of(db_engine, sid) is P.TERMINATED


async def test_dt_002_kernels_still_terminating_keep_the_session_waiting(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    sid, _ = await a_session(db_engine, tenant, P.TERMINATING, K.TERMINATED, K.TERMINATING)

    await world.run(ScheduleType.DETECT_KERNEL_TERMINATION)
    await world.run(ScheduleType.CHECK_TERMINATING_PROGRESS)

    assert await status_of(db_engine, sid) is P.TERMINATING
    assert await history_rows(db_engine, sid) == []


async def test_dt_003_kernels_of_a_lost_agent_are_forced_and_the_session_completes(
    db_engine: AsyncEngine, tenant: Tenant
) -> None:
    """Termination cannot wait for a LOST agent's events: its kernels are marked TERMINATED
    through the kernel state engine (as the stale-kernel sweep does), and the session is
    then completed like any other."""
    await add_scaling_group(db_engine, "lost-group")
    await add_agent(db_engine, "gone", scaling_group="lost-group", status=AgentStatus.LOST)
    sid, kids = await add_session(
        db_engine,
        tenant,
        status=P.TERMINATING,
        scaling_group="lost-group",
        kernels=[KernelSpec(status=K.TERMINATING, agent_id="gone")],
    )
    world = build_world(db_engine)

    assert await world.coordinator._kernel_state_engine.mark_kernel_terminated(
        kids[0], "agent-lost"
    )
    await world.run(ScheduleType.CHECK_TERMINATING_PROGRESS)

    assert await status_of(db_engine, sid) is P.TERMINATED


async def test_dt_004_mixed_kernels(db_engine: AsyncEngine, tenant: Tenant, world: World) -> None:
    """A TERMINATING session with one kernel still RUNNING waits (000's "skipped"); a RUNNING
    session whose other kernel died is terminated as ABNORMAL_TERMINATION (DESIGN §3)."""
    waiting, _ = await a_session(db_engine, tenant, P.TERMINATING, K.TERMINATED, K.RUNNING)
    broken, _ = await a_session(
        db_engine,
        tenant,
        P.RUNNING,
        K.TERMINATED,
        K.RUNNING,
        created_at=T0 + timedelta(seconds=1),
    )

    await world.run(ScheduleType.DETECT_KERNEL_TERMINATION)
    await world.run(ScheduleType.CHECK_TERMINATING_PROGRESS)

    assert await status_of(db_engine, waiting) is P.TERMINATING
    row = await session_row(db_engine, broken)
    assert (row.status, row.status_info) == (P.TERMINATING, "ABNORMAL_TERMINATION")
    assert await kernel_statuses(db_engine, broken) == [K.TERMINATED, K.TERMINATING]
    assert await results_of(db_engine, broken) == [("detect-termination", SchedulingResult.SUCCESS)]


# --- 2.4 promote-to-terminated ------------------------------------------------------------
# 000 also asks for the session result (ERROR, USER_CANCELLED). SessionResult has no such
# values and no write path sets it; the termination cause is kept where users read it,
# status_info, which this promotion never overwrites.


async def test_pt_001_a_terminating_session_becomes_terminated_with_history(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    sid, _ = await a_session(db_engine, tenant, P.TERMINATING, K.TERMINATED)
    world.clock.advance(timedelta(seconds=3))

    await world.run(ScheduleType.CHECK_TERMINATING_PROGRESS)

    row = await session_row(db_engine, sid)
    assert row.status is P.TERMINATED
    assert row.terminated_at == T0 + timedelta(seconds=3)
    (entry,) = await history_rows(db_engine, sid)
    assert (entry.phase, entry.result, entry.from_status, entry.to_status) == (
        "promote-to-terminated",
        SchedulingResult.SUCCESS,
        P.TERMINATING,
        P.TERMINATED,
    )


async def assert_cause_kept(engine: AsyncEngine, tenant: Tenant, world: World, cause: str) -> None:
    sid, _ = await a_session(
        engine, tenant, P.TERMINATING, K.TERMINATED, K.CANCELLED, status_info=cause
    )

    await world.run(ScheduleType.CHECK_TERMINATING_PROGRESS)

    row = await session_row(engine, sid)
    assert (row.status, row.status_info) == (P.TERMINATED, cause)


async def test_pt_002_terminated_after_an_error_keeps_the_error(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    await assert_cause_kept(db_engine, tenant, world, "error")


async def test_pt_003_terminated_on_user_request_keeps_that_reason(
    db_engine: AsyncEngine, tenant: Tenant, world: World
) -> None:
    """A CANCELLED kernel (never started) counts as finished alongside TERMINATED ones."""
    await assert_cause_kept(db_engine, tenant, world, "user-requested")
