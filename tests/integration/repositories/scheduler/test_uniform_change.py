"""A status change a whole batch shares: on SQLite written set-based (write_uniform), on
PostgreSQL through the general path. The assertions are the same on both backends, so the
two paths are held to the same outcome."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from test_update_with_history import (
    LATER,
    assert_occupancy_consistent,
    change,
    creator,
    history_rows,
    kernel_rows,
    session_row,
    settle_agents,
    spec,
    updater,
)

from sokovan.common.clock import ManualClock
from sokovan.common.ids import SessionId
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.write_specs import SessionStatusChange
from sokovan.repositories.scheduler.write_uniform import uniform_change
from support.factories import (
    T0,
    KernelSpec,
    Tenant,
    add_agent,
    add_scaling_group,
    add_session,
    add_tenant,
)

PREPARED, CREATING = SessionStatus.PREPARED, SessionStatus.CREATING
REASON = "triggered-by-scheduler"
ON_A1 = KernelSpec(slots={"cpu": 1, "mem": 2**30}, agent_id="a1")
PLACED_ON_A1 = KernelSpec(
    slots={"cpu": 1, "mem": 2**30}, agent_id="a1", status=KernelStatus.SCHEDULED
)


@pytest.fixture
def repo(db_engine: AsyncEngine) -> SchedulerRepository:
    return SchedulerRepository(db_engine, ManualClock(LATER))


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1", available={"cpu": 8, "mem": 2**34})
    return await add_tenant(db_engine)


def start(session_id: SessionId) -> SessionStatusChange:
    return change(
        session_id, CREATING, KernelStatus.CREATING, reason=REASON, expected_status=PREPARED
    )


async def test_a_batch_moving_alike_applies_as_the_general_path_does(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    moved, _ = await add_session(db_engine, tenant, status=PREPARED, kernels=[ON_A1, ON_A1])
    already, _ = await add_session(db_engine, tenant, status=CREATING, kernels=[ON_A1])
    ahead_kernel = KernelSpec(
        slots={"cpu": 1, "mem": 2**30}, agent_id="a1", status=KernelStatus.RUNNING
    )
    ahead, _ = await add_session(db_engine, tenant, status=PREPARED, kernels=[ON_A1, ahead_kernel])
    elsewhere, _ = await add_session(
        db_engine, tenant, status=SessionStatus.RUNNING, kernels=[ON_A1]
    )
    await settle_agents(db_engine)
    sessions = (moved, already, ahead, elsewhere)

    count = await repo.update_with_history(
        updater(*(start(s) for s in sessions)),
        creator(*(spec(s, PREPARED, CREATING, phase="start-sessions") for s in sessions)),
    )

    assert count == 3
    rows = {s: await session_row(db_engine, s) for s in sessions}
    assert (rows[moved].status, rows[moved].status_info, rows[moved].status_changed) == (
        CREATING,
        REASON,
        LATER,
    )
    # Already there: the change counts (history is recorded) but the status did not change.
    assert (rows[already].status, rows[already].status_info, rows[already].status_changed) == (
        CREATING,
        REASON,
        T0,
    )
    assert (rows[elsewhere].status, rows[elsewhere].status_changed) == (SessionStatus.RUNNING, T0)
    assert [k.status for k in await kernel_rows(db_engine, moved)] == [KernelStatus.CREATING] * 2
    assert [k.status for k in await kernel_rows(db_engine, ahead)] == [
        KernelStatus.CREATING,
        KernelStatus.RUNNING,  # an agent's report took it further: never moved back
    ]
    assert [k.status for k in await kernel_rows(db_engine, elsewhere)] == [KernelStatus.RUNNING]
    for session_id in (moved, already, ahead):
        [history] = await history_rows(db_engine, session_id)
        assert (history.phase, history.to_status, history.created_at) == (
            "start-sessions",
            CREATING,
            LATER,
        )
    assert await history_rows(db_engine, elsewhere) == []
    await assert_occupancy_consistent(db_engine)


async def test_a_kernel_entering_the_occupying_statuses_is_left_to_the_general_path(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    pending_kernel = KernelSpec(slots={"cpu": 1, "mem": 2**30}, status=KernelStatus.PENDING)
    session_id, _ = await add_session(
        db_engine, tenant, status=PREPARED, kernels=[ON_A1, pending_kernel]
    )
    await settle_agents(db_engine)

    count = await repo.update_with_history(
        updater(start(session_id)), creator(spec(session_id, PREPARED, CREATING))
    )

    assert count == 1
    assert (await session_row(db_engine, session_id)).status is CREATING
    assert [k.status for k in await kernel_rows(db_engine, session_id)] == [
        KernelStatus.CREATING
    ] * 2
    await assert_occupancy_consistent(db_engine)


def place(session_id: SessionId) -> SessionStatusChange:
    return change(
        session_id,
        SessionStatus.SCHEDULED,
        KernelStatus.SCHEDULED,
        reason=REASON,
        expected_status=SessionStatus.PENDING,
    )


async def record_placement(repo: SchedulerRepository, *sessions: SessionId) -> int:
    """The coordinator's PENDING -> SCHEDULED change, with its history, for `sessions`."""
    return await repo.update_with_history(
        updater(*(place(s) for s in sessions)),
        creator(*(spec(s, SessionStatus.PENDING, SessionStatus.SCHEDULED) for s in sessions)),
    )


async def test_a_batch_already_placed_records_the_step_without_moving_anything(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    first, _ = await add_session(
        db_engine, tenant, status=SessionStatus.SCHEDULED, kernels=[PLACED_ON_A1, PLACED_ON_A1]
    )
    second, _ = await add_session(
        db_engine, tenant, status=SessionStatus.SCHEDULED, kernels=[PLACED_ON_A1]
    )
    await settle_agents(db_engine)

    count = await record_placement(repo, first, second)

    assert count == 2
    for session_id in (first, second):
        row = await session_row(db_engine, session_id)
        assert (row.status, row.status_info, row.status_changed) == (
            SessionStatus.SCHEDULED,
            REASON,
            T0,
        )
        assert {k.status for k in await kernel_rows(db_engine, session_id)} == {
            KernelStatus.SCHEDULED
        }
        assert len(await history_rows(db_engine, session_id)) == 1
    await assert_occupancy_consistent(db_engine)


async def test_a_session_still_in_a_status_that_holds_nothing_is_left_to_the_general_path(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    arrived, _ = await add_session(
        db_engine, tenant, status=SessionStatus.SCHEDULED, kernels=[PLACED_ON_A1]
    )
    # Its kernel is placed but the session itself still holds nothing: entering SCHEDULED
    # must settle its occupancy, which only the general path does.
    behind, _ = await add_session(
        db_engine, tenant, status=SessionStatus.PENDING, kernels=[PLACED_ON_A1]
    )
    await settle_agents(db_engine)

    count = await record_placement(repo, arrived, behind)

    assert count == 2
    behind_row = await session_row(db_engine, behind)
    assert (behind_row.status, behind_row.status_changed) == (SessionStatus.SCHEDULED, LATER)
    await assert_occupancy_consistent(db_engine)


@pytest.mark.parametrize(
    ("changes", "eligible"),
    [
        ("alike", True),
        ("reasons differ", False),
        ("a session twice", False),
        ("no expected status", False),
        ("to an ending status", False),
        ("kernels back to pending", False),
        ("from a status that holds nothing", True),  # checked when applied
    ],
)
def test_only_alike_changes_that_keep_occupancy_are_written_set_based(
    changes: str, eligible: bool
) -> None:
    a, b = SessionId(uuid.uuid4()), SessionId(uuid.uuid4())
    batches = {
        "alike": [start(a), start(b)],
        "reasons differ": [
            start(a),
            change(b, CREATING, KernelStatus.CREATING, reason="x", expected_status=PREPARED),
        ],
        "a session twice": [start(a), start(a)],
        "no expected status": [change(a, CREATING, KernelStatus.CREATING, reason=REASON)],
        "to an ending status": [
            change(
                a,
                SessionStatus.TERMINATED,
                KernelStatus.TERMINATED,
                reason=REASON,
                expected_status=PREPARED,
            )
        ],
        "kernels back to pending": [
            change(
                a,
                SessionStatus.PREPARING,
                KernelStatus.PENDING,
                reason=REASON,
                expected_status=PREPARED,
            )
        ],
        "from a status that holds nothing": [
            change(
                a,
                SessionStatus.SCHEDULED,
                KernelStatus.SCHEDULED,
                reason=REASON,
                expected_status=SessionStatus.PENDING,
            )
        ],
    }

    assert (uniform_change(batches[changes]) is not None) is eligible
