"""The first migration produces exactly the schema the tables module declares."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.db.tables import metadata
from support.factories import KernelSpec, add_agent, add_scaling_group, add_session, add_tenant


async def test_migrated_schema_matches_table_definitions(db_engine: AsyncEngine) -> None:
    def _diff(connection: sa.Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return list(compare_metadata(context, metadata))

    async with db_engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_rows_round_trip_with_exact_slots_and_aware_times(db_engine: AsyncEngine) -> None:
    from sokovan.db import tables as t

    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1", available={"cpu": "0.1", "mem": 2**40})
    session_id, _ = await add_session(
        db_engine, tenant, kernels=[KernelSpec(slots={"cpu": "0.2", "cuda.shares": "0.3"})]
    )
    async with db_engine.connect() as conn:
        agent = (await conn.execute(sa.select(t.agents))).one()
        session = (await conn.execute(sa.select(t.sessions))).one()
    assert str(agent.available_slots["cpu"]) == "0.1"
    assert agent.available_slots["mem"] == 2**40
    assert session.id == session_id
    assert session.requested_slots.to_json() == {"cpu": "0.2", "cuda.shares": "0.3"}
    assert session.created_at.tzinfo is not None
