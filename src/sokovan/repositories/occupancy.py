"""Agent occupancy, derived from kernels.

An agent's `occupied_slots` and `container_count` are a cache of the sum over its kernels in
resource-occupying statuses. Every write that moves kernels in or out of those statuses calls
`refresh_agent_occupancy` in the same transaction, so the cache cannot drift; recomputing
(rather than adding and subtracting deltas) also repairs any drift that predates the fix.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import KernelStatus
from sokovan.db import tables as t


async def lock_agents(conn: AsyncConnection, agent_ids: Collection[AgentId]) -> None:
    """Lock agent rows in id order (a global order, so two lockers cannot deadlock).

    On SQLite the transaction already holds the database write lock (BEGIN IMMEDIATE).
    """
    if conn.dialect.name == "postgresql" and agent_ids:
        await conn.execute(
            sa.select(t.agents.c.id)
            .where(t.agents.c.id.in_(sorted(agent_ids)))
            .order_by(t.agents.c.id)
            .with_for_update()
        )


async def refresh_agent_occupancy(
    conn: AsyncConnection, agent_ids: Collection[AgentId] | None = None
) -> int:
    """Recompute occupied slots and container counts of `agent_ids` (None: every agent).

    Returns the number of agents updated. Takes the agents' row locks first.
    """
    if agent_ids is None:
        agent_ids = [AgentId(r) for r in (await conn.scalars(sa.select(t.agents.c.id))).all()]
    if not agent_ids:
        return 0
    await lock_agents(conn, agent_ids)
    rows = await conn.execute(
        sa.select(t.kernels.c.agent_id, t.kernels.c.occupied_slots).where(
            t.kernels.c.agent_id.in_(list(agent_ids)),
            t.kernels.c.status.in_(list(KernelStatus.resource_occupied_statuses())),
        )
    )
    occupied: dict[str, ResourceSlot] = defaultdict(ResourceSlot)
    containers: dict[str, int] = defaultdict(int)
    for agent_id, slots in rows:
        occupied[agent_id] = occupied[agent_id] + slots
        containers[agent_id] += 1
    params = [
        {"b_id": agent_id, "b_occupied": occupied[agent_id], "b_count": containers[agent_id]}
        for agent_id in agent_ids
    ]
    await conn.execute(
        t.agents.update()
        .where(t.agents.c.id == sa.bindparam("b_id"))
        .values(occupied_slots=sa.bindparam("b_occupied"), container_count=sa.bindparam("b_count")),
        params,
    )
    return len(params)
