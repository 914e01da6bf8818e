"""What health checks and the metrics scrape read: reachability, and the cluster at a glance."""

from __future__ import annotations

import sqlalchemy as sa

from sokovan.common.status import AgentStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.api.types import AgentUsage, ClusterStats
from sokovan.repositories.base import RepositoryBase


class StatsMixin(RepositoryBase):
    async def ping(self) -> None:
        """Run a trivial statement; raises whatever the driver raises when the database is
        unreachable."""
        async with self._engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def get_cluster_stats(self) -> ClusterStats:
        """Sessions per status (one GROUP BY) and the slots of every ALIVE agent."""
        sessions, agents = t.sessions.c, t.agents.c
        by_status = sa.select(sessions.status, sa.func.count()).group_by(sessions.status)
        alive = (
            sa.select(
                agents.id, agents.scaling_group, agents.available_slots, agents.occupied_slots
            )
            .where(agents.status == AgentStatus.ALIVE)
            .order_by(agents.id)
        )
        async with self._engine.connect() as conn:
            counts = {status: int(count) for status, count in await conn.execute(by_status)}
            agent_rows = (await conn.execute(alive)).all()
        return ClusterStats(
            sessions_by_status={status: counts.get(status, 0) for status in SessionStatus},
            agents=tuple(
                AgentUsage(row.id, row.scaling_group, row.available_slots, row.occupied_slots)
                for row in agent_rows
            ),
        )
