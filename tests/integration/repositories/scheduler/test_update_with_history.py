"""update_with_history: status changes and their history, applied in one transaction.

Also home of `assert_occupancy_consistent`, which the other write tests import: after every
write, agents and sessions must hold exactly what their live kernels hold.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.ids import SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import SchedulingResult
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.occupancy import refresh_agent_occupancy
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.write_specs import (
    SchedulingHistoryCreator,
    SessionHistorySpec,
    SessionStatusChange,
    SessionStatusUpdater,
)
from support.factories import (
    T0,
    KernelSpec,
    Tenant,
    add_agent,
    add_scaling_group,
    add_session,
    add_tenant,
)

LATER = T0 + timedelta(minutes=5)


# --- Helpers shared with the other write tests ----------------------------------------------


def total(slots: Iterable[ResourceSlot]) -> ResourceSlot:
    result = ResourceSlot()
    for slot in slots:
        result = result + slot
    return result


async def settle_agents(engine: AsyncEngine) -> None:
    """Make the factories' rows consistent: agents' occupancy recomputed from their kernels."""
    async with engine.begin() as conn:
        await refresh_agent_occupancy(conn)


async def assert_occupancy_consistent(engine: AsyncEngine) -> None:
    """Every agent and session holds exactly the sum of its live kernels' occupied slots."""
    async with engine.connect() as conn:
        agents = (await conn.execute(sa.select(t.agents))).all()
        kernels = (await conn.execute(sa.select(t.kernels))).all()
        sessions = (await conn.execute(sa.select(t.sessions))).all()
    occupying = KernelStatus.resource_occupied_statuses()
    live = [kernel for kernel in kernels if kernel.status in occupying]
    for kernel in kernels:
        if kernel.status not in occupying:
            assert kernel.occupied_slots.is_zero(), f"kernel {kernel.id} ({kernel.status})"
    for agent in agents:
        held = [kernel for kernel in live if kernel.agent_id == agent.id]
        assert agent.occupied_slots == total(k.occupied_slots for k in held), agent.id
        assert agent.container_count == len(held), agent.id
        assert agent.occupied_slots.fits_in(agent.available_slots), agent.id
    for session in sessions:
        expected = ResourceSlot()
        if session.status in SessionStatus.resource_occupied_statuses():
            expected = total(k.occupied_slots for k in live if k.session_id == session.id)
        assert session.occupying_slots == expected, f"session {session.id} ({session.status})"


@contextmanager
def recorded_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every statement the engine sends while the block runs (an executemany counts once)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def session_row(engine: AsyncEngine, session_id: SessionId) -> Any:
    async with engine.connect() as conn:
        return (
            await conn.execute(sa.select(t.sessions).where(t.sessions.c.id == session_id))
        ).one()


async def kernel_rows(engine: AsyncEngine, session_id: SessionId) -> list[Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(t.kernels)
            .where(t.kernels.c.session_id == session_id)
            .order_by(t.kernels.c.cluster_idx)
        )
        return list(rows)


async def history_rows(engine: AsyncEngine, session_id: SessionId) -> list[Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(t.session_scheduling_history)
            .where(t.session_scheduling_history.c.session_id == session_id)
            .order_by(t.session_scheduling_history.c.created_at)
        )
        return list(rows)


# --- Fixtures and local helpers -----------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(LATER)


@pytest.fixture
def repo(db_engine: AsyncEngine, clock: ManualClock) -> SchedulerRepository:
    return SchedulerRepository(db_engine, clock)


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1", available={"cpu": 8, "mem": 2**34})
    return await add_tenant(db_engine)


def change(
    session_id: SessionId,
    to_status: SessionStatus | None,
    kernel_to_status: KernelStatus | None = None,
    **kwargs: Any,
) -> SessionStatusChange:
    return SessionStatusChange(session_id, to_status, kernel_to_status, **kwargs)


def spec(
    session_id: SessionId,
    from_status: SessionStatus | None,
    to_status: SessionStatus | None,
    phase: str = "schedule-sessions",
    result: SchedulingResult = SchedulingResult.SUCCESS,
) -> SessionHistorySpec:
    return SessionHistorySpec(session_id, phase, result, from_status, to_status, message="m")


def updater(*changes: SessionStatusChange) -> SessionStatusUpdater:
    return SessionStatusUpdater(tuple(changes))


def creator(*specs: SessionHistorySpec) -> SchedulingHistoryCreator:
    return SchedulingHistoryCreator(tuple(specs))


async def running_session(engine: AsyncEngine, tenant: Tenant, kernels: int = 2) -> SessionId:
    session_id, _ = await add_session(
        engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(slots={"cpu": 1, "mem": 2**30}, agent_id="a1")] * kernels,
    )
    return session_id


# --- Tests ----------------------------------------------------------------------------------


async def test_sc_co_008_changes_and_history_are_applied_together(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    s1, _ = await add_session(db_engine, tenant)
    s2, _ = await add_session(db_engine, tenant)
    pending, scheduled = SessionStatus.PENDING, SessionStatus.SCHEDULED

    count = await repo.update_with_history(
        updater(change(s1, scheduled, reason="ok"), change(s2, scheduled, reason="ok")),
        creator(spec(s1, pending, scheduled), spec(s2, pending, scheduled)),
    )

    assert count == 2
    for session_id in (s1, s2):
        row = await session_row(db_engine, session_id)
        assert (row.status, row.status_info, row.status_changed) == (scheduled, "ok", LATER)
        [history] = await history_rows(db_engine, session_id)
        assert (history.to_status, history.attempts, history.created_at) == (scheduled, 1, LATER)


async def test_expected_status_guards_the_change_and_its_history(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    moved, _ = await add_session(db_engine, tenant)
    already_running = await running_session(db_engine, tenant)
    await settle_agents(db_engine)
    guard = SessionStatus.PENDING
    to = SessionStatus.CANCELLED

    count = await repo.update_with_history(
        updater(
            change(moved, to, KernelStatus.CANCELLED, expected_status=guard),
            change(already_running, to, KernelStatus.CANCELLED, expected_status=guard),
        ),
        creator(spec(moved, guard, to), spec(already_running, guard, to)),
    )

    assert count == 1
    assert (await session_row(db_engine, moved)).status is SessionStatus.CANCELLED
    untouched = await session_row(db_engine, already_running)
    assert (untouched.status, untouched.status_changed) == (SessionStatus.RUNNING, T0)
    assert {k.status for k in await kernel_rows(db_engine, already_running)} == {
        KernelStatus.RUNNING
    }
    assert len(await history_rows(db_engine, moved)) == 1
    assert await history_rows(db_engine, already_running) == []
    await assert_occupancy_consistent(db_engine)


async def test_unknown_sessions_are_skipped_but_unrelated_history_is_recorded(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    ghost = SessionId(uuid.uuid4())
    observed, _ = await add_session(db_engine, tenant)

    count = await repo.update_with_history(
        updater(change(ghost, SessionStatus.SCHEDULED)),
        creator(
            spec(
                observed,
                SessionStatus.PENDING,
                SessionStatus.PENDING,
                result=SchedulingResult.SKIPPED,
            )
        ),
    )

    assert count == 0
    [history] = await history_rows(db_engine, observed)
    assert history.result is SchedulingResult.SKIPPED


async def test_status_changed_moves_only_when_the_status_changes(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, _ = await add_session(db_engine, tenant, status_info="before")

    await repo.update_with_history(updater(change(session_id, SessionStatus.PENDING)), creator())
    row = await session_row(db_engine, session_id)
    assert (row.status_changed, row.status_info) == (T0, "before")  # reason None keeps it

    await repo.update_with_history(
        updater(change(session_id, None, reason="still waiting")), creator()
    )
    row = await session_row(db_engine, session_id)
    assert (row.status, row.status_changed, row.status_info) == (
        SessionStatus.PENDING,
        T0,
        "still waiting",
    )


async def test_finished_kernels_are_never_resurrected(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[
            KernelSpec(agent_id="a1"),
            KernelSpec(agent_id="a1", status=KernelStatus.TERMINATED),
            KernelSpec(agent_id="a1", status=KernelStatus.CANCELLED),
        ],
    )
    await settle_agents(db_engine)

    await repo.update_with_history(
        updater(change(session_id, SessionStatus.TERMINATING, KernelStatus.TERMINATING)),
        creator(),
    )

    statuses = [k.status for k in await kernel_rows(db_engine, session_id)]
    assert statuses == [KernelStatus.TERMINATING, KernelStatus.TERMINATED, KernelStatus.CANCELLED]
    await assert_occupancy_consistent(db_engine)


async def test_termination_frees_agents_and_stamps_terminated_at(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    stopped = await running_session(db_engine, tenant)
    kept = await running_session(db_engine, tenant)
    await settle_agents(db_engine)

    await repo.update_with_history(
        updater(change(stopped, SessionStatus.TERMINATED, KernelStatus.TERMINATED, reason="done")),
        creator(),
    )

    row = await session_row(db_engine, stopped)
    assert (row.status, row.terminated_at, row.occupying_slots) == (
        SessionStatus.TERMINATED,
        LATER,
        ResourceSlot(),
    )
    for kernel in await kernel_rows(db_engine, stopped):
        assert (kernel.terminated_at, kernel.agent_id, kernel.status_info) == (LATER, "a1", "done")
        assert kernel.occupied_slots.is_zero()
    async with db_engine.connect() as conn:
        agent = (await conn.execute(sa.select(t.agents))).one()
    assert agent.occupied_slots == ResourceSlot({"cpu": 2, "mem": 2 * 2**30})
    assert agent.container_count == 2
    assert (await session_row(db_engine, kept)).status is SessionStatus.RUNNING
    await assert_occupancy_consistent(db_engine)


async def test_kernels_moved_to_pending_are_reset_for_a_new_placement(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.PREPARING,
        kernels=[KernelSpec(agent_id="a1", container_id="c-1")],
    )
    await settle_agents(db_engine)

    await repo.update_with_history(
        updater(change(session_id, SessionStatus.PENDING, KernelStatus.PENDING, reason="retry")),
        creator(),
    )

    [kernel] = await kernel_rows(db_engine, session_id)
    assert (kernel.status, kernel.agent_id, kernel.agent_addr, kernel.container_id) == (
        KernelStatus.PENDING,
        None,
        None,
        None,
    )
    assert kernel.occupied_slots.is_zero()
    assert (await session_row(db_engine, session_id)).occupying_slots == ResourceSlot()
    await assert_occupancy_consistent(db_engine)


async def test_kernel_only_change_keeps_the_session_status(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id = await running_session(db_engine, tenant)
    await settle_agents(db_engine)

    count = await repo.update_with_history(
        updater(change(session_id, None, KernelStatus.TERMINATED)), creator()
    )

    assert count == 1
    row = await session_row(db_engine, session_id)
    assert (row.status, row.status_changed) == (SessionStatus.RUNNING, T0)
    assert row.occupying_slots == ResourceSlot()  # its kernels no longer hold anything
    await assert_occupancy_consistent(db_engine)


async def test_history_merges_across_calls(
    db_engine: AsyncEngine, repo: SchedulerRepository, clock: ManualClock, tenant: Tenant
) -> None:
    session_id, _ = await add_session(db_engine, tenant, status=SessionStatus.PREPARING)
    retry = spec(
        session_id,
        SessionStatus.PREPARING,
        None,
        phase="check-precondition",
        result=SchedulingResult.NEED_RETRY,
    )

    await repo.update_with_history(updater(change(session_id, None, reason="1")), creator(retry))
    clock.advance(timedelta(seconds=30))
    await repo.update_with_history(updater(change(session_id, None, reason="2")), creator(retry))

    [history] = await history_rows(db_engine, session_id)
    assert (history.attempts, history.created_at, history.updated_at) == (
        2,
        LATER,
        LATER + timedelta(seconds=30),
    )


async def test_statement_count_does_not_grow_with_the_batch(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    counts = []
    for size in (1, 12):
        ids = [await running_session(db_engine, tenant, kernels=1) for _ in range(size)]
        await settle_agents(db_engine)
        to = SessionStatus.TERMINATING
        with recorded_statements(db_engine) as statements:
            applied = await repo.update_with_history(
                updater(*(change(s, to, KernelStatus.TERMINATING, reason="stop") for s in ids)),
                creator(*(spec(s, SessionStatus.RUNNING, to, phase="terminate") for s in ids)),
            )
        assert applied == size
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[0] <= 10
