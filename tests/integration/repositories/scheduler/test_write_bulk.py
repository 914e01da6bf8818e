"""bulk_update: per-row values, values every row shares, increments, on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.resource_slot import ResourceSlot
from sokovan.db import tables as t
from sokovan.repositories.scheduler.write_bulk import bulk_update
from support.factories import add_agent, add_scaling_group


async def agents(engine: AsyncEngine) -> dict[str, tuple[ResourceSlot, int, str | None]]:
    columns = (t.agents.c.occupied_slots, t.agents.c.container_count, t.agents.c.watcher_addr)
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(t.agents.c.id, *columns))
        return {agent_id: (slots, count, watcher) for agent_id, slots, count, watcher in rows}


async def test_shared_and_per_row_values_and_increments_land_on_their_rows(
    db_engine: AsyncEngine,
) -> None:
    await add_scaling_group(db_engine)
    for agent_id in ("a1", "a2", "a3"):
        await add_agent(db_engine, agent_id, container_count=1, watcher_addr="w")
    shared = ResourceSlot({"cpu": "0.5"})
    rows = [
        {"id": "a1", "occupied_slots": shared, "container_count": 2, "watcher_addr": None},
        {"id": "a2", "occupied_slots": shared, "container_count": 3, "watcher_addr": None},
    ]

    async with db_engine.begin() as conn:
        await bulk_update(
            conn,
            t.agents,
            ("occupied_slots", "container_count", "watcher_addr"),
            rows,
            add=("container_count",),
        )

    assert await agents(db_engine) == {
        "a1": (shared, 3, None),
        "a2": (shared, 4, None),
        "a3": (ResourceSlot(), 1, "w"),
    }


async def test_values_that_differ_are_written_per_row(db_engine: AsyncEngine) -> None:
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1")
    await add_agent(db_engine, "a2")
    rows = [
        {"id": "a1", "occupied_slots": ResourceSlot({"cpu": 1})},
        {"id": "a2", "occupied_slots": ResourceSlot({"cpu": 2})},
    ]

    async with db_engine.begin() as conn:
        await bulk_update(conn, t.agents, ("occupied_slots",), rows)

    found = await agents(db_engine)
    assert found["a1"][0] == ResourceSlot({"cpu": 1})
    assert found["a2"][0] == ResourceSlot({"cpu": 2})


async def test_rows_that_all_share_their_values_are_written_in_one_go(
    db_engine: AsyncEngine,
) -> None:
    await add_scaling_group(db_engine)
    for agent_id in ("a1", "a2", "a3"):
        await add_agent(db_engine, agent_id, container_count=1, watcher_addr="w")
    shared = ResourceSlot({"cpu": "0.5"})
    rows = [
        {"id": agent_id, "occupied_slots": shared, "watcher_addr": None}
        for agent_id in ("a1", "a3")
    ]

    async with db_engine.begin() as conn:
        await bulk_update(conn, t.agents, ("occupied_slots", "watcher_addr"), rows)

    assert await agents(db_engine) == {
        "a1": (shared, 1, None),
        "a2": (ResourceSlot(), 1, "w"),
        "a3": (shared, 1, None),
    }
