"""record_session_result on real rows."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.ids import SessionId
from sokovan.common.status import SessionResult, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler import SchedulerRepository
from support.factories import add_scaling_group, add_session, add_tenant


async def test_a_result_and_its_reason_are_recorded(db_engine: AsyncEngine) -> None:
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine)
    session_id, _ = await add_session(db_engine, tenant, status=SessionStatus.TERMINATING)
    repository = SchedulerRepository(db_engine)

    assert await repository.record_session_result(
        session_id, SessionResult.SUCCESS, "batch-completed"
    )

    async with db_engine.connect() as conn:
        row = (await conn.execute(sa.select(t.sessions.c.result, t.sessions.c.status_info))).one()
    assert (row.result, row.status_info) == (SessionResult.SUCCESS, "batch-completed")


async def test_an_unknown_session_is_reported(db_engine: AsyncEngine) -> None:
    repository = SchedulerRepository(db_engine)

    assert not await repository.record_session_result(
        SessionId(uuid.uuid4()), SessionResult.FAILURE, None
    )
