"""SchedulerRepository.record_session_errors: launch errors in status_data, on both backends."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from integration.scheduler.coordinator_world import session_row
from sokovan.common.clock import ManualClock
from sokovan.common.ids import AgentId, SessionId
from sokovan.common.status import SessionStatus
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.write_status_data import (
    SessionErrorDetail,
    SessionErrorReport,
)
from support.factories import T0, add_agent, add_scaling_group, add_session, add_tenant

REFUSED = SessionErrorDetail(AgentId("a1"), "AgentRpcError", "agent 'a1': connection refused")
TIMED_OUT = SessionErrorDetail(None, "AgentError", "took longer than 60 s")


async def test_errors_are_written_under_status_data_error_keeping_other_keys(
    db_engine: AsyncEngine,
) -> None:
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1")
    tenant = await add_tenant(db_engine)
    first, _ = await add_session(
        db_engine, tenant, status=SessionStatus.CREATING, status_data={"kept": {"n": 1}}
    )
    second, _ = await add_session(db_engine, tenant, status=SessionStatus.CREATING)
    repository = SchedulerRepository(db_engine, ManualClock(T0))

    written = await repository.record_session_errors(
        [
            SessionErrorReport(first, "check-precondition", (REFUSED,)),
            SessionErrorReport(first, "start-sessions", (TIMED_OUT,)),
            SessionErrorReport(second, "start-sessions", (REFUSED,)),
            SessionErrorReport(SessionId(uuid.uuid4()), "start-sessions", (REFUSED,)),
        ]
    )

    assert written == 2
    row = await session_row(db_engine, first)
    assert row.status_data == {
        "kept": {"n": 1},
        "error": {
            "phase": "start-sessions",
            "recorded_at": T0.isoformat(),
            "errors": [
                {"agent_id": "a1", "name": "AgentRpcError", "message": REFUSED.message},
                {"agent_id": None, "name": "AgentError", "message": TIMED_OUT.message},
            ],
        },
    }
    assert (row.status, row.status_changed) == (SessionStatus.CREATING, T0)
    assert (await session_row(db_engine, second)).status_data["error"]["errors"] == [
        REFUSED.to_json()
    ]


async def test_nothing_to_record_touches_nothing(db_engine: AsyncEngine) -> None:
    assert await SchedulerRepository(db_engine).record_session_errors([]) == 0
