"""`get_scheduling_data`: the placement snapshot of one scaling group, read in one go.

Ten set-based statements, whatever the number of sessions or agents: the group, its pending
sessions, their kernels, their dependencies, the agents, one per policy level and one for
usage. On PostgreSQL they share one REPEATABLE READ snapshot, so a session submitted while the
snapshot is read appears in all of its parts or in none (SQLite's transactions are serial).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.collector import collector_paused
from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.scheduler.read_snapshot_quotas import (
    PendingOwners,
    load_occupancy,
    load_policies,
)
from sokovan.repositories.scheduler.read_snapshot_sessions import (
    load_agents,
    load_pending_queue,
    load_scaling_group,
)
from sokovan.repositories.scheduler.snapshot_types import SchedulingData


class SchedulingDataMixin(RepositoryBase):
    async def get_scheduling_data(self, scaling_group: str) -> SchedulingData | None:
        """Everything placement needs for `scaling_group`.

        None when the group does not exist, is inactive, or has no PENDING session: there is
        nothing to place.
        """
        with collector_paused():
            return await self._read_scheduling_data(scaling_group)

    async def _read_scheduling_data(self, scaling_group: str) -> SchedulingData | None:
        async with self._snapshot_connection() as conn:
            config = await load_scaling_group(conn, scaling_group)
            if config is None:
                return None
            queue = await load_pending_queue(conn, scaling_group)
            if not queue.sessions:
                return None
            agents = await load_agents(conn, scaling_group)
            policies = await load_policies(conn, scaling_group)
            occupancy = await load_occupancy(conn, scaling_group, PendingOwners.of(queue.sessions))
        return SchedulingData(
            scaling_group=config,
            agents=agents,
            pending_sessions=queue.sessions,
            total_capacity=sum((agent.available_slots for agent in agents), ResourceSlot()),
            policies=policies,
            occupancy=occupancy,
            dependencies=queue.dependencies,
        )

    @asynccontextmanager
    async def _snapshot_connection(self) -> AsyncIterator[AsyncConnection]:
        async with self._engine.connect() as conn:
            if self.is_postgres:
                await conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn
