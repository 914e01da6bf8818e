"""bulk_update and insert_rows: per-row values, values every row shares, increments,
defaults, on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.ids import SessionId, time_ordered_uuid
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import SchedulingResult
from sokovan.common.status import SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler.write_bulk import bulk_update, insert_rows
from support.factories import T0, add_agent, add_scaling_group, add_session, add_tenant


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


def _history_row(session_id: SessionId, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": time_ordered_uuid(),
        "session_id": session_id,
        "phase": "schedule-sessions",
        "from_status": SessionStatus.PENDING,
        "to_status": SessionStatus.SCHEDULED,
        "result": SchedulingResult.SUCCESS,
        "error_code": None,
        "created_at": T0,
        "updated_at": T0,
    }
    row.update(values)
    return row


async def test_inserted_rows_read_back_as_written_with_defaults_filled_in(
    db_engine: AsyncEngine,
) -> None:
    await add_scaling_group(db_engine)
    session_id, _ = await add_session(db_engine, await add_tenant(db_engine))
    given = _history_row(session_id, message="placed", attempts=3)
    defaulted = _history_row(session_id, error_code="E1")  # no message, no attempts

    async with db_engine.begin() as conn:
        await insert_rows(conn, t.session_scheduling_history, [given])
        await insert_rows(conn, t.session_scheduling_history, [defaulted])
        await insert_rows(conn, t.session_scheduling_history, [])

    history = t.session_scheduling_history
    async with db_engine.connect() as conn:
        rows = {row.id: row._asdict() for row in await conn.execute(sa.select(history))}
    assert rows[given["id"]] == given
    assert rows[defaulted["id"]] == {**defaulted, "message": "", "attempts": 1}


async def test_a_left_out_column_with_a_computed_default_still_gets_it(
    db_engine: AsyncEngine,
) -> None:
    await add_scaling_group(db_engine)
    _, (kernel_id,) = await add_session(db_engine, await add_tenant(db_engine))
    async with db_engine.connect() as conn:
        kernel = (await conn.execute(sa.select(t.kernels))).one()._asdict()
    copy = {
        name: value
        for name, value in kernel.items()
        if name not in ("service_ports", "status_data", "terminated_at")
    }
    copy["id"] = time_ordered_uuid()

    async with db_engine.begin() as conn:
        await insert_rows(conn, t.kernels, [copy])

    async with db_engine.connect() as conn:
        ports = await conn.scalar(
            sa.select(t.kernels.c.service_ports).where(t.kernels.c.id == copy["id"])
        )
    assert ports == []  # default=list, filled in by SQLAlchemy
    assert kernel_id != copy["id"]
