"""Scheduling history: latest row per session, and merging repeated outcomes into attempts."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from test_update_with_history import history_rows

from sokovan.common.clock import ManualClock
from sokovan.common.ids import SessionId
from sokovan.common.scheduling import SchedulingResult
from sokovan.common.status import SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.write_specs import (
    SchedulingHistoryCreator,
    SessionHistorySpec,
)
from support.factories import T0, Tenant, add_scaling_group, add_session, add_tenant, insert

PHASE = "schedule-sessions"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def repo(db_engine: AsyncEngine, clock: ManualClock) -> SchedulerRepository:
    return SchedulerRepository(db_engine, clock)


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    await add_scaling_group(db_engine)
    return await add_tenant(db_engine)


def retry(
    session_id: SessionId,
    *,
    phase: str = PHASE,
    result: SchedulingResult = SchedulingResult.NEED_RETRY,
    error_code: str | None = None,
    to_status: SessionStatus | None = None,
    message: str = "no agent has room",
) -> SessionHistorySpec:
    return SessionHistorySpec(
        session_id, phase, result, SessionStatus.PENDING, to_status, message, error_code
    )


async def record(repo: SchedulerRepository, *specs: SessionHistorySpec) -> None:
    await repo.create_scheduling_history(SchedulingHistoryCreator(specs))


async def test_first_outcome_inserts_a_row_with_one_attempt(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, _ = await add_session(db_engine, tenant)

    await record(repo, retry(session_id))

    [row] = await history_rows(db_engine, session_id)
    assert (row.phase, row.result, row.attempts, row.message) == (
        PHASE,
        SchedulingResult.NEED_RETRY,
        1,
        "no agent has room",
    )
    assert row.created_at == row.updated_at == T0


async def test_sc_co_017_repeated_outcome_counts_attempts_in_one_row(
    db_engine: AsyncEngine, repo: SchedulerRepository, clock: ManualClock, tenant: Tenant
) -> None:
    session_id, _ = await add_session(db_engine, tenant)

    await record(repo, retry(session_id))
    clock.advance(timedelta(seconds=10))
    await record(repo, retry(session_id, message="still no room"))

    [row] = await history_rows(db_engine, session_id)
    assert (row.attempts, row.message, row.created_at, row.updated_at) == (
        2,
        "still no room",
        T0,
        T0 + timedelta(seconds=10),
    )
    last = (await repo.get_last_session_histories([session_id]))[session_id]
    assert (last.phase, last.attempts, last.created_at) == (PHASE, 2, T0)


async def test_sc_co_018_another_phase_starts_a_new_row(
    db_engine: AsyncEngine, repo: SchedulerRepository, clock: ManualClock, tenant: Tenant
) -> None:
    session_id, _ = await add_session(db_engine, tenant)

    await record(repo, retry(session_id, phase="start-sessions"))
    clock.advance(timedelta(seconds=1))
    await record(repo, retry(session_id))

    rows = await history_rows(db_engine, session_id)
    assert [(row.phase, row.attempts) for row in rows] == [("start-sessions", 1), (PHASE, 1)]
    last = (await repo.get_last_session_histories([session_id]))[session_id]
    assert (last.phase, last.attempts) == (PHASE, 1)


@pytest.mark.parametrize(
    "different",
    [
        {"result": SchedulingResult.FAILURE},
        {"error_code": "NO_AGENT"},
        {"to_status": SessionStatus.TERMINATING},
    ],
    ids=["result", "error_code", "to_status"],
)
async def test_any_other_difference_starts_a_new_row(
    db_engine: AsyncEngine,
    repo: SchedulerRepository,
    clock: ManualClock,
    tenant: Tenant,
    different: dict[str, Any],
) -> None:
    session_id, _ = await add_session(db_engine, tenant)

    await record(repo, retry(session_id))
    clock.advance(timedelta(seconds=1))
    await record(repo, replace(retry(session_id), **different))

    assert [row.attempts for row in await history_rows(db_engine, session_id)] == [1, 1]


async def test_merging_only_looks_at_the_latest_row(
    db_engine: AsyncEngine, repo: SchedulerRepository, clock: ManualClock, tenant: Tenant
) -> None:
    session_id, _ = await add_session(db_engine, tenant)

    for phase in (PHASE, "check-precondition", PHASE):
        await record(repo, retry(session_id, phase=phase))
        clock.advance(timedelta(seconds=1))

    assert [row.attempts for row in await history_rows(db_engine, session_id)] == [1, 1, 1]


async def test_one_batch_merges_repeats_and_serves_many_sessions(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    first, _ = await add_session(db_engine, tenant)
    second, _ = await add_session(db_engine, tenant)
    await record(repo, retry(second))

    await record(repo, retry(first), retry(first), retry(second), retry(first))

    assert [row.attempts for row in await history_rows(db_engine, first)] == [3]
    assert [row.attempts for row in await history_rows(db_engine, second)] == [2]


async def test_latest_row_is_chosen_by_created_at_then_updated_at(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, _ = await add_session(db_engine, tenant)
    quiet, _ = await add_session(db_engine, tenant)
    base = {
        "session_id": session_id,
        "result": SchedulingResult.NEED_RETRY,
        "message": "",
        "attempts": 1,
    }
    await insert(
        db_engine,
        t.session_scheduling_history,
        [
            {**base, "id": uuid.uuid4(), "phase": "old", "created_at": T0, "updated_at": T0},
            {
                **base,
                "id": uuid.uuid4(),
                "phase": "tie-older",
                "created_at": T0 + timedelta(minutes=1),
                "updated_at": T0 + timedelta(minutes=1),
            },
            {
                **base,
                "id": uuid.uuid4(),
                "phase": "tie-newer",
                "created_at": T0 + timedelta(minutes=1),
                "updated_at": T0 + timedelta(minutes=2),
            },
        ],
    )

    found = await repo.get_last_session_histories([session_id, quiet])

    assert set(found) == {session_id}
    assert found[session_id].phase == "tie-newer"
    assert found[session_id].result is SchedulingResult.NEED_RETRY


async def test_a_full_tie_is_broken_by_the_higher_id(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, _ = await add_session(db_engine, tenant)
    same = {"created_at": T0, "updated_at": T0, "result": SchedulingResult.SUCCESS}
    row = {"session_id": session_id, "message": "", "attempts": 1, **same}
    await insert(
        db_engine,
        t.session_scheduling_history,
        [
            {**row, "id": uuid.UUID(int=2), "phase": "higher"},
            {**row, "id": uuid.UUID(int=1), "phase": "lower"},
        ],
    )

    found = await repo.get_last_session_histories([session_id])

    assert found[session_id].phase == "higher"


async def test_empty_inputs_are_no_ops(repo: SchedulerRepository) -> None:
    await repo.create_scheduling_history(SchedulingHistoryCreator(()))
    assert await repo.get_last_session_histories([]) == {}


async def test_lookups_accept_more_ids_than_one_statement_can_bind(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, _ = await add_session(db_engine, tenant)
    await record(repo, retry(session_id))
    strangers = [SessionId(uuid.uuid4()) for _ in range(40_000)]

    found = await repo.get_last_session_histories([*strangers, session_id])

    assert set(found) == {session_id}
