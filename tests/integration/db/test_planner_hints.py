"""not_indexed: SQLite looks rows up by the ids a statement names, not by their status."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.status import KernelStatus
from sokovan.db import tables as t
from sokovan.db.planner_hints import not_indexed
from support.factories import KernelSpec, add_scaling_group, add_session, add_tenant

_K = t.kernels.c


def _by_session_and_status(column: sa.ColumnElement[str], session_id: uuid.UUID) -> sa.Select[Any]:
    return sa.select(_K.id).where(
        _K.session_id.in_([session_id, uuid.uuid4()]),
        column.in_([KernelStatus.RUNNING, KernelStatus.CREATING]),
    )


async def test_the_status_term_matches_the_same_rows(db_engine: AsyncEngine) -> None:
    await add_scaling_group(db_engine)
    tenant = await add_tenant(db_engine)
    session_id, kernel_ids = await add_session(
        db_engine,
        tenant,
        kernels=[
            KernelSpec(agent_id=None, status=KernelStatus.RUNNING),
            KernelSpec(agent_id=None, status=KernelStatus.PENDING),
        ],
    )
    async with db_engine.connect() as conn:
        plain = set(await conn.scalars(_by_session_and_status(_K.status, session_id)))
        hinted = set(await conn.scalars(_by_session_and_status(not_indexed(_K.status), session_id)))

    assert hinted == plain == {kernel_ids[0]}


async def test_sqlite_plans_the_lookup_by_session_not_by_status(db_engine: AsyncEngine) -> None:
    if db_engine.dialect.name != "sqlite":
        return  # PostgreSQL plans from its statistics; the hint renders nothing there
    # The real table's name and columns, untyped, so that the values render as literals.
    kernels = sa.table("kernels", sa.column("id"), sa.column("session_id"), sa.column("status"))
    statement = sa.select(kernels.c.id).where(
        kernels.c.session_id.in_([uuid.uuid4().hex, uuid.uuid4().hex]),
        not_indexed(kernels.c.status).in_(["RUNNING", "CREATING"]),
    )
    sql = statement.compile(dialect=db_engine.dialect, compile_kwargs={"literal_binds": True})
    async with db_engine.connect() as conn:
        plan = [row[3] for row in await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]

    assert any("ix_kernels_session_id" in step for step in plan), plan
    assert not any("ix_kernels_status" in step for step in plan), plan
